"""The window stays on its screen: at 2x scale a 1600x1000 screen is only 800x500 logical pixels.

Qt grows a top-level window whenever a layout's minimum momentarily exceeds its size (opening a
three-pane compare did, to 843 logical pixels on an 800-pixel screen, cutting off the branch panel) and
never shrinks it back, so the window shrinks itself back once the layout has settled."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def _fitted(window: QWidget) -> tuple[QSize, QPoint] | None:
    """The size and frame position the window should have on its screen, or None when it has them
    already (or is full screen / maximised). Never below the window's minimum: a window whose minimum
    is wider than the screen keeps it. Placement is judged on the frame (what `move` positions), so a
    window that fits is left alone: re-fitting on every layout pass was a ping-pong of resizes and
    moves that cost the UI thread tens of milliseconds per event-loop turn on a small screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None or window.isFullScreen() or window.isMaximized():
        return None
    free = screen.availableGeometry()
    minimum = window.minimumSize().expandedTo(window.minimumSizeHint())
    size = QSize(
        max(min(window.width(), free.width()), minimum.width()),
        max(min(window.height(), free.height()), minimum.height()),
    )
    frame = window.frameGeometry()
    frame.setSize(frame.size() + size - window.size())
    place = frame.topLeft() if free.contains(frame) else free.topLeft()
    return None if (size, place) == (window.size(), window.frameGeometry().topLeft()) else (size, place)


def fit_to_screen(window: QWidget) -> None:
    """Shrink the window to its screen's free area (never below its minimum) and move it onto it."""
    target = _fitted(window)
    if target is None:
        return
    size, place = target
    if size != window.size():
        window.resize(size)
    if place != window.frameGeometry().topLeft():
        window.move(place)


def outgrows_screen(window: QWidget) -> bool:
    """True when `fit_to_screen` would change something."""
    return _fitted(window) is not None
