"""Project file: round trip, frames by key, kind ranking, save-as, damaged / newer / read-only files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from app.core import project_store
from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe, Segment
from app.core.project import Project
from app.core.project_store import SCHEMA_VERSION, ProjectStore
from app.errors import ProjectError


def _artwork() -> Artwork:
    px = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    return Artwork(pixels=px, source=Path("/art/cat.png"), layer_names=("Paper", "Ink"))


def _frame(step: int, kind: FrameKind = FrameKind.EXACT, value: int | None = None) -> Frame:
    px = np.full((20, 30, 3), step % 256 if value is None else value, np.uint8)
    return Frame(px, step, kind)


def test_project_round_trip_restores_everything_without_regenerating(tmp_path: Path) -> None:
    art = _artwork()
    b1 = Branch("Seed 0", BranchSpec.make("procedural", 0, {"order": "subject"}))
    path = tmp_path / "cat.undoproj"
    with Project.create(path, art, [b1]) as project:
        b2 = Branch("Fork", BranchSpec.make("procedural", 7), parent_id=b1.id, fork_step=600)
        project.add_branch(b2)
        project.view_state = {"step": 420, "compare": [b1.id, b2.id]}
        project.engine_settings = {"device": "cpu"}
        keys = [project.frame_key(b1, Keyframe(s)) for s in (999, 600, 0)]
        seg_key = project.frame_key(b2, Segment(600, 800, 3))
        batch = [(k, _frame(int(k.part.step))) for k in keys] + [
            (seg_key, _frame(700, FrameKind.INTERPOLATED))
        ]
        assert project.put_frames(batch) == 4
        project.save_state()

    with Project.open(path) as again:
        assert again.artwork.content_hash == art.content_hash
        np.testing.assert_array_equal(again.artwork.pixels, art.pixels)
        assert again.artwork.layer_names == ("Paper", "Ink") and again.artwork.source == Path("/art/cat.png")
        assert [b.to_json() for b in again.branches] == [b1.to_json(), b2.to_json()]
        assert again.active_branch_id == b2.id and again.active_branch is not None
        assert again.view_state == {"step": 420, "compare": [b1.id, b2.id]}
        assert again.engine_settings == {"device": "cpu"}
        index = again.stored_frames(b1)
        assert sorted(step for _, _, step in index) == [0, 600, 999]
        frame = again.get_frame(keys[1])
        assert frame is not None and frame.kind is FrameKind.EXACT and frame.step == 600
        assert (frame.pixels == 600 % 256).all() and not frame.pixels.flags.writeable
        seg = again.get_frame(seg_key)
        assert seg is not None and seg.kind is FrameKind.INTERPOLATED
        assert again.get_frame(again.frame_key(b1, Keyframe(5))) is None


def test_worse_kind_never_replaces_better_in_the_file(tmp_path: Path) -> None:
    store = ProjectStore.create(tmp_path / "a.undoproj", _artwork())
    key = FrameKey("a", "b", Keyframe(10))
    assert store.put_frame(key, _frame(10, FrameKind.EXACT, value=1))
    assert not store.put_frame(key, _frame(10, FrameKind.PREVIEW, value=2))
    assert store.put_frame(key, _frame(10, FrameKind.EXACT, value=3))
    got = store.get_frame(key)
    assert got is not None and (got.pixels == 3).all() and store.frame_count() == 1
    store.close()


def test_state_values_and_delete_frames(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "a.undoproj", _artwork()) as store:
        store.set_state({"x": [1, 2], "y": {"z": None}})
        assert store.get_state("x") == [1, 2] and store.get_state("missing", 5) == 5
        store.put_frames([(FrameKey("a", "b1", Keyframe(s)), _frame(s)) for s in range(3)])
        store.put_frames([(FrameKey("a", "b2", Keyframe(1)), _frame(1))])
        assert store.delete_frames("b1") == 3
        assert store.frame_keys() == [FrameKey("a", "b2", Keyframe(1))]


def test_put_frames_is_one_transaction(tmp_path: Path) -> None:
    store = ProjectStore.create(tmp_path / "a.undoproj", _artwork())
    bad = Frame(np.zeros((4, 4, 3), np.uint8), 5, FrameKind.EXACT)
    good = [(FrameKey("a", "b", Keyframe(s)), _frame(s)) for s in range(3)]
    original = project_store.encode_png

    def failing(px: np.ndarray, compression: int = 3) -> bytes:
        if px.shape[0] == 4:
            raise ProjectError("boom")
        return original(px, compression)

    project_store.encode_png = failing  # type: ignore[assignment]
    try:
        with pytest.raises(ProjectError):
            store.put_frames([*good, (FrameKey("a", "b", Keyframe(5)), bad)])
    finally:
        project_store.encode_png = original  # type: ignore[assignment]
    assert store.frame_count() == 0
    store.close()


def test_save_as_writes_a_complete_copy_and_continues_there(tmp_path: Path) -> None:
    b = Branch("Seed 0", BranchSpec.make("procedural", 0))
    project = Project.create(tmp_path / "a.undoproj", _artwork(), [b])
    project.put_frames([(project.frame_key(b, Keyframe(3)), _frame(3))])
    target = tmp_path / "copy.undoproj"
    target.write_bytes(b"an old file that gets replaced")
    project.save_as(target)
    assert project.path == target
    project.view_state = {"step": 1}
    project.save_state()
    project.close()
    assert not any(".saving-" in p.name for p in tmp_path.iterdir())
    with Project.open(target) as copy:
        assert copy.view_state == {"step": 1} and len(copy.stored_frames(b)) == 1
    with Project.open(tmp_path / "a.undoproj") as original:
        assert original.view_state == {}


def test_frame_calls_that_meet_a_store_swapped_by_save_as_go_to_the_new_file(tmp_path: Path) -> None:
    """Autosave and frame loads run on the worker while Save As swaps the store on the UI thread."""
    b = Branch("Seed 0", BranchSpec.make("procedural", 0))
    project = Project.create(tmp_path / "a.undoproj", _artwork(), [b])
    new_store = Project.create(tmp_path / "b.undoproj", _artwork(), [b]).store

    class ClosedDuringTheCall:
        def put_frames(self, items):
            project.store = new_store  # Save As finished while this write was under way
            raise ProjectError("The project 'a.undoproj' is closed.", "Open it again.")

        get_frame = put_frames

    key = project.frame_key(b, Keyframe(3))
    project.store.close()
    project.store = ClosedDuringTheCall()  # type: ignore[assignment]
    assert project.put_frames([(key, _frame(3))]) == 1
    assert new_store.frame_count() == 1
    project.store = ClosedDuringTheCall()  # type: ignore[assignment]
    assert project.get_frame(key) is not None
    project.store = new_store
    with pytest.raises(ProjectError):  # a store that is simply closed still says so
        new_store.close()
        project.put_frames([(key, _frame(3))])


def test_create_replaces_existing_project_atomically(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    other = Artwork.from_array(np.zeros((5, 5, 3), np.uint8))
    with ProjectStore.create(path, other) as store:
        assert store.artwork_hash == other.content_hash and store.frame_count() == 0


def test_wal_mode_is_on(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "a.undoproj", _artwork()):
        conn = sqlite3.connect(tmp_path / "a.undoproj")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


@pytest.mark.parametrize(
    "content,match",
    [
        (b"this is not a database" * 50, "not an Undo Studio project or it is damaged"),
        (b"", "not an Undo Studio project"),
    ],
)
def test_not_a_project(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "x.undoproj"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=match) as info:
        ProjectStore.open(path)
    assert info.value.hint


def test_other_sqlite_file_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.undoproj"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="not an Undo Studio project"):
        ProjectStore.open(path)


def test_missing_table_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE frames")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="damaged .*frames"):
        ProjectStore.open(path)


def test_truncated_file_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frames([(FrameKey("a", "b", Keyframe(s)), _frame(s, value=s)) for s in range(50)])
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\xff" * 2000)
    with pytest.raises(ProjectError):
        store = ProjectStore.open(path)
        store.frame_index()
        store.load_artwork()


def test_newer_schema_version_asks_to_update(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="newer Undo Studio") as info:
        ProjectStore.open(path)
    assert "Update the app" in info.value.hint


def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 0")
    conn.commit()
    conn.close()
    ran: list[int] = []
    monkeypatch.setitem(project_store.MIGRATIONS, 0, lambda c: ran.append(0))
    with ProjectStore.open(path):
        pass
    assert ran == [0]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        ProjectStore.open(tmp_path / "nope.undoproj")
    with pytest.raises(ProjectError, match="folder"):
        ProjectStore.open(tmp_path)
    with pytest.raises(ProjectError, match="does not exist"):
        ProjectStore.create(tmp_path / "no" / "such" / "a.undoproj", _artwork())


def test_read_only_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.undoproj"
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frame(FrameKey("a", "b", Keyframe(1)), _frame(1))
    real_access = os.access
    # Tests may run as root, where chmod does not stop writes: simulate the read-only folder instead.
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with pytest.raises(ProjectError, match="read-only location") as info:
        ProjectStore.open(path)
    assert "Save As" in info.value.hint
    with pytest.raises(ProjectError, match="read-only"):
        ProjectStore.create(tmp_path / "b.undoproj", _artwork())
    with ProjectStore.open(path, read_only=True) as ro:
        assert ro.frame_count() == 1 and ro.load_artwork().width == 30
        with pytest.raises(ProjectError, match="read-only"):
            ro.set_state({"x": 1})


def test_closed_store_says_so(tmp_path: Path) -> None:
    store = ProjectStore.create(tmp_path / "a.undoproj", _artwork())
    store.close()
    store.close()
    with pytest.raises(ProjectError, match="closed"):
        store.frame_count()


def test_remove_branch_drops_frames_only_when_unshared(tmp_path: Path) -> None:
    spec = BranchSpec.make("procedural", 3)
    a, b = Branch("A", spec), Branch("B", spec)
    with Project.create(tmp_path / "a.undoproj", _artwork(), [a, b]) as project:
        project.put_frames([(project.frame_key(a, Keyframe(1)), _frame(1))])
        project.remove_branch(a.id)
        assert project.store.frame_count() == 1 and project.active_branch_id == b.id
        project.remove_branch(b.id)
        assert project.store.frame_count() == 0 and project.active_branch_id is None


def _tamper(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_non_numeric_schema_version_is_damaged_not_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, "UPDATE schema_version SET version = 'abc'")
    with pytest.raises(ProjectError, match="damaged") as info:
        ProjectStore.open(path)
    assert info.value.hint


def test_another_apps_database_is_never_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The application id is checked before migrations run: an old-looking foreign file stays as it was."""
    path = tmp_path / "foreign.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, "PRAGMA application_id = 1234", "UPDATE schema_version SET version = 0")
    ran: list[int] = []
    monkeypatch.setitem(project_store.MIGRATIONS, 0, lambda c: ran.append(0))
    with pytest.raises(ProjectError, match="another application"):
        ProjectStore.open(path)
    assert ran == []


