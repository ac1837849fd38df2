"""Preferences: the user's choices that outlive a session (QSettings), read and applied in one place.

- models folder: where engines look for weights. It sets `UNDO_STUDIO_MODELS`, the variable the CLI and
  the engines already honour (`app/paths.py`), at start-up, unless the environment sets it itself; so it
  applies at the next start, when the engines are made.
- memory cache budget: applied at once to the open document's frame store (a smaller one evicts).
- language: the saved language (`app/ui/i18n.py`); it applies at the next start.
- default export folder: where the export dialog proposes to write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from app.core.tiered_store import DEFAULT_MEMORY_BUDGET
from app.ui.i18n import SETTINGS_KEY as LANGUAGE_KEY
from app.ui.i18n import choose_language, current_language, save_language

MODELS_ENV = "UNDO_STUDIO_MODELS"
MODELS_KEY = "paths/models"
EXPORT_KEY = "paths/export"
CACHE_KEY = "memory/cache_mb"
MIB = 1024 * 1024
CACHE_MB_RANGE = (256, 65536)
DEFAULT_CACHE_MB = DEFAULT_MEMORY_BUDGET // MIB


def _path(value: object) -> Path | None:
    text = str(value or "").strip()
    return Path(text).expanduser() if text else None


@dataclass(frozen=True)
class Preferences:
    models_dir: Path | None = None  # None: the built-in default (./models or $UNDO_STUDIO_MODELS)
    cache_mb: int = DEFAULT_CACHE_MB
    language: str = "en"
    export_dir: Path | None = None  # None: ~/Videos

    @staticmethod
    def load() -> Preferences:
        """The saved preferences; a damaged value falls back to its default."""
        s = QSettings()
        try:
            cache = int(str(s.value(CACHE_KEY, DEFAULT_CACHE_MB)))
        except ValueError:
            cache = DEFAULT_CACHE_MB
        lo, hi = CACHE_MB_RANGE
        return Preferences(
            models_dir=_path(s.value(MODELS_KEY, "")),
            cache_mb=min(max(cache, lo), hi),
            # the saved choice, else the language this run shows (what the toolbar's chooser says)
            language=choose_language(str(s.value(LANGUAGE_KEY, "") or "") or current_language()),
            export_dir=_path(s.value(EXPORT_KEY, "")),
        )

    def save(self) -> None:
        s = QSettings()
        s.setValue(MODELS_KEY, str(self.models_dir) if self.models_dir else "")
        s.setValue(CACHE_KEY, int(self.cache_mb))
        s.setValue(EXPORT_KEY, str(self.export_dir) if self.export_dir else "")
        save_language(self.language)

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb) * MIB


def apply_models_dir(prefs: Preferences) -> None:
    """Point the engines at the preferred models folder (before they are made); the environment wins."""
    if prefs.models_dir is not None and not os.environ.get(MODELS_ENV):
        os.environ[MODELS_ENV] = str(prefs.models_dir)
