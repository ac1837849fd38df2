"""The compare view follows the branch list's ticks, and a pane's title is always its own mode's
(issue 10, item 5)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import open_small


def _tick(window, branch_id: str, on: bool) -> None:
    lst = window.branches_panel.list
    for i in range(lst.count()):
        item = lst.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == branch_id:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            return
    raise AssertionError(f"{branch_id} is not listed")


def _three_branches(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    for _ in range(2):
        w.document.duplicate_branch(w.document.branches[0].id)
    return w, [b.id for b in w.document.branches]


def test_ticking_and_unticking_a_branch_updates_the_open_compare_view(qtbot, make_window, small_artwork):
    w, ids = _three_branches(qtbot, make_window, small_artwork)
    w.controller.compare_export.compare_branches(ids[:2])
    assert len(w.compare.panes) == 2
    _tick(w, ids[2], True)
    assert w.viewer.compare_ids == ids and len(w.compare.panes) == 3
    _tick(w, ids[0], False)
    assert w.viewer.compare_ids == ids[1:] and len(w.compare.panes) == 2
    assert [p.label.text() for p in w.compare.panes] == [w.document.branch(i).name for i in ids[1:]]
    _tick(w, ids[1], False)
    assert not w.viewer.comparing and not w.compare_action.isChecked()
    assert w.canvas_stack.currentWidget() is w.canvas


def test_ticks_do_not_open_a_compare_view(qtbot, make_window, small_artwork):
    w, ids = _three_branches(qtbot, make_window, small_artwork)
    _tick(w, ids[0], True)
    _tick(w, ids[1], True)
    assert not w.viewer.comparing, "ticking chooses what Compare shows; the Compare button opens it"


def test_a_pane_title_never_keeps_another_modes_text(qtbot, make_window, small_artwork):
    w, ids = _three_branches(qtbot, make_window, small_artwork)
    w.controller.compare_export.compare_branches(ids[:2])
    names = [w.document.branch(i).name for i in ids[:2]]
    mode = w.compare.mode
    mode.setCurrentIndex(mode.findData("onion"))
    assert w.compare.panes[0].label.text() == f"{names[0]} + {names[1]}"
    mode.setCurrentIndex(mode.findData("side"))
    assert [p.label.text() for p in w.compare.panes] == names
    mode.setCurrentIndex(mode.findData("wipe"))
    mode.setCurrentIndex(mode.findData("side"))
    assert [p.label.text() for p in w.compare.panes] == names
