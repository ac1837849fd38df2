"""The order and time windows of a layered artwork's process.

Artists work sketch -> line art -> base colours -> shading -> highlights and effects -> text, with the
background early or late (the seed decides unless the user does); layers of one class keep roughly the
file's stacking order (bottom first), with seeded swaps. A clipped layer comes after the layer it is
clipped to. A layer hidden in the file (the sketch) is painted early and hidden again once the line art
is done. The last few steps are "final adjustments": a blend from the composite of the layers to the
artwork itself, which carries what the layers cannot (adjustment layers, effects, the exact pixels).

Windows are fractions of painting progress (0: blank canvas, 1: finished), back to back, each as long
as its layer needs (by class and painted area).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.inference.layers.classify import (
    BACKGROUND,
    BASE,
    EFFECT,
    HIGHLIGHT,
    LINES,
    SHADOW,
    SKETCH,
    TEXT,
)

PAINT, HIDE, FINISH = "paint", "hide", "finish"
FINISH_SHARE = 0.03  # of the timeline: final adjustments
HIDE_SHARE = 0.012  # a hidden layer fading out
_RANK = {SKETCH: 0.0, LINES: 1.0, BASE: 2.0, SHADOW: 3.0, HIGHLIGHT: 4.0, EFFECT: 5.0, TEXT: 6.0}
_WEIGHT = {
    SKETCH: 1.0,
    LINES: 1.3,
    BASE: 1.0,
    SHADOW: 0.8,
    HIGHLIGHT: 0.6,
    EFFECT: 0.5,
    TEXT: 0.4,
    BACKGROUND: 0.8,
}
BACKGROUND_ORDERS = ("auto", "early", "late")


@dataclass(frozen=True)
class LayerInfo:
    """What the planner needs of a layer (index: its place in `LayerStack.layers()`, bottom first)."""

    index: int
    name: str
    cls: str
    coverage: float
    hidden: bool  # hidden in the file, its groups visible: shown while the artist works, hidden after
    clipped_to: int | None  # index of the layer it is clipped to
    band: str  # the stage band it belongs to (its top-level group's name, or its own)


@dataclass(frozen=True)
class Event:
    kind: str  # PAINT, HIDE or FINISH
    layer: int  # layer index; -1 for FINISH
    start: float
    end: float
    band: str


def make_plan(
    infos: list[LayerInfo], rng: np.random.Generator, background: str, order: Sequence[int] = ()
) -> tuple[Event, ...]:
    """Events in painting order with their windows; the last one is FINISH. `order` (layer indices) is
    the user's own painting order: those layers come first, in it, as given (a clipped layer too: the
    user may want it before its base), the rest after them in the planned order."""
    late = background == "late" or (background == "auto" and bool(rng.random() < 0.5))
    bg_rank = 5.5 if late else 1.5

    def key(info: LayerInfo) -> tuple[float, float]:
        rank = bg_rank if info.cls == BACKGROUND else _RANK.get(info.cls, 2.0)
        return rank, info.index + float(rng.normal(0.0, 1.0))

    ordered = sorted(infos, key=key)
    ordered = _after_bases(ordered)
    if order:
        place = {index: k for k, index in enumerate(order)}
        ordered.sort(key=lambda info: place.get(info.index, len(place)))  # stable: the rest keep theirs
    steps: list[tuple[str, LayerInfo, float]] = []
    for info in ordered:
        weight = _WEIGHT.get(info.cls, 1.0) * (0.3 + float(np.sqrt(max(info.coverage, 0.0))))
        steps.append((PAINT, info, weight))
    hidden = [i for i in ordered if i.hidden]
    if hidden:
        after = _hide_point(steps)
        total = sum(w for _, _, w in steps) or 1.0
        for info in reversed(hidden):
            steps.insert(after, (HIDE, info, HIDE_SHARE * total / (1.0 - FINISH_SHARE)))
    total = sum(w for _, _, w in steps) or 1.0
    events: list[Event] = []
    t = 0.0
    for kind, info, weight in steps:
        length = (1.0 - FINISH_SHARE) * weight / total
        events.append(Event(kind, info.index, t, t + length, info.band))
        t += length
    events.append(Event(FINISH, -1, 1.0 - FINISH_SHARE, 1.0, "final adjustments"))
    return tuple(events)


def _after_bases(ordered: list[LayerInfo]) -> list[LayerInfo]:
    """Move each clipped layer right after the layer it is clipped to when it came before it."""
    out = list(ordered)
    for info in list(ordered):
        if info.clipped_to is None:
            continue
        pos = next((k for k, i in enumerate(out) if i.index == info.clipped_to), None)
        mine = out.index(info)
        if pos is not None and mine < pos:
            out.pop(mine)
            out.insert(pos, info)  # pos shifted left by one: right after the base
    return out


def _hide_point(steps: list[tuple[str, LayerInfo, float]]) -> int:
    """Where hidden layers are hidden: after the last line-art layer, else after the first base colour,
    else after the first layer that is not hidden."""
    lines = [k for k, (_, info, _) in enumerate(steps) if info.cls == LINES and not info.hidden]
    if lines:
        return lines[-1] + 1
    base = [k for k, (_, info, _) in enumerate(steps) if info.cls in (BASE, BACKGROUND) and not info.hidden]
    if base:
        return base[0] + 1
    shown = [k for k, (_, info, _) in enumerate(steps) if not info.hidden]
    return shown[0] + 1 if shown else len(steps)
