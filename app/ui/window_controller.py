"""WindowController: composes the window's behaviour from controllers with one job each, and keeps what
is the window's own: errors (status bar and one message box at a time), the status bar's facts (progress,
queue, cache, saving) and its Cancel, and a close that loses nothing (autosave when there is a project
file, otherwise ask) and leaves no timer or thread behind.

- `start` (StartController): the start page, which page shows, the system probe.
- `files` (OpenSave): open, save, leave the current document, drag and drop, the title.
- `compare_export` (CompareExport): comparison on and off, the export dialog.
- `shortcuts` (Shortcuts): toolbar actions, start page buttons, the language chooser, playback keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from app.ui.compare_export import CompareExport
from app.ui.error_text import ErrorText
from app.ui.i18n import tr_progress
from app.ui.open_save import OpenSave
from app.ui.shortcuts import Shortcuts
from app.ui.start_controller import StartController

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowController(QObject):
    modal_errors = True  # tests switch message boxes off

    def __init__(self, window: MainWindow, probe_system: bool = True) -> None:
        super().__init__(window)
        self.w = w = window
        self._error_box: QMessageBox | None = None
        self._closed = False

        self.start = StartController(w, probe=probe_system)
        self.compare_export = CompareExport(w)
        self.files = OpenSave(w, self.start, self.compare_export)
        self.shortcuts = Shortcuts(w, self.start, self.files, self.compare_export)

        for source in (w.document.error, w.projects.error, self.files.error, self.compare_export.error):
            source.connect(self.show_error)
        w.document.progress.connect(lambda f, m: w.status.set_progress(f, tr_progress(m)))
        w.worker.queue_changed.connect(w.status.set_queue)
        w.status.cancel_button.clicked.connect(self.cancel_work)
        self.stats_timer = QTimer(self)
        self.stats_timer.setInterval(500)
        self.stats_timer.timeout.connect(self.update_stats)
        self.stats_timer.start()

    # -- errors / status -------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """`text` is an `error_text(exc)` or a plain UI message. The box shows the part in the UI
        language first and the original English message (if any) under it."""
        self.w.status.show_error(text)
        if self.modal_errors and not self._closed and self._error_box is None:  # one box at a time
            parts = ErrorText.from_text(text)
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Undo Studio", parts.summary, QMessageBox.StandardButton.Ok, self.w
            )
            if parts.detail:
                box.setInformativeText(parts.detail)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(lambda _r: setattr(self, "_error_box", None))
            self._error_box = box
            box.open()

    @property
    def error_box(self) -> QMessageBox | None:
        """The error message box on screen, if any."""
        return self._error_box

    def update_stats(self) -> None:
        doc = self.w.document
        self.w.status.set_cache(doc.cache_bytes(), doc.cache_budget())
        self.w.status.set_queue(self.w.worker.queue_length())
        self.w.status.set_saving(self.w.projects.busy())

    def cancel_work(self) -> None:
        """The status bar's Cancel: the document's engine work and an open still reading its file."""
        self.files.cancel_open()
        self.w.document.cancel_all()
        self.w.viewer.refresh()

    # -- close -----------------------------------------------------------------------------------
    def close_event(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        if not self.files.leave_current():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every timer and the worker thread (nothing may outlive the window)."""
        self._closed = True
        w = self.w
        self.files.cancel_open()
        self.stats_timer.stop()
        w.playback.pause()
        w.playback.timer.stop()
        w.viewer.track_timer.stop()
        w.timeline.track.stop_playhead_timer()
        w.viewer.plan_timer.stop()
        w.status.error_timer.stop()
        w.projects.timer.stop()
        w.document.cancel_all()
        w.projects.close_project()
        w.worker.shutdown()
