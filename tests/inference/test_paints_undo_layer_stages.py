"""A Paints-UNDO branch made from the layers panel (issue 13 part 4): its spec carries the layer stages
(`layer_stages`), `prepare` sets them as user keyframes as `--keyframes-from-layers` does, and the frame
keys known from the spec alone (a reopened project, no model loaded) are the session's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, write_ora
from test_paints_undo_chain import BUCKETS, SETTINGS, models  # noqa: F401 - `models` is a fixture

from app.core.artwork import Artwork, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Keyframe, Segment
from app.core.segments import SegmentLayout
from app.errors import EngineError
from app.inference.layers import LayersEngine
from app.inference.layers.stages import (
    LAYER_STAGES,
    frames_at,
    layer_stages,
    stage_hashes,
    stage_steps,
    with_layer_stages,
)
from app.inference.paints_undo.engine import PaintsUndoEngine

LAYERS = BranchSpec.make("layers", 3, {"classes": ((1, "lines"),)})


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory) -> Artwork:
    dark = np.zeros((48, 64, 4), np.uint8)
    dark[..., 3] = 255
    light = np.full((24, 64, 4), 235, np.uint8)
    specs = [Spec("Background", dark), Spec("Lines", light, y=24)]
    return load_artwork(write_ora(tmp_path_factory.mktemp("ls") / "art.ora", (64, 48), specs))


def _steps(artwork: Artwork) -> tuple[int, ...]:
    session = LayersEngine().prepare(artwork, LAYERS, CancelToken(), no_progress)
    return stage_steps(session.stage_bands)


def test_the_spec_carries_the_stages_and_the_layers_plan(layered: Artwork) -> None:
    steps = _steps(layered)
    assert steps
    fork = LAYERS.forked(400, 9)  # what a fork continues from is not part of the plan
    spec = with_layer_stages(BranchSpec.make("paints-undo", 5), fork, steps)
    got = layer_stages(BranchSpec.from_json(spec.to_json()))  # as a project file gives it back
    assert got == (steps, BranchSpec.make("layers", 9, {"classes": ((1, "lines"),)}))
    hashes = stage_hashes("abc", spec)
    assert sorted(hashes) == sorted(steps) and hashes != stage_hashes("abd", spec)
    for bad in ((), (("x",), 1, ()), ((1000,), 1, ()), ((500,), "seed", ())):
        with pytest.raises(EngineError, match="layer stages"):
            layer_stages(BranchSpec.make("paints-undo", 5, {LAYER_STAGES: bad}))


def test_prepare_sets_the_stages_and_the_plan_from_the_spec_matches(
    models: Path,  # noqa: F811
    layered: Artwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PaintsUndoEngine, "video_buckets", BUCKETS)
    engine = PaintsUndoEngine(models_dir=models, device="cpu")
    steps = _steps(layered)
    spec = with_layer_stages(BranchSpec.make("paints-undo", 1, SETTINGS), LAYERS, steps)
    session = engine.prepare(layered, spec, CancelToken(), no_progress)
    assert set(steps) <= set(session.keyframe_steps)
    assert session.user_keyframes == stage_hashes(layered.content_hash, spec)
    stages = frames_at(layered, LAYERS, steps, CancelToken())
    step = steps[0]
    frame = engine.render(session, [step], CancelToken(), no_progress)[0].astype(np.float32)
    want = np.asarray(stages[step], np.float32)
    assert np.abs(frame - want).mean() < 12  # the layers' own stage (fitted and back), not generated
    from_session, from_spec = engine.keyframe_plan(session), engine.plan_for(layered.content_hash, spec)
    parts = [Keyframe(s) for s in session.keyframe_steps]
    parts += [Segment(a, b, 1) for a, b in SegmentLayout(tuple(session.keyframe_steps)).segments()]
    assert [from_session.key(p) for p in parts] == [from_spec.key(p) for p in parts]
    plain = engine.plan_for(layered.content_hash, BranchSpec.make("paints-undo", 1, SETTINGS))
    assert from_spec.key(Keyframe(500)) == plain.key(Keyframe(500))  # generated keyframes are shared


def test_a_flat_artwork_cannot_give_layer_stages(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    engine = PaintsUndoEngine(models_dir=models, device="cpu")
    spec = with_layer_stages(BranchSpec.make("paints-undo", 1, SETTINGS), LAYERS, (700,))
    flat = Artwork.from_array(np.full((48, 64, 3), 200, np.uint8))
    with pytest.raises(EngineError, match="has none"):
        engine.prepare(flat, spec, CancelToken(), no_progress)


def test_a_fork_keeps_the_stages_below_its_fork_step(tmp_path: Path) -> None:
    engine = PaintsUndoEngine(models_dir=tmp_path, device="cpu")
    spec = with_layer_stages(BranchSpec.make("paints-undo", 1, SETTINGS), LAYERS, (800, 300))
    plan = engine.plan_for("h", spec.forked(600, 4))
    assert set(plan.user_keyframes) == {300} and plan.keyframe_steps == (300, 500, 600)
    assert set(engine.plan_for("h", spec).user_keyframes) == {800, 300}
