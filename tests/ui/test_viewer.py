"""The core flow on the real window: open a sample from the start page, scrub, play/stop, shortcuts."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton
from ui_helpers import canvas_pixels, open_small, wait_exact

from app.core.frames import FrameKind


def test_start_page_lists_samples_and_opens_one(qtbot, make_window):
    w = make_window()
    assert w.pages.currentWidget() is w.start_page
    buttons = [b for b in w.start_page.findChildren(QToolButton) if b.property("samplePath")]
    assert buttons, "the bundled samples should be clickable thumbnails"
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)  # read on the worker, then shown
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.viewer_page, timeout=30000)
    wait_exact(qtbot, w, 60000)
    assert (
        w.document.artwork is not None
        and w.document.artwork.source.name == buttons[0].property("samplePath").split("/")[-1]
    )
    assert w.canvas.has_image()


def test_dragging_the_slider_changes_the_canvas(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    before = canvas_pixels(w)
    w.timeline.slider.setValue(100)  # what a drag does: valueChanged with the new step
    assert w.playback.step == 100
    wait_exact(qtbot, w)
    after = canvas_pixels(w)
    h, wd = min(before.shape[0], after.shape[0]), min(before.shape[1], after.shape[1])  # a layout may settle
    assert np.abs(after[:h, :wd].astype(int) - before[:h, :wd].astype(int)).sum() > 0
    assert "100" in w.timeline.step_label.text()
    assert w.timeline.kind_label.property("kind") == FrameKind.EXACT.value


def test_uncached_step_shows_a_preview_at_once(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=600)
    w.worker.runner.cancel_where(lambda r: True)
    w.timeline.slider.setValue(300)  # far from anything rendered: a blend/nearest frame first
    assert w.viewer.shown_kinds[0] in (FrameKind.PREVIEW, FrameKind.EXACT)
    assert w.canvas.has_image()
    wait_exact(qtbot, w)


def test_play_then_stop(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    w.timeline.speed.setCurrentIndex(w.timeline.speed.count() - 1)  # 8x
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.playback.playing
    qtbot.waitUntil(lambda: w.playback.step < 950, timeout=10000)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert not w.playback.playing
    stopped = w.playback.step
    qtbot.wait(200)
    assert w.playback.step == stopped


def test_keyboard_stepping_and_keyframe_jumps(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    assert w.playback.step == 499  # forward in painting order
    qtbot.keyClick(w, Qt.Key.Key_Left)
    assert w.playback.step == 500
    qtbot.keyClick(w, Qt.Key.Key_End)
    assert w.playback.step == 0
    qtbot.keyClick(w, Qt.Key.Key_Home)
    assert w.playback.step == 999
    keys = w.playback.model.keyframes
    qtbot.keyClick(w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    expected = max((k for k in keys if k < 999), default=0)
    assert w.playback.step == expected


def test_zoom_fit_and_actual_size(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.zoom_action.trigger()
    assert w.canvas.zoom == 1.0
    w.fit_action.trigger()
    assert w.canvas.zoom != 1.0 or w.canvas.width() < 200


def test_track_shows_keyframes_stage_bands_change_curve_and_frame_kinds(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=420)
    session = w.document.session(w.document.active_id)
    track = w.timeline.track
    qtbot.waitUntil(lambda: len(track.available.data) > 0, timeout=5000)
    xs = sorted(int(x) for x in track.keyframes.getData()[0])
    assert xs and set(session.keyframe_steps) <= set(xs) | {0, 999}
    assert len(track._bands) == len(session.stage_bands)
    curve_x = track.curve.getData()[0]
    expected = 0 if session.change_curve is None else len(session.change_curve)
    assert (0 if curve_x is None else len(curve_x)) == expected
    shown_steps = {int(x) for x in track.available.getData()[0]}
    assert 420 in shown_steps
    assert track.playhead.value() == 420


def test_compare_four_branches_in_a_grid(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    for _ in range(3):
        w.document.duplicate_branch(w.document.branches[0].id)
    w.controller.compare_export.compare_branches([b.id for b in w.document.branches])
    assert len(w.compare.panes) == 4
    positions = {w.compare.grid.getItemPosition(w.compare.grid.indexOf(p))[:2] for p in w.compare.panes}
    assert positions == {(0, 0), (0, 1), (1, 0), (1, 1)}
    wait_exact(qtbot, w)
    w.compare.mode.setCurrentIndex(w.compare.mode.findData("onion"))
    assert w.compare.panes[0].canvas.overlay_mode == "onion" and not w.compare.panes[1].isVisible()
