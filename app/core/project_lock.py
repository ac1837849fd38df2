"""One writer per project file: an OS advisory lock (`flock`) on a lock file beside the project.

Why a lock file and `flock`:
- SQLite's own locks last one transaction: two app instances would both autosave and the last writer
  would win on the branch list. The app needs "this file is being edited" for as long as it is open.
- `PRAGMA locking_mode = EXCLUSIVE` would keep other instances from even reading it (the second instance
  must open it read-only), so SQLite's locking is not the tool.
- `flock` is released by the operating system when its process ends, however it ends (kill -9, a crash,
  a power cut): a stale lock can never lock the user out, without pid files or liveness checks.
- Not on the database file itself: SQLite holds POSIX (fcntl) locks on it, and closing any other
  descriptor of that file in the same process would silently drop them.

The lock file is `<project>-lock` (like SQLite's `-wal` and `-shm`). It is removed on release; a lock
taken on a file that another process removed meanwhile is taken again on the new file. Its text is the
holder's process id, for people looking at the folder.
"""

from __future__ import annotations

import fcntl  # Linux and macOS (README): the platforms the app runs on
import os
from pathlib import Path
from types import TracebackType

from app.core.project_db import location_writable
from app.errors import ProjectReadOnlyError

LOCK_SUFFIX = "-lock"


def lock_path(project: Path) -> Path:
    return Path(f"{project}{LOCK_SUFFIX}")


class ProjectLock:
    """An exclusive lock on a project, held until `release`. `acquire` returns None when another
    process (or another open store of this one) holds it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, project: Path) -> ProjectLock | None:
        """Take the lock of `project`; None when it is held elsewhere. OSError when the lock file cannot
        be made (a read-only folder): the caller opens the project read-only then."""
        path = lock_path(project)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                return cls(path, fd)
            os.close(fd)  # its holder removed it between our open and our lock: take the new one

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file, then unlock (in that order: nobody can lock a file about to vanish).
        Safe to call twice."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # left behind, but unlocked: the next open takes it
        os.close(fd)

    def __enter__(self) -> ProjectLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None when there is none: a moved, deleted or replaced
    project file has another identity (or none) than the one the app opened."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def lock_for_writing(path: Path) -> ProjectLock:
    """The one-writer lock, or ProjectReadOnlyError: a read-only location, or another instance of the
    app (or another window) has it open. Either way the project can still be opened read-only."""
    name = path.name
    if not location_writable(path):
        raise ProjectReadOnlyError(
            f"'{name}' is in a read-only location, so changes could not be saved.",
            "Copy it to a folder you can write to (or open it read-only and use Save As).",
        )
    try:
        lock = ProjectLock.acquire(path)
    except OSError as exc:
        raise ProjectReadOnlyError(
            f"'{name}' cannot be locked for writing ({exc}).",
            "Copy it to a folder you can write to (or open it read-only and use Save As).",
        ) from exc
    if lock is None:
        raise ProjectReadOnlyError(
            f"'{name}' is open in another Undo Studio window.",
            "Close it there to edit it here, or open it read-only and use Save As.",
        )
    return lock
