"""The timeline row's labels are never cut: at a 2x scale on a small window the step label read "Step 9"
(its minimum was measured for "Step 999" before the style sheet made it bold, and the full line "Step 500
· 49.9 % painted" was squeezed to it). A label too narrow for its full line shows a short form that
still carries the number ("Step 500", then "500"); its minimum width fits the widest short form it can
show, in either language.
Sizes are logical pixels, which is what a scale factor multiplies, so the window's minimum size here is
the one a 2x screen gets."""

from __future__ import annotations

import math

import pytest
from PySide6.QtGui import QFontMetricsF
from ui_helpers import open_small

from app.core.frames import MAX_STEP, MIN_STEP, FrameKind

STEPS = (999, 888, 500, 111, 0)


def _room(label) -> int:
    """The width QLabel draws its text in: its contents less the indent, which for a negative indent (the
    default) is half an "x" when the label has a frame (a style-sheet padding makes one)."""
    indent = label.indent()
    if indent < 0:
        indent = label.fontMetrics().horizontalAdvance("x") // 2 if label.frameWidth() > 0 else 0
    return label.contentsRect().width() - indent - 2 * label.margin()


def _uncut(label) -> None:
    room = _room(label)
    need = math.ceil(QFontMetricsF(label.fontMetrics()).horizontalAdvance(label.text()))
    assert room >= need, f"{label.objectName()} is cut: {label.text()!r} needs {need}, has {room}"


def _widest(label, texts: list[str]) -> int:
    metrics = QFontMetricsF(label.fontMetrics())
    return math.ceil(max(metrics.horizontalAdvance(text) for text in texts))


def _at_minimum(qtbot, w) -> None:
    minimum = w.minimumSizeHint().expandedTo(w.minimumSize())
    w.resize(minimum)
    qtbot.waitUntil(lambda: w.size() == minimum, timeout=2000)
    qtbot.wait(20)  # let the timeline's row take the new width in


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_step_and_kind_labels_are_not_cut_at_the_windows_minimum_size(
    qtbot, make_window, small_artwork, themed, language, request
):
    if language == "zh_CN":
        request.getfixturevalue("chinese")
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    _at_minimum(qtbot, w)
    t = w.timeline
    step_label, kind_label = t.step_label, t.kind_label
    for step in STEPS:
        t.show_step(step)
        qtbot.wait(10)
        _uncut(step_label)
        assert str(step) in step_label.text()
        assert step_label.toolTip() == step_label.full_text() and "%" in step_label.full_text()
    for kind in (*FrameKind, None):
        t.show_kind(kind)
        qtbot.wait(10)
        _uncut(kind_label)
        assert kind_label.text() == t.kind_text(kind)
    t.show_kind(FrameKind.PREVIEW, [480, 481, 482, 483, 484])
    qtbot.wait(10)
    _uncut(kind_label)
    assert kind_label.toolTip() == kind_label.full_text() and "480" in kind_label.full_text()
    # the minimum fits the widest short form either label can show, whatever is shown now
    steps = range(MIN_STEP, MAX_STEP + 1)
    assert _room(step_label) >= _widest(step_label, [str(s) for s in steps])
    kinds = [t.kind_text(k) for k in (*FrameKind, None)]
    assert _room(kind_label) >= _widest(kind_label, kinds)
    # nothing on the row is pushed out of the timeline
    assert t.loop.geometry().right() < t.width()
    assert t.speed.geometry().right() < t.loop.geometry().left()


def test_a_wide_timeline_shows_the_full_step_line_and_a_narrow_one_the_step(qtbot, themed):
    """The offscreen screen is too small for a window with room to spare, so the timeline is alone here."""
    from app.ui.timeline.view import TimelineView

    t = TimelineView()
    qtbot.addWidget(t)
    t.resize(900, 130)
    t.show()
    t.show_step(500)
    qtbot.wait(20)
    label = t.step_label
    assert label.text() == "Step 500 · 49.9 % painted"
    _uncut(label)
    t.show_step(0)
    qtbot.wait(20)
    assert label.text() == "Step 0 · 100.0 % painted"
    _uncut(label)
    t.resize(t.minimumSizeHint().width(), 130)
    qtbot.wait(20)
    assert label.text() == "0" and label.toolTip() == "Step 0 · 100.0 % painted"
    _uncut(label)
