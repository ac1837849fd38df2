"""The project file's neighbours in the UI: recent projects (QSettings), opening a file for the worker
with any failure worded as a `ProjectError`, and the free space a full-disk retry waits for."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from app.core.project import Project
from app.errors import ProjectError, ProjectReadOnlyError, UndoStudioError

RECENT_KEY = "recent/projects"
MAX_RECENT = 8


def recent_projects() -> list[Path]:
    items: Any = QSettings().value(RECENT_KEY, []) or []
    if isinstance(items, str):
        items = [items]
    return [Path(p) for p in items if Path(p).is_file()]


def remember_recent(path: Path) -> None:
    items = [str(path)] + [str(p) for p in recent_projects() if p != path]
    QSettings().setValue(RECENT_KEY, items[:MAX_RECENT])


def open_project_file(path: Path) -> Project:
    """`Project.open` for an open on the worker: any failure is a `ProjectError` naming the file (a broken
    file must never crash the app, and the runner would word an unknown error as an engine failure).
    A project that cannot be opened for writing (open in another instance, a read-only location) is
    opened read-only, with the reason in `read_only_reason` for the notice."""
    try:
        try:
            return Project.open(Path(path))
        except ProjectReadOnlyError as reason:
            project = Project.open(Path(path), read_only=True)
            project.read_only_reason = reason
            return project
    except UndoStudioError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ProjectError(f"'{Path(path).name}' could not be opened ({exc}).", "") from exc


def free_bytes(folder: Path) -> int:
    """Free space where the project is (a large number when it cannot be told: then the write says)."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62
