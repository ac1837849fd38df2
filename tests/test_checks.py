"""The static checks that keep the architecture (design §2) and the code style, run as tests.

Why tests rather than lines in installer/test.sh: each checker then counts and shows by name in the
pytest summary, runs under any `pytest` a developer types (not only the README's test command), and
its own output is printed when it fails. Every checker runs in a subprocess with this interpreter, so
it uses the venv's tools and the configuration in pyproject.toml. .pre-commit-config.yaml runs the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = [name for name in ("app", "tests", "bench", "tools") if (ROOT / name).is_dir()]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _check(*args: str) -> None:
    # PYTHONPATH first: lint-imports analyses the `app` it can import, which must be this checkout's.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    out = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=540
    )
    if out.returncode != 0:
        pytest.fail(
            f"`{' '.join(args)}` failed (exit {out.returncode}):\n{out.stdout}\n{out.stderr}", pytrace=False
        )


@pytest.mark.parametrize(
    "command",
    [["check"], ["format", "--check"]],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff(command: list[str]) -> None:
    _check("-m", "ruff", *command, *SOURCE_DIRS)


def test_import_contracts() -> None:
    """The layer rules in pyproject.toml ([tool.importlinter]); imports inside functions count too."""
    _check("-c", LINT_IMPORTS, "--no-cache")


def test_mypy() -> None:
    """Strict, except the ratchet lists in pyproject.toml. The cache lives in the venv, not the work
    tree: a cold run takes about half a minute on two cores, a warm one a second or two."""
    _check("-m", "mypy", "--cache-dir", str(Path(sys.prefix) / ".mypy_cache"))
