"""Ways of working (issue 12): the right way is chosen for each kind of picture, each way honours the
timeline's contract (step 0 exact, 999 near blank, distance to the final shrinking, seeds differing),
painterly branches have no line-art stage and paint their depth layers back to front, the way can be
set per branch, and recipes of every way (and of the first format) restore."""

from __future__ import annotations

import numpy as np
import pytest
from way_pictures import flat_line_art, painterly_landscape, watercolour_wash

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import EngineError
from app.inference.procedural import ProceduralEngine, ProceduralSession
from app.inference.procedural import recipe as procedural_recipe
from app.inference.recipe import pack_recipe
from app.paths import SAMPLES_DIR

QUIET = {"flip_chance": 0.0, "grade_chance": 0.0, "repaint_chance": 0.0, "background_chance": 0.0}
PICTURES = {"line-art": flat_line_art, "painterly": painterly_landscape, "sketch-wash": watercolour_wash}


@pytest.fixture(scope="module")
def engine() -> ProceduralEngine:
    return ProceduralEngine(analysis_cache_size=4)


@pytest.fixture(scope="module")
def arts() -> dict[str, Artwork]:
    return {way: Artwork.from_array(draw(144)) for way, draw in PICTURES.items()}


def _prepare(engine: ProceduralEngine, art: Artwork, seed: int = 1, **settings: object) -> ProceduralSession:
    return engine.prepare(art, BranchSpec.make("procedural", seed, settings), CancelToken(), no_progress)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("way", sorted(PICTURES))
@pytest.mark.parametrize("size", [112, 160])
def test_the_way_of_working_fits_the_picture(engine, way, size) -> None:
    session = _prepare(engine, Artwork.from_array(PICTURES[way](size)))
    assert session.way == way
    assert session.settings_used["way"] == way


def test_the_painterly_sample_is_painted_painterly(engine) -> None:
    from PIL import Image

    pixels = np.asarray(Image.open(SAMPLES_DIR / "landscape.png").convert("RGB").resize((192, 144)))
    assert _prepare(engine, Artwork.from_array(pixels)).way == "painterly"


@pytest.mark.parametrize("way", sorted(PICTURES))
def test_every_way_keeps_the_timelines_contract(engine, arts, way) -> None:
    art = arts[way]
    session = _prepare(engine, art, 7, **QUIET)
    frames = {s: f for s, f in engine.iter_frames(session, range(999, -1, -1), CancelToken(), no_progress)}
    assert np.array_equal(frames[0], art.pixels)
    assert frames[999].mean() > 240  # a first stroke on white paper
    dist = np.array([_mad(frames[s], art.pixels) for s in range(999, -1, -1)])
    rises = np.diff(dist)
    assert dist[-1] == 0.0 and dist[0] > 1.2 * dist[499] and dist[0] > 3 * dist[899]  # steps 500, 100
    assert rises.max() < 0.35, f"distance grows by {rises.max():.3f} somewhere"
    assert rises[rises > 0].sum() < 0.03 * dist[0]
    names = [b.name for b in session.stage_bands]
    assert tuple(names) == session.stages and len(names) == len(session.compositor.times)
    assert session.stage_bands[0].first_step == 999 and session.stage_bands[-1].last_step == 0


@pytest.mark.parametrize("way", ["painterly", "sketch-wash"])
def test_seeds_differ_visibly_in_every_way(engine, arts, way) -> None:
    a = _prepare(engine, arts[way], 1, **QUIET)
    b = _prepare(engine, arts[way], 2, **QUIET)
    for step in (800, 500):
        diff = np.abs(engine.render_step(a, step).astype(np.int16) - engine.render_step(b, step)).max(axis=2)
        assert (diff > 8).mean() > 0.05, step  # a pale wash differs little on average, but widely
    assert np.array_equal(engine.render_step(a, 0), engine.render_step(b, 0))


