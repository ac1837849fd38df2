"""Behaviours (issue 12 item 2): a canvas flip, a late colour adjustment, a repainted region and a
replaced background each happen when enabled, never when disabled, independently of one another, and
at sensible rates by default."""

from __future__ import annotations

import numpy as np
import pytest
from way_pictures import flat_line_art, painterly_landscape

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.inference.procedural import ProceduralEngine, ProceduralSession

QUIET = {"flip_chance": 0.0, "grade_chance": 0.0, "repaint_chance": 0.0, "background_chance": 0.0}
SEED = 4
COLOUR_STAGES = ("flats", "block-in", "washes")


@pytest.fixture(scope="module")
def engine() -> ProceduralEngine:
    return ProceduralEngine(analysis_cache_size=4)


@pytest.fixture(scope="module", params=["painterly", "line-art"])
def art(request) -> Artwork:
    draw = painterly_landscape if request.param == "painterly" else flat_line_art
    return Artwork.from_array(draw(144))


def _prepare(engine: ProceduralEngine, art: Artwork, **settings: object) -> ProceduralSession:
    return engine.prepare(art, BranchSpec.make("procedural", SEED, settings), CancelToken(), no_progress)


def _only(engine: ProceduralEngine, art: Artwork, name: str) -> ProceduralSession:
    return _prepare(engine, art, **{**QUIET, f"{name}_chance": 1.0})


def _step(tick: int) -> int:
    return 999 - tick


def _diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)


def test_with_every_chance_at_zero_nothing_happens(engine, art) -> None:
    quiet = _prepare(engine, art, **QUIET)
    e = quiet.effects
    assert e.flips == () and e.grade is None and e.repaint is None and e.background is None
    comp = quiet.compositor
    for step in (999, 800, 500, 200, 50, 1):
        assert np.array_equal(engine.render_step(quiet, step), comp.render_tick(999 - step))


