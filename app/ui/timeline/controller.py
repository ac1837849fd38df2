"""PlaybackController: mirrors the Qt-free `app.core.timeline.Timeline` model onto `TimelineView`
(napari's Dims <-> QtDims pattern). The view writes only through model setters; the model's events
update the view and tell the window which step to show. Owns the playback QTimer.

The timer ticks at ~30 Hz and calls `Timeline.advance(dt)` with wall-clock time, so every speed
(0.25x-8x) plays at its nominal rate however late a tick is.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.frames import MAX_STEP, MIN_STEP
from app.core.timeline import Timeline
from app.ui.timeline.view import TimelineView


class PlaybackController(QObject):
    step_changed = Signal(int, int)  # step, scrub direction (+1 towards the blank canvas, -1 painting order)
    playing_changed = Signal(bool)

    def __init__(
        self, view: TimelineView, timeline: Timeline | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.model = timeline or Timeline()
        self._last_tick = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self._tick)
        m = self.model
        m.events.step.connect(self._on_model_step)
        m.events.playing.connect(self._on_model_playing)
        m.events.keyframes.connect(lambda steps: view.track.set_keyframes(steps))
        view.step_moved.connect(self._on_slider)
        view.play_button.clicked.connect(self.toggle)
        view.back_button.clicked.connect(lambda: self.step_by(-1))
        view.forward_button.clicked.connect(lambda: self.step_by(+1))
        view.prev_key_button.clicked.connect(lambda: self.jump_keyframe(-1))
        view.next_key_button.clicked.connect(lambda: self.jump_keyframe(+1))
        view.first_button.clicked.connect(lambda: self.set_step(MAX_STEP))
        view.last_button.clicked.connect(lambda: self.set_step(MIN_STEP))
        view.speed.currentIndexChanged.connect(
            lambda _i: setattr(m, "speed", float(view.speed.currentData()))
        )
        view.loop.toggled.connect(lambda on: setattr(m, "loop", on))
        view.show_step(m.step)

    # -- model -> view ---------------------------------------------------------------------------
    def _on_model_step(self, step: int) -> None:
        self.view.show_step(step)
        self.step_changed.emit(step, self.model.scrub_direction)

    def _on_model_playing(self, playing: bool) -> None:
        if playing:
            self._last_tick = time.perf_counter()
            self.timer.start()
        else:
            self.timer.stop()
        self.view.set_playing(playing)
        self.playing_changed.emit(playing)

    # -- view -> model ---------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.model.step

    @property
    def playing(self) -> bool:
        return self.model.playing

    def set_keyframes(self, steps) -> None:
        self.model.keyframes = steps

    def set_step(self, step: int) -> None:
        self.model.step = step

    def refresh(self) -> None:
        """Re-announce the current step (after the shown branch changed)."""
        self.view.show_step(self.model.step)
        self.step_changed.emit(self.model.step, self.model.scrub_direction)

    def _on_slider(self, value: int) -> None:
        self.model.step = value

    def step_by(self, frames: int) -> None:
        """frames > 0: forward in painting order (towards the finished artwork)."""
        self.model.pause()
        self.model.step_by(frames)

    def jump_keyframe(self, direction: int) -> None:
        """direction > 0: next keyframe in painting order; < 0: previous."""
        self.model.pause()
        if direction > 0:
            self.model.go_to_next_keyframe()
        else:
            self.model.go_to_prev_keyframe()

    def toggle(self) -> None:
        self.model.toggle_playing()

    def play(self) -> None:
        self.model.play()

    def pause(self) -> None:
        self.model.pause()

    def _tick(self) -> None:
        now = time.perf_counter()
        dt, self._last_tick = min(now - self._last_tick, 0.25), now
        self.model.advance(dt)
