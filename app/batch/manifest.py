"""The batch manifest: one SQLite file in the output folder, the single record of what a batch did.

Why SQLite: every state change is one small transaction that survives a killed process (a rerun
resumes from it), `batch-status` can read it while a batch runs (WAL mode), and it needs nothing beyond
the standard library. Only the driver process writes it; workers (local processes or Ray actors) never
touch it, so there is one writer and no locking protocol beyond the folder lock below.

Two tables: `inputs` (every input path, its size/mtime and content hash, and the job it maps to) and
`jobs` (one per distinct content hash + settings: what is rendered; inputs with the same content share
a job, so a duplicate is rendered once). A job's `name` is the base name of its outputs in the folder,
fixed when the job is first seen. States: pending -> running -> done | failed (back to pending when a
batch is interrupted or its worker is lost).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.errors import BatchError

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; two batches on one folder are then not refused
    fcntl = None  # type: ignore[assignment]

MANIFEST_FILE = "batch.sqlite"
LOCK_FILE = ".batch.lock"
SCHEMA_VERSION = 1
STATES = ("pending", "running", "done", "failed")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, input TEXT NOT NULL, input_hash TEXT,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    started REAL, finished REAL, seconds REAL, timings TEXT, worker TEXT);
CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, input_hash TEXT, key TEXT NOT NULL);
"""


@dataclass(frozen=True)
class JobRow:
    key: str
    name: str
    input: str
    input_hash: str | None
    state: str
    attempts: int
    error: str | None
    seconds: float | None
    timings: dict[str, float]


def file_hash(path: Path) -> str:
    """sha256 of the file's bytes (what a duplicate is: the same content under any name)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe_stem(path: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", Path(path).stem).strip("._") or "item"
    return stem[:80]


class Manifest:
    """The manifest of one output folder. `writer=True` takes the folder's lock (one batch at a time per
    folder; the kernel drops the lock when the process dies, however it dies)."""

    def __init__(self, folder: Path, writer: bool = True) -> None:
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST_FILE
        self._lock_fd: int | None = None
        if writer:
            self._take_lock()
        elif not self.path.is_file():
            raise BatchError(f"'{self.folder}' holds no batch manifest ({MANIFEST_FILE}).", "")
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if writer:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes
                self._db.executescript(_SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            version = self._db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        except sqlite3.Error as exc:
            self._release_lock()
            raise BatchError(
                f"The batch manifest '{self.path}' cannot be used ({exc}).",
                "Choose another output folder, or remove the damaged manifest to start over.",
            ) from exc
        if version is None or int(version[0]) > SCHEMA_VERSION:
            self.close()
            raise BatchError(
                f"The batch manifest '{self.path}' is from a newer Undo Studio.", "Use a new output folder."
            )

    # -- lock --------------------------------------------------------------------------------------
    def _take_lock(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BatchError(
                f"Cannot write to the output folder '{self.folder}' ({exc}).", "Choose another --out."
            ) from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise BatchError(
                    f"Another batch is writing to '{self.folder}' right now.",
                    "Wait for it to finish (undo-studio batch-status shows it), or choose another --out.",
                ) from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        self._db.close()
        self._release_lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- registering inputs ------------------------------------------------------------------------
    def add_inputs(self, paths: Sequence[Path], job_key: Callable[[str], str]) -> list[str]:
        """Register `paths` (hashing each file unless its size and mtime are those already recorded) and
        return each one's job key; `job_key(input_hash)` adds the settings."""
        keys: list[str] = []
        with self._tx() as db:
            for path in paths:
                keys.append(self._add_input(db, str(path), job_key))
        return keys

    def _add_input(self, db: sqlite3.Connection, path: str, job_key: Callable[[str], str]) -> str:
        try:
            st = os.stat(path)
            row = db.execute("SELECT size, mtime_ns, input_hash FROM inputs WHERE path=?", (path,)).fetchone()
            if row and row[0] == st.st_size and row[1] == st.st_mtime_ns and row[2]:
                digest = str(row[2])
            else:
                digest = file_hash(Path(path))
        except OSError:
            # Its own job, pending: the worker's load fails with the clear error (a missing file, no
            # permission) and records it; once the file is there a rerun hashes it like any other.
            key = "unreadable-" + hashlib.sha256(path.encode()).hexdigest()[:16]
            self._add_job(db, key, path, None)
            db.execute("INSERT OR REPLACE INTO inputs VALUES (?, NULL, NULL, NULL, ?)", (path, key))
            return key
        key = job_key(digest)
        self._add_job(db, key, path, digest)
        db.execute(
            "INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?)",
            (path, st.st_size, st.st_mtime_ns, digest, key),
        )
        return key

    def _add_job(self, db: sqlite3.Connection, key: str, path: str, digest: str | None) -> None:
        if db.execute("SELECT 1 FROM jobs WHERE key=?", (key,)).fetchone():
            return
        name = _safe_stem(path)
        if db.execute("SELECT 1 FROM jobs WHERE name=?", (name,)).fetchone():
            name = f"{name}-{key[:8]}"
        db.execute(
            "INSERT INTO jobs (key, name, input, input_hash, state) VALUES (?, ?, ?, ?, 'pending')",
            (key, name, path, digest),
        )

    # -- state changes (the driver only) -----------------------------------------------------------
    def reset_running(self) -> int:
        """Jobs left 'running' by a driver that was killed go back to pending; returns how many."""
        return self._db.execute("UPDATE jobs SET state='pending' WHERE state='running'").rowcount

    def mark_running(self, key: str) -> None:
        self._db.execute(
            "UPDATE jobs SET state='running', attempts=attempts+1, started=?, error=NULL WHERE key=?",
            (time.time(), key),
        )

    def mark_done(self, key: str, timings: dict[str, float], worker: str) -> None:
        now = time.time()
        self._db.execute(
            "UPDATE jobs SET state='done', error=NULL, finished=?, seconds=?-started, timings=?, worker=? "
            "WHERE key=?",
            (now, now, json.dumps(timings), worker, key),
        )

    def mark_failed(self, key: str, error: str, worker: str = "") -> None:
        self._db.execute(
            "UPDATE jobs SET state='failed', error=?, finished=?, worker=? WHERE key=?",
            (error, time.time(), worker, key),
        )

    def mark_pending(self, key: str, uncount: bool = False) -> None:
        """Back to pending: interrupted by the user (`uncount`: that attempt does not count) or lost."""
        step = 1 if uncount else 0
        self._db.execute(
            "UPDATE jobs SET state='pending', attempts=MAX(attempts-?, 0) WHERE key=?", (step, key)
        )

    # -- reading -----------------------------------------------------------------------------------
    def jobs(self, keys: Sequence[str] | None = None) -> list[JobRow]:
        rows = self._db.execute(
            "SELECT key, name, input, input_hash, state, attempts, error, seconds, timings FROM jobs "
            "ORDER BY rowid"
        ).fetchall()
        wanted = set(keys) if keys is not None else None
        return [
            JobRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]) if r[8] else {})
            for r in rows
            if wanted is None or r[0] in wanted
        ]

    def inputs(self) -> list[tuple[str, str]]:
        """(path, job key) of every input ever registered, in the order first seen."""
        return [(str(p), str(k)) for p, k in self._db.execute("SELECT path, key FROM inputs ORDER BY rowid")]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for state, n in self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"):
            out[str(state)] = int(n)
        return out
