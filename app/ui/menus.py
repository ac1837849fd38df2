"""Menus: the window's menu bar (File, Edit, View, Help). It carries the actions the toolbar and the
branch panel already have (one QAction each, so a shortcut, an enabled state or a text lives in one
place) and adds the ones a desktop user looks for: Undo/Redo of branch operations, whose text says what
they undo; Quit (Ctrl+Q, through the window's normal close, which asks to save); full screen (F11);
the shortcuts sheet (F1 or ?), Preferences (`ui/preferences.py`) and About. The canvas, the compare view and the branch list get the same
actions as context menus (a right click selects the branch it is on, so they act on that branch).

`MainWindow` builds its views and controllers, then calls `Menus(window)`; nothing else calls this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.ui.dialogs.about import AboutBox
from app.ui.dialogs.preferences_dialog import PreferencesDialog
from app.ui.dialogs.shortcuts_sheet import ShortcutsSheet, action_rows
from app.ui.preferences import Preferences

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class Menus(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = w = window
        bar = w.menuBar()
        self.file_menu = bar.addMenu(self.tr("&File"))
        self.edit_menu = bar.addMenu(self.tr("&Edit"))
        self.view_menu = bar.addMenu(self.tr("&View"))
        self.help_menu = bar.addMenu(self.tr("&Help"))
        self._build_file(self.file_menu)
        self._build_edit(self.edit_menu)
        self._build_view(self.view_menu)
        self._build_help(self.help_menu)
        self._build_context_menus()

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

    # -- File ------------------------------------------------------------------------------------
    def _build_file(self, menu: QMenu) -> None:
        w = self.w
        menu.addActions([w.home_action, w.open_action])
        self.add_recording_action = self._action(
            menu, self.tr("Add recording…"), w.controller.files.browse_recording
        )
        menu.addSeparator()
        menu.addActions([w.save_action, w.save_as_action, w.export_action])
        menu.addSeparator()
        # close() runs the window's close event: leave the document (save or not), then shut down
        self.quit_action = self._action(menu, self.tr("Quit"), w.close, [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

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
        menu.addSeparator()
        self.preferences_action = self._action(
            menu, self.tr("Preferences…"), self.show_preferences, [QKeySequence("Ctrl+,")]
        )
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)

    def show_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(Preferences.load(), self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.preferences()))
        dialog.open()
        return dialog

    def apply_preferences(self, prefs: Preferences) -> None:
        """Save them; the cache budget applies now, the language through the toolbar's chooser (which
        says that it applies after a restart), the models folder at the next start."""
        prefs.save()
        self.w.document.set_cache_budget(prefs.cache_bytes)
        chooser = self.w.controller.shortcuts.language
        chooser.setCurrentIndex(max(0, chooser.findData(prefs.language)))

    # -- View ------------------------------------------------------------------------------------
    def _build_view(self, menu: QMenu) -> None:
        w = self.w
        menu.addActions([w.compare_action, w.fit_action, w.zoom_action])
        menu.addSeparator()
        panel = w.branches_dock.toggleViewAction()
        panel.setText(self.tr("Branches panel"))
        menu.addAction(panel)
        layers = w.layers_dock.toggleViewAction()
        layers.setText(self.tr("Layers panel"))
        menu.addAction(layers)
        scores = w.score_dock.toggleViewAction()
        scores.setText(self.tr("Compare with recording"))
        menu.addAction(scores)
        self.full_screen_action = self._action(
            menu, self.tr("Full screen"), self.toggle_full_screen, [QKeySequence("F11")]
        )
        self.full_screen_action.setCheckable(True)

    def toggle_full_screen(self) -> None:
        w = self.w
        if w.isFullScreen():
            w.showNormal()
        else:
            w.showFullScreen()
        self.full_screen_action.setChecked(w.isFullScreen())

    # -- Help ------------------------------------------------------------------------------------
    def _build_help(self, menu: QMenu) -> None:
        self.shortcuts_action = self._action(
            menu, self.tr("Keyboard shortcuts"), self.show_shortcuts, [QKeySequence("F1"), QKeySequence("?")]
        )
        self.about_action = self._action(menu, self.tr("About Undo Studio"), self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every key the window answers to: its actions' shortcuts, then the playback keys."""
        w = self.w
        actions = [
            a for m in (self.file_menu, self.edit_menu, self.view_menu, self.help_menu) for a in m.actions()
        ]
        return action_rows(actions) + w.controller.shortcuts.playback_keys

    def show_shortcuts(self) -> ShortcutsSheet:
        sheet = ShortcutsSheet(self.shortcut_rows(), self.w)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.open()
        return sheet

    def show_about(self) -> AboutBox:
        box = AboutBox(self.w)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # -- context menus ---------------------------------------------------------------------------
    def _build_context_menus(self) -> None:
        w = self.w
        Policy = Qt.ContextMenuPolicy  # noqa: N806 - a Qt enum, aliased for the lines below
        branch_list = w.branches_panel.list
        branch_list.setContextMenuPolicy(Policy.ActionsContextMenu)
        branch_list.addActions(
            [
                self.duplicate_action,
                self.fork_action,
                self.rename_action,
                self.delete_action,
                self.undo_action,
            ]
        )
        for view in (w.canvas, w.compare):
            view.setContextMenuPolicy(Policy.ActionsContextMenu)
            view.addActions(
                [w.fit_action, w.zoom_action, w.compare_action, w.export_action, self.full_screen_action]
            )

    def _say_done(self, what: str) -> None:
        """A delete asks nothing, so the status bar says what happened and how to take it back."""
        self.w.status.message.setText(self.tr("%1 — Ctrl+Z to undo").replace("%1", what))

    def _undo_text(self, what: str) -> None:
        """The text says what Ctrl+Z would do: "Undo Delete “Seed 3”"."""
        self.undo_action.setText(self.tr("Undo %1").replace("%1", what) if what else self.tr("Undo"))

    def _redo_text(self, what: str) -> None:
        self.redo_action.setText(self.tr("Redo %1").replace("%1", what) if what else self.tr("Redo"))
