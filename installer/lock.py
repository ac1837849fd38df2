"""Write installer/constraints.txt: the exact versions of everything Undo Studio needs, as installed in
the environment that runs this script (the one the tests passed in).

Why: the app must not break when diffusers, transformers or huggingface_hub release (the original
Paints-UNDO app broke that way), so `setup_env.sh` installs with this file as pip constraints. It is
refreshed on purpose, never by the installer:

    .venv/bin/python installer/lock.py          # after upgrading packages and running the tests

What it holds: the project's dependencies and its `test` extra (pyproject.toml) and everything they
need, walked through the installed packages' metadata with markers evaluated here. torch is left out,
and so is what only torch needs: setup_env.sh pins torch first (users on CUDA bring their own build,
whose dependencies follow that build). `python installer/lock.py --check` exits 1 when the file does
not match this environment (tests/test_installer_lock.py checks it covers pyproject.toml instead, so
the suite passes in any environment).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "installer" / "constraints.txt"
LEFT_OUT = {"torch", "undo-studio"}  # torch is pinned first by setup_env.sh; the project is installed -e
EXTRAS = ("test",)


def top_level(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """The project's own requirements with the extras the installer uses."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    reqs = list(project.get("dependencies", []))
    for extra in EXTRAS:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    return [Requirement(r) for r in reqs]


def _applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in extras or {""})


def closure(roots: list[Requirement]) -> dict[str, str]:
    """canonical name -> installed version of every package the roots need here (torch's subtree out)."""
    found: dict[str, str] = {}
    todo = [(r, set(r.extras)) for r in roots if _applies(r, set())]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if name in LEFT_OUT:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is needed but not installed here: install the project first.")
        if name in found and not extras:
            continue
        found[name] = dist.version
        for text in dist.requires or []:
            sub = Requirement(text)
            if _applies(sub, extras) and (canonicalize_name(sub.name) not in found or sub.extras):
                todo.append((sub, set(sub.extras)))
    return found


def render(pins: dict[str, str]) -> str:
    head = (
        "# Exact versions the tests passed with; setup_env.sh installs with them as constraints.\n"
        "# Refresh on purpose: .venv/bin/python installer/lock.py (see the script's docstring).\n"
        f"# Made with Python {platform.python_version()} on {sys.platform}; torch is pinned in setup_env.sh.\n"
    )
    return head + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


def read_pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare the file with this environment")
    args = parser.parse_args(argv)
    pins = closure(top_level())
    if args.check:
        current = read_pins(LOCK.read_text(encoding="utf-8")) if LOCK.exists() else {}
        if current == pins:
            return 0
        for name in sorted(set(current) | set(pins)):
            if current.get(name) != pins.get(name):
                print(f"{name}: file {current.get(name)}, here {pins.get(name)}")
        return 1
    tmp = LOCK.with_suffix(".tmp")
    tmp.write_text(render(pins), encoding="utf-8")
    tmp.replace(LOCK)
    print(f"wrote {len(pins)} pins to {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
