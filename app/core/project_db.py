"""The SQLite side of the project file: schema, migrations, connections, transactions, atomic writes.

Schema (version 3):
  schema_version(version)                      one row; migrations run in one transaction on open
  artwork(id=1, png, content_hash, source_path, width, height, layer_names JSON)
  state(key, value JSON)                       "branches", "active_branch", "view", "engine_settings",
                                               "layers_pending" (the layer stack still to be written), ...
  frames(key, branch_hash, part, kind, rank, step, width, height, data)
                                               key = FrameKey.as_text(); data = PNG bytes
  recipes(branch_hash, engine, data, seen_steps)   (since version 2) a deterministic engine's recipe
                                               per frame-key branch hash, and the steps the user has seen
  layer_stack(id=1, meta JSON), layer_images(idx, png)
                                               (since version 3) a layered artwork's stack (layer_store.py)
A new file is made at version 1 and brought up to date by the same migrations an old file goes through,
so every migration runs on every new project. `PRAGMA application_id` marks the file as ours.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.errors import DiskFullError, ProjectError

PROJECT_SUFFIX = ".undoproj"
SCHEMA_VERSION = 3
APPLICATION_ID = 0x554E444F  # "UNDO"
TABLES = frozenset({"schema_version", "artwork", "state", "frames", "recipes", "layer_stack", "layer_images"})

_SCHEMA_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE artwork (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    png BLOB NOT NULL,
    content_hash TEXT NOT NULL,
    source_path TEXT,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    layer_names TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE frames (
    key TEXT PRIMARY KEY,
    branch_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    rank INTEGER NOT NULL,
    step INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX frames_by_branch ON frames (branch_hash, step);
"""


def _add_recipes(conn: sqlite3.Connection) -> None:
    """1 -> 2: deterministic engines keep a recipe per branch instead of (or besides) frames."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS recipes ("
        " branch_hash TEXT PRIMARY KEY, engine TEXT NOT NULL, data BLOB NOT NULL,"
        " seen_steps TEXT NOT NULL DEFAULT '')"
    )


def _add_layer_stack(conn: sqlite3.Connection) -> None:
    """2 -> 3: a layered artwork keeps its layer stack, so the project reopens without the source file.
    An older project has none (its artwork opens flat, as before)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS layer_stack (id INTEGER PRIMARY KEY CHECK (id = 1), meta TEXT NOT NULL)"
    )
    conn.execute("CREATE TABLE IF NOT EXISTS layer_images (idx INTEGER PRIMARY KEY, png BLOB NOT NULL)")


# version -> function upgrading a database at that version to version + 1 (inside one transaction).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_recipes, 2: _add_layer_stack}


def create_schema(conn: sqlite3.Connection) -> None:
    """Tables of a new, empty project: version 1, then every migration (see module docstring)."""
    conn.executescript("BEGIN;" + _SCHEMA_V1 + "COMMIT;")
    with transaction(conn):
        for v in range(1, SCHEMA_VERSION):
            MIGRATIONS[v](conn)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))


