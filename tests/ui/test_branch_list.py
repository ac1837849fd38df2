"""The branch list says what makes each branch differ, and nothing about it is a warning (issue 10,
item 18): engine, seed, fork and the settings that are not the defaults, with the full text in the
tooltip; names in the UI language; "compare needs two branches" is a hint in the status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import open_small


def _item_texts(w) -> list[str]:
    lst = w.branches_panel.list
    return [lst.item(i).text() for i in range(lst.count())]


def test_items_show_engine_seed_and_changed_settings(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    panel = w.branches_panel
    panel.seed.setValue(7)
    density = next(e for name, (_s, e) in panel.settings._editors.items() if name == "sketch_density")
    density.setValue(0.9)
    qtbot.mouseClick(panel.create_button, Qt.MouseButton.LeftButton)
    first, second = _item_texts(w)
    assert "Procedural" in first and "seed 0" in first
    assert "Sketch density" not in first, "a default setting is not a difference"
    assert "seed 7" in second and "Sketch density: 0.9" in second
    assert "Stage timing" not in second
    item = panel.list.item(1)
    assert item.toolTip() == item.text()
    assert panel.list.textElideMode() == Qt.TextElideMode.ElideNone, "no branch text is cut"


def test_long_branch_text_wraps_instead_of_being_cut(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    doc = w.document
    doc.rename_branch(
        doc.active_id, "A very long branch name that cannot fit in one line of the panel at all"
    )
    lst = w.branches_panel.list
    item = lst.item(0)
    rect = lst.visualItemRect(item)
    needed = lst.fontMetrics().boundingRect(
        0, 0, rect.width() - 16, 10_000, Qt.TextFlag.TextWordWrap, item.text()
    )
    assert rect.height() >= needed.height(), "the item is shorter than its wrapped text"


def test_branch_names_follow_the_ui_language(qtbot, make_window, small_artwork, chinese):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    names = [b.name for b in w.document.branches]
    assert names[0] == "种子 0"
    assert names[1] == f"种子 {w.document.branches[1].spec.seed}"
    assert "种子 0" in _item_texts(w)[0] and "程序化" in _item_texts(w)[0]


def test_compare_with_one_branch_is_a_hint_not_a_warning(qtbot, make_window, small_artwork):
    w = make_window()
    w.controller.modal_errors = True  # a warning box would open if it were one
    open_small(qtbot, w, small_artwork)
    w.compare_action.trigger()
    assert w.controller.error_box is None
    assert w.status.error_label.text() == ""
    assert "second branch" in w.status.message.text()
    assert not w.compare_action.isChecked()


def test_a_fork_says_where_it_forks_not_its_stored_origin(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=400)
    qtbot.mouseClick(w.branches_panel.fork_button, Qt.MouseButton.LeftButton)
    fork_text = _item_texts(w)[1]
    assert "fork @400" in fork_text
    assert "fork_of" not in fork_text and "fork_step" not in fork_text
    assert all(len(line) < 40 for line in fork_text.splitlines()), "one short fact per line"
