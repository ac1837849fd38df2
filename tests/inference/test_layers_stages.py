"""A layered artwork's own stages as images (what Paints-UNDO takes as keyframes): one at the end of
each stage band, strictly between the blank canvas and the artwork, each more finished than the last."""

from __future__ import annotations

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_ora

from app.core.artwork import Artwork, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import EngineError
from app.inference.layers import LayersEngine
from app.inference.layers.stages import stage_frames

W, H = 96, 80


@pytest.fixture(scope="module")
def artwork(tmp_path_factory: pytest.TempPathFactory) -> Artwork:
    lines = np.zeros((H, W, 4), np.uint8)
    lines[20:22, 8:88] = (0, 0, 0, 255)
    specs = [
        Spec("Background", np.full((H, W, 4), (230, 230, 250, 255), np.uint8)),
        Spec("Lines", lines),
        Spec("Base", gradient_rgba(60, 50, 2), x=20, y=15),
        Spec("Shadow", np.full((30, 30, 4), (80, 60, 120, 200), np.uint8), x=30, y=25, blend="multiply"),
    ]
    return load_artwork(write_ora(tmp_path_factory.mktemp("stages") / "art.ora", (W, H), specs))


def test_the_stages_are_the_layers_engine_s_frames_at_the_ends_of_its_bands(artwork: Artwork) -> None:
    frames = stage_frames(artwork, seed=2)
    session = LayersEngine().prepare(artwork, BranchSpec.make("layers", 2), CancelToken(), no_progress)
    ends = {b.last_step for b in session.stage_bands if 0 < b.last_step < 999}
    assert set(frames) == ends and len(frames) >= 3
    final = artwork.pixels.astype(np.float32)
    distances = []
    for step in sorted(frames, reverse=True):
        assert np.array_equal(frames[step], LayersEngine().render_step(session, step))
        distances.append(float(np.abs(frames[step].astype(np.float32) - final).mean()))
    assert distances == sorted(distances, reverse=True)  # each stage nearer the artwork


def test_at_most_limit_stages_evenly_spread(artwork: Artwork) -> None:
    every = sorted(stage_frames(artwork, seed=2), reverse=True)
    two = sorted(stage_frames(artwork, seed=2, limit=2), reverse=True)
    assert two == [every[0], every[-1]]


def test_a_flat_artwork_has_no_stages() -> None:
    flat = Artwork(pixels=np.full((40, 50, 3), 200, np.uint8))
    with pytest.raises(EngineError):
        stage_frames(flat)
