"""Project files that met the world (issue 10): a damaged view state, damaged or absurd frame blobs, a full
disk, the file moved while open, two instances, a copy without its WAL, a read-only location."""

from __future__ import annotations

import errno
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe
from app.core.project import Project, clean_view_state
from app.core.project_db import is_disk_full, write_error
from app.core.project_lock import lock_path
from app.core.project_store import ProjectStore, encode_png
from app.errors import DiskFullError, ProjectReadOnlyError


def _artwork() -> Artwork:
    px = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    return Artwork(pixels=px, source=Path("/art/cat.png"))


def _frame(step: int) -> Frame:
    return Frame(np.full((20, 30, 3), step % 256, np.uint8), step, FrameKind.EXACT)


def _tamper(path: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# -- item 7: the view state ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "view",
    [
        '{"step": "abc"}',
        '{"step": [1, 2], "compare": 5}',
        '{"step": 100000000000000000000000000000}',
        '{"step": 1e400}',
        '{"step": -3, "compare": [1, null]}',
        '{"step": true}',
        "[" * 100000,
        "not json at all",
    ],
)
def test_a_damaged_view_state_opens_with_the_defaults(tmp_path: Path, view: str) -> None:
    path = tmp_path / "a.undoproj"
    branch = Branch("A", BranchSpec.make("procedural", 1))
    Project.create(path, _artwork(), [branch]).close()
    _tamper(path, "INSERT OR REPLACE INTO state (key, value) VALUES ('view', ?)", view)
    with Project.open(path) as project:
        assert [b.id for b in project.branches] == [branch.id]
        assert "step" not in project.view_state and "compare" not in project.view_state


def test_a_sound_view_state_is_kept() -> None:
    assert clean_view_state({"step": 420, "compare": ["a", "b"], "zoom": 2}) == {
        "step": 420,
        "compare": ["a", "b"],
        "zoom": 2,
    }
    assert clean_view_state({"step": 1000}) == {}


# -- item 7: damaged frame blobs -------------------------------------------------------------------
@pytest.mark.parametrize(
    "blob",
    [b"\x89PNG not really", _png_claiming(30000, 30000), _png_claiming(40, 20), b"", "text, not a blob"],
)
def test_a_damaged_frame_blob_is_dropped_so_the_frame_is_made_again(tmp_path: Path, blob: object) -> None:
    path = tmp_path / "a.undoproj"
    key, good = FrameKey("a", "b", Keyframe(1)), FrameKey("a", "b", Keyframe(2))
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frames([(key, _frame(1)), (good, _frame(2))])
    _tamper(path, "UPDATE frames SET data = ? WHERE key = ?", blob, key.as_text())
    with ProjectStore.open(path) as store:
        assert store.get_frame(key) is None  # never an error that leaves the step waiting
        assert store.damaged_frames == 1
        assert not store.has_frame(key), "the damaged row is dropped"
        assert store.get_frame(good) is not None
        assert store.put_frame(key, _frame(1))  # the frame made again is stored anew
        assert store.get_frame(key) is not None


def test_a_damaged_frame_blob_in_a_read_only_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    key = FrameKey("a", "b", Keyframe(1))
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frame(key, _frame(1))
    _tamper(
        path,
        "UPDATE frames SET data = ? WHERE key = ?",
        encode_png(np.zeros((5, 5, 3), np.uint8)),
        key.as_text(),
    )
    with ProjectStore.open(path, read_only=True) as store:
        assert store.get_frame(key) is None and store.damaged_frames == 1
        assert store.has_frame(key)  # left as it was: the file is not ours to change


# -- item 8: a full disk -----------------------------------------------------------------------------
def _noise(step: int) -> Frame:
    px = np.random.default_rng(step).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    return Frame(px, step, FrameKind.EXACT)


def _fill_disk(store: ProjectStore) -> None:
    """SQLite's page limit gives the very error a full disk gives (SQLITE_FULL), rollbacks included."""
    with store._lock:
        conn = store._connection()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")


