"""Recipes: a restored procedural session renders the very same pixels without analysis; a damaged,
mismatched, other-version or hostile recipe is an `EngineError` (the caller then prepares again)."""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import CancelledError, EngineError
from app.inference import recipe as recipe_format
from app.inference.engine import EngineCapabilities
from app.inference.procedural import ProceduralEngine, ProceduralSession
from app.inference.procedural import engine as procedural_engine
from app.inference.procedural import recipe as procedural_recipe
from app.inference.recipe import MAGIC, ArraySpec, pack_recipe, supports_recipe, unpack_recipe
from app.paths import SAMPLES_DIR

SPEC = BranchSpec.make("procedural", 4, {"order": "subject-first"})
STEPS = (0, 1, 120, 333, 500, 640, 800, 950, 998, 999)


@pytest.fixture(scope="module")
def artwork() -> Artwork:
    pixels = np.asarray(Image.open(SAMPLES_DIR / "lighthouse.png").convert("RGB"))
    return Artwork.from_array(cv2.resize(pixels, (160, 120), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def prepared(artwork: Artwork) -> tuple[ProceduralEngine, ProceduralSession, bytes]:
    engine = ProceduralEngine()
    session = engine.prepare(artwork, SPEC, CancelToken(), no_progress)
    return engine, session, engine.recipe(session)


def _restore(artwork: Artwork, data: bytes, spec: BranchSpec = SPEC) -> ProceduralSession:
    return ProceduralEngine().restore(artwork, spec, data, CancelToken(), no_progress)


def _header(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    return json.loads(data[start : start + length]), data[start + length :]


def _with_header(data: bytes, change) -> bytes:
    header, streams = _header(data)
    change(header)
    text = json.dumps(header).encode()
    return MAGIC + struct.pack("<I", len(text)) + text + streams


def test_procedural_engine_is_deterministic_and_supports_recipes(prepared) -> None:
    engine, _, _ = prepared
    assert engine.capabilities.deterministic and supports_recipe(engine)


def test_engines_without_the_methods_or_the_flag_do_not_support_recipes(prepared) -> None:
    engine, _, _ = prepared

    class NoMethods:
        capabilities = EngineCapabilities(True, True, False, deterministic=True)

    class NotDeterministic:
        capabilities = EngineCapabilities(True, True, False)
        recipe = engine.recipe
        restore = engine.restore

    assert not supports_recipe(NoMethods())
    assert not supports_recipe(NotDeterministic())
    assert not supports_recipe(object())


def test_restored_session_renders_identical_frames_without_analysis(
    prepared, artwork: Artwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, session, data = prepared

    def no_analysis(*args, **kwargs):
        raise AssertionError("restore must not analyse the artwork")

    monkeypatch.setattr(procedural_engine, "analyse", no_analysis)
    monkeypatch.setattr(procedural_engine, "way_plan", no_analysis)
    monkeypatch.setattr(procedural_engine, "apply_to_plan", no_analysis)
    fresh = ProceduralEngine()  # empty analysis cache: nothing to reuse either
    restored = fresh.restore(artwork, SPEC, data, CancelToken(), no_progress)
    for step in STEPS:
        assert np.array_equal(fresh.render_step(restored, step), engine.render_step(session, step)), step
    assert restored.output_size == session.output_size
    assert restored.keyframe_steps == session.keyframe_steps
    assert restored.stage_bands == session.stage_bands
    assert restored.stage_windows == session.stage_windows
    assert restored.background_first == session.background_first
    assert restored.settings_used == session.settings_used
    assert np.array_equal(restored.change_curve, session.change_curve)
    # ...and the restored session makes the same recipe again.
    assert fresh.recipe(restored) == data


def test_recipe_is_compact(prepared) -> None:
    _, session, data = prepared
    raw_layers = sum(layer.nbytes for layer in session.compositor.layers)
    assert len(data) < raw_layers / 4


def test_restore_checks_the_cancel_token(prepared, artwork: Artwork) -> None:
    _, _, data = prepared
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        ProceduralEngine().restore(artwork, SPEC, data, token, no_progress)


def test_recipe_for_another_artwork_or_spec_is_refused(prepared, artwork: Artwork) -> None:
    _, _, data = prepared
    other = Artwork.from_array(np.ascontiguousarray(artwork.pixels[::-1]))
    for art, spec in (
        (other, SPEC),
        (artwork, SPEC.with_changes(seed=5)),
        (artwork, SPEC.with_changes(order="auto")),
    ):
        with pytest.raises(EngineError, match="another artwork or other branch settings") as info:
            _restore(art, data, spec)
        assert "analysed again" in info.value.hint


def test_recipe_of_another_format_version_is_refused(
    prepared, artwork: Artwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, data = prepared
    monkeypatch.setattr(procedural_recipe, "RECIPE_VERSION", procedural_recipe.RECIPE_VERSION + 1)
    with pytest.raises(EngineError, match="format 2; this app reads 3"):
        _restore(artwork, data)


def test_invalid_spec_settings_are_refused_before_reading(prepared, artwork: Artwork) -> None:
    _, _, data = prepared
    with pytest.raises(EngineError, match="stage timing"):
        _restore(artwork, data, SPEC.with_changes(stage_timing="never"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"",
        lambda d: b"not a recipe at all",
        lambda d: d[:-10],  # truncated
        lambda d: d + b"extra",
        lambda d: d[:40] + bytes([d[40] ^ 0xFF]) + d[41:],  # header JSON broken
        lambda d: d[:-200] + bytes(b ^ 0x55 for b in d[-200:]),  # a stream corrupted
        lambda d: MAGIC + struct.pack("<I", 10**9) + d[12:],  # header length out of range
    ],
)
def test_damaged_recipe_is_an_engine_error(prepared, artwork: Artwork, damage) -> None:
    _, _, data = prepared
    with pytest.raises(EngineError) as info:
        _restore(artwork, damage(data))
    assert info.value.hint


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda h: h.update(engine="paints-undo"), "engine 'paints-undo'"),
        (lambda h: h.update(arrays=h["arrays"][1:]), "holds the arrays"),
        (
            lambda h: h["arrays"][0].update(shape=[100000, 100000, 3]),
            r"declared '\|u1' \[100000, 100000, 3\]",
        ),
        (lambda h: h["arrays"][5].update(dtype="<f8"), "declared '<f8'"),
        (lambda h: h["arrays"][2].update(size=-1), "no valid size"),
        (lambda h: h["arrays"][2].update(size=True), "no valid size"),
        (lambda h: h.update(meta=[]), "incomplete"),
        (lambda h: h["meta"].update(stage_windows=[[0, 1]]), "stage windows"),
        (lambda h: h["meta"].update(stage_windows=[[0, "x"]] * 5), "stage windows"),
        (lambda h: h["meta"].update(background_first="yes"), "colouring order"),
    ],
)
def test_hostile_header_is_refused_before_anything_is_inflated(
    prepared, artwork: Artwork, monkeypatch: pytest.MonkeyPatch, change, match: str
) -> None:
    _, _, data = prepared
    hostile = _with_header(data, change)
    inflated: list[int] = []
    real = recipe_format._inflate
    monkeypatch.setattr(recipe_format, "_inflate", lambda *a: inflated.append(1) or real(*a))
    with pytest.raises(EngineError, match=match):
        _restore(artwork, hostile)
    if "windows" not in match and "order" not in match:  # meta is checked after the arrays
        assert inflated == []


def test_a_stream_that_inflates_to_more_than_declared_is_cut_off() -> None:
    """A zip bomb: a few kB that would inflate to a gigabyte stop at the declared size (+1 byte)."""
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)
    text = json.dumps(
        {
            "engine": "e",
            "version": 1,
            "artwork": "a",
            "spec": "s",
            "meta": {},
            "arrays": [{"name": "x", "dtype": "|u1", "shape": [16], "size": len(bomb)}],
        }
    ).encode()
    data = MAGIC + struct.pack("<I", len(text)) + text + bomb
    with pytest.raises(EngineError, match="exactly 16 bytes"):
        unpack_recipe(data, "e", 1, "a", "s", {"x": ArraySpec("|u1", (16,))})


def test_pack_and_unpack_round_trip_every_supported_dtype() -> None:
    arrays = {
        "a": np.arange(12, dtype=np.uint8).reshape(3, 4),
        "b": np.arange(6, dtype=np.uint16) * 1000,
        "c": np.linspace(0, 1, 5, dtype=np.float32),
        "d": np.linspace(0, 1, 7),
    }
    data = pack_recipe("e", 3, "art", "spec", {"k": [1, 2]}, arrays)
    expected = {k: ArraySpec(np.dtype(v.dtype).newbyteorder("<").str, v.shape) for k, v in arrays.items()}
    meta, out = unpack_recipe(data, "e", 3, "art", "spec", expected)
    assert meta == {"k": [1, 2]}
    for name, array in arrays.items():
        assert np.array_equal(out[name], array) and not out[name].flags.writeable
    with pytest.raises(ValueError, match="unsupported dtype"):
        pack_recipe("e", 1, "a", "s", {}, {"x": np.zeros(2, np.int64)})
