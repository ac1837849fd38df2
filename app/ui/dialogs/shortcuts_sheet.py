"""ShortcutsSheet (F1 or ?): every key the window answers to, in the UI language.

The rows are read from the window's actions (their own shortcut and text) and from the playback keys
`Shortcuts` registers, so the sheet cannot drift from what the keys do."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what) for each action with a shortcut, in order, each once; '&' and '…' left out."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
        what = a.text().replace("&", "").rstrip("…").strip()
        if keys and what and keys not in seen:
            seen.add(keys)
            rows.append((keys, what))
    return rows


class ShortcutsSheet(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Does")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for r, (keys, what) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(keys))
            self.table.setItem(r, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(520, 560)

    def rows(self) -> list[tuple[str, str]]:
        """What the sheet lists (for tests)."""
        out = []
        for r in range(self.table.rowCount()):
            keys, what = self.table.item(r, 0), self.table.item(r, 1)
            out.append((keys.text() if keys else "", what.text() if what else ""))
        return out
