"""A Paints-UNDO engine over the tiny random-weight components of tests/inference (seeded, so every
process builds the same one), reachable as an engine target 'module:attr' from batch worker processes.
Its keyframes only: there is no tiny multi-frame model, so a render asks for keyframe steps."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))

TARGET = "tiny_engine:make_engine"


def make_engine(models_dir: Path | None = None, device: str | None = None) -> Any:
    from test_single_frame_tiny import make_components

    from app.inference.paints_undo.engine import PaintsUndoEngine

    components = make_components(Path(tempfile.mkdtemp(prefix="tiny-tokenizer-")))
    return PaintsUndoEngine.from_components(**components, device="cpu")
