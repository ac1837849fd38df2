"""Shared test fixtures: where the reference (parity) fixtures live.

The parity fixtures of the original Paints-UNDO code are committed under `tests/fixtures/reference/`
(tiny random-weight models, data only; see its README.md). `REFERENCE_DIR` is the one place tests read
them from. A missing fixture FAILS the test that needs it, never skips it: a parity test that silently
skips proves nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The Paints-UNDO speed calibration (app/inference/paints_undo/estimate.py) caches per device in the
# user cache folder: tests keep theirs in a folder of their own, never in the user's.
os.environ.setdefault("UNDO_STUDIO_CACHE", tempfile.mkdtemp(prefix="undo-studio-test-cache-"))

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "tests" / "fixtures" / "reference"


def reference_path(name: str) -> Path:
    """`REFERENCE_DIR / name`, failing the calling test with a clear message when it is missing."""
    path = REFERENCE_DIR / name
    if not path.exists():
        pytest.fail(
            f"reference fixture missing: {path}. The parity fixtures are committed in the repository; "
            "restore them with `git checkout -- tests/fixtures/reference`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The fixtures folder (checked through its README.md, which every copy of it has)."""
    return reference_path("README.md").parent


@pytest.fixture(scope="session")
def reference_file() -> Callable[[str], Path]:
    """`reference_file("wd14.json")` -> the path, or a failed test naming the missing file."""
    return reference_path
