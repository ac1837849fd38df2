"""What a batch renders: command-line inputs (files, folders, glob patterns, text/CSV lists) -> files.

Arguments are checked at once (a typo in a folder name fails before anything runs); a path inside a
list that does not exist is kept, so it becomes an item the manifest records as failed with a clear
error, like any other bad file. Folders are searched recursively for the artwork types
`load_artwork` reads; hidden files and folders (names starting with '.') are skipped, and so is the
batch's own output folder. A path given twice is one item.
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.core.artwork import SUPPORTED_SUFFIXES
from app.errors import BatchError

LIST_SUFFIXES = frozenset({".txt", ".csv", ".lst"})
_GLOB_CHARS = frozenset("*?[")
_PATH_HEADERS = frozenset({"path", "file", "image", "artwork", "input"})


def expand_inputs(inputs: Sequence[str | Path], exclude: Path | None = None) -> list[Path]:
    """Absolute paths of every artwork named by `inputs`, in the order given (folders and patterns
    sorted). Raises BatchError for an argument that names nothing, and when there is no item at all."""
    found: list[Path] = []
    for raw in inputs:
        found += _expand_one(str(raw), exclude.resolve() if exclude else None)
    items = list(dict.fromkeys(found))
    if not items:
        raise BatchError(
            "There is nothing to render: the inputs name no artwork.",
            "Give image files, folders of images, glob patterns such as 'art/*.png', or a .txt/.csv list.",
        )
    return items


def _expand_one(text: str, exclude: Path | None) -> list[Path]:
    path = Path(text).expanduser()
    if path.is_dir():
        return _folder(path, exclude)
    if path.is_file():
        return _list_file(path) if path.suffix.lower() in LIST_SUFFIXES else [path.resolve()]
    if _GLOB_CHARS & set(text):
        matches = [Path(m) for m in sorted(glob.glob(str(path), recursive=True))]
        files = [m.resolve() for m in matches if m.is_file() and not _inside(m.resolve(), exclude)]
        if not files:
            raise BatchError(f"The pattern '{text}' matches no file.", "Check the pattern and the folder.")
        return files
    raise BatchError(
        f"The input '{text}' does not exist.", "Check the path: give files, folders or patterns."
    )


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and (path == folder or folder in path.parents)


def _folder(folder: Path, exclude: Path | None) -> list[Path]:
    root = folder.resolve()
    out: list[Path] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") for part in relative) or _inside(path, exclude):
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
            out.append(path)
    return out


def _list_file(path: Path) -> list[Path]:
    """One path per line (.txt/.lst; '#' starts a comment) or the first column of a CSV (a header row
    naming a path column is skipped, and that column is used). Relative paths are relative to the list."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"Cannot read the list '{path}' ({exc}).", "Give a UTF-8 text or CSV file.") from exc
    entries = _csv_entries(text) if path.suffix.lower() == ".csv" else _text_entries(text)
    base = path.resolve().parent
    return [(base / Path(e).expanduser()).resolve() for e in entries]


def _text_entries(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def _csv_entries(text: str) -> list[str]:
    rows = [row for row in csv.reader(text.splitlines()) if row and any(cell.strip() for cell in row)]
    column = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        named = [i for i, cell in enumerate(header) if cell in _PATH_HEADERS]
        if named:
            column, rows = named[0], rows[1:]
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]