def check_and_migrate(conn: sqlite3.Connection, name: str, read_only: bool) -> None:
    """Refuse what is not ours, damaged or newer; upgrade an older file in one transaction."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if "schema_version" not in tables:
        raise ProjectError(
            f"'{name}' is not an Undo Studio project (or it is badly damaged).",
            f"Open a {PROJECT_SUFFIX} file made by Undo Studio, or open the artwork image instead.",
        )
    if app_id not in (0, APPLICATION_ID):  # before any migration: never rewrite another app's file
        raise ProjectError(
            f"'{name}' is not an Undo Studio project (it belongs to another application).",
            f"Open a {PROJECT_SUFFIX} file made by Undo Studio, or open the artwork image instead.",
        )
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    raw = row[0] if row else None
    if raw is not None and (not isinstance(raw, int) or isinstance(raw, bool)):
        raise ProjectError(
            f"'{name}' is damaged (its format version reads {raw!r}).",
            "Restore it from a backup, or start a new project from the artwork.",
        )
    version = raw if raw is not None else 0
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"'{name}' was made by a newer Undo Studio (project format {version}; this app reads up to "
            f"{SCHEMA_VERSION}).",
            "Update the app to open it.",
        )
    if version < SCHEMA_VERSION:
        if read_only:
            raise ProjectError(
                f"'{name}' uses an older project format that must be upgraded, which needs write access.",
                "Open it from a folder you can write to.",
            )
        with transaction(conn):
            for v in range(version, SCHEMA_VERSION):
                if v not in MIGRATIONS:
                    raise ProjectError(f"'{name}' uses project format {v}, which cannot be upgraded.", "")
                MIGRATIONS[v](conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = TABLES - tables
    if missing:
        raise ProjectError(
            f"'{name}' is damaged (missing: {', '.join(sorted(missing))}).",
            "Restore it from a backup, or start a new project from the artwork.",
        )
    if conn.execute("SELECT COUNT(*) FROM artwork").fetchone()[0] != 1:
        raise ProjectError(
            f"'{name}' is damaged (it has no artwork).", "Start a new project from the artwork."
        )


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        # In a read-only folder SQLite cannot create the WAL index; `immutable` reads the file as is.
        immutable = "&immutable=1" if not os.access(path.parent, os.W_OK) else ""
        uri = f"{path.resolve().as_uri()}?mode=ro{immutable}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error. SQLite rolls a transaction back by itself on
    some errors (SQLITE_FULL, SQLITE_IOERR): a ROLLBACK then fails with "no transaction is active", which
    must not hide the error that says what happened (a full disk)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one to report
        raise


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.saving-{uuid.uuid4().hex[:8]}")


def _replace(tmp: Path, path: Path) -> None:
    # A stale -wal/-shm beside the old file would be replayed onto the new one: remove them first.
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)


def _remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


def location_writable(path: Path) -> bool:
    """Writable file AND folder: WAL needs to create `-wal`/`-shm` files beside the project."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def ensure_writable_folder(path: Path) -> None:
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise ProjectError(f"'{folder}' is a file, not a folder.", "Choose a folder to save the project in.")
    if not folder.is_dir():
        raise ProjectError(f"The folder '{folder}' does not exist.", "Choose an existing folder.")
    if not os.access(folder, os.W_OK):
        raise ProjectError(
            f"Cannot save '{path.name}': the folder '{folder}' is read-only.",
            "Choose a folder you can write to.",
        )


def damaged(name: str, exc: BaseException) -> ProjectError:
    return ProjectError(
        f"'{name}' is not an Undo Studio project or it is damaged ({exc}).",
        "Restore it from a backup, or start a new project from the artwork.",
    )


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL ("database or disk is full") or ENOSPC/EDQUOT from the operating system."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "is full" in str(exc).lower()
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def write_error(path: Path, exc: BaseException) -> ProjectError:
    """What a failed write means for the user. A full disk is a `DiskFullError`: what was committed is
    kept, and the caller may write again once space has been freed."""
    text = str(exc).lower()
    if is_disk_full(exc):
        return DiskFullError(
            f"Cannot write '{path.name}': the disk is full.", "Free some space and try again."
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        return ProjectError(
            f"Cannot write '{path.name}': the location is read-only ({exc}).", "Choose another folder."
        )
    return ProjectError(f"Cannot write '{path.name}' ({exc}).", "Check the disk and try again.")


def write_atomically(path: Path, fill: Callable[[sqlite3.Connection], None]) -> None:
    """Build a database in a temp file beside `path` with `fill`, then rename it over `path`: a crash or an
    error leaves any existing file untouched and no temp file behind."""
    ensure_writable_folder(path)
    if path.is_dir():
        raise ProjectError(
            f"Cannot save '{path.name}': a folder of that name is in the way.",
            f"Choose another name for the {PROJECT_SUFFIX} file.",
        )
    tmp = _temp_beside(path)
    try:
        conn = connect(tmp)
        try:
            fill(conn)
        finally:
            conn.close()
        _replace(tmp, path)
    except (sqlite3.Error, OSError) as exc:  # OSError: the rename (disk full, target turned read-only...)
        _remove_db(tmp)
        raise write_error(path, exc) from exc
    except BaseException:
        _remove_db(tmp)
        raise
