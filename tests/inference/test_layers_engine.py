"""The layers engine: classes from names and content, the painting order and windows, step 0 equal to
the file's composite, hidden sketch layers shown early and gone at the end, layers revealed gradually,
seeds differing, stage bands and keyframes, and the recipe round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_psd

from app.core.artwork import Artwork, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.layers import Layer
from app.errors import EngineError
from app.inference.layers import LayersEngine, LayersSession
from app.inference.layers.classify import class_from_content, class_from_name, measure
from app.inference.layers.plan import FINISH, HIDE, PAINT
from app.inference.registry import create_engine

W, H = 160, 120


def _solid(w: int, h: int, rgba: tuple[int, int, int, int]) -> np.ndarray:
    return np.full((h, w, 4), rgba, np.uint8)


def _lines() -> np.ndarray:
    px = np.zeros((H, W, 4), np.uint8)
    px[30:32, 10:150] = (0, 0, 0, 255)
    px[10:110, 80:82] = (0, 0, 0, 255)
    px[90:92, 20:60] = (0, 0, 0, 255)
    return px


@pytest.fixture(scope="module")
def artwork(tmp_path_factory: pytest.TempPathFactory) -> Artwork:
    specs = [
        Spec("Background", _solid(W, H, (230, 230, 250, 255))),
        Spec("草稿", _solid(100, 70, (120, 120, 120, 110)), x=30, y=25, visible=False),
        Spec("Lineart", _lines()),
        Spec("Base", gradient_rgba(100, 70, 2), x=30, y=25),
        Spec("影", _solid(50, 40, (80, 60, 120, 200)), x=50, y=40, blend="multiply", clipping=True),
        Spec("ハイライト", _solid(30, 20, (255, 255, 200, 180)), x=70, y=35, blend="screen"),
    ]
    path = write_psd(tmp_path_factory.mktemp("layers") / "art.psd", (W, H), specs)
    return load_artwork(path)


def _prepare(artwork: Artwork, seed: int = 1, **settings: object) -> LayersSession:
    spec = (
        BranchSpec.make("layers", seed, settings=dict(settings))
        if settings
        else BranchSpec.make("layers", seed)
    )
    return LayersEngine().prepare(artwork, spec, CancelToken(), no_progress)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("Sketch", "sketch"),
        ("rough 2", "sketch"),
        ("草稿", "sketch"),
        ("ラフ", "sketch"),
        ("Lineart", "lines"),
        ("Inks", "lines"),
        ("线稿", "lines"),
        ("線画", "lines"),
        ("Base colours", "base"),
        ("Flats", "base"),
        ("底色", "base"),
        ("下塗り", "base"),
        ("Shadow", "shadow"),
        ("阴影", "shadow"),
        ("影", "shadow"),
        ("Highlights", "highlight"),
        ("高光", "highlight"),
        ("ハイライト", "highlight"),
        ("BG", "background"),
        ("背景", "background"),
        ("FX glow", "effect"),
        ("特效", "effect"),
        ("エフェクト", "effect"),
        ("Text", "text"),
        ("Layer 1", None),
        ("图层 1", None),
        ("レイヤー 1", None),
        ("Pink", None),  # "ink" inside another word says nothing
    ],
)
def test_class_from_name(name: str, cls: str | None) -> None:
    assert class_from_name(name) == cls


def test_class_from_content_when_names_say_nothing() -> None:
    thin_dark = Layer("Layer 1", _lines())
    assert class_from_content(thin_dark, measure(thin_dark, W * H), is_bottom=False) == "lines"
    faint = _lines()
    faint[..., :3] = 150
    faint[..., 3] = np.where(faint[..., 3] > 0, 90, 0)
    assert class_from_content(Layer("Layer 2", faint), measure(Layer("x", faint), W * H), False) == "sketch"
    full = Layer("Layer 3", _solid(W, H, (200, 100, 50, 255)))
    assert class_from_content(full, measure(full, W * H), is_bottom=True) == "background"
    blob = Layer("Layer 4", _solid(60, 40, (90, 90, 90, 255)), blend="multiply")
    assert class_from_content(blob, measure(blob, W * H), False) == "shadow"
    flat = Layer("Layer 5", _solid(60, 40, (200, 30, 30, 255)))
    assert class_from_content(flat, measure(flat, W * H), False) == "base"


def test_order_and_windows_follow_how_artists_work(artwork: Artwork) -> None:
    session = _prepare(artwork, background="late")
    assert session.classes == ("background", "sketch", "lines", "base", "shadow", "highlight")
    painted = [e.layer for e in session.events if e.kind == PAINT]
    assert painted == [1, 2, 3, 4, 5, 0]  # sketch, lines, base, its clipped shadow, highlight, background
    assert [e.kind for e in session.events][-1] == FINISH
    ends = [(e.start, e.end) for e in session.events]
    assert ends[0][0] == 0.0 and ends[-1][1] == 1.0
    assert all(a[1] == pytest.approx(b[0]) and a[0] < a[1] for a, b in zip(ends, ends[1:], strict=False))
    early = _prepare(artwork, background="early")
    assert [e.layer for e in early.events if e.kind == PAINT].index(0) == 2  # after the lines


def test_step_zero_is_the_files_composite_and_step_999_a_blank_canvas(artwork: Artwork) -> None:
    engine = LayersEngine()
    session = _prepare(artwork)
    assert artwork.layers is not None and artwork.layers.merged is not None
    assert np.array_equal(engine.render_step(session, 0), artwork.layers.merged)
    assert (engine.render_step(session, 999) == 255).all()
    # the layers' own composite (before the final adjustments) is the artwork too, within rounding
    assert np.abs(session.composite.astype(int) - artwork.pixels).mean() <= 1.0  # type: ignore[union-attr]


def test_the_hidden_sketch_appears_early_and_is_gone_at_the_end(artwork: Artwork) -> None:
    engine = LayersEngine()
    session = _prepare(artwork)
    paint = next(e for e in session.events if e.kind == PAINT and e.layer == 1)
    hide = next(e for e in session.events if e.kind == HIDE and e.layer == 1)
    assert paint.end <= hide.start
    during = engine.render_step(session, 999 - int(round((paint.end + hide.start) / 2 * 999)))
    grey = (np.abs(during[40:60, 35:45].astype(int) - 255).sum(axis=2) > 20).mean()
    assert grey > 0.9  # the sketch shows where nothing else is yet
    after = engine.render_step(session, 999 - int(round((hide.end + 0.001) * 999)) - 1)
    assert not np.array_equal(after[40:60, 35:45], during[40:60, 35:45])
    assert np.array_equal(engine.render_step(session, 0)[100:110, 35:45], artwork.pixels[100:110, 35:45])


def test_a_layer_is_revealed_gradually_not_popped_in(artwork: Artwork) -> None:
    engine = LayersEngine()
    session = _prepare(artwork)
    base = next(e for e in session.events if e.kind == PAINT and e.layer == 3)
    before = engine.render_step(session, 999 - int(np.ceil(base.start * 999)))  # the window's first step
    done = engine.render_step(session, 999 - int(np.floor(base.end * 999)))  # and its last
    changed = np.any(before != done, axis=2)
    fractions = []
    for q in (0.25, 0.5, 0.75):
        frame = engine.render_step(
            session, 999 - int(round((base.start + q * (base.end - base.start)) * 999))
        )
        fractions.append(float(np.any(frame != before, axis=2)[changed].mean()))
    assert 0.1 < fractions[0] < fractions[1] < fractions[2] < 0.95


def test_seeds_differ_and_one_seed_is_repeatable(artwork: Artwork) -> None:
    engine = LayersEngine()
    a, b = _prepare(artwork, seed=1), _prepare(artwork, seed=2)
    again = _prepare(artwork, seed=1)
    steps = range(50, 1000, 50)
    assert all(np.array_equal(engine.render_step(a, s), engine.render_step(again, s)) for s in steps)
    assert any(not np.array_equal(engine.render_step(a, s), engine.render_step(b, s)) for s in steps)


def test_bands_are_named_after_layers_and_keyframes_sit_at_their_boundaries(artwork: Artwork) -> None:
    session = _prepare(artwork, background="late")
    names = [b.name for b in session.stage_bands]
    assert names == ["草稿", "Lineart", "草稿", "Base", "影", "ハイライト", "Background", "final adjustments"]
    assert session.stage_bands[0].first_step == 999 and session.stage_bands[-1].last_step == 0
    for band, nxt in zip(session.stage_bands, session.stage_bands[1:], strict=False):
        assert band.last_step == nxt.first_step + 1
        assert nxt.first_step in session.keyframe_steps


def test_the_recipe_restores_identical_frames_and_a_damaged_one_is_refused(artwork: Artwork) -> None:
    engine = LayersEngine()
    spec = BranchSpec.make("layers", 3)
    session = engine.prepare(artwork, spec, CancelToken(), no_progress)
    restored = engine.restore(artwork, spec, engine.recipe(session), CancelToken(), no_progress)
    assert all(
        np.array_equal(engine.render_step(session, s), engine.render_step(restored, s))
        for s in range(0, 1000, 31)
    )
    with pytest.raises(EngineError):
        engine.restore(artwork, spec, b"nonsense", CancelToken(), no_progress)
    with pytest.raises(EngineError):
        engine.restore(
            artwork, BranchSpec.make("layers", 4), engine.recipe(session), CancelToken(), no_progress
        )


def test_a_flat_artwork_is_refused_with_a_hint(tmp_path: Path) -> None:
    flat = Artwork(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(EngineError) as info:
        LayersEngine().prepare(flat, BranchSpec.make("layers", 0), CancelToken(), no_progress)
    assert "PSD" in info.value.hint


def test_a_layered_files_artwork_without_its_stack_says_the_project_lacks_the_layers(tmp_path: Path) -> None:
    """A project whose layers were never saved (the app was killed) and whose source is gone opens flat:
    the Layers engine then says that, not "open a PSD" (the user did)."""
    flat = Artwork(np.zeros((8, 8, 3), np.uint8), source=tmp_path / "gone.psd", layer_names=("a", "b"))
    with pytest.raises(EngineError) as info:
        LayersEngine().prepare(flat, BranchSpec.make("layers", 0), CancelToken(), no_progress)
    assert "never saved" in info.value.message and "layered file back" in info.value.hint
    tiff = Artwork(np.zeros((8, 8, 3), np.uint8), source=tmp_path / "pages.tif", layer_names=("a", "b"))
    with pytest.raises(EngineError) as info:
        LayersEngine().prepare(tiff, BranchSpec.make("layers", 0), CancelToken(), no_progress)
    assert "PSD" in info.value.hint  # a format without layer stacks: the general refusal


def test_the_engine_is_registered() -> None:
    assert isinstance(create_engine("layers"), LayersEngine)
