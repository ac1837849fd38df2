"""Small helpers for driving the real window in tests."""

from __future__ import annotations

import numpy as np

from app.ui.image_convert import qimage_to_array


def canvas_pixels(window) -> np.ndarray:
    return qimage_to_array(window.canvas.grab().toImage())


def wait_exact(qtbot, window, timeout: int = 30000) -> None:
    qtbot.waitUntil(window.viewer.all_exact, timeout=timeout)


def finish(qtbot, task, timeout: int = 30000):
    """Wait for a UI flow's task (what an `@qasync.asyncSlot` method returns) and return its result."""
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def open_artwork(qtbot, window, path, step: int | None = None) -> bool:
    """Open an artwork through the window (read on the worker) and wait until the open has ended."""
    return finish(qtbot, window.controller.files.open_artwork(path, step))


def open_project(qtbot, window, path) -> bool:
    return finish(qtbot, window.controller.files.open_project(path))


def open_small(qtbot, window, path, step: int | None = None) -> None:
    assert open_artwork(qtbot, window, path, step)
    wait_exact(qtbot, window)


def played_project(qtbot, make_window, artwork, path, steps) -> tuple[object, set[int]]:
    """Open `artwork`, let the frames around `steps` be made, save as `path` and close the window.
    Returns (path, the steps the branch had frames for)."""
    w = make_window()
    open_small(qtbot, w, artwork, step=999)
    doc, bid = w.document, w.document.active_id
    for s in steps:
        doc.request(bid, s, -1)
        qtbot.waitUntil(lambda s=s: doc.has_frame(bid, s) and not doc.is_busy(), timeout=30000)
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    made = set(doc.available(bid))
    w.close()
    return path, made
