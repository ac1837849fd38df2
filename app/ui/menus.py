"""Menus: the window's menu bar. It carries the actions the toolbar and the branch panel already have
(one QAction each, so a shortcut, an enabled state or a text lives in one place) and adds the ones a
desktop user looks for in a menu: Undo/Redo of branch operations, whose text says what they undo.

`MainWindow` builds its views and controllers, then calls `Menus(window)`; nothing else calls this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class Menus(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = w = window
        bar = w.menuBar()
        self.edit_menu = bar.addMenu(self.tr("&Edit"))
        self._build_edit(self.edit_menu)

    def _action(
        self, menu: QMenu, text: str, slot: Callable[[], object], keys: list[QKeySequence] | None = None
    ) -> QAction:
        """A menu's own action, window-wide (its shortcut works whatever has the focus)."""
        a = QAction(text, self.w)
        if keys:
            a.setShortcuts(keys)
        a.triggered.connect(lambda _checked=False: slot())
        menu.addAction(a)
        self.w.addAction(a)
        return a

    # -- Edit ------------------------------------------------------------------------------------
    def _build_edit(self, menu: QMenu) -> None:
        branches = self.w.branches
        stack = branches.undo.stack
        self.undo_action = self._action(menu, "", stack.undo, [QKeySequence("Ctrl+Z")])
        self.redo_action = self._action(
            menu, "", stack.redo, [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        )
        # the signals carry what the actions show: the stack is never asked (it may be going away)
        stack.canUndoChanged.connect(self.undo_action.setEnabled)
        stack.canRedoChanged.connect(self.redo_action.setEnabled)
        stack.undoTextChanged.connect(self._undo_text)
        stack.redoTextChanged.connect(self._redo_text)
        self._undo_text(stack.undoText())
        self._redo_text(stack.redoText())
        self.undo_action.setEnabled(stack.canUndo())
        self.redo_action.setEnabled(stack.canRedo())
        branches.undo.done.connect(self._say_done)
        menu.addSeparator()
        self.duplicate_action = self._action(menu, self.tr("Duplicate branch"), branches.duplicate_active)
        self.fork_action = self._action(menu, self.tr("Fork here"), branches.fork_active)
        self.rename_action = self._action(menu, self.tr("Rename branch…"), branches.rename_active, [])
        self.delete_action = self._action(menu, self.tr("Delete branch"), branches.delete_active)

    def _say_done(self, what: str) -> None:
        """A delete asks nothing, so the status bar says what happened and how to take it back."""
        self.w.status.message.setText(self.tr("%1 — Ctrl+Z to undo").replace("%1", what))

    def _undo_text(self, what: str) -> None:
        """The text says what Ctrl+Z would do: "Undo Delete “Seed 3”"."""
        self.undo_action.setText(self.tr("Undo %1").replace("%1", what) if what else self.tr("Undo"))

    def _redo_text(self, what: str) -> None:
        self.redo_action.setText(self.tr("Redo %1").replace("%1", what) if what else self.tr("Redo"))
