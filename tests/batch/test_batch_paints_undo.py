"""A batch item with the Paints-UNDO engine over tiny random-weight models (tests/batch/tiny_engine.py),
reached as an engine target 'module:factory' from the worker process: its keyframes render, its sidecar
names the engine, and its video equals a single render's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from batch_helpers import artwork, decode
from PIL import Image
from tiny_engine import TARGET

from app.batch import run
from app.core.cancel import CancelToken
from app.core.export import ExportOptions
from app.inference.render_job import RenderRequest, load_input, prepare_engine, render_artwork

REQUEST = RenderRequest(
    engine=TARGET,
    settings=("size=64", "steps=2", "keyframe_steps=999"),
    prompt="a girl",
    steps=(999, 0),
    export=ExportOptions(fps=10, hold_last_s=0.0),
)


def test_one_item_with_tiny_paints_undo_models(tmp_path: Path) -> None:
    image = tmp_path / "in" / "girl.png"
    image.parent.mkdir()
    Image.fromarray(artwork(3, (64, 48))).save(image)
    summary = run([image], tmp_path / "out", REQUEST, workers=1)
    assert (summary.rendered, summary.failed) == (1, 0), summary.failures
    sidecar = json.loads((tmp_path / "out" / "girl.json").read_text())
    assert sidecar["engine"] == "paints-undo" and sidecar["settings"]["prompt"] == "a girl"
    frames = decode(tmp_path / "out" / "girl.mp4")
    assert len(frames) == 2 and frames[0].shape == (64, 48, 3)

    art, _ = load_input(image, REQUEST, CancelToken())
    single = tmp_path / "single.mp4"
    render_artwork(prepare_engine(REQUEST), art, image, single, REQUEST, CancelToken())
    assert all(np.array_equal(a, b) for a, b in zip(frames, decode(single), strict=True))


def test_an_engine_target_that_does_not_load_is_a_clear_error() -> None:
    import pytest

    from app.errors import EngineError
    from app.inference.registry import create_engine

    with pytest.raises(EngineError, match="Cannot load the engine"):
        create_engine("no_such_module:make")
