"""The export dialog's remembered choices (QSettings group `export/`) and its default file names.

Stored values come back from an INI file or the registry as strings, may be from an older version, or
may have been edited by hand: each is parsed and checked against what the dialog offers, and anything
out of range falls back to the default for that one value (never an error, never a crash).

Default names: `{artwork}-{branch}-process.mp4` for one branch, `{artwork}-{a}-vs-{b}-comparison.mp4`
for a comparison, and `-2`, `-3`… added when that name is taken, so exporting another branch (or the
same one again) never overwrites an earlier export.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSettings

from app.core.export import LENGTH_SECONDS, MAX_FPS
from app.ui.preferences import Preferences

GROUP = "export"
FORMAT_KEYS = ("mp4", "webm", "gif", "webp", "png")
SIZE_VALUES = (None, 1024, 720, 512)
MAX_HOLD_LAST_S = 10.0  # the dialog's range
MAX_NAME = 80  # characters of branch names in a default file name
T = TypeVar("T")


@dataclass(frozen=True)
class ExportChoices:
    format: str = "mp4"
    fps: int = 30
    length: str = "30s"
    size: int | None = None
    hold_last_s: float = 1.0
    final_first: bool = False
    label: bool = True
    folder: Path | None = None  # None: default_folder()


def default_folder() -> Path:
    """Where an export goes when the dialog remembers no folder: the one chosen in Preferences, else
    ~/Videos, else the home folder."""
    preferred = Preferences.load().export_dir
    if preferred is not None:
        return preferred  # the export makes it if it does not exist yet
    videos = Path.home() / "Videos"
    return videos if videos.is_dir() else Path.home()


def load_choices() -> ExportChoices:
    """The last export's choices, each checked (see the module docstring)."""
    s = QSettings()
    d = ExportChoices()

    def get(key: str, parse: Callable[[object], T], default: T) -> T:
        raw = s.value(f"{GROUP}/{key}")
        if raw is None:
            return default
        try:
            return parse(raw)
        except (TypeError, ValueError):
            return default

    return ExportChoices(
        format=get("format", lambda v: _one_of(str(v), FORMAT_KEYS), d.format),
        fps=get("fps", lambda v: _int_in(v, 1, MAX_FPS), d.fps),
        length=get("length", lambda v: _one_of(str(v), ("full", *LENGTH_SECONDS)), d.length),
        size=get("size", _size, d.size),
        hold_last_s=get("hold_last_s", _hold, d.hold_last_s),
        final_first=get("final_first", _bool, d.final_first),
        label=get("label", _bool, d.label),
        folder=get("folder", _folder, d.folder),
    )


def save_choices(choices: ExportChoices) -> None:
    s = QSettings()
    s.setValue(f"{GROUP}/format", choices.format)
    s.setValue(f"{GROUP}/fps", choices.fps)
    s.setValue(f"{GROUP}/length", choices.length)
    s.setValue(f"{GROUP}/size", choices.size or 0)
    s.setValue(f"{GROUP}/hold_last_s", choices.hold_last_s)
    s.setValue(f"{GROUP}/final_first", choices.final_first)
    s.setValue(f"{GROUP}/label", choices.label)
    if choices.folder is not None:
        s.setValue(f"{GROUP}/folder", str(choices.folder))


def _one_of(value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(value)
    return value


def _int_in(value: object, low: int, high: int) -> int:
    number = float(str(value))
    if not number.is_integer() or not low <= number <= high:
        raise ValueError(value)
    return int(number)


def _size(value: object) -> int | None:
    size = _int_in(value, 0, max(v for v in SIZE_VALUES if v is not None)) or None
    if size not in SIZE_VALUES:
        raise ValueError(value)
    return size


def _hold(value: object) -> float:
    seconds = float(str(value))
    if not math.isfinite(seconds) or not 0.0 <= seconds <= MAX_HOLD_LAST_S:
        raise ValueError(value)
    return seconds


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(value)


def _folder(value: object) -> Path | None:
    folder = Path(str(value)).expanduser()
    return folder if str(value) and folder.is_dir() else None  # a removed folder: the default again


def name_part(text: str) -> str:
    """`text` as part of a file name: letters (any script) and digits kept, the rest one `-`."""
    return re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")[:MAX_NAME] or "branch"


def default_base_name(artwork_stem: str, branch_names: Sequence[str]) -> str:
    """`house-Seed-7-process` for one branch, `house-Seed-0-vs-Seed-7-comparison` for several."""
    stem = name_part(artwork_stem) if artwork_stem else "process"
    if len(branch_names) == 1:
        return f"{stem}-{name_part(branch_names[0])}-process"
    names = "-vs-".join(name_part(n) for n in branch_names)[:MAX_NAME]
    return f"{stem}-{names}-comparison"


def unique_path(folder: Path, base_name: str, fmt: str) -> Path:
    """`folder/base_name.fmt` (a folder without suffix for a PNG sequence), with `-2`, `-3`… added
    while that name is taken by a file or folder."""
    suffix = "" if fmt == "png" else f".{fmt}"
    candidate = folder / f"{base_name}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{base_name}-{n}{suffix}"
        n += 1
    return candidate
