"""The timeline model the slider binds to (design §3, napari's Dims <-> QtDims pattern).

Qt-free: the Qt view mirrors this model by attribute name, listens to `timeline.events.<name>` and writes
back only through the property setters. Setters clamp and emit only when the value really changed, so a
view that re-sets the value it just received does not loop.

Directions. Undo step 0 is the finished artwork, 999 the first stroke. *Painting order* runs 999 -> 0
(blank canvas first), which is the direction playback and "next" go:
- `next_keyframe()` is the nearest keyframe with a LOWER step (further along in painting),
  `prev_keyframe()` the nearest with a HIGHER step;
- `step_by(n)` with n > 0 moves n frames forward in painting order, i.e. the step DECREASES by n;
- `advance(seconds)` moves the step down (999 -> 0) at `BASE_STEPS_PER_SECOND * speed`.
`scrub_direction` is in raw step units: +1 when the last change increased the step, -1 when it decreased it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.core.frames import MAX_STEP, MIN_STEP

BASE_STEPS_PER_SECOND = 100.0  # the whole process (1000 steps) in 10 s at speed 1
MIN_SPEED = 0.25
MAX_SPEED = 8.0

Callback = Callable[[Any], None]


class Signal:
    """A minimal observer list: `connect(cb)`, `disconnect(cb)`, `emit(value)` calls `cb(value)`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        """Register `callback(value)`; returns it so this works as a decorator. Connecting twice is a no-op."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback | None = None) -> None:
        """Remove one callback (silently ignores unknown ones), or all when called without one."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, value: Any) -> None:
        for callback in list(self._callbacks):  # a callback may disconnect itself
            callback(value)

    def __len__(self) -> int:
        return len(self._callbacks)


class TimelineEvents:
    """One `Signal` per observable attribute, named like the attribute (napari style)."""

    def __init__(self) -> None:
        self.step = Signal("step")
        self.keyframes = Signal("keyframes")
        self.playing = Signal("playing")
        self.speed = Signal("speed")
        self.loop = Signal("loop")


class Timeline:
    """Current undo step, keyframe steps and playback state for one view (or a synchronised group)."""

    def __init__(self, step: int = MAX_STEP, keyframes: Iterable[int] = ()) -> None:
        self.events = TimelineEvents()
        self._step = self._clamp(step)
        self._keyframes: tuple[int, ...] = self._normalise_keyframes(keyframes)
        self._playing = False
        self._speed = 1.0
        self._loop = False
        self._scrub_direction = -1  # painting order by default
        self._carry = 0.0  # fractional steps left over between advance() calls

    # -- step ---------------------------------------------------------------------------------------------
    @staticmethod
    def _clamp(step: float) -> int:
        return int(min(max(round(step), MIN_STEP), MAX_STEP))

    @property
    def step(self) -> int:
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        new = self._clamp(value)
        if new == self._step:
            return
        self._scrub_direction = 1 if new > self._step else -1
        self._step = new
        self._carry = 0.0
        self.events.step.emit(new)

    @property
    def scrub_direction(self) -> int:
        """+1 if the last change increased the step (towards the blank canvas), -1 if it decreased it."""
        return self._scrub_direction

    def step_by(self, n: int) -> int:
        """Move `n` frames forward in painting order (step decreases by n; negative n goes back). Returns step."""
        self.step = self._step - int(n)
        return self._step

    # -- keyframes ----------------------------------------------------------------------------------------
    @staticmethod
    def _normalise_keyframes(steps: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted({int(min(max(int(s), MIN_STEP), MAX_STEP)) for s in steps}))

    @property
    def keyframes(self) -> tuple[int, ...]:
        """Keyframe steps, ascending, unique, clamped to 0..999."""
        return self._keyframes

    @keyframes.setter
    def keyframes(self, steps: Iterable[int]) -> None:
        new = self._normalise_keyframes(steps)
        if new != self._keyframes:
            self._keyframes = new
            self.events.keyframes.emit(new)

    def next_keyframe(self) -> int | None:
        """The nearest keyframe further along in painting order (lower step), or None."""
        lower = [k for k in self._keyframes if k < self._step]
        return lower[-1] if lower else None

    def prev_keyframe(self) -> int | None:
        """The nearest keyframe earlier in painting order (higher step), or None."""
        higher = [k for k in self._keyframes if k > self._step]
        return higher[0] if higher else None

    def go_to_next_keyframe(self) -> int:
        """Jump to `next_keyframe()`, or to the finished artwork (0) when there is none. Returns step."""
        target = self.next_keyframe()
        self.step = MIN_STEP if target is None else target
        return self._step

    def go_to_prev_keyframe(self) -> int:
        """Jump to `prev_keyframe()`, or to the blank canvas (999) when there is none. Returns step."""
        target = self.prev_keyframe()
        self.step = MAX_STEP if target is None else target
        return self._step

    # -- playback -----------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._playing

    @playing.setter
    def playing(self, value: bool) -> None:
        value = bool(value)
        if value == self._playing:
            return
        if value and self._step == MIN_STEP:
            self.step = MAX_STEP  # playing from the end restarts at the blank canvas, like any player
        self._playing = value
        self._carry = 0.0
        self.events.playing.emit(value)

    def play(self) -> None:
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle_playing(self) -> bool:
        self.playing = not self._playing
        return self._playing

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        new = float(min(max(float(value), MIN_SPEED), MAX_SPEED))
        if new != self._speed:
            self._speed = new
            self.events.speed.emit(new)

    @property
    def loop(self) -> bool:
        return self._loop

    @loop.setter
    def loop(self, value: bool) -> None:
        value = bool(value)
        if value != self._loop:
            self._loop = value
            self.events.loop.emit(value)

    @property
    def steps_per_second(self) -> float:
        return BASE_STEPS_PER_SECOND * self._speed

    def advance(self, seconds: float) -> int:
        """Move playback by wall-clock `seconds` in painting order; returns the step.

        Does nothing while paused. At step 0 playback wraps to 999 when looping, otherwise it stops
        (`playing` becomes False). Fractions of a step carry over to the next call, so a 60 Hz timer
        plays at exactly the nominal rate.
        """
        if not self._playing or seconds <= 0:
            return self._step
        self._carry += seconds * self.steps_per_second
        whole = int(self._carry)
        if whole == 0:
            return self._step
        carry = self._carry - whole
        span = MAX_STEP - MIN_STEP + 1
        target = self._step - whole
        if target < MIN_STEP:
            if self._loop:
                target = MAX_STEP - ((MIN_STEP - target - 1) % span)
            else:
                self.step = MIN_STEP
                self.playing = False
                return self._step
        self.step = target
        self._scrub_direction = -1  # a loop wrap is still forward in painting order
        self._carry = carry  # the setter resets it; keep the fraction
        return self._step
