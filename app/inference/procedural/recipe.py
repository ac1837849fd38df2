"""The procedural engine's recipe: exactly what `render` reads, so a restored session renders the same
pixels as the prepared one without analysing anything.

A frame is masked copies of six uint8 layers chosen by five uint16 tick maps (compositor.py). Paper (all
white) and the artwork (the working image) come from the artwork itself; the recipe keeps the four
layers in between and the tick maps as they are. Why the layers and not the analysis they are made of
(line alpha, flats, shading, sketch): those are float maps that compress poorly, and rebuilding layers
from them is work; the layers are uint8, compress to a few hundred kB each, and restoring them is a
decompression. Nothing is quantised, so frames are bit-identical. Two layers are stored as the
difference to the one below (ink over the sketch, shading over the flats, modulo 256): they differ only
along lines / in soft shading, which compresses 30-40 % better.

The plan's stage windows and colouring order and the change curve ride along in the header, so the
timeline bands, keyframes and change plot come back unchanged too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.inference.procedural.compositor import Compositor
from app.inference.procedural.schedule import STAGES
from app.inference.recipe import ArraySpec, damaged_recipe, pack_recipe, unpack_recipe

RECIPE_VERSION = 1
ENGINE_NAME = "procedural"
# name -> index of the layer it is stored relative to (modulo 256), or None when stored as is
_LAYERS: dict[str, tuple[int, int | None]] = {
    "sketch": (1, None),
    "ink": (2, 1),
    "flats": (3, None),
    "shade": (4, 3),
}
_TIMES = tuple(f"times_{stage}" for stage in STAGES)


@dataclass(frozen=True, eq=False)
class RestoredPlan:
    """What `decode_recipe` gives back: everything a `ProceduralSession` holds besides the artwork."""

    compositor: Compositor
    stage_windows: tuple[tuple[float, float], ...]
    background_first: bool
    change_curve: np.ndarray  # (1000,) float64, indexed by undo step


def _expected(height: int, width: int) -> dict[str, ArraySpec]:
    spec = {name: ArraySpec("|u1", (height, width, 3)) for name in _LAYERS}
    spec |= {name: ArraySpec("<u2", (height, width)) for name in _TIMES}
    spec["change"] = ArraySpec("<f8", (1000,))
    return spec


def encode_recipe(
    artwork_hash: str,
    spec_hash: str,
    compositor: Compositor,
    stage_windows: tuple[tuple[float, float], ...],
    background_first: bool,
    change_curve: np.ndarray,
) -> bytes:
    layers = compositor.layers
    arrays: dict[str, np.ndarray] = {}
    for name, (index, base) in _LAYERS.items():
        arrays[name] = layers[index] if base is None else layers[index] - layers[base]
    arrays |= dict(zip(_TIMES, compositor.times, strict=True))
    arrays["change"] = np.asarray(change_curve, np.float64)
    meta = {"stage_windows": [list(w) for w in stage_windows], "background_first": bool(background_first)}
    return pack_recipe(ENGINE_NAME, RECIPE_VERSION, artwork_hash, spec_hash, meta, arrays)


def decode_recipe(data: bytes, artwork_hash: str, spec_hash: str, image: np.ndarray) -> RestoredPlan:
    """The plan stored in `data` for the working-size artwork `image`; `EngineError` when it cannot be
    used (see `unpack_recipe`)."""
    h, w = image.shape[:2]
    meta, arrays = unpack_recipe(data, ENGINE_NAME, RECIPE_VERSION, artwork_hash, spec_hash, _expected(h, w))
    windows = _windows(meta.get("stage_windows"))
    background_first = meta.get("background_first")
    if windows is None or not isinstance(background_first, bool):
        raise damaged_recipe("its stage windows or colouring order are unreadable")
    change = arrays["change"]
    if not np.isfinite(change).all():
        raise damaged_recipe("its change curve is not finite")
    layers: list[np.ndarray] = [np.full((h, w, 3), 255, np.uint8)]
    for name, (_, base) in _LAYERS.items():
        stored = arrays[name]
        layers.append(stored if base is None else layers[base] + stored)  # uint8 wraps: exact inverse
    layers.append(np.ascontiguousarray(image))
    times = tuple(arrays[name] for name in _TIMES)
    return RestoredPlan(Compositor(tuple(layers), times), windows, background_first, change.copy())


def _windows(value: object) -> tuple[tuple[float, float], ...] | None:
    if not isinstance(value, list) or len(value) != len(STAGES):
        return None
    out = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            return None
        a, b = pair
        if not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in pair
        ):
            return None
        out.append((float(a), float(b)))
    return tuple(out)