@pytest.mark.parametrize(
    "key,value",
    [("view", "[1, 2]"), ("view", '"abc"'), ("engine_settings", "5"), ("active_branch", '{"x": 1}')],
)
def test_damaged_view_or_settings_fall_back_to_defaults(tmp_path: Path, key: str, value: str) -> None:
    """They used to raise a bare TypeError/ValueError out of Project.open and leave the file open."""
    path = tmp_path / "a.undoproj"
    branch = Branch("A", BranchSpec.make("procedural", 1))
    Project.create(path, _artwork(), [branch]).close()
    _tamper(path, f"INSERT OR REPLACE INTO state (key, value) VALUES ('{key}', '{value}')")
    with Project.open(path) as project:
        assert [b.id for b in project.branches] == [branch.id]
        assert project.active_branch_id == branch.id
        assert isinstance(project.view_state, dict) and isinstance(project.engine_settings, dict)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE artwork SET png = 'not bytes'",
        "UPDATE artwork SET png = X'0011'",
        "UPDATE artwork SET layer_names = '{'",
        "UPDATE artwork SET layer_names = '5'",
    ],
)
def test_damaged_artwork_row_says_the_artwork_is_damaged(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, statement)
    with pytest.raises(ProjectError, match="artwork stored in 'a.undoproj' is damaged") as info:
        Project.open(path)
    assert "backup" in info.value.hint
    assert not Path(f"{path}-wal").exists()  # the store was closed on the way out


