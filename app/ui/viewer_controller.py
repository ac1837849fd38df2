"""ViewerController: what the canvas (or the compare panes) shows for the timeline's step.

On every step change it asks the document for the best frame now (exact / interpolated / preview; that
call plans engine work but never waits for it), paints it, and shows the frame kind. When frames arrive
it repaints if they improve what is on screen, and refreshes the track (throttled: the track is cheap to
read but not free to redraw)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.frames import Frame, FrameKind
from app.core.track_summary import TrackSummary
from app.ui.canvas.view import CanvasView
from app.ui.compare.view import CompareView
from app.ui.document import Document
from app.ui.timeline.controller import PlaybackController

STORM_GAP_S = 0.02  # step changes closer than this are a storm (a drag or a held key): plan when it pauses


class ViewerController(QObject):
    frame_shown = Signal(int, object)  # step, FrameKind | None

    def __init__(
        self,
        doc: Document,
        playback: PlaybackController,
        canvas: CanvasView,
        compare: CompareView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.playback, self.canvas, self.compare = doc, playback, canvas, compare
        self.compare_ids: list[str] = []
        self.shown_kinds: list[FrameKind | None] = []
        self.shown_sources: list[int] = []  # the steps whose pixels the previews on screen show
        self._direction = -1
        self.suspended = False
        self._track_shown: tuple[TrackSummary | None, int | None] | None = None
        self._planned: tuple[int, int] | None = None
        self.plan_timer = QTimer(self)
        self.plan_timer.setSingleShot(True)
        self.plan_timer.setInterval(30)
        self.plan_timer.timeout.connect(self._plan)
        # a storm of step changes in one event-loop turn paints the first at once and only the latest
        # of the rest when the turn ends (best_frame blends previews for every pane: not per event)
        self._pending: tuple[int, int] | None = None
        self._turn_open = False
        self._last_change = 0.0
        self._storming = False  # step changes closer than STORM_GAP_S: plan only when they pause
        self._last_move = 0.0
        self._dragging = False  # the user's last two step changes came closer than STORM_GAP_S
        self.turn_timer = QTimer(self)
        self.turn_timer.setSingleShot(True)
        self.turn_timer.setInterval(0)
        self.turn_timer.timeout.connect(self._end_turn)
        self.track_timer = QTimer(self)
        self.track_timer.setSingleShot(True)
        self.track_timer.setInterval(150)
        self.track_timer.timeout.connect(self.update_track)
        playback.step_changed.connect(self._on_step_changed)
        canvas.painted.connect(self._on_painted)
        doc.frames_added.connect(self._on_frames)
        doc.frames_loaded.connect(self._on_frames)  # stored frames replace the preview like new ones
        doc.branch_ready.connect(self._on_branch_ready)
        doc.branch_failed.connect(self._on_branch_failed)
        doc.branches_changed.connect(self._on_branches_changed)
        doc.closing.connect(self._let_go)
        compare.mode.currentIndexChanged.connect(lambda _i: self.refresh())

    @property
    def comparing(self) -> bool:
        return len(self.compare_ids) >= 2

    def visible_ids(self) -> list[str]:
        if self.comparing:
            return list(self.compare_ids)
        return [self.doc.active_id] if self.doc.active_id else []

    def set_compare(self, ids: list[str]) -> None:
        self.compare_ids = [i for i in ids if self.doc.has_branch(i)][:4]
        if self.comparing:
            self.compare.set_branches(self.compare_ids, [self.doc.branch(i).name for i in self.compare_ids])
            for pane in self.compare.panes:
                pane.canvas.painted.connect(self._on_painted)
        self.update_track()
        self.show_step(self.playback.step, self._direction)

    def set_suspended(self, suspended: bool) -> None:
        """While a document is being restored, show nothing (and plan nothing) until the view is set."""
        self.suspended = suspended
        if not suspended:
            self.update_track()
            self.show_step(self.playback.step, self._direction)

    def show_step(self, step: int, direction: int = -1) -> None:
        """Paint the best frame now and plan engine work right after it is painted (`painted` signal,
        or a short fallback timer when nothing paints), so a waking worker never delays the paint.

        Coalesced per event-loop turn: the first step change of a turn paints at once (no added latency);
        later ones in the same turn only note the step, and the latest is painted when the turn ends
        (`_end_turn`). While the user's step changes come closer than STORM_GAP_S (a drag, a slider
        storm) the first of a turn waits for the turn's end too: more are on their way, and painting it
        would blend a preview and resize a frame per pane for a step superseded within the same turn.
        Superseded steps are never blended, painted or planned."""
        self._direction = direction
        if self.suspended:
            return
        now = time.perf_counter()
        self._storming, self._last_change = now - self._last_change < STORM_GAP_S, now
        if self._turn_open or self._dragging:
            self._pending = (step, direction)
            self._open_turn()
            return
        self._open_turn()
        self._show_now(step, direction)

    def _on_step_changed(self, step: int, direction: int) -> None:
        """A step change of the timeline (the user's, or playback): note whether it is part of a drag."""
        now = time.perf_counter()
        self._dragging, self._last_move = now - self._last_move < STORM_GAP_S, now
        self.show_step(step, direction)

    def _open_turn(self) -> None:
        if not self._turn_open:
            self._turn_open = True
            self.turn_timer.start()

    def _show_now(self, step: int, direction: int) -> None:
        self._paint([self.doc.best_frame(bid, step) for bid in self.visible_ids()], step)
        self._planned = (step, direction)
        self.plan_timer.start()

    def _end_turn(self) -> None:
        """Paint the latest step change of the turn; changes in the next turn coalesce again."""
        self._turn_open = self._dragging = False  # the next change of the drag says it is one again
        pending, self._pending = self._pending, None
        if pending is not None and not self.suspended:
            self._open_turn()
            self._show_now(*pending)

    def _on_painted(self, _step: int) -> None:
        """Plan right after the paint, unless the slider is storming: then `plan_timer` (restarted by
        every step change) plans once the changes pause, and the engine never starts renders that the
        next event would supersede (they cannot be interrupted, and they compete with the UI thread)."""
        if self._planned is not None and not self._storming:
            self.plan_timer.stop()
            self._plan()

    def _plan(self) -> None:
        if self.suspended or self._planned is None:
            return
        step, direction = self._planned
        self._planned = None
        for bid in self.visible_ids():
            self.doc.request(bid, step, direction, want_frame=False)

    def _let_go(self) -> None:
        """The document is closing: show nothing, so no pane keeps one of its frames alive."""
        self._pending = self._planned = None
        self.shown_kinds = []
        self.canvas.set_pixels(None)
        for pane in self.compare.panes:
            pane.canvas.set_pixels(None)
            pane.canvas.set_overlay(None)

    def refresh(self) -> None:
        """Repaint the current step from what exists (no planning)."""
        if self.suspended:
            return
        step = self.playback.step
        self._paint([self.doc.best_frame(bid, step) for bid in self.visible_ids()], step)

    def _paint(self, frames: list[Frame | None], step: int) -> None:
        self.shown_kinds = [f.kind if f is not None else None for f in frames]
        if self.comparing:
            self.compare.show_frames(frames, step)
        else:
            frame = frames[0] if frames else None
            if frame is None:
                self.canvas.placeholder = self._placeholder(step)
            self.canvas.set_pixels(None if frame is None else frame.pixels, step)
        kind = self.worst_kind()
        self.shown_sources = sorted({s for f in frames if f is not None for s in f.shows})
        self.playback.view.show_kind(kind, self.shown_sources if kind is FrameKind.PREVIEW else ())
        self.frame_shown.emit(step, kind)

    def _placeholder(self, step: int) -> str:
        bid = self.doc.active_id
        if bid is None:
            return ""
        failure = self.doc.failure(self.doc.owner_for(bid, step))
        if failure is not None:
            return self.tr("This branch could not be generated:") + "\n" + failure
        return self.tr("Reconstructing the painting process…")

    def worst_kind(self) -> FrameKind | None:
        if not self.shown_kinds or any(k is None for k in self.shown_kinds):
            return None
        return max(self.shown_kinds, key=lambda k: k.rank)  # type: ignore[union-attr]

    def all_exact(self) -> bool:
        """True when every visible pane shows an exact or interpolated frame (the screenshot waits on it)."""
        if self._pending is not None:
            return False  # a coalesced step change is not painted yet: what is shown is the step before
        kind = self.worst_kind()
        return kind is not None and kind is not FrameKind.PREVIEW

    def _on_frames(self, branch_id: str, steps: list[int]) -> None:
        visible = self.visible_ids()
        owners = {self.doc.owner_for(b, self.playback.step) for b in visible}
        if branch_id in owners and (self.playback.step in steps or not self.all_exact()):
            self.refresh()
            if self.playback.step in steps and not self.all_exact():
                self.show_step(self.playback.step, self._direction)  # not in the file: plan a render
        if branch_id in visible or branch_id in owners:
            self.track_timer.start()

    def _on_branch_ready(self, branch_id: str) -> None:
        if branch_id in {self.doc.owner_for(b, self.playback.step) for b in self.visible_ids()}:
            self.show_step(self.playback.step, self._direction)
        self.update_track()

    def _on_branch_failed(self, branch_id: str) -> None:
        """A shown branch failed to prepare: its placeholder says why at once (it said "Reconstructing…"
        until the playhead moved)."""
        if branch_id in {self.doc.owner_for(b, self.playback.step) for b in self.visible_ids()}:
            self.refresh()

    def _on_branches_changed(self) -> None:
        self.compare_ids = [i for i in self.compare_ids if self.doc.has_branch(i)]
        self.update_track()
        self.show_step(self.playback.step, self._direction)

    def update_track(self) -> None:
        track = self.playback.view.track
        bid = self.doc.active_id
        if self.comparing and bid not in self.compare_ids:
            bid = self.compare_ids[0]  # the track describes a branch that is on screen
        if bid is None or not self.doc.has_branch(bid):
            track.set_available({})
            self._show_track(None, None)
            return
        track.set_available(self.doc.available(bid))
        self._show_track(self.doc.track(bid), self.doc.branch(bid).fork_step)

    def _show_track(self, summary: TrackSummary | None, fork_step: int | None) -> None:
        """Stage bands, change curve and keyframes (the fork step among them), redrawn only when they
        change: from the session, or from the project file before the session exists."""
        if self._track_shown == (summary, fork_step):
            return
        self._track_shown = (summary, fork_step)
        track = self.playback.view.track
        track.set_bands(summary.bands if summary is not None else ())
        track.set_change_curve(np.asarray(summary.curve) if summary is not None and summary.curve else None)
        steps = set(summary.keyframes) if summary is not None else set()
        if fork_step is not None:
            steps.add(fork_step)
        self.playback.set_keyframes(sorted(steps))
        track.set_keyframes(sorted(steps))