def test_painterly_has_no_line_art_stage_and_paints_back_to_front(engine, arts) -> None:
    art = arts["painterly"]
    for seed in (1, 2, 3):
        session = _prepare(engine, art, seed, order="background-first", **QUIET)
        names = [b.name for b in session.stage_bands]
        assert names == ["block-in", "forms", "refinement", "details"]
        assert not {"sketch", "ink"} & set(names)
        block_in = session.compositor.times[0].astype(np.float64)
        h, w = block_in.shape
        left = slice(0, int(0.55 * w))  # clear of the tree (the subject)
        sky = np.median(block_in[: int(0.3 * h), left])
        far = np.median(block_in[int(0.5 * h) : int(0.55 * h), left])
        near = np.median(block_in[int(0.88 * h) :, left])
        assert sky < far < near, (seed, sky, far, near)


def test_the_way_can_be_set_per_branch_and_bad_values_are_refused(engine, arts) -> None:
    art = arts["line-art"]
    for way in ("painterly", "sketch-wash", "line-art"):
        session = _prepare(engine, art, way=way)
        assert session.way == way
        assert np.array_equal(engine.render_step(session, 0), art.pixels)
    with pytest.raises(EngineError, match="way of working"):
        _prepare(engine, art, way="cubist")
    with pytest.raises(EngineError, match="Canvas flips"):
        _prepare(engine, art, flip_chance=3)


def test_a_fork_paints_on_in_its_parents_way(engine, arts) -> None:
    art = arts["painterly"]
    parent = BranchSpec.make("procedural", 3)
    fork = engine.prepare(art, parent.forked(500, 9), CancelToken(), no_progress)
    parent_session = engine.prepare(art, parent, CancelToken(), no_progress)
    assert fork.way == parent_session.way == "painterly"
    for step in (999, 700, 500):
        assert np.array_equal(engine.render_step(fork, step), engine.render_step(parent_session, step))
    other = parent.forked(500, 9).with_changes(way="sketch-wash")
    with pytest.raises(EngineError, match="parent's way of working"):
        engine.prepare(art, other, CancelToken(), no_progress)


@pytest.mark.parametrize("way", sorted(PICTURES))
def test_recipes_of_every_way_restore_the_same_frames(engine, arts, way) -> None:
    art = arts[way]
    spec = BranchSpec.make("procedural", 5, {"flip_chance": 1.0, "grade_chance": 1.0})
    session = engine.prepare(art, spec, CancelToken(), no_progress)
    restored = ProceduralEngine().restore(art, spec, engine.recipe(session), CancelToken(), no_progress)
    assert restored.way == way and restored.effects == session.effects
    assert restored.stage_bands == session.stage_bands
    for step in (999, 800, 600, 400, 150, 60, 1, 0):
        assert np.array_equal(
            restored_frame := engine.render_step(restored, step), engine.render_step(session, step)
        )
        assert restored_frame.shape == art.pixels.shape


def test_a_recipe_of_the_first_format_still_restores(engine, arts) -> None:
    """Format 1 (line art only, no behaviours): the same arrays, an older header."""
    art = arts["line-art"]
    spec = BranchSpec.make("procedural", 4, QUIET)
    session = engine.prepare(art, spec, CancelToken(), no_progress)
    comp = session.compositor
    layers = comp.layers
    arrays = {
        "sketch": layers[1],
        "ink": layers[2] - layers[1],
        "flats": layers[3],
        "shade": layers[4] - layers[3],
    }
    arrays |= {f"times_{s}": t for s, t in zip(session.stages, comp.times, strict=True)}
    arrays["change"] = session.change_curve
    meta = {
        "stage_windows": [list(w) for w in session.stage_windows],
        "background_first": session.background_first,
    }
    old = pack_recipe(
        "procedural", procedural_recipe.LEGACY_VERSION, art.content_hash, spec.spec_hash(), meta, arrays
    )
    restored = ProceduralEngine().restore(art, spec, old, CancelToken(), no_progress)
    assert restored.way == "line-art" and not restored.effects.flips and restored.effects.grade is None
    for step in (999, 700, 300, 0):
        assert np.array_equal(engine.render_step(restored, step), engine.render_step(session, step))
