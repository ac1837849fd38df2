"""CompareExport: side-by-side comparison on and off, and the export dialog for what is on screen (one
branch, or the compared branches as one comparison video)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from app.ui.dialogs.export_controller import ExportController
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.dialogs.export_settings import default_base_name

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class CompareExport(QObject):
    error = Signal(str)  # a message for the user (the window shows it)
    open_folder_after_export = True  # tests and screenshots switch the file manager off

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.export_dialog: ExportDialog | None = None
        self.export_controller: ExportController | None = None
        window.branches.compare_ticks_changed.connect(self.follow_ticks)

    # -- compare ---------------------------------------------------------------------------------
    def compare_branches(self, ids: list[str]) -> None:
        w = self.w
        if len(ids) < 2:
            # a hint, not an error: nothing went wrong, the user needs one more branch
            w.status.message.setText(
                self.tr("Create a second branch to compare (Duplicate with a new seed).")
            )
            w.compare_action.setChecked(False)
            return
        w.viewer.set_compare(ids)
        w.branches.set_checked(w.viewer.compare_ids)
        w.canvas_stack.setCurrentWidget(w.compare)
        w.compare_action.blockSignals(True)  # already comparing: toggling must not compare again
        w.compare_action.setChecked(True)
        w.compare_action.blockSignals(False)

    def follow_ticks(self, ids: list[str]) -> None:
        """While comparing, the ticked branches are the compared ones: a tick adds a pane, an untick
        removes one, and fewer than two ticked go back to the single view."""
        if not self.w.viewer.comparing:
            return
        if len(ids) >= 2:
            self.compare_branches(ids[:4])
        else:
            self.w.compare_action.setChecked(False)

    def set_comparing(self, on: bool) -> None:
        if on:
            self.compare_branches(self.w.branches.compare_ids())
        else:
            self.w.viewer.set_compare([])
            self.w.canvas_stack.setCurrentWidget(self.w.canvas)

    # -- export ----------------------------------------------------------------------------------
    def open_export(self) -> ExportDialog | None:
        """The export dialog for the branches on screen; None when no document is open."""
        doc = self.w.document
        if doc.artwork is None:
            return None
        ids = self.w.viewer.visible_ids()
        stem = doc.artwork.source.stem if doc.artwork.source else ""
        base_name = default_base_name(stem, [doc.branch(bid).name for bid in ids])
        title = self.tr("Export comparison") if len(ids) > 1 else self.tr("Export process")
        dialog = ExportDialog(base_name, title, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ctrl = ExportController(dialog, doc, self.w.worker, ids, dialog)
        ctrl.open_folder_when_done = self.open_folder_after_export
        self.export_dialog, self.export_controller = dialog, ctrl
        dialog.open()
        return dialog
