"""Recipes in the project file: round trip, seen-step ranges, the 1 -> 2 migration, Save As, branch
removal, and damaged rows (None, never a crash)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe
from app.core.project import Project
from app.core.project_recipes import format_steps, parse_steps
from app.core.project_store import SCHEMA_VERSION, ProjectStore
from app.errors import ProjectError


def _artwork() -> Artwork:
    return Artwork.from_array(np.random.default_rng(2).integers(0, 256, (12, 16, 3), dtype=np.uint8))


def _tamper(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "steps,text",
    [
        ((), ""),
        ({5}, "5"),
        (range(0, 121), "0-120"),
        ([999, 400, *range(0, 121), 400], "0-120,400,999"),
        ({1, 2, 4, 5, 7}, "1-2,4-5,7"),
        (range(1000), "0-999"),
    ],
)
def test_seen_steps_are_written_as_sorted_ranges(steps, text: str) -> None:
    assert format_steps(steps) == text
    assert parse_steps(text) == frozenset(steps)


@pytest.mark.parametrize(
    "text", ["5-", "-5", "a", "3-1", "1000", "0-1000", "1,,x", "1 - 2", "١٢", "9" * 5000, "1," * 10000]
)
def test_damaged_seen_steps_text_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_steps(text)


def test_out_of_range_steps_cannot_be_written() -> None:
    with pytest.raises(ValueError):
        format_steps([0, 1000])
    with pytest.raises(ValueError):
        format_steps([-1])


def test_store_round_trip_replace_seen_steps_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    with ProjectStore.create(path, _artwork()) as store:
        assert store.get_recipe("h1") is None
        store.put_recipe("h1", "procedural", b"\x00recipe", range(0, 121))
        store.put_recipe("h2", "procedural", b"other")
        store.put_recipe("h1", "procedural", b"\x00recipe v2", [999, *range(0, 121)])
        assert store.put_seen_steps("h2", [3, 4])
        assert not store.put_seen_steps("missing", [1])
    with ProjectStore.open(path) as store:
        record = store.get_recipe("h1")
        assert record is not None and record.engine == "procedural" and record.data == b"\x00recipe v2"
        assert record.seen_steps == frozenset([*range(0, 121), 999]) and record.branch_hash == "h1"
        other = store.get_recipe("h2")
        assert other is not None and other.data == b"other" and other.seen_steps == {3, 4}
        assert store.delete_recipe("h1") and not store.delete_recipe("h1")
        assert store.get_recipe("h1") is None and store.get_recipe("h2") is not None


def test_read_only_store_refuses_to_write_recipes(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    with ProjectStore.create(path, _artwork()) as store:
        store.put_recipe("h", "procedural", b"x", [1])
    with ProjectStore.open(path, read_only=True) as ro:
        record = ro.get_recipe("h")
        assert record is not None and record.seen_steps == {1}
        with pytest.raises(ProjectError, match="read-only"):
            ro.put_recipe("h", "procedural", b"y")


def test_version_1_file_is_migrated_and_keeps_its_frames(tmp_path: Path) -> None:
    path = tmp_path / "old.undoproj"
    key = FrameKey("a", "b", Keyframe(7))
    with ProjectStore.create(path, _artwork()) as store:
        store.put_frame(key, Frame(np.full((12, 16, 3), 7, np.uint8), 7, FrameKind.EXACT))
    _tamper(path, "DROP TABLE recipes", "UPDATE schema_version SET version = 1")  # exactly a v1 file
    with ProjectStore.open(path) as store:
        assert store.get_frame(key) is not None
        assert store.get_recipe("b") is None
        store.put_recipe("b", "procedural", b"r", [7])
        assert store.get_recipe("b") is not None
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()
    assert SCHEMA_VERSION == 3


def test_version_1_file_opened_read_only_asks_for_write_access(tmp_path: Path) -> None:
    path = tmp_path / "old.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, "DROP TABLE recipes", "UPDATE schema_version SET version = 1")
    with pytest.raises(ProjectError, match="older project format"):
        ProjectStore.open(path, read_only=True)


def test_missing_recipes_table_at_version_2_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, "DROP TABLE recipes")
    with pytest.raises(ProjectError, match="damaged .*recipes"):
        ProjectStore.open(path)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO recipes VALUES ('h', 'procedural', 'text, not bytes', '')",
        "INSERT INTO recipes VALUES ('h', 'procedural', X'00', '1-x')",
        "INSERT INTO recipes VALUES ('h', 'procedural', X'00', '5-2000')",
        "INSERT INTO recipes VALUES ('h', X'00', X'00', '')",
        "INSERT INTO recipes VALUES ('h', '', X'00', '')",
        "INSERT INTO recipes VALUES ('h', 'procedural', X'00', X'31')",
    ],
)
def test_damaged_recipe_row_reads_as_no_recipe(tmp_path: Path, statement: str) -> None:
    path = tmp_path / "a.undoproj"
    ProjectStore.create(path, _artwork()).close()
    _tamper(path, statement)
    with ProjectStore.open(path) as store:
        assert store.get_recipe("h") is None


def test_save_as_carries_recipes(tmp_path: Path) -> None:
    branch = Branch("A", BranchSpec.make("procedural", 1))
    project = Project.create(tmp_path / "a.undoproj", _artwork(), [branch])
    project.put_recipe(branch, b"recipe bytes", [0, 1, 2, 999])
    project.save_as(tmp_path / "copy.undoproj")
    assert project.put_seen_steps(branch, [0, 1, 2, 3, 999])  # goes to the copy from now on
    project.close()
    with Project.open(tmp_path / "copy.undoproj") as copy:
        record = copy.get_recipe(copy.branches[0])
        assert record is not None and record.data == b"recipe bytes"
        assert record.seen_steps == {0, 1, 2, 3, 999}
    with Project.open(tmp_path / "a.undoproj") as original:
        record = original.get_recipe(original.branches[0])
        assert record is not None and record.seen_steps == {0, 1, 2, 999}


def test_project_recipe_of_another_engine_is_not_handed_out(tmp_path: Path) -> None:
    branch = Branch("A", BranchSpec.make("procedural", 1))
    with Project.create(tmp_path / "a.undoproj", _artwork(), [branch]) as project:
        project.store.put_recipe(branch.spec.spec_hash(), "paints-undo", b"r")
        assert project.get_recipe(branch) is None
        project.put_recipe(branch, b"r")
        record = project.get_recipe(branch)
        assert record is not None and record.engine == "procedural" and record.seen_steps == frozenset()


def test_remove_branch_deletes_its_recipe_only_when_unshared(tmp_path: Path) -> None:
    spec = BranchSpec.make("procedural", 3)
    a, b = Branch("A", spec), Branch("B", spec)
    c = Branch("C", BranchSpec.make("procedural", 4))
    with Project.create(tmp_path / "a.undoproj", _artwork(), [a, b, c]) as project:
        project.put_recipe(a, b"shared", [1])
        project.put_recipe(c, b"own", [2])
        project.remove_branch(a.id)
        assert project.get_recipe(b) is not None  # B has the same spec: same frames, same recipe
        project.remove_branch(b.id)
        assert project.store.get_recipe(spec.spec_hash()) is None
        assert project.get_recipe(c) is not None
        project.remove_branch(c.id, delete_frames=False)
        assert project.store.get_recipe(c.spec.spec_hash()) is not None
