"""The desktop basics (issue 10, item 15): a menu bar carrying the window's actions, Ctrl+Q through the
normal close, F11 full screen, F1 / ? for a translated shortcuts sheet, Help → About, focus rings."""

from __future__ import annotations

import re

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication


def _menu_titles(w) -> list[str]:
    return [a.text().replace("&", "") for a in w.menuBar().actions()]


def _menu_actions(w, title: str) -> list:
    for a in w.menuBar().actions():
        if a.text().replace("&", "") == title:
            return [x for x in a.menu().actions() if not x.isSeparator()]
    raise AssertionError(f"no {title} menu")


def test_menu_bar_carries_the_existing_actions(make_window):
    w = make_window()
    assert _menu_titles(w) == ["File", "Edit", "View", "Help"]
    file_actions = _menu_actions(w, "File")
    for a in (w.home_action, w.open_action, w.save_action, w.save_as_action, w.export_action):
        assert a in file_actions
    view_actions = _menu_actions(w, "View")
    for a in (w.compare_action, w.fit_action, w.zoom_action, w.menus.full_screen_action):
        assert a in view_actions
    assert w.menus.undo_action in _menu_actions(w, "Edit")
    assert {w.menus.shortcuts_action, w.menus.about_action} <= set(_menu_actions(w, "Help"))


def test_ctrl_q_closes_through_the_normal_close_path(make_window, monkeypatch):
    w = make_window()
    assert QKeySequence("Ctrl+Q") in w.menus.quit_action.shortcuts()
    asked = []
    monkeypatch.setattr(w.controller.files, "leave_current", lambda: asked.append(1) or False)
    w.menus.quit_action.trigger()
    assert asked and w.isVisible(), "a refused 'leave the document' keeps the window open"
    monkeypatch.undo()
    w.menus.quit_action.trigger()
    assert not w.isVisible()


def test_f11_toggles_full_screen(qtbot, make_window):
    w = make_window()
    assert QKeySequence("F11") in w.menus.full_screen_action.shortcuts()
    w.menus.full_screen_action.trigger()
    qtbot.waitUntil(w.isFullScreen)
    w.menus.full_screen_action.trigger()
    qtbot.waitUntil(lambda: not w.isFullScreen())


def test_shortcuts_sheet_lists_the_keys(qtbot, make_window):
    w = make_window()
    keys = w.menus.shortcuts_action.shortcuts()
    assert QKeySequence("F1") in keys and QKeySequence("?") in keys
    sheet = w.menus.show_shortcuts()
    rows = dict(sheet.rows())
    assert rows["Ctrl+Q"] == "Quit"
    assert rows["Ctrl+Z"].startswith("Undo")
    assert rows["F11"] == "Full screen"
    assert rows["Space"] == "Play or pause"
    assert rows["Ctrl+O"] == "Open"
    sheet.close()


def test_shortcuts_sheet_in_chinese(qtbot, make_window, chinese):
    w = make_window()
    sheet = w.menus.show_shortcuts()
    assert sheet.windowTitle() == "键盘快捷键"
    whats = [what for _, what in sheet.rows()]
    assert "播放或暂停" in whats and "退出" in whats
    sheet.close()


def test_about_names_version_licence_and_the_simulation(make_window):
    from app.ui.dialogs.about import app_version

    w = make_window()
    box = w.menus.show_about()
    text = box.text() + box.informativeText()
    assert app_version() and app_version() in text
    assert "Apache-2.0" in text and "AI-simulated" in text
    box.close()


def test_focus_rings_for_every_focusable_control():
    from app.ui.theme import STYLESHEET

    focused = set(re.findall(r"(\w+):focus", STYLESHEET))
    for widget in ("QPushButton", "QToolButton", "QComboBox", "QSpinBox", "QLineEdit", "QListWidget"):
        assert widget in focused, f"{widget} shows no focus ring"
    assert QApplication.instance() is not None


def test_context_menus_on_the_canvas_and_the_branch_list(qtbot, make_window, small_artwork):
    from PySide6.QtCore import Qt
    from ui_helpers import open_small

    w = make_window()
    for view in (w.canvas, w.compare, w.branches_panel.list):
        assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert w.fit_action in w.canvas.actions() and w.export_action in w.compare.actions()
    open_small(qtbot, w, small_artwork)
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    lst = w.branches_panel.list
    first = w.document.branches[0]
    # a right click selects the branch under it, so the menu's actions act on that branch
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.RightButton, pos=lst.visualItemRect(lst.item(0)).center())
    assert w.document.active_id == first.id
    delete = next(a for a in lst.actions() if a is w.menus.delete_action)
    delete.trigger()
    assert not w.document.has_branch(first.id)
