"""Small helpers for driving the real window in tests."""

from __future__ import annotations

import numpy as np

from app.ui.image_convert import qimage_to_array


def canvas_pixels(window) -> np.ndarray:
    return qimage_to_array(window.canvas.grab().toImage())


def wait_exact(qtbot, window, timeout: int = 30000) -> None:
    qtbot.waitUntil(window.viewer.all_exact, timeout=timeout)


def open_small(qtbot, window, path, step: int | None = None) -> None:
    assert window.controller.open_artwork(path, step)
    wait_exact(qtbot, window)
