"""Where the project's own files live. Resolved from this file, so it works from a checkout or an
editable install without depending on the current directory."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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


def cached_entry(file_name: str, key: str) -> Any:
    """Entry `key` of the JSON file `file_name` in the user cache folder (the device calibrations keep
    theirs there), or None when there is none yet or the file is damaged: the caller measures again."""
    try:
        data = json.loads((user_cache_dir() / file_name).read_text(encoding="utf-8"))
        return data.get(key) if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def remember_entry(file_name: str, key: str, value: Any) -> None:
    """Set entry `key` of the JSON file `file_name` in the user cache folder, written whole and
    atomically (a temporary file renamed over it); a cache that cannot be written is no error."""
    path = user_cache_dir() / file_name
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        log.debug("cannot write the cache file %s", path, exc_info=True)
