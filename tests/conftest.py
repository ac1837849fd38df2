"""Shared test fixtures: where the reference fixtures live, and the bundled samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.skip(f"reference fixtures not found at {REFERENCE_DIR}")
    return REFERENCE_DIR
