"""Procedural engine: the timeline's contract (step 0 exact, 999 near blank, monotone convergence),
determinism and variety per seed, stage order, cancel/progress, and the import boundary."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import CancelledError, EngineError
from app.inference.engine import ProcessEngine
from app.inference.procedural import ProceduralEngine, ProceduralSession
from app.paths import SAMPLES_DIR


def _sample(name: str, size: tuple[int, int]) -> Artwork:
    pixels = np.asarray(Image.open(SAMPLES_DIR / name).convert("RGB"))
    return Artwork.from_array(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def cat() -> Artwork:
    return _sample("cat_window.png", (192, 192))


@pytest.fixture(scope="module")
def lighthouse() -> Artwork:
    return _sample("lighthouse.png", (150, 200))


@pytest.fixture(scope="module")
def engine() -> ProceduralEngine:
    return ProceduralEngine()


@pytest.fixture(scope="module")
def session(engine: ProceduralEngine, cat: Artwork) -> ProceduralSession:
    return engine.prepare(cat, BranchSpec.make("procedural", 1), CancelToken(), no_progress)


def _frame(engine: ProceduralEngine, session, step: int) -> np.ndarray:
    return engine.render(session, [step], CancelToken(), no_progress)[0]


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_engine_satisfies_protocol_and_is_always_ready(engine):
    assert isinstance(engine, ProcessEngine)
    assert engine.availability().ready
    caps = engine.capabilities
    assert caps.random_access and caps.interpolation and not caps.needs_weights
    names = [s.name for s in engine.settings()]
    assert names == [
        "stage_timing",
        "order",
        "sketch_density",
        "way",
        "flip_chance",
        "grade_chance",
        "repaint_chance",
        "background_chance",
    ]


def test_step_zero_is_the_artwork_bit_for_bit(engine, session, cat):
    frame = _frame(engine, session, 0)
    assert frame.dtype == np.uint8 and frame.shape == cat.pixels.shape
    assert np.array_equal(frame, cat.pixels)
    assert session.output_size == (cat.width, cat.height)


def test_step_999_is_nearly_blank_with_a_first_stroke(engine, session):
    frame = _frame(engine, session, 999)
    assert frame.mean() > 250
    marked = (frame.astype(np.int16).min(axis=2) < 240).mean()
    assert 0 < marked < 0.01


def _distances(engine: ProceduralEngine, sess: ProceduralSession, final: np.ndarray) -> np.ndarray:
    """Distance to the final of every step in painting order; frames of a canvas-flip stretch are
    mirrored back first (the flip changes the view, not the painting)."""
    out = []
    for step, f in engine.iter_frames(sess, range(999, -1, -1), CancelToken(), no_progress):
        out.append(_mad(f[:, ::-1] if sess.effects.flipped(999 - step) else f, final))
    return np.array(out)


@pytest.mark.parametrize("which", ["cat", "lighthouse"])
def test_distance_to_the_final_image_shrinks_almost_monotonically(engine, request, which):
    art = request.getfixturevalue(which)
    sess = engine.prepare(art, BranchSpec.make("procedural", 7), CancelToken(), no_progress)
    final = art.pixels
    dist = _distances(engine, sess, final)
    rises = np.diff(dist)  # painting order: each entry is d(next step) - d(this step)
    assert dist[-1] == 0.0
    assert dist[0] > 40
    assert rises.max() < 0.25, f"distance grows by {rises.max():.3f} somewhere"
    assert rises[rises > 0].sum() < 0.02 * dist[0]


def test_same_seed_gives_bitwise_identical_frames(cat):
    spec = BranchSpec.make("procedural", 42, {"order": "auto", "sketch_density": 0.8})
    steps = [999, 850, 640, 420, 230, 60, 0]
    a = ProceduralEngine()
    b = ProceduralEngine()
    fa = a.render(a.prepare(cat, spec, CancelToken(), no_progress), steps, CancelToken(), no_progress)
    fb = b.render(b.prepare(cat, spec, CancelToken(), no_progress), steps, CancelToken(), no_progress)
    for x, y in zip(fa, fb, strict=True):
        assert np.array_equal(x, y)


def test_different_seeds_differ_visibly_in_the_middle(engine, cat):
    s1 = engine.prepare(cat, BranchSpec.make("procedural", 1), CancelToken(), no_progress)
    s2 = engine.prepare(cat, BranchSpec.make("procedural", 2), CancelToken(), no_progress)
    for step in (800, 500):
        assert _mad(_frame(engine, s1, step), _frame(engine, s2, step)) > 3.0
    assert np.array_equal(_frame(engine, s1, 0), _frame(engine, s2, 0))


def _colourful(frame: np.ndarray) -> float:
    f = frame.astype(np.int16)
    return float(((f.max(axis=2) - f.min(axis=2)) > 80).mean())


def test_stages_run_sketch_then_ink_then_colour(engine, session, cat):
    bands = {b.name: b for b in session.stage_bands}
    sketch_step = (bands["sketch"].first_step + bands["sketch"].last_step) // 2
    sketch = _frame(engine, session, sketch_step)
    marked = sketch.min(axis=2) < 240
    assert marked.mean() > 0.01  # there is a sketch
    assert _colourful(sketch) < 0.002  # ... in pencil grey, no colour yet
    assert sketch.mean() > 225  # mostly white paper
    ink_end = _frame(engine, session, bands["ink"].last_step)
    flats_end = _frame(engine, session, bands["flats"].last_step)
    assert (ink_end.min(axis=2) < 100).mean() > (sketch.min(axis=2) < 100).mean()  # ink is darker
    assert _colourful(flats_end) > _colourful(ink_end) + 0.1  # colour arrives with the flats
    assert _colourful(flats_end) > 0.5 * _colourful(cat.pixels)


def test_session_metadata_covers_the_timeline(session):
    bands = session.stage_bands
    assert [b.name for b in bands] == ["sketch", "ink", "flats", "shading", "details"]
    assert bands[0].first_step == 999 and bands[-1].last_step == 0
    for prev, nxt in zip(bands, bands[1:], strict=False):
        assert prev.first_step >= prev.last_step
        assert nxt.first_step == prev.last_step - 1
    keys = session.keyframe_steps
    assert keys[0] == 999 and keys[-1] == 0 and list(keys) == sorted(keys, reverse=True)
    curve = session.change_curve
    assert curve is not None and curve.shape == (1000,)
    assert (curve >= 0).all() and curve.sum() > 0


def test_render_accepts_any_step_list(engine, session):
    steps = [5, 999, 0, 500, 5, 731]
    frames = engine.render(session, steps, CancelToken(), no_progress)
    assert len(frames) == len(steps)
    assert np.array_equal(frames[0], frames[4])
    for step, frame in zip(steps, frames, strict=True):
        assert np.array_equal(frame, engine.render_step(session, step))
    frames[0][:] = 0  # frames are the caller's own arrays
    assert not np.array_equal(engine.render_step(session, 5), frames[0])
    with pytest.raises(EngineError):
        engine.render(session, [1000], CancelToken(), no_progress)


def test_render_matches_a_naive_reference_composite(engine, session):
    comp = session.compositor
    layers = np.stack(comp.layers)
    times = np.stack(comp.times)
    for step in (998, 900, 700, 555, 300, 120, 1):
        tick = 999 - step
        index = (times <= tick).sum(axis=0)  # non-decreasing times: the number of started stages
        expected = np.take_along_axis(layers, index[None, ..., None], axis=0)[0]
        assert np.array_equal(engine.render_step(session, step), expected)


def test_interpolate_renders_evenly_spaced_steps(engine, session):
    frames = engine.interpolate(session, 400, 600, 16, CancelToken(), no_progress)
    assert len(frames) == 16
    assert np.array_equal(frames[0], engine.render_step(session, 400))
    assert np.array_equal(frames[-1], engine.render_step(session, 600))
    assert np.array_equal(frames[5], engine.render_step(session, round(400 + 5 * 200 / 15)))
    with pytest.raises(EngineError):
        engine.interpolate(session, 400, 600, 0, CancelToken(), no_progress)


def test_progress_is_reported_in_order(cat):
    seen: list[float] = []
    engine = ProceduralEngine()
    sess = engine.prepare(
        cat, BranchSpec.make("procedural", 3), CancelToken(), lambda f, m="": seen.append(f)
    )
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen)
    rendered: list[float] = []
    engine.render(sess, [900, 500, 100], CancelToken(), lambda f, m="": rendered.append(f))
    assert rendered == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_cancel_during_prepare_raises(cat):
    token = CancelToken()
    calls = []

    def progress(fraction: float, message: str = "") -> None:
        calls.append(fraction)
        if len(calls) == 2:
            token.cancel()

    with pytest.raises(CancelledError):
        ProceduralEngine().prepare(cat, BranchSpec.make("procedural", 0), token, progress)
    assert len(calls) == 2
    cancelled = CancelToken()
    cancelled.cancel()
    with pytest.raises(CancelledError):
        ProceduralEngine().prepare(cat, BranchSpec.make("procedural", 0), cancelled, no_progress)


def test_cancel_during_a_multi_step_render_raises(engine, session):
    token = CancelToken()
    done = []

    def progress(fraction: float, message: str = "") -> None:
        done.append(fraction)
        token.cancel()

    with pytest.raises(CancelledError):
        engine.render(session, list(range(999, 0, -1)), token, progress)
    assert len(done) == 1


def test_settings_change_the_plan_and_bad_values_are_refused(engine, cat):
    quick = engine.prepare(
        cat, BranchSpec.make("procedural", 1, {"stage_timing": "quick-sketch"}), CancelToken(), no_progress
    )
    long = engine.prepare(
        cat, BranchSpec.make("procedural", 1, {"stage_timing": "long-sketch"}), CancelToken(), no_progress
    )
    sketch_len = [s.stage_bands[0].first_step - s.stage_bands[0].last_step for s in (quick, long)]
    assert sketch_len[0] < sketch_len[1]
    bg = engine.prepare(
        cat, BranchSpec.make("procedural", 1, {"order": "background-first"}), CancelToken(), no_progress
    )
    fg = engine.prepare(
        cat, BranchSpec.make("procedural", 1, {"order": "subject-first"}), CancelToken(), no_progress
    )
    assert bg.background_first and not fg.background_first
    for bad in ({"stage_timing": "nope"}, {"order": "sideways"}, {"sketch_density": 2.0}):
        with pytest.raises(EngineError):
            engine.prepare(cat, BranchSpec.make("procedural", 1, bad), CancelToken(), no_progress)


def test_background_first_paints_the_border_before_the_centre(engine, cat):
    def border_vs_centre(order: str) -> float:
        sess = engine.prepare(
            cat, BranchSpec.make("procedural", 5, {"order": order}), CancelToken(), no_progress
        )
        flats = sess.stage_bands[2]
        frame = _frame(engine, sess, flats.first_step - (flats.first_step - flats.last_step) // 3)
        err = np.abs(frame.astype(np.int16) - cat.pixels.astype(np.int16)).mean(axis=2)
        return float(err[:12].mean() + err[-12:].mean()) / 2 - float(err[64:128, 64:128].mean())

    assert border_vs_centre("background-first") < border_vs_centre("subject-first")


def test_large_artworks_are_worked_on_downscaled():
    rng = np.random.default_rng(0)
    pixels = np.full((96, 128, 3), 250, np.uint8)
    cv2.circle(pixels, (64, 48), 30, (200, 80, 60), -1)
    cv2.circle(pixels, (64, 48), 30, (20, 20, 20), 2)
    pixels = np.clip(pixels + rng.integers(0, 3, pixels.shape), 0, 255).astype(np.uint8)
    engine = ProceduralEngine(max_working_side=64)
    sess = engine.prepare(
        Artwork.from_array(pixels), BranchSpec.make("procedural", 0), CancelToken(), no_progress
    )
    assert sess.output_size == (64, 48)
    frame = engine.render_step(sess, 0)
    assert frame.shape == (48, 64, 3)
    assert np.array_equal(frame, cv2.resize(pixels, (64, 48), interpolation=cv2.INTER_AREA))
    assert engine.render_step(sess, 500).shape == (48, 64, 3)


def test_flat_blank_artwork_does_not_break_the_engine():
    engine = ProceduralEngine()
    art = Artwork.from_array(np.full((40, 50, 3), 255, np.uint8))
    sess = engine.prepare(art, BranchSpec.make("procedural", 0), CancelToken(), no_progress)
    frames = engine.render(sess, [999, 500, 0], CancelToken(), no_progress)
    assert all(np.array_equal(f, art.pixels) for f in frames)


def test_importing_the_engine_pulls_in_neither_torch_nor_qt():
    code = (
        "import sys, app.inference.procedural, app.core.contact_sheet\n"
        "bad = [m for m in ('torch', 'PySide6') if m in sys.modules]\n"
        "print(','.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"imported: {result.stdout.strip()} {result.stderr[-400:]}"


def test_the_registry_builds_the_procedural_engine():
    from app.inference.registry import create_engine

    engine = create_engine("procedural")
    assert isinstance(engine, ProceduralEngine) and engine.name == "procedural"


_HASH_SCRIPT = """
import hashlib, sys
import numpy as np
from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.inference.procedural import ProceduralEngine

px = np.load(sys.argv[1])
engine = ProceduralEngine()
spec = BranchSpec.make("procedural", 9, {"sketch_density": 0.9})
session = engine.prepare(Artwork.from_array(px), spec, CancelToken(), no_progress)
h = hashlib.sha256()
for frame in engine.render(session, [990, 700, 400, 100], CancelToken(), no_progress):
    h.update(frame.tobytes())
print(h.hexdigest())
"""


def test_frames_are_identical_across_processes(tmp_path, cat):
    """Saved projects key frames by spec hash, so a re-run must reproduce them exactly."""
    path = tmp_path / "art.npy"
    np.save(path, cat.pixels[:96, :128])
    script = tmp_path / "hash_frames.py"
    script.write_text(_HASH_SCRIPT)
    runs = [
        subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=120)
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-600:]
    assert runs[0].stdout.strip() == runs[1].stdout.strip() != ""