def test_a_canvas_flip_shows_the_canvas_mirrored_for_a_stretch(engine, art) -> None:
    on, off = _only(engine, art, "flip"), _prepare(engine, art, **QUIET)
    assert on.effects.flips and off.effects.flips == ()
    for a, b in on.effects.flips:
        assert 0 < a < b < 999
        for tick in (a, (a + b) // 2, b):
            assert np.array_equal(
                engine.render_step(on, _step(tick)), engine.render_step(off, _step(tick))[:, ::-1]
            )
        for tick in (a - 1, b + 1):
            assert np.array_equal(engine.render_step(on, _step(tick)), engine.render_step(off, _step(tick)))
    assert np.array_equal(engine.render_step(on, 0), art.pixels)


def test_a_late_colour_adjustment_moves_to_the_final_grade(engine, art) -> None:
    on, off = _only(engine, art, "grade"), _prepare(engine, art, **QUIET)
    grade = on.effects.grade
    assert grade is not None and off.effects.grade is None
    assert 0.75 * 999 < grade.start < grade.end < 999
    before = _diff(
        engine.render_step(on, _step(grade.start - 1)), engine.render_step(off, _step(grade.start - 1))
    )
    middle = _diff(
        engine.render_step(on, _step((grade.start + grade.end) // 2)),
        engine.render_step(off, _step((grade.start + grade.end) // 2)),
    )
    assert before.mean() > 3.0  # the whole picture, ungraded
    assert middle.mean() < before.mean()  # on its way
    for tick in (grade.end, grade.end + 1):
        assert np.array_equal(engine.render_step(on, _step(tick)), engine.render_step(off, _step(tick)))
    white = engine.render_step(off, 999).min(axis=2) == 255
    assert (engine.render_step(on, 999)[white] >= 254).all()  # paper stays paper


def _colour_stage(session: ProceduralSession) -> int:
    return next(k for k, name in enumerate(session.stages) if name in COLOUR_STAGES)


def _changed_layer(on: ProceduralSession, off: ProceduralSession) -> np.ndarray:
    k = _colour_stage(on)
    return _diff(on.compositor.layers[k + 1], off.compositor.layers[k + 1]) > 6


def test_a_region_is_roughed_in_then_repainted(engine, art) -> None:
    on, off = _only(engine, art, "repaint"), _prepare(engine, art, **QUIET)
    assert on.effects.repaint is not None and off.effects.repaint is None
    roughed, repainted = on.effects.repaint
    assert roughed < repainted
    rough = _changed_layer(on, off)
    assert rough.mean() > 0.003  # a region, in other colours
    final = art.pixels
    early = engine.render_step(on, _step(repainted - 1))
    late = engine.render_step(on, _step(min(repainted + 40, 998)))
    assert _diff(early, final)[rough].mean() > _diff(late, final)[rough].mean() + 10
    assert _diff(early, engine.render_step(off, _step(repainted - 1)))[rough].mean() > 10


def test_a_background_is_painted_early_and_replaced(engine, art) -> None:
    on, off = _only(engine, art, "background"), _prepare(engine, art, **QUIET)
    if on.way == "line-art":  # its backdrop is bare paper: nothing to paint differently first
        assert on.effects.background is None
        assert np.array_equal(on.compositor.layers[3], off.compositor.layers[3])
        return
    assert on.effects.background is not None and off.effects.background is None
    painted, replaced = on.effects.background
    assert painted < replaced
    changed = _changed_layer(on, off)
    assert changed[:10].mean() > 0.8  # the sky
    early = engine.render_step(on, _step(replaced - 1))
    late = engine.render_step(on, _step(min(replaced + 80, 998)))
    assert _diff(early, art.pixels)[changed].mean() > _diff(late, art.pixels)[changed].mean() + 10


def test_behaviours_are_independent_of_one_another(engine, art) -> None:
    """Switching one off changes nothing about the others (each has its own random stream)."""
    all_on = _prepare(
        engine, art, flip_chance=1.0, grade_chance=1.0, repaint_chance=1.0, background_chance=1.0
    )
    no_flip = _prepare(
        engine, art, flip_chance=0.0, grade_chance=1.0, repaint_chance=1.0, background_chance=1.0
    )
    assert no_flip.effects.flips == () and all_on.effects.flips
    assert all_on.effects.grade == no_flip.effects.grade
    assert all_on.effects.repaint == no_flip.effects.repaint
    for a, b in zip(all_on.compositor.layers, no_flip.compositor.layers, strict=True):
        assert np.array_equal(a, b)


def test_by_default_each_behaviour_happens_in_some_branches_and_not_in_others(engine) -> None:
    art = Artwork.from_array(painterly_landscape(96))
    seen = {"flip": 0, "grade": 0, "repaint": 0, "background": 0}
    for seed in range(16):
        e = engine.prepare(art, BranchSpec.make("procedural", seed), CancelToken(), no_progress).effects
        seen["flip"] += bool(e.flips)
        seen["grade"] += e.grade is not None
        seen["repaint"] += e.repaint is not None
        seen["background"] += e.background is not None
    assert all(1 <= n <= 12 for n in seen.values()), seen


def test_with_every_behaviour_on_the_painting_still_converges(engine, art) -> None:
    """Rough-ins and early backgrounds are capped, so only the flip stretch (a view) and the colour
    adjustment (which itself moves towards the final) change how the distance to the final moves."""
    on = _prepare(engine, art, flip_chance=1.0, grade_chance=1.0, repaint_chance=1.0, background_chance=1.0)
    dist = []
    for step, frame in engine.iter_frames(on, range(999, -1, -1), CancelToken(), no_progress):
        seen = frame[:, ::-1] if on.effects.flipped(999 - step) else frame
        dist.append(float(np.abs(seen.astype(np.int16) - art.pixels).mean()))
    rises = np.diff(np.array(dist))
    assert dist[-1] == 0.0
    assert rises.max() < 0.5 and rises[rises > 0].sum() < 0.03 * dist[0]