def test_damaged_frame_rows_are_skipped_in_the_index(tmp_path: Path) -> None:
    """One bad row must not make the whole project unopenable: that frame is simply rendered again."""
    path = tmp_path / "a.undoproj"
    good = FrameKey("a", "b", Keyframe(1))
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frame(good, _frame(1))
    _tamper(
        path,
        "INSERT INTO frames VALUES ('garbage', 'b', 'exact', 0, 0, 1, 1, X'00')",
        "INSERT INTO frames VALUES ('a:b:k2', 'b', 'from-the-future', 0, 2, 1, 1, X'00')",
    )
    with ProjectStore.open(path) as store:
        assert store.frame_index("b") == [(good, FrameKind.EXACT, 1)]
        assert store.get_frame(FrameKey("a", "b", Keyframe(2))) is None  # rendered again instead
        assert store.damaged_frames == 1


def test_frame_claiming_a_huge_size_is_refused_before_decoding(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ProjectError, match="60000x60000"):
        project_store.decode_png(bomb)
    with pytest.raises(ProjectError, match="damaged"):
        project_store.decode_png(b"\xff\xd8\xff\xe0 a JPEG is not what we store")


@pytest.mark.parametrize("how", ["create", "save_as"])
def test_saving_onto_a_folder_or_under_a_file_is_a_project_error(tmp_path: Path, how: str) -> None:
    (tmp_path / "taken.undoproj").mkdir()
    (tmp_path / "a_file").write_text("x")
    source = tmp_path / "src.undoproj"
    for target, match in (
        (tmp_path / "taken.undoproj", "folder of that name"),
        (tmp_path / "a_file" / "p.undoproj", "is a file"),
    ):
        if how == "create":
            with pytest.raises(ProjectError, match=match):
                ProjectStore.create(target, _artwork())
        else:
            with ProjectStore.create(source, _artwork()) as store:
                with pytest.raises(ProjectError, match=match):
                    store.save_as(target)
                assert not store.closed  # the user keeps working on the original
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["taken.undoproj", "a_file"] + (["src.undoproj"] if how == "save_as" else [])
    )
