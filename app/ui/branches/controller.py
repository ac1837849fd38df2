"""BranchesController: keeps the branch list in sync with the document and turns panel actions into
document calls (create, duplicate with a new seed, fork at the playhead, rename, delete)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog, QListWidgetItem

from app.core.branch import BranchSpec
from app.errors import UndoStudioError
from app.inference.registry import engine_names
from app.ui.branches.panel import BranchesPanel
from app.ui.document import Document
from app.ui.error_text import error_text
from app.ui.i18n import tr_engine


class BranchesController(QObject):
    compare_requested = Signal(list)  # branch ids
    compare_ticks_changed = Signal(list)  # the user ticked or unticked a branch: the ticked ids

    def __init__(
        self, panel: BranchesPanel, doc: Document, current_step: Callable[[], int], parent=None
    ) -> None:
        super().__init__(parent)
        self.panel, self.doc, self.current_step = panel, doc, current_step
        self._refreshing = False
        for name in engine_names():
            panel.engine.addItem(self._display_name(name), name)
        panel.engine.currentIndexChanged.connect(self._engine_selected)
        panel.create_button.clicked.connect(self.create_from_form)
        panel.duplicate_button.clicked.connect(self._duplicate)
        panel.fork_button.clicked.connect(self._fork)
        panel.rename_button.clicked.connect(self._rename)
        panel.delete_button.clicked.connect(self._delete)
        panel.compare_button.clicked.connect(lambda: self.compare_requested.emit(self.compare_ids()))
        panel.list.currentItemChanged.connect(self._current_changed)
        panel.list.itemChanged.connect(self._item_changed)
        doc.branches_changed.connect(self.refresh)
        self._engine_selected()

    def _display_name(self, name: str) -> str:
        try:
            return tr_engine(str(self.doc.engine(name).display_name))
        except Exception:  # noqa: BLE001 - an engine that cannot load still gets listed by its id
            return name

    def _engine_selected(self) -> None:
        name = self.panel.engine.currentData()
        if not name:
            return
        try:
            engine = self.doc.engine(name)
            self.panel.settings.set_specs(list(engine.settings()))
            avail = engine.availability()
            self.panel.engine_status.setText("" if avail.ready else avail.reason)
            self.panel.create_button.setEnabled(bool(avail.ready))
        except (UndoStudioError, ImportError) as exc:
            self.panel.settings.set_specs([])
            text = (
                error_text(exc)
                if isinstance(exc, UndoStudioError)
                else self.tr("This engine is not installed.")
            )
            self.panel.engine_status.setText(text)
            self.panel.create_button.setEnabled(False)

    def refresh(self) -> None:
        self._refreshing = True
        checked = set(self.panel.checked_ids())
        lst = self.panel.list
        lst.clear()
        for b in self.doc.branches:
            text = f"{b.name}\n{self._display_name(b.spec.engine)} · " + self.tr("seed %1").replace(
                "%1", str(b.spec.seed)
            )
            if b.fork_step is not None:
                text += " · " + self.tr("fork @%1").replace("%1", str(b.fork_step))
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(Qt.ItemDataRole.UserRole, b.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if b.id in checked else Qt.CheckState.Unchecked)
            lst.addItem(item)
            if b.id == self.doc.active_id:
                lst.setCurrentItem(item)
        self.panel.delete_button.setEnabled(len(self.doc.branches) > 1)
        self._refreshing = False

    def set_checked(self, ids: list[str]) -> None:
        """Tick exactly `ids` (the branches being compared); not a tick of the user's."""
        self._refreshing = True
        try:
            for i in range(self.panel.list.count()):
                item = self.panel.list.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in ids
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._refreshing = False

    def _item_changed(self, _item: QListWidgetItem) -> None:
        """A tick box changed (or the text): an open compare view follows the ticks."""
        if not self._refreshing:
            self.compare_ticks_changed.emit(self.panel.checked_ids())

    def compare_ids(self) -> list[str]:
        ids = self.panel.checked_ids()
        if len(ids) < 2:  # nothing ticked: compare the first branches
            ids = [b.id for b in self.doc.branches]
        return ids[:4]

    def _current_changed(self, item, _previous) -> None:
        if self._refreshing or item is None:
            return
        branch_id = item.data(Qt.ItemDataRole.UserRole)
        self.doc.set_active(branch_id)

    def create_from_form(self) -> None:
        if self.doc.artwork is None:
            return
        name = self.panel.engine.currentData()
        spec = BranchSpec.make(name, self.panel.seed.value(), self.panel.settings.values())
        self.doc.add_branch(spec)

    def _duplicate(self) -> None:
        if self.doc.active_id:
            self.doc.duplicate_branch(self.doc.active_id)

    def _fork(self) -> None:
        if self.doc.active_id:
            self.doc.fork_branch(self.doc.active_id, self.current_step())

    def _rename(self) -> None:
        branch = self.doc.active
        if branch is None:
            return
        name, ok = QInputDialog.getText(
            self.panel, self.tr("Rename branch"), self.tr("Name"), text=branch.name
        )
        if ok and name.strip():
            self.doc.rename_branch(branch.id, name.strip())

    def _delete(self) -> None:
        if self.doc.active_id:
            self.doc.delete_branch(self.doc.active_id)
