"""Smaller pieces: numpy -> Qt conversion (high-DPI), drag and drop, the settings form, the language."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from ui_helpers import open_artwork, wait_exact

from app.inference.engine import SettingSpec
from app.ui.branches.settings_form import SettingsForm
from app.ui.image_convert import qimage_to_array, to_qimage, to_qpixmap


def test_to_qimage_round_trips_pixels_and_sets_device_pixel_ratio(qapp):
    px = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)  # odd width: stride padding
    image = to_qimage(px, device_pixel_ratio=2.0)
    assert (image.width(), image.height()) == (53, 37)
    assert image.devicePixelRatio() == 2.0
    assert np.array_equal(qimage_to_array(image), px)
    pixmap = to_qpixmap(px, 2.0)
    assert pixmap.deviceIndependentSize().width() == 26.5  # 100 % zoom = one image pixel per device pixel


def test_dropping_an_image_on_the_window_opens_it(qtbot, make_window, small_artwork):
    w = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_artwork))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(w, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(w, drop)
    qtbot.waitUntil(lambda: w.document.artwork is not None, timeout=30000)  # read on the worker
    assert w.document.artwork.source == small_artwork
    wait_exact(qtbot, w)


def test_settings_form_is_built_from_setting_specs(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(
        [
            SettingSpec("strength", "Strength", "float", 0.5, 0.0, 1.0),
            SettingSpec("order", "Order", "choice", "auto", choices=("auto", "subject first")),
            SettingSpec("steps", "Steps", "steps", (400, 600)),
            SettingSpec("fast", "Fast", "bool", False),
            SettingSpec("count", "Count", "int", 3, 1, 9),
        ]
    )
    assert form.values() == {}  # only changed settings end up in the branch spec
    editors = {name: editor for name, (_spec, editor) in form._editors.items()}
    editors["order"].setCurrentText("subject first")
    editors["steps"].setText("300, 700")
    editors["count"].setValue(5)
    assert form.values() == {"order": "subject first", "steps": (300, 700), "count": 5}


def test_unreadable_artwork_shows_error_and_stays_on_start_page(qtbot, make_window, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    w = make_window()
    assert not open_artwork(qtbot, w, bad)
    assert "broken.png" in w.status.error_label.text()
    assert w.pages.currentWidget() is w.start_page


def test_zoomed_out_canvas_blits_the_frame_resized_to_the_size_shown_and_100_percent_is_exact(qtbot):
    from app.ui.canvas.view import CanvasView
    from app.ui.image_convert import resized

    px = np.random.default_rng(1).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    canvas = CanvasView()
    qtbot.addWidget(canvas)
    canvas.resize(260, 220)
    canvas.show()
    canvas.set_pixels(px, step=5)

    def shown() -> np.ndarray:
        rect = canvas.image_rect()
        grab = qimage_to_array(canvas.grab().toImage())
        x, y = round(rect.left()), round(rect.top())
        return grab[y : y + round(rect.height()), x : x + round(rect.width())], rect

    with qtbot.waitSignal(canvas.painted):
        canvas.update()
    got, rect = shown()
    assert canvas.zoom < 1.0
    assert np.array_equal(got, resized(px, (round(rect.width()), round(rect.height()))))
    canvas.resize(500, 400)
    canvas.actual_size()
    with qtbot.waitSignal(canvas.painted):
        canvas.update()
    got, _ = shown()
    assert np.array_equal(got, px)


def test_display_resize_averages_areas_below_half_size():
    """Far zoomed out (four compare panes), a frame is area-averaged, not sampled: a 1-pixel checkerboard
    turns a flat grey, and a photo stays within a few levels of OpenCV's INTER_AREA (which took 10-20 ms
    per 1024² frame at fractional factors: issue 10 item 11)."""
    import cv2

    from app.ui.image_convert import resized

    board = (np.indices((1024, 1024)).sum(axis=0) % 2 * 255).astype(np.uint8)
    board = np.repeat(board[..., None], 3, axis=2)
    grey = resized(board, (310, 290))
    assert grey.shape == (290, 310, 3) and abs(float(grey.mean()) - 127.5) < 2 and float(grey.std()) < 2
    rng = np.random.default_rng(3)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (1000, 1100, 3), dtype=np.uint8), (0, 0), 3)
    for size in ((330, 300), (512, 466), (90, 80), (700, 640)):
        out = resized(photo, size)
        area = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        assert out.shape == area.shape and np.abs(out.astype(int) - area).mean() < 2.0, size


def test_the_status_bar_keeps_a_flows_line_over_engine_progress(qtbot):
    """An open says "Opening x.png…" until it ends, even when a neighbour's render queued before it
    reports progress or the queue empties (CI saw "Rendered step 983" replace it)."""
    from app.ui.status_bar import StatusBar

    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_task("Opening other.png…")
    bar.set_progress(1.0, "Rendered step 983")
    bar.set_queue(0)
    assert bar.message.text() == "Opening other.png…"
    bar.set_task("")
    bar.set_progress(1.0, "Rendered step 982")
    assert bar.message.text() == "Rendered step 982"


def test_a_long_placeholder_wraps_inside_the_canvas(qtbot):
    """A branch's failure (which model files are missing, and where) is wider than the view: it wraps
    inside a margin instead of running past both edges."""
    from app.ui.canvas.view import PLACEHOLDER_MARGIN, CanvasView

    canvas = CanvasView()
    qtbot.addWidget(canvas)
    canvas.resize(320, 240)
    canvas.placeholder = "This branch could not be generated:\n" + " ".join(
        ["missing/model/file.safetensors"] * 12
    )
    pixels = qimage_to_array(canvas.grab().toImage())
    text = np.any(np.abs(pixels[..., :3].astype(int) - pixels[0, 0, :3].astype(int)) > 40, axis=2)
    columns = np.flatnonzero(text.any(axis=0))
    scale = pixels.shape[1] / 320
    assert columns.size and columns[0] >= (PLACEHOLDER_MARGIN - 2) * scale
    assert columns[-1] <= pixels.shape[1] - (PLACEHOLDER_MARGIN - 2) * scale