def _free_disk(store: ProjectStore) -> None:
    with store._lock:
        store._connection().execute("PRAGMA max_page_count = 1073741823")


def test_a_full_disk_says_so_and_keeps_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    kept = FrameKey("a", "b", Keyframe(1))
    batch = [(FrameKey("a", "b", Keyframe(s)), _noise(s)) for s in range(2, 40)]
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frame(kept, _noise(1))
        _fill_disk(store)
        with pytest.raises(DiskFullError, match="disk is full") as info:
            store.put_frames(batch)
        assert "rollback" not in str(info.value) and info.value.hint == "Free some space and try again."
        assert store.get_frame(kept) is not None and store.frame_count() == 1  # the batch: all or nothing
        _free_disk(store)
        assert store.put_frames(batch) == len(batch)  # space is back: the same batch goes in
    with ProjectStore.open(path) as again:
        assert again.frame_count() == 1 + len(batch)


def test_disk_full_errors_from_sqlite_and_the_os_are_recognised() -> None:
    assert is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(sqlite3.OperationalError("disk I/O error"))
    assert isinstance(write_error(Path("x.undoproj"), OSError(errno.ENOSPC, "full")), DiskFullError)


# -- item 9: one writer, a file that moves, a self-contained main file ---------------------------------
def test_a_second_writer_is_refused_but_may_read(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    first = ProjectStore.create(path, _artwork())
    assert lock_path(path).exists()
    with pytest.raises(ProjectReadOnlyError, match="open in another Undo Studio window") as info:
        ProjectStore.open(path)
    assert "read-only" in info.value.hint
    with ProjectStore.open(path, read_only=True) as reader:
        first.put_frame(FrameKey("a", "b", Keyframe(1)), _frame(1))
        assert reader.frame_count() == 1
    first.close()
    assert not lock_path(path).exists()
    ProjectStore.open(path).close()  # free again


def test_a_killed_instance_never_locks_the_user_out(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from app.core.project_store import ProjectStore;"
            "s = ProjectStore.open(Path(sys.argv[1])); print('open', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(ProjectReadOnlyError):
            ProjectStore.open(path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_path(path).exists()  # left behind by the killed process, but nobody holds it
    ProjectStore.open(path).close()


def test_a_moved_or_deleted_file_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    with ProjectStore.create(path, _artwork()) as store:
        assert not store.file_missing()
        path.rename(tmp_path / "elsewhere.undoproj")
        assert store.file_missing()
    with ProjectStore.open(tmp_path / "elsewhere.undoproj") as store:
        (tmp_path / "elsewhere.undoproj").unlink()
        assert store.file_missing()
        store.put_frame(FrameKey("a", "b", Keyframe(1)), _frame(1))  # still works: Save As can copy it
        store.save_as(tmp_path / "rescued.undoproj").close()
    with ProjectStore.open(tmp_path / "rescued.undoproj") as rescued:
        assert rescued.frame_count() == 1


def test_the_main_file_alone_is_complete_after_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    branch = Branch("A", BranchSpec.make("procedural", 1))
    with Project.create(path, _artwork(), [branch]) as project:
        assert shutil.copy(path, tmp_path / "early.undoproj")  # without its -wal, right after creating
        project.put_frames([(project.frame_key(branch, Keyframe(5)), _frame(5))])
        assert project.store.checkpoint()
        shutil.copy(path, tmp_path / "copy.undoproj")
        reader = ProjectStore.open(path, read_only=True)  # another instance still reading at close
    reader.close()
    for name in ("early.undoproj", "copy.undoproj"):
        with Project.open(tmp_path / name) as copy:
            assert [b.id for b in copy.branches] == [branch.id] and not copy.incomplete
    with Project.open(tmp_path / "copy.undoproj") as copy:
        assert copy.store.frame_count() == 1


def test_a_project_without_a_branch_list_says_it_looks_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    Project.create(path, _artwork(), [Branch("A", BranchSpec.make("procedural", 1))]).close()
    _tamper(path, "DELETE FROM state WHERE key = 'branches'")
    with Project.open(path) as project:
        assert project.incomplete and project.branches == []
