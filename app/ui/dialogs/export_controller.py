"""ExportController: runs an export on the worker and waits for it (a qasync coroutine: start → progress
→ done, failed or cancelled), cancels it, and opens the output folder when done (QDesktopServices; off
in tests and headless runs).

Cancelling sets the export's own cancel token rather than cancelling the awaiting task: the dialog says
"cancelled, nothing was written" only once the worker has actually stopped and removed the partial file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from app.core.cancel import CancelToken
from app.core.compare_layout import grid_size
from app.core.export import (
    GIF_WARN_BYTES,
    ExportOptions,
    ExportResult,
    estimate_gif_bytes,
    export_comparison,
    export_format,
    export_process,
)
from app.core.export_files import source_fields
from app.errors import CancelledError, ExportError, UndoStudioError
from app.inference.runner import CallJob, Request
from app.ui.async_slot import async_slot
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
        self.result: ExportResult | None = None
        self._token: CancelToken | None = None  # the running export's; None when none runs
        dialog.export_button.clicked.connect(self.start)
        dialog.cancel_button.clicked.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self._token is not None

    @async_slot()
    async def start(self) -> ExportResult | None:
        """Export what the dialog says and wait for it; the result, or None (failed, cancelled, or an
        export already runs)."""
        if self._token is not None or self.doc.artwork is None:
            return None
        d = self.dialog
        out, steps, options = d.output_path(), d.steps(), d.options()
        if not self._confirm_size(out, steps, options):
            return None
        d.remember()
        token = CancelToken()
        # frozen now, on the UI thread: the export never reads the live document from the worker
        sources = [branch_frame_source(self.doc.snapshot(bid), token) for bid in self.branch_ids]
        labels = [self.doc.branch(bid).name for bid in self.branch_ids]
        artwork = self.doc.artwork
        manifest = source_fields(
            artwork.source,
            artwork.content_hash,
            [(self.doc.branch(bid).name, self.doc.branch(bid).spec) for bid in self.branch_ids],
            self._frame_size(),
        )

        def run(cancel: CancelToken, progress: Callable[[float, str], None]) -> ExportResult:
            # `token` is the export's (Cancel, Esc); the runner's `cancel` (shutdown) joins it per frame
            def check(step: int, src: Callable[[int], np.ndarray]) -> np.ndarray:
                if cancel.cancelled:
                    token.cancel()
                return src(step)

            if len(sources) == 1:
                return export_process(
                    steps, lambda s: check(s, sources[0]), out, options, token, progress, manifest
                )
            panes = [
                (label, (lambda s, src=src: check(s, src)))
                for label, src in zip(labels, sources, strict=True)
            ]
            return export_comparison(panes, steps, out, options, token, progress, manifest)

        self._token, self.result = token, None
        d.progress.setValue(0)
        d.status.setText(self.tr("Exporting…"))
        d.set_running(True)
        try:
            result = await self.worker.run(
                CallJob(run, "export"), PRIORITY_EXPORT, "export", on_progress=self._on_progress
            )
        except CancelledError:
            self._cancelled()
            return None
        except UndoStudioError as exc:
            self._failed(exc)
            return None
        finally:
            self._token = None
        self._done(result)
        return result

    def _frame_size(self) -> tuple[int, int]:
        """The size of one branch's frames: the artwork's (engines paint at the artwork's size)."""
        if self.doc.artwork is None:
            return 0, 0
        height, width = self.doc.artwork.pixels.shape[:2]
        return int(width), int(height)

    def _confirm_size(self, out: Path, steps: list[int], options: ExportOptions) -> bool:
        """Before a GIF larger than GIF_WARN_BYTES (estimated from frame count × size, nothing rendered
        yet: `estimate_gif_bytes`), ask whether to go on. A bad path is left to the export's own error."""
        try:
            if export_format(out) != "gif":
                return True
        except ExportError:
            return True
        width, height = self._frame_size()
        if len(self.branch_ids) > 1:
            width, height = grid_size(len(self.branch_ids), width, height)
        estimate = estimate_gif_bytes(steps, options, width, height)
        if estimate <= GIF_WARN_BYTES:
            return True
        answer = QMessageBox.question(
            self.dialog,
            self.tr("Large GIF"),
            self.tr(
                "This GIF will be about %1 MB. Files this large load slowly and many sites refuse them; "
                "a shorter length, a smaller size, MP4 or WebP make far smaller files.\n\nExport the GIF anyway?"
            ).replace("%1", f"{estimate / 1e6:.0f}"),
        )
        return answer == QMessageBox.StandardButton.Yes

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _on_progress(self, _req: Request, fraction: float, _message: str) -> None:
        self.dialog.progress.setValue(int(fraction * 1000))

    def _done(self, result: ExportResult) -> None:
        self.result = result
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

    def _failed(self, exc: UndoStudioError) -> None:
        text = error_text(exc)
        self.dialog.status.setText(text)
        self.dialog.set_running(False)
        self.failed.emit(text)

    def _cancelled(self) -> None:
        self.dialog.progress.setValue(0)
        self.dialog.status.setText(self.tr("Export cancelled. Nothing was written."))
        self.dialog.set_running(False)
