"""BranchesController: keeps the branch list in sync with the document and turns panel actions into
undoable branch operations (create, duplicate with a new seed, fork at the playhead, rename, delete)
through `BranchUndo`, so a delete needs no confirmation: Ctrl+Z brings the branch back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog, QListWidgetItem

from app.core.branch import Branch, BranchSpec
from app.errors import UndoStudioError
from app.inference.engine import SettingSpec
from app.inference.paints_undo.estimate import RunEstimate
from app.inference.registry import RECORDING_ENGINE, engine_names
from app.ui.branch_undo import BranchUndo
from app.ui.branches.describe import describe
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
        self.undo = BranchUndo(doc, self)
        for name in engine_names():
            panel.engine.addItem(self._display_name(name), name)
        panel.engine.currentIndexChanged.connect(self._engine_selected)
        panel.create_button.clicked.connect(self.create_from_form)
        panel.duplicate_button.clicked.connect(self.duplicate_active)
        panel.fork_button.clicked.connect(self.fork_active)
        panel.rename_button.clicked.connect(self.rename_active)
        panel.delete_button.clicked.connect(self.delete_active)
        panel.compare_button.clicked.connect(lambda: self.compare_requested.emit(self.compare_ids()))
        panel.hybrid_button.clicked.connect(self.use_hybrid)
        doc.branch_ready.connect(lambda _bid: self.show_estimate())
        panel.list.currentItemChanged.connect(self._current_changed)
        panel.list.itemChanged.connect(self._item_changed)
        doc.branches_changed.connect(self.refresh)
        self._engine_selected()

    def _display_name(self, name: str) -> str:
        try:
            return tr_engine(str(self.doc.engine(name).display_name))
        except Exception:  # noqa: BLE001 - an engine that cannot load still gets listed by its id
            return name

    def _settings_of(self, name: str) -> list[SettingSpec]:
        """The engine's settings (their defaults say which of a branch's settings are changes)."""
        try:
            return list(self.doc.engine(name).settings())
        except Exception:  # noqa: BLE001 - an engine that cannot load: its branches list every setting
            return []

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
            text = describe(b, self._display_name(b.spec.engine), self._settings_of(b.spec.engine))
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(Qt.ItemDataRole.UserRole, b.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if b.id in checked else Qt.CheckState.Unchecked)
            lst.addItem(item)
            if b.id == self.doc.active_id:
                lst.setCurrentItem(item)
        self.panel.delete_button.setEnabled(len(self.doc.branches) > 1)
        recorded = self._active_is_recorded()
        self.panel.duplicate_button.setEnabled(not recorded)
        self.panel.fork_button.setEnabled(not recorded)
        self._refreshing = False
        self.show_estimate()

    # -- the active branch's time and memory (a neural engine's estimate, made when it is prepared) ------
    def _estimate(self) -> RunEstimate | None:
        active = self.doc.active
        session = None if active is None else self.doc.session(active.id)
        estimate = None if session is None else session.extra.get("estimate")
        return estimate if isinstance(estimate, RunEstimate) else None

    def _duration(self, seconds: float) -> str:
        if seconds < 90:
            return self.tr("%1 s").replace("%1", f"{seconds:.0f}")
        if seconds < 90 * 60:
            return self.tr("%1 min").replace("%1", f"{seconds / 60:.0f}")
        return self.tr("%1 h").replace("%1", f"{seconds / 3600:.1f}")

    def show_estimate(self) -> None:
        """Say how long the active branch's run takes on this device and how much memory it needs; warn
        when it is long or too big, and on a CPU offer the hybrid (a new branch) when that is cheaper."""
        estimate = self._estimate()
        label, button = self.panel.estimate_label, self.panel.hybrid_button
        label.setVisible(estimate is not None)
        button.setVisible(estimate is not None and estimate.offer_hybrid)
        if estimate is None:
            label.setText("")
            return
        gb = 1024**3
        lines = [
            self.tr("On this device: about %1, peak memory about %2 GB.")
            .replace("%1", self._duration(estimate.seconds))
            .replace("%2", f"{estimate.peak_bytes / gb:.1f}")
        ]
        if estimate.too_long:
            lines.append("⚠ " + self.tr("That is more than 30 minutes."))
        if estimate.too_big:
            lines.append(
                "⚠ "
                + self.tr("That is more memory than this device has free (%1 GB).").replace(
                    "%1", f"{estimate.memory_bytes / gb:.1f}"
                )
            )
        if estimate.offer_hybrid and estimate.hybrid is not None:
            lines.append(
                self.tr("The CPU hybrid (painted in-betweens, %1 steps at %2 px) would take about %3.")
                .replace("%1", str(estimate.hybrid.steps))
                .replace("%2", str(max(estimate.hybrid.working_size)))
                .replace("%3", self._duration(estimate.hybrid.seconds))
            )
        warn = estimate.too_long or estimate.too_big
        label.setStyleSheet("color: #ffb74d;" if warn else "")
        label.setText("\n".join(lines))

    def use_hybrid(self) -> Branch | None:
        """A new branch of the active one's spec with the CPU hybrid's settings (undoable like any new
        branch; the slow branch stays until the user deletes it)."""
        active = self.doc.active
        if active is None or self.doc.artwork is None:
            return None
        spec = active.spec.with_changes(**RunEstimate.hybrid_settings())
        return self.undo.create(spec, self.tr("%1 (CPU hybrid)").replace("%1", active.name))

    def _active_is_recorded(self) -> bool:
        """A Recorded branch is read-only: it has no seed to vary and no process to redo differently."""
        active = self.doc.active
        return active is not None and active.spec.engine == RECORDING_ENGINE

    def add_recording(self, path: Path) -> Branch | None:
        """A read-only "Recorded" branch showing the real time-lapse at `path` (a video, a folder of
        frames or a .procreate file), aligned to the artwork on the worker like any branch's prepare."""
        if self.doc.artwork is None:
            return None
        spec = BranchSpec.make(RECORDING_ENGINE, 0, {"path": str(Path(path).resolve())})
        return self.undo.create(spec, self.tr("Recorded: %1").replace("%1", Path(path).name))

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
        self.undo.create(spec)

    def duplicate_active(self) -> None:
        if self.doc.active_id and not self._active_is_recorded():
            self.undo.duplicate(self.doc.active_id)

    def fork_active(self) -> None:
        if self.doc.active_id and not self._active_is_recorded():
            self.undo.fork(self.doc.active_id, self.current_step())

    def rename_active(self) -> None:
        branch = self.doc.active
        if branch is None:
            return
        name, ok = QInputDialog.getText(
            self.panel, self.tr("Rename branch"), self.tr("Name"), text=branch.name
        )
        if ok and name.strip():
            self.undo.rename(branch.id, name.strip())

    def delete_active(self) -> None:
        if self.doc.active_id:
            self.undo.delete(self.doc.active_id)
