"""Where the project's own files live. Resolved from this file, so it works from a checkout or an
editable install without depending on the current directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PROJECT_ROOT / "resources"
SAMPLES_DIR = RESOURCES_DIR / "samples"
TRANSLATIONS_DIR = RESOURCES_DIR / "translations"
ICONS_DIR = RESOURCES_DIR / "icons"


def default_models_dir() -> Path:
    """`UNDO_STUDIO_MODELS` wins; otherwise `models/` in the project root (design §5)."""
    env = os.environ.get("UNDO_STUDIO_MODELS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "models"


ENV_CACHE = "UNDO_STUDIO_CACHE"


def user_cache_dir() -> Path:
    """The app's one cache folder (compiled translations, device calibrations): `UNDO_STUDIO_CACHE` wins,
    otherwise the platform's user cache folder (platformdirs: the UI and the Qt-free engines share it)."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("undo-studio", appauthor=False))


def sample_artworks() -> list[Path]:
    """The bundled sample artworks, sorted by name."""
    if not SAMPLES_DIR.is_dir():
        return []
    return sorted(p for p in SAMPLES_DIR.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp"})
