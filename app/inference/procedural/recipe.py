"""The procedural engine's recipe: exactly what `render` reads, so a restored session renders the same
pixels as the prepared one without analysing anything.

A frame is masked copies of uint8 layers chosen by uint16 tick maps (compositor.py), one of each per
stage of the way of working, then the render-time behaviours (behaviours.py). Paper (all white) and the
artwork (the working image) come from the artwork itself; the recipe keeps the layers in between and
the tick maps as they are. Why the layers and not the analysis they are made of (line alpha, flats,
shading, sketch, brush strokes): those are float maps that compress poorly, and rebuilding layers from
them is work; the layers are uint8, compress to a few hundred kB each, and restoring them is a
decompression. Nothing is quantised, so frames are bit-identical. Some layers are stored as the
difference to one below (modulo 256) where they differ little (ink over the sketch, shading over the
flats, finer brushwork over coarser), which compresses 30-40 % better.

The header's meta carries the way of working and its stage names, the stage windows and colouring
order, and the behaviours (flips, colour adjustment, ...), so the timeline bands, keyframes and change
plot come back unchanged too. Format 1 (line art only, no behaviours) still restores as it was made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.inference.procedural.behaviours import Effects
from app.inference.procedural.compositor import Compositor
from app.inference.procedural.plans import STAGES_BY_WAY
from app.inference.recipe import ArraySpec, damaged_recipe, pack_recipe, recipe_header, unpack_recipe

RECIPE_VERSION = 2
LEGACY_VERSION = 1  # line art only, no behaviours: read, never written
ENGINE_NAME = "procedural"
# per way: (name, index of the layer it is stored relative to (modulo 256) or None) of the middle layers
_LAYERS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "line-art": (("sketch", None), ("ink", 1), ("flats", None), ("shade", 3)),
    "painterly": (("block_in", None), ("forms", 1), ("refinement", 2)),
    "sketch-wash": (("drawing", None), ("washes", None), ("glazes", 2)),
}


@dataclass(frozen=True)
class PlanFacts:
    """What a session knows of its plan besides the pixels: its way, stages, windows and behaviours."""

    way: str
    stages: tuple[str, ...]
    windows: tuple[tuple[float, float], ...]
    background_first: bool
    effects: Effects


@dataclass(frozen=True, eq=False)
class RestoredPlan:
    """What `decode_recipe` gives back: everything a `ProceduralSession` holds besides the artwork."""

    compositor: Compositor
    facts: PlanFacts
    change_curve: np.ndarray  # (1000,) float64, indexed by undo step


def _times_names(stages: tuple[str, ...]) -> list[str]:
    return [f"times_{stage.replace('-', '_')}" for stage in stages]


def _expected(way: str, height: int, width: int) -> dict[str, ArraySpec]:
    spec = {name: ArraySpec("|u1", (height, width, 3)) for name, _ in _LAYERS[way]}
    spec |= {name: ArraySpec("<u2", (height, width)) for name in _times_names(STAGES_BY_WAY[way])}
    spec["change"] = ArraySpec("<f8", (1000,))
    return spec


def encode_recipe(
    artwork_hash: str, spec_hash: str, compositor: Compositor, facts: PlanFacts, change_curve: np.ndarray
) -> bytes:
    layers = compositor.layers
    arrays: dict[str, np.ndarray] = {}
    for index, (name, base) in enumerate(_LAYERS[facts.way], start=1):
        arrays[name] = layers[index] if base is None else layers[index] - layers[base]
    arrays |= dict(zip(_times_names(facts.stages), compositor.times, strict=True))
    arrays["change"] = np.asarray(change_curve, np.float64)
    meta = {
        "way": facts.way,
        "stage_windows": [list(w) for w in facts.windows],
        "background_first": bool(facts.background_first),
        "effects": facts.effects.to_meta(),
    }
    return pack_recipe(ENGINE_NAME, RECIPE_VERSION, artwork_hash, spec_hash, meta, arrays)


def decode_recipe(data: bytes, artwork_hash: str, spec_hash: str, image: np.ndarray) -> RestoredPlan:
    """The plan stored in `data` for the working-size artwork `image`; `EngineError` when it cannot be
    used (see `unpack_recipe`)."""
    h, w = image.shape[:2]
    header = recipe_header(data)
    legacy = header.get("engine") == ENGINE_NAME and header.get("version") == LEGACY_VERSION
    meta_in = header.get("meta")
    way = "line-art" if legacy or not isinstance(meta_in, dict) else meta_in.get("way")
    if way not in _LAYERS:
        raise damaged_recipe(f"its way of working {way!r} is unknown")
    version = LEGACY_VERSION if legacy else RECIPE_VERSION
    meta, arrays = unpack_recipe(data, ENGINE_NAME, version, artwork_hash, spec_hash, _expected(way, h, w))
    stages = STAGES_BY_WAY[way]
    windows = _windows(meta.get("stage_windows"), len(stages))
    background_first = meta.get("background_first")
    if windows is None or not isinstance(background_first, bool):
        raise damaged_recipe("its stage windows or colouring order are unreadable")
    effects = Effects() if legacy else Effects.from_meta(meta.get("effects"))
    if effects is None:
        raise damaged_recipe("its behaviours are unreadable")
    change = arrays["change"]
    if not np.isfinite(change).all():
        raise damaged_recipe("its change curve is not finite")
    layers: list[np.ndarray] = [np.full((h, w, 3), 255, np.uint8)]
    for name, base in _LAYERS[way]:
        stored = arrays[name]
        layers.append(stored if base is None else layers[base] + stored)  # uint8 wraps: exact inverse
    layers.append(np.ascontiguousarray(image))
    times = tuple(arrays[name] for name in _times_names(stages))
    facts = PlanFacts(way, stages, windows, background_first, effects)
    return RestoredPlan(Compositor(tuple(layers), times), facts, change.copy())


def _windows(value: object, count: int) -> tuple[tuple[float, float], ...] | None:
    if not isinstance(value, list) or len(value) != count:
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
