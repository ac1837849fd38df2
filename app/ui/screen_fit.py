"""The window stays on its screen: at 2x scale a 1600x1000 screen is only 800x500 logical pixels.

Qt grows a top-level window whenever a layout's minimum momentarily exceeds its size (opening a
three-pane compare did, to 843 logical pixels on an 800-pixel screen, cutting off the branch panel) and
never shrinks it back, so the window shrinks itself back once the layout has settled."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def fit_to_screen(window: QWidget) -> None:
    """Shrink the window to its screen's free area (never below its minimum) and move it onto it."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None or window.isFullScreen() or window.isMaximized():
        return
    free = screen.availableGeometry()
    width, height = min(window.width(), free.width()), min(window.height(), free.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    if not free.contains(window.geometry()):
        window.move(free.topLeft())


def outgrows_screen(window: QWidget) -> bool:
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None or window.isFullScreen() or window.isMaximized():
        return False
    free = screen.availableGeometry()
    return window.width() > free.width() or window.height() > free.height()
