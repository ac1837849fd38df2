"""A procedural fork continues its parent's canvas (issue 10 item 1): at and above the fork step it is the
parent, just below it the step-to-step change is no larger than the parent's largest, and below that it
is re-planned with its own seed. Its recipe round-trips and its spec keys it apart from the parent."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from app.core.artwork import Artwork
from app.core.branch import FORK_OF, FORK_STEP, BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import EngineError
from app.inference.procedural import ProceduralEngine, ProceduralSession
from app.paths import SAMPLES_DIR

PARENT = BranchSpec.make("procedural", 7)
FORK_AT = 443


@pytest.fixture(scope="module")
def cat() -> Artwork:
    pixels = np.asarray(Image.open(SAMPLES_DIR / "cat_window.png").convert("RGB"))
    return Artwork.from_array(cv2.resize(pixels, (160, 160), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def engine() -> ProceduralEngine:
    return ProceduralEngine()


def _prepare(engine: ProceduralEngine, art: Artwork, spec: BranchSpec) -> ProceduralSession:
    return engine.prepare(art, spec, CancelToken(), no_progress)


@pytest.fixture(scope="module")
def parent(engine: ProceduralEngine, cat: Artwork) -> ProceduralSession:
    return _prepare(engine, cat, PARENT)


@pytest.fixture(scope="module")
def fork(engine: ProceduralEngine, cat: Artwork) -> ProceduralSession:
    return _prepare(engine, cat, PARENT.forked(FORK_AT, 31337))


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _painted(engine: ProceduralEngine, session: ProceduralSession, step: int) -> np.ndarray:
    """The canvas at `step`, mirrored back while the artist has it flipped (a view, not paint)."""
    frame = engine.render_step(session, step)
    return frame[:, ::-1] if session.effects.flipped(999 - step) else frame


def _largest_step_change(engine: ProceduralEngine, session: ProceduralSession) -> float:
    frames = [_painted(engine, session, s) for s in range(0, 1000)]
    return max(_change(frames[s], frames[s + 1]) for s in range(999))


def test_at_and_above_the_fork_step_the_fork_is_the_parent(engine, parent, fork) -> None:
    for step in (FORK_AT, FORK_AT + 1, 700, 999, 0):
        assert np.array_equal(engine.render_step(fork, step), engine.render_step(parent, step)), step


def test_around_the_fork_step_the_change_is_no_larger_than_the_parents_largest(
    engine, parent, fork, cat
) -> None:
    largest = _largest_step_change(engine, parent)
    for step in range(FORK_AT - 20, FORK_AT + 20):
        change = _change(_painted(engine, fork, step), _painted(engine, fork, step + 1))
        assert change <= largest, (step, change, largest)
    # the check can fail: a fresh process with the fork's seed (what a fork was before) jumps
    fresh = _prepare(engine, cat, PARENT.with_changes(seed=31337))
    jump = _change(_painted(engine, fresh, FORK_AT - 1), _painted(engine, parent, FORK_AT))
    assert jump > largest


def test_below_the_fork_step_the_rest_is_replanned_with_the_forks_seed(engine, parent, fork) -> None:
    step = FORK_AT // 2
    assert _change(engine.render_step(fork, step), engine.render_step(parent, step)) > 0.5
    assert np.array_equal(engine.render_step(fork, 0), engine.render_step(parent, 0))  # still the artwork
    # what the parent has painted at the fork step stays painted: the fork never goes back to white
    painted = engine.render_step(parent, FORK_AT).min(axis=2) < 250
    later = engine.render_step(fork, FORK_AT - 1).min(axis=2) < 250
    assert (painted & ~later).mean() < 0.001
    assert fork.settings_used["fork_step"] == FORK_AT


def test_the_fork_still_converges_and_its_times_keep_the_compositors_order(engine, fork, cat) -> None:
    comp = fork.compositor
    assert comp is not None
    for k in range(1, len(comp.times)):
        assert (comp.times[k] >= comp.times[k - 1]).all()
    dist = [_change(engine.render_step(fork, s), cat.pixels) for s in range(FORK_AT, -1, -40)]
    assert dist[-1] == 0 and dist[-2] < dist[0]
    bands = fork.stage_bands
    assert bands[0].first_step == 999 and bands[-1].last_step == 0


def test_a_fork_of_a_fork_continues_the_fork(engine, cat, fork) -> None:
    grandchild = _prepare(engine, cat, PARENT.forked(FORK_AT, 31337).forked(200, 5))
    for step in (200, 300, FORK_AT, 900):
        assert np.array_equal(engine.render_step(grandchild, step), engine.render_step(fork, step))
    assert not np.array_equal(engine.render_step(grandchild, 100), engine.render_step(fork, 100))


def test_the_forks_recipe_round_trips_and_is_keyed_apart_from_the_parent(engine, cat, fork) -> None:
    spec = PARENT.forked(FORK_AT, 31337)
    assert spec.spec_hash() != PARENT.spec_hash()
    assert BranchSpec.from_json(spec.to_json()) == spec
    recipe = engine.recipe(fork)
    restored = engine.restore(cat, spec, recipe, CancelToken(), no_progress)
    for step in (0, 100, FORK_AT - 1, FORK_AT, 999):
        assert np.array_equal(engine.render_step(restored, step), engine.render_step(fork, step))
    assert restored.stage_bands == fork.stage_bands
    with pytest.raises(EngineError):
        engine.restore(cat, PARENT, recipe, CancelToken(), no_progress)


@pytest.mark.parametrize(
    "settings",
    [
        {FORK_OF: ("procedural", 7, ()), FORK_STEP: 1200},
        {FORK_OF: ("procedural", 7, ()), FORK_STEP: "abc"},
        {FORK_OF: "not a spec", FORK_STEP: 400},
        {FORK_OF: ("paints_undo", 7, ()), FORK_STEP: 400},
        {FORK_STEP: 400},
    ],
)
def test_damaged_fork_settings_are_refused_with_a_clear_error(engine, cat, settings) -> None:
    with pytest.raises(EngineError, match="fork"):
        _prepare(engine, cat, BranchSpec.make("procedural", 3, settings))
