"""Where each layer sits on the 0-999 timeline: the steps over which it is painted (and hidden again),
read from a plan's events. The layers panel shows them; the engine uses `step_at` for its bands and
keyframes, so both say the same steps.

Undo steps run backwards: 999 is the blank canvas, 0 the finished artwork, so a window's `first` step is
the larger number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.frames import MAX_STEP
from app.inference.layers.plan import HIDE, PAINT, Event


def step_at(t: float) -> int:
    """The undo step at painting progress `t` (0: blank canvas, 1: finished)."""
    return MAX_STEP - int(round(min(max(t, 0.0), 1.0) * MAX_STEP))


@dataclass(frozen=True)
class LayerWindow:
    """A painted layer's place in the process."""

    index: int  # in `LayerStack.layers()`, bottom first
    cls: str
    position: int  # 0 for the layer painted first
    first: int  # the step its painting starts at (the larger number)
    last: int  # the step it is finished at
    hidden_at: int | None = None  # a layer hidden in the file: the step it is hidden again by

    @property
    def middle(self) -> int:
        """A step half way through its painting (where the panel jumps the playhead to)."""
        return (self.first + self.last) // 2


def layer_windows(events: Sequence[Event], classes: Sequence[str]) -> dict[int, LayerWindow]:
    """Layer index -> its window, for every layer the plan paints, in painting order."""
    out: dict[int, LayerWindow] = {}
    for event in events:
        if event.kind == PAINT:
            cls = classes[event.layer] if 0 <= event.layer < len(classes) else ""
            first, last = step_at(event.start), step_at(event.end)
            out[event.layer] = LayerWindow(event.layer, cls, len(out), first, min(first, last))
    for event in events:
        if event.kind == HIDE and event.layer in out:
            w = out[event.layer]
            out[event.layer] = LayerWindow(w.index, w.cls, w.position, w.first, w.last, step_at(event.end))
    return out
