"""A locked runtime (issue 10 item 19): installer/constraints.txt pins what the tests ran with, it covers
every dependency in pyproject.toml, and installer/setup_env.sh installs with it and reinstalls when it
changes. The installer is driven with a stand-in Python that records its calls: nothing is installed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "installer" / "constraints.txt"


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("installer_lock", ROOT / "installer" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_pins_every_dependency_of_pyproject_exactly() -> None:
    lock = _lock_module()
    lines = [ln for ln in LOCK.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    assert all(ln.count("==") == 1 and " " not in ln for ln in lines), "one exact pin per line"
    pins = lock.read_pins(LOCK.read_text(encoding="utf-8"))
    assert len(pins) == len(lines), "a package is pinned twice"
    assert "torch" not in pins, "torch is pinned first by setup_env.sh, not by the lock"
    for req in lock.top_level():
        name = canonicalize_name(req.name)
        if name == "torch":
            continue
        assert name in pins, f"{req.name} is in pyproject.toml but not locked: run installer/lock.py"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} breaks {req}"


def test_the_lock_script_walks_the_installed_requirements_without_torch() -> None:
    lock = _lock_module()
    pins = lock.closure(lock.top_level())
    assert {"numpy", "diffusers", "transformers", "huggingface-hub", "pytest"} <= set(pins)
    assert "torch" not in pins and "undo-studio" not in pins
    text = lock.render(pins)
    assert lock.read_pins(text) == pins


FAKE_PYTHON = """\
#!/usr/bin/env bash
# Stands in for .venv/bin/python: records each call, answers the installer's torch questions.
echo "$*" >> "$(dirname "$0")/../../calls.log"
case "$*" in
  *'print("torch=="'*) echo "torch==2.13.0" ;;
esac
exit 0
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A copy of the installer and its inputs, with a stand-in Python in .venv."""
    (tmp_path / "installer").mkdir()
    for name in ("setup_env.sh", "constraints.txt"):
        (tmp_path / "installer" / name).write_bytes((ROOT / "installer" / name).read_bytes())
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _setup(root: Path) -> list[str]:
    """Run setup_env "test" in `root` (system libraries and translations left out); the pip calls."""
    script = textwrap.dedent(
        f"""
        source "{root}/installer/setup_env.sh"
        install_system_libs() {{ :; }}
        compile_translations() {{ :; }}
        setup_env test
        """
    )
    log = root / "calls.log"
    log.unlink(missing_ok=True)
    subprocess.run(["bash", "-c", script], check=True, env={**os.environ}, capture_output=True, timeout=60)
    return [ln for ln in log.read_text().splitlines() if "pip install" in ln] if log.exists() else []


def test_setup_env_installs_with_the_lock_and_reinstalls_when_it_changes(sandbox: Path) -> None:
    calls = _setup(sandbox)
    assert len(calls) == 1
    assert f"-c {sandbox}/installer/constraints.txt" in calls[0] and f"-e {sandbox}[test]" in calls[0]
    assert _setup(sandbox) == [], "nothing changed: nothing is installed again"
    lock = sandbox / "installer" / "constraints.txt"
    lock.write_text(lock.read_text().replace("numpy==", "numpy==0.0.0.dev0+", 1))
    assert len(_setup(sandbox)) == 1, "a changed lock reinstalls"
