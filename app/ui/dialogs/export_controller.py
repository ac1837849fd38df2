"""ExportController: runs an export on the worker (a runner `CallJob`), shows progress, cancels, and
opens the output folder when done (QDesktopServices; off in tests and headless runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from app.core.cancel import CancelToken
from app.core.export import ExportResult, export_comparison, export_process
from app.errors import UndoStudioError
from app.inference.runner import CallJob, Request
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.document import Document
from app.ui.error_text import error_text
from app.ui.frame_source import branch_frame_source
from app.ui.worker import EngineWorker

PRIORITY_EXPORT = 50


class ExportController(QObject):
    finished = Signal(object)  # ExportResult
    failed = Signal(str)
    open_folder_when_done = True

    def __init__(
        self, dialog: ExportDialog, doc: Document, worker: EngineWorker, branch_ids: list[str], parent=None
    ) -> None:
        super().__init__(parent)
        self.dialog, self.doc, self.worker, self.branch_ids = dialog, doc, worker, list(branch_ids)
        self.request: Request | None = None
        self.result: ExportResult | None = None
        dialog.export_button.clicked.connect(self.start)
        dialog.cancel_button.clicked.connect(self.cancel)

    def start(self) -> None:
        if self.request is not None or self.doc.artwork is None:
            return
        d = self.dialog
        out, steps, options = d.output_path(), d.steps(), d.options()
        token = CancelToken()
        # frozen now, on the UI thread: the export never reads the live document from the worker
        sources = [branch_frame_source(self.doc.snapshot(bid), token) for bid in self.branch_ids]
        labels = [self.doc.branch(bid).name for bid in self.branch_ids]

        def run(cancel: CancelToken, progress: Callable[[float, str], None]) -> ExportResult:
            # the runner's token cancels the frame sources too
            def check(step: int, src: Callable[[int], np.ndarray]) -> np.ndarray:
                if cancel.cancelled:
                    token.cancel()
                return src(step)

            if len(sources) == 1:
                return export_process(steps, lambda s: check(s, sources[0]), out, options, cancel, progress)
            panes = [
                (label, (lambda s, src=src: check(s, src)))
                for label, src in zip(labels, sources, strict=True)
            ]
            return export_comparison(panes, steps, out, options, cancel, progress)

        self.request = self.worker.submit(
            CallJob(run, "export"),
            PRIORITY_EXPORT,
            "export",
            on_result=self._on_result,
            on_error=self._on_failed,
            on_cancelled=self._on_cancelled,
            on_progress=self._on_progress,
        )
        d.progress.setValue(0)
        d.status.setText(self.tr("Exporting…"))
        d.set_running(True)

    def cancel(self) -> None:
        if self.request is not None:
            self.worker.cancel(self.request.id)

    def _mine(self, req: Request) -> bool:
        return self.request is not None and req.id == self.request.id

    def _on_progress(self, req: Request, fraction: float, message: str) -> None:
        if self._mine(req):
            self.dialog.progress.setValue(int(fraction * 1000))

    def _on_result(self, req: Request, result: ExportResult) -> None:
        if not self._mine(req):
            return
        self.request, self.result = None, result
        self.dialog.progress.setValue(1000)
        self.dialog.status.setText(
            self.tr("Saved %1 (%2 frames, %3 s).")
            .replace("%1", str(result.path))
            .replace("%2", str(result.frame_count))
            .replace("%3", f"{result.duration_s:.1f}")
        )
        self.dialog.set_running(False)
        if self.open_folder_when_done:
            folder = result.path if result.path.is_dir() else Path(result.path).parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self.finished.emit(result)

    def _on_failed(self, req: Request, exc: UndoStudioError) -> None:
        if not self._mine(req):
            return
        self.request = None
        text = error_text(exc)
        self.dialog.status.setText(text)
        self.dialog.set_running(False)
        self.failed.emit(text)

    def _on_cancelled(self, req: Request) -> None:
        if not self._mine(req):
            return
        self.request = None
        self.dialog.progress.setValue(0)
        self.dialog.status.setText(self.tr("Export cancelled. Nothing was written."))
        self.dialog.set_running(False)
