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


def test_the_label_says_what_each_compare_pane_shows(qtbot, make_window, small_artwork):
    """Issue 10.2: "Step 0 · preview" over a half-painted frame. A preview shows the nearest frames'
    pixels: the badge names their steps, and those are the steps each pane's picture is of."""
    import numpy as np

    from app.core.frames import FrameKind

    w, ids = _three_branches(qtbot, make_window, small_artwork)
    w.controller.compare_export.compare_branches(ids[:2])
    qtbot.waitUntil(w.viewer.all_exact, timeout=30000)  # both panes have their frames around step 500
    doc = w.document
    step = next(s for s in range(0, 1000) if not any(doc.has_frame(i, s) for i in ids[:2]))
    w.timeline.slider.setValue(step)  # painted at once: a render's result comes back through the loop
    assert w.viewer.shown_kinds == [FrameKind.PREVIEW, FrameKind.PREVIEW]
    label = w.timeline.kind_label.full_text()  # a narrow badge shows "preview", its tooltip all
    for bid, pane in zip(ids[:2], w.compare.panes, strict=True):
        shown = doc.best_frame(bid, step)
        assert shown is not None and shown.shows, "a preview says which steps it shows"
        assert all(str(s) in label for s in shown.shows), (label, shown.shows)
        assert np.array_equal(pane.canvas._pixels, shown.pixels)
        if len(shown.shows) == 1:  # the nearest frame itself: the picture is that step's frame
            assert np.array_equal(pane.canvas._pixels, doc.best_frame(bid, shown.shows[0]).pixels)
    wait = w.viewer.all_exact
    qtbot.waitUntil(wait, timeout=30000)
    assert w.timeline.kind_label.text() in ("exact", "interpolated")
