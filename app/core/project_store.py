"""The project file (design §6): one SQLite database per project (`.undoproj`).

Why SQLite: atomic transactions and WAL make autosave after every frame batch crash-safe (a crash loses
at most the batch being written, never the file), and frames are found by key without loading the rest.

The tables, migrations and SQLite plumbing are in project_db.py; recipe rows in project_recipes.py;
the PNG encoding in frame_png.py; the one-writer lock in project_lock.py.
Opening never regenerates anything: frames come back by key, a deterministic engine's branch comes back
as its recipe. All methods are thread-safe (one connection behind a lock).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from app.core.artwork import DEFAULT_MAX_PIXELS, Artwork
from app.core.frame_png import decode_png, encode_png
from app.core.frames import Frame, FrameKey, FrameKind
from app.core.layer_store import EncodedStack, encode_stack, load_stack, write_stack
from app.core.layers import LayerStack
from app.core.project_db import (
    APPLICATION_ID,
    MIGRATIONS,
    PROJECT_SUFFIX,
    SCHEMA_VERSION,
    check_and_migrate,
    connect,
    create_schema,
    damaged,
    transaction,
    write_atomically,
    write_error,
)
from app.core.project_lock import ProjectLock, file_identity, lock_for_writing
from app.core.project_recipes import RecipeRecord, format_steps, parse_steps
from app.errors import ProjectError

# A `state` row saying the layer stack is still to be written (`create(layers=False)`); `put_layers`
# deletes it in the transaction that writes the stack. Why a state row and not a new table: an older app
# reads the file as before (a schema bump would make it refuse the file), and an older file, without the
# row, is simply not pending.
LAYERS_PENDING = "layers_pending"

__all__ = [
    "LAYERS_PENDING",
    "MIGRATIONS",
    "PROJECT_SUFFIX",
    "SCHEMA_VERSION",
    "ProjectStore",
    "RecipeRecord",
    "decode_png",
    "encode_png",
]


class ProjectStore:
    """An open project file. Create with `ProjectStore.create`, open with `ProjectStore.open`."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, read_only: bool, lock: ProjectLock | None = None
    ) -> None:
        self.path = path
        self.read_only = read_only
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self._owner = lock  # the one-writer lock (project_lock.py), held while open for writing
        self._identity = file_identity(path)  # which file `path` named when opened: to notice it moving
        self._damaged = 0  # damaged frame rows met (and dropped) since opening
        # The stored layer stack was damaged: the artwork opened without it (flat), for the notice.
        self.layers_damaged: str | None = None

    # ---------------------------------------------------------------------------------- open / create
    @classmethod
    def create(cls, path: Path, artwork: Artwork, layers: bool = True) -> ProjectStore:
        """A new project holding `artwork`; replaces an existing file at `path` atomically. `layers=False`
        leaves its layer stack out, for `put_layers` to write later (the UI does, on its worker), and
        records in the same transaction that it is pending (`layers_pending`): a crash before
        `put_layers` leaves a file that says its layers were never written."""
        path = Path(path)

        def fill(conn: sqlite3.Connection) -> None:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("PRAGMA journal_mode = WAL")
            create_schema(conn)
            with transaction(conn):
                conn.execute(
                    "INSERT INTO artwork (id, png, content_hash, source_path, width, height, layer_names)"
                    " VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (
                        encode_png(artwork.pixels),
                        artwork.content_hash,
                        str(artwork.source) if artwork.source else None,
                        artwork.width,
                        artwork.height,
                        json.dumps(list(artwork.layer_names)),
                    ),
                )
                if artwork.layers is not None:
                    if layers:
                        write_stack(conn, _encoded_layers(artwork, artwork.layers))
                    else:
                        conn.execute(
                            "INSERT INTO state (key, value) VALUES (?, ?)", (LAYERS_PENDING, json.dumps(True))
                        )

        write_atomically(path, fill)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path, read_only: bool = False) -> ProjectStore:
        """Open an existing project. ProjectError if missing, not a project, damaged, newer or unwritable."""
        path = Path(path)
        name = path.name
        if not path.exists():
            raise ProjectError(f"'{path}' does not exist.", "Check the file name and folder.")
        if path.is_dir():
            raise ProjectError(
                f"'{path}' is a folder, not a project file.", f"Choose a {PROJECT_SUFFIX} file."
            )
        lock = None if read_only else lock_for_writing(path)
        try:
            conn = connect(path, read_only=read_only)
        except sqlite3.Error as exc:
            if lock is not None:
                lock.release()
            raise ProjectError(
                f"'{name}' could not be opened ({exc}).", "Check that the file is readable."
            ) from exc
        store = cls(path, conn, read_only, lock)
        try:
            store._check_and_migrate()
            if not read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: crash-safe, fast commits
        except ProjectError:
            store.close()
            raise
        except sqlite3.DatabaseError as exc:
            store.close()
            raise damaged(name, exc) from exc
        return store

    def _check_and_migrate(self) -> None:
        check_and_migrate(self._connection(), self.path.name, self.read_only)

    def close(self) -> None:
        """Checkpoint the WAL into the main file (so the file alone is the whole project, even while
        another instance still reads it), close it and release the lock. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                if not self.read_only:
                    self.checkpoint()
                self._conn.close()
                self._conn = None
            if self._owner is not None:
                self._owner.release()
                self._owner = None

    def checkpoint(self) -> bool:
        """Copy the WAL into the main file and empty it (`wal_checkpoint(TRUNCATE)`): a copy of the
        main file alone is then complete. False when a reader kept part of it back or it failed."""
        if self.read_only:
            return False
        with self._lock:
            if self._conn is None:
                return False
            try:
                busy, _log, _done = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error:
                return False  # a full disk or a busy reader: the WAL stays, nothing is lost
        return not busy

    def file_missing(self) -> bool:
        """True when the file this store opened is no longer at its path (deleted, moved, replaced):
        a `stat`, cheap enough to call every few seconds. Writes then go to a file nobody will find."""
        return file_identity(self.path) != self._identity

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    # ---------------------------------------------------------------------------------- artwork
    def load_artwork(self) -> Artwork:
        """The stored artwork; ProjectError (never a Type/Value/JSON error) when the row is damaged."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT png, content_hash, source_path, layer_names FROM artwork WHERE id = 1"
            ).fetchone()
        if row is None:
            raise ProjectError(
                f"'{self.path.name}' is damaged (it has no artwork).", "Start a new project from the artwork."
            )
        png, content_hash, source, layers = row
        try:
            if not isinstance(png, bytes) or not isinstance(content_hash, str) or not content_hash:
                raise TypeError("the image or its hash has the wrong type")
            names = json.loads(layers)
            if not isinstance(names, list):
                raise TypeError("the layer names are not a list")
            pixels = decode_png(png)
            return Artwork(
                pixels=pixels,
                source=Path(source) if isinstance(source, str) and source else None,
                layer_names=tuple(str(n) for n in names),
                content_hash=content_hash,
                layers=self._load_layers(pixels),
            )
        except (ProjectError, TypeError, ValueError) as exc:
            reason = "its image does not decode" if isinstance(exc, ProjectError) else str(exc)
            raise ProjectError(
                f"The artwork stored in '{self.path.name}' is damaged ({reason}).",
                "Restore the project from a backup, or start a new project from the artwork image.",
            ) from exc

    def put_layers(self, artwork: Artwork) -> None:
        """Write `artwork`'s layer stack (replacing any) and clear `layers_pending` in the same
        transaction: encoded first, outside the write lock."""
        if artwork.layers is not None:
            encoded = _encoded_layers(artwork, artwork.layers)
            with self._writing() as conn:
                write_stack(conn, encoded)
                conn.execute("DELETE FROM state WHERE key = ?", (LAYERS_PENDING,))

    @property
    def layers_pending(self) -> bool:
        """The file was created without its layer stack and `put_layers` has not written it yet (the
        app stopped in between): the artwork reads flat though it had layers."""
        with self._reading() as conn:
            row = conn.execute("SELECT 1 FROM state WHERE key = ?", (LAYERS_PENDING,)).fetchone()
        return row is not None

    def _load_layers(self, pixels: np.ndarray) -> LayerStack | None:
        """The stored layer stack; None when there is none or it is damaged (then `layers_damaged` says
        why: the artwork still opens, flat, rather than the user losing the whole project)."""
        try:
            with self._reading() as conn:
                return load_stack(conn, pixels, DEFAULT_MAX_PIXELS)
        except (ValueError, TypeError, KeyError, sqlite3.DatabaseError) as exc:
            self.layers_damaged = str(exc)
            return None

    @property
    def artwork_hash(self) -> str:
        with self._reading() as conn:
            return str(conn.execute("SELECT content_hash FROM artwork WHERE id = 1").fetchone()[0])

    # ---------------------------------------------------------------------------------- state (JSON)
    def get_state(self, key: str, default: Any = None) -> Any:
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_state(self, values: dict[str, Any]) -> None:
        """Write several JSON-serialisable values in one transaction."""
        rows = [(key, json.dumps(value)) for key, value in values.items()]
        with self._writing() as conn:
            conn.executemany("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", rows)

    def state_keys(self) -> list[str]:
        with self._reading() as conn:
            return [r[0] for r in conn.execute("SELECT key FROM state ORDER BY key")]

    # ---------------------------------------------------------------------------------- frames
    def put_frames(self, items: Sequence[tuple[FrameKey, Frame]]) -> int:
        """Store a batch in ONE transaction; a frame never replaces a better kind. Returns rows written."""
        encoded = [
            (
                key.as_text(),
                key.branch_hash,
                frame.kind.value,
                frame.kind.rank,
                int(frame.step),
                int(frame.pixels.shape[1]),
                int(frame.pixels.shape[0]),
                encode_png(frame.pixels),
            )
            for key, frame in items
        ]  # encode outside the lock: it is the slow part
        if not encoded:
            return 0
        with self._writing() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO frames (key, branch_hash, kind, rank, step, width, height, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, rank = excluded.rank,"
                " step = excluded.step, width = excluded.width, height = excluded.height, data = excluded.data"
                " WHERE excluded.rank <= frames.rank",
                encoded,
            )
            return conn.total_changes - before

    def put_frame(self, key: FrameKey, frame: Frame) -> bool:
        return self.put_frames([(key, frame)]) == 1

    def get_frame(self, key: FrameKey) -> Frame | None:
        """The stored frame, or None when there is none or its row is damaged (a bad kind, PNG bytes
        that do not decode, a size that disagrees with the row or claims more pixels than a frame can
        have). A damaged row is deleted (writable files) and counted in `damaged_frames`: the frame is
        rendered again and stored anew, and the UI says once that the file had damaged frames."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT kind, step, width, height, data FROM frames WHERE key = ?", (key.as_text(),)
            ).fetchone()
        if row is None:
            return None
        kind, step, width, height, data = row
        try:
            frame_kind, frame_step = FrameKind(kind), int(step)
            if not isinstance(data, bytes):
                raise TypeError("the image is not a blob")
            pixels = decode_png(data, (int(width), int(height)))
        except (ProjectError, TypeError, ValueError):
            self._drop_damaged(key)
            return None
        pixels.setflags(write=False)
        return Frame(pixels=pixels, step=frame_step, kind=frame_kind)

    @property
    def damaged_frames(self) -> int:
        """How many damaged frame rows reads have met since the file was opened."""
        return self._damaged

    def _drop_damaged(self, key: FrameKey) -> None:
        with self._lock:
            self._damaged += 1
        if self.read_only:
            return
        try:
            with self._writing() as conn:
                conn.execute("DELETE FROM frames WHERE key = ?", (key.as_text(),))
        except ProjectError:
            pass  # cannot write now (disk full...): the row stays damaged and is skipped again

    def has_frame(self, key: FrameKey) -> bool:
        with self._reading() as conn:
            return conn.execute("SELECT 1 FROM frames WHERE key = ?", (key.as_text(),)).fetchone() is not None

    def frame_index(
        self, branch_hash: str | Iterable[str] | None = None
    ) -> list[tuple[FrameKey, FrameKind, int]]:
        """(key, kind, step) of stored frames, without decoding any image (for a reopened project).
        `branch_hash` is one hash or several (keyframe engines store frames under per-part hashes)."""
        sql = "SELECT key, kind, step FROM frames"
        args: tuple[Any, ...] = ()
        if branch_hash is not None:
            hashes = (branch_hash,) if isinstance(branch_hash, str) else tuple(branch_hash)
            sql += f" WHERE branch_hash IN ({','.join('?' * len(hashes))})" if hashes else " WHERE 0"
            args = hashes
        with self._reading() as conn:
            rows = conn.execute(sql + " ORDER BY branch_hash, step", args).fetchall()
        index = []
        for key, kind, step in rows:
            try:
                index.append((FrameKey.from_text(key), FrameKind(kind), int(step)))
            except (TypeError, ValueError, AttributeError):
                # A damaged row is a frame to render again, not a reason to refuse the whole project.
                continue
        return index

    def frame_keys(self, branch_hash: str | None = None) -> list[FrameKey]:
        return [key for key, _, _ in self.frame_index(branch_hash)]

    def frame_count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM frames").fetchone()[0])

    def delete_frames(self, branch_hash: str) -> int:
        """Forget every frame of one branch spec (e.g. a deleted branch); returns how many."""
        with self._writing() as conn:
            return conn.execute("DELETE FROM frames WHERE branch_hash = ?", (branch_hash,)).rowcount

    # ---------------------------------------------------------------------------------- recipes
    def put_recipe(self, branch_hash: str, engine: str, data: bytes, seen_steps: Iterable[int] = ()) -> None:
        """Store (or replace) the recipe of the branch whose frames are keyed by `branch_hash`."""
        row = (branch_hash, str(engine), bytes(data), format_steps(seen_steps))
        with self._writing() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO recipes (branch_hash, engine, data, seen_steps) VALUES (?, ?, ?, ?)",
                row,
            )

    def put_seen_steps(self, branch_hash: str, seen_steps: Iterable[int]) -> bool:
        """Replace the seen steps of a stored recipe without rewriting its data (cheap enough to call
        as the user scrubs). False when the branch has no recipe."""
        text = format_steps(seen_steps)
        with self._writing() as conn:
            cursor = conn.execute(
                "UPDATE recipes SET seen_steps = ? WHERE branch_hash = ?", (text, branch_hash)
            )
            return cursor.rowcount == 1

    def get_recipe(self, branch_hash: str) -> RecipeRecord | None:
        """The stored recipe, or None when there is none or its row is damaged: a damaged recipe is a
        branch to analyse again, never a reason to refuse the project (like a damaged frame row)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT engine, data, seen_steps FROM recipes WHERE branch_hash = ?", (branch_hash,)
            ).fetchone()
        if row is None:
            return None
        engine, data, seen = row
        if not isinstance(engine, str) or not engine or not isinstance(data, bytes):
            return None
        try:
            steps = parse_steps(seen)
        except ValueError:
            return None
        return RecipeRecord(branch_hash, engine, data, steps)

    def get_seen_steps(self, branch_hash: str) -> frozenset[int] | None:
        """The seen steps of a stored recipe without reading the recipe itself (for indexing a reopened
        project on the UI thread); None when there is no recipe or its row is damaged."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT seen_steps FROM recipes WHERE branch_hash = ?", (branch_hash,)
            ).fetchone()
        try:
            return None if row is None else parse_steps(row[0])
        except ValueError:
            return None

    def delete_recipe(self, branch_hash: str) -> bool:
        """Forget a branch's recipe (e.g. a deleted branch); False when it had none."""
        with self._writing() as conn:
            return conn.execute("DELETE FROM recipes WHERE branch_hash = ?", (branch_hash,)).rowcount == 1

    # ---------------------------------------------------------------------------------- save as
    def copy_to(self, path: Path) -> None:
        """Write a consistent copy to `path` atomically (temp file beside it, then rename)."""

        def fill(dst: sqlite3.Connection) -> None:
            with self._lock:
                self._connection().backup(dst)

        write_atomically(Path(path), fill)

    def save_as(self, path: Path) -> ProjectStore:
        """Copy to `path`, close this store, and return the store opened at the new path."""
        path = Path(path)
        if path.resolve() == self.path.resolve():
            return self
        self.copy_to(path)
        self.close()
        return ProjectStore.open(path)

    # ---------------------------------------------------------------------------------- internals
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ProjectError(f"The project '{self.path.name}' is closed.", "Open it again.")
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.DatabaseError as exc:
                raise damaged(self.path.name, exc) from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise ProjectError(f"'{self.path.name}' is open read-only.", "Use Save As to keep your changes.")
        with self._lock:
            conn = self._connection()
            try:
                with transaction(conn):
                    yield conn
            except sqlite3.OperationalError as exc:
                raise write_error(self.path, exc) from exc
            except sqlite3.DatabaseError as exc:
                raise damaged(self.path.name, exc) from exc


def _encoded_layers(artwork: Artwork, stack: LayerStack) -> EncodedStack:
    """The stack as stored; its merged image is not stored twice when it is the artwork's own image."""
    same = stack.merged is not None and np.array_equal(stack.merged, artwork.pixels)
    return encode_stack(stack, merged_is_artwork=same)
