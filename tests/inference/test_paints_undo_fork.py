"""A Paints-UNDO fork continues from its parent's canvas (issue 10 item 1): the parent's frame at the fork
step is the fork's last keyframe, so the fork's timeline has no jump there.

Keyframes come from the tiny random-weight single-frame model; the video model is a linear blend of its
two conditioning frames (the tiny random video model draws noise, which would say nothing about jumps;
the real one reproduces its end frames and moves between them, which a blend stands for). The painted
in-betweens (the CPU default) are checked the same way: their first painted frame starts from the
parent's frame at the fork step and changes no more than any other frame does."""

from __future__ import annotations

import numpy as np
import pytest
from test_single_frame_tiny import artwork, make_components

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Keyframe, Segment
from app.errors import EngineError
from app.inference.frame_source import ProcessFrames
from app.inference.paints_undo.engine import PaintsUndoEngine, PaintsUndoSession
from app.inference.paints_undo.fork import MIN_GAP, fork_keyframe_steps

SETTINGS = {
    "size": "64",
    "steps": 2,
    "cfg": 3.0,
    "prompt": "a girl",
    "in_between": "model",
}  # the video model (blended here); "auto" paints on a CPU
FORK_STEP = 443


class BlendingVideoModel:
    """The multi-frame pipeline's interface: 16 frames from frame_a to frame_b, ends included."""

    def interpolate(self, frame_a, frame_b, prompt, seed, steps, cfg, cancel, progress):
        a, b = frame_a.astype(np.float32), frame_b.astype(np.float32)
        return [np.rint(a + (b - a) * i / 15).astype(np.uint8) for i in range(16)]


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_components(tmp_path_factory.mktemp("sf"))


@pytest.fixture()
def engine(components: dict, monkeypatch: pytest.MonkeyPatch) -> PaintsUndoEngine:
    c = components
    eng = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    monkeypatch.setattr(eng, "_multi_frame", lambda module, stack: BlendingVideoModel())
    return eng


ART = Artwork.from_array(artwork(64, 64, seed=5))  # square: the working size is the artwork's own
PARENT = BranchSpec.make("paints-undo", 7, SETTINGS)
FORK = PARENT.forked(FORK_STEP, 9)


def _prepare(engine: PaintsUndoEngine, spec: BranchSpec) -> PaintsUndoSession:
    return engine.prepare(ART, spec, CancelToken(), no_progress)


def _timeline(engine: PaintsUndoEngine, session: PaintsUndoSession) -> list[np.ndarray]:
    source = ProcessFrames(engine, ART, session.spec, CancelToken(), session=session)
    return [source.frame_for_step(s) for s in range(1000)]


def _changes(frames: list[np.ndarray]) -> np.ndarray:
    """Mean absolute change from each step to the next."""
    return np.array(
        [np.abs(b.astype(int) - a.astype(int)).mean() for a, b in zip(frames, frames[1:], strict=False)]
    )


@pytest.mark.parametrize("in_between", ["model", "painted"])  # painted: the CPU default
def test_the_fork_continues_from_the_parent_frame_at_the_fork_step(
    engine: PaintsUndoEngine, in_between: str
) -> None:
    parent_spec = PARENT.with_changes(in_between=in_between)
    parent = _prepare(engine, parent_spec)
    fork = _prepare(engine, parent_spec.forked(FORK_STEP, 9))
    parent_frames = _timeline(engine, parent)
    own = _timeline(engine, fork)
    # what the app shows (BranchTree.owner_for): the parent's frames at and above the fork step
    fork_frames = [own[s] if s < FORK_STEP else parent_frames[s] for s in range(1000)]

    at_fork = engine.render(fork, [FORK_STEP], CancelToken(), no_progress)[0]
    assert np.array_equal(at_fork, parent_frames[FORK_STEP])  # its own keyframe is the parent's frame
    assert np.array_equal(own[FORK_STEP - 1], parent_frames[FORK_STEP])  # the nearest segment frame: its end
    largest = _changes(parent_frames).max()
    around = _changes(fork_frames[FORK_STEP - 60 : FORK_STEP + 60])
    assert largest > 0 and around.max() <= largest
    assert not np.array_equal(fork_frames[200], parent_frames[200])  # below it, the fork redoes the work
    assert np.array_equal(fork_frames[0], parent_frames[0])  # and ends on the artwork


def test_the_fork_chain_ends_on_the_fork_step(engine: PaintsUndoEngine) -> None:
    assert fork_keyframe_steps((400, 600, 800, 999), 443) == (443,)  # 400 is too close: left out
    assert fork_keyframe_steps((400, 600, 800, 999), 700) == (400, 600, 700)
    assert fork_keyframe_steps((400,), 400 + MIN_GAP) == (400, 400 + MIN_GAP)
    fork = _prepare(engine, PARENT.forked(700, 9))
    assert tuple(fork.keyframe_steps) == (400, 600, 700)


def test_the_fork_plan_is_known_without_a_session_and_follows_the_parent(engine: PaintsUndoEngine) -> None:
    fork = _prepare(engine, FORK)
    from_session = engine.keyframe_plan(fork)
    from_spec = engine.plan_for(ART.content_hash, FORK)
    parts = [Keyframe(0), Keyframe(FORK_STEP), Segment(0, FORK_STEP, 3)]
    assert [from_session.key(p) for p in parts] == [from_spec.key(p) for p in parts]
    other_parent = engine.plan_for(
        ART.content_hash, BranchSpec.make("paints-undo", 8, SETTINGS).forked(443, 9)
    )
    # another parent: another frame at the fork step, so the segment ending there is another one too
    assert other_parent.key(Keyframe(FORK_STEP)) != from_spec.key(Keyframe(FORK_STEP))
    assert other_parent.key(Segment(0, FORK_STEP, 3)) != from_spec.key(Segment(0, FORK_STEP, 3))
    assert other_parent.key(Keyframe(0)) == from_spec.key(Keyframe(0))


def test_a_fork_of_a_fork_above_the_first_fork_step_takes_the_grandparent_frame(
    engine: PaintsUndoEngine,
) -> None:
    parent = _prepare(engine, PARENT)
    grandchild = _prepare(engine, FORK.forked(600, 11))  # 600 >= 443: the first fork shows the parent there
    expected = ProcessFrames(engine, ART, PARENT, CancelToken(), session=parent).frame_for_step(600)
    assert np.array_equal(engine.render(grandchild, [600], CancelToken(), no_progress)[0], expected)


def test_a_fork_keyframe_cannot_be_replaced_and_a_damaged_fork_is_a_clear_error(
    engine: PaintsUndoEngine,
) -> None:
    fork = _prepare(engine, FORK)
    with pytest.raises(EngineError) as err:
        engine.set_user_keyframe(fork, FORK_STEP, np.zeros((64, 64, 3), np.uint8))
    assert "parent" in err.value.hint
    damaged = FORK.with_changes(fork_step="abc")
    with pytest.raises(EngineError) as err:
        _prepare(engine, damaged)
    assert "Fork the parent branch again" in err.value.hint
    foreign = BranchSpec.make("procedural", 1).forked(300, 2).with_changes(keyframe_steps="400")
    with pytest.raises(EngineError):
        engine.plan_for(ART.content_hash, BranchSpec("paints-undo", 2, foreign.settings))
