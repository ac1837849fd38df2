"""Icons drawn for this project as SVG (resources/icons), loaded once and cached."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from app.paths import ICONS_DIR


@cache
def icon(name: str) -> QIcon:
    path = ICONS_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
