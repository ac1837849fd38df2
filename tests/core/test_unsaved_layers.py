"""A layered project whose stack was never written: the app saves a new project without its layers and
writes them afterwards (`create(layers=False)`, then `put_layers` on the UI's worker). When the app is
killed in between, the file says so, and reopening it reads the layers again from the unchanged source
file, or opens the artwork flat, branches and frames kept, with a notice that says what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_psd

from app.core import project_store
from app.core.artwork import Artwork, load_artwork
from app.core.branch import Branch, BranchSpec
from app.core.project import LAYERS_LOST_HINT, Project
from app.core.project_store import LAYERS_PENDING, ProjectStore
from app.errors import ProjectError

SIZE = (96, 64)


def _specs(seed: int = 1) -> list[Spec]:
    return [
        Spec("Background", gradient_rgba(*SIZE, seed=seed, alpha=False)),
        Spec("Lines", gradient_rgba(50, 40, seed + 2), x=5, y=30, blend="multiply"),
    ]


def _killed_before_the_layers(tmp_path: Path) -> tuple[Path, Artwork, Branch]:
    """What a crash right after the first Save of a PSD leaves: the file, without its layer stack."""
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    branch = Branch("Seed 0", BranchSpec.make("procedural", 0))
    path = tmp_path / "p.undoproj"
    Project.create(path, art, [branch], layers=False).close()  # put_layers never ran
    return path, art, branch


def _names(project: Project) -> tuple[str, ...]:
    assert project.artwork.layers is not None
    return project.artwork.layers.layer_names()


def test_the_pending_mark_is_written_with_the_project_and_cleared_with_the_layers(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    with Project.create(tmp_path / "p.undoproj", art, layers=False) as project:
        assert project.layers_due and project.store.layers_pending
        project.put_layers()
        assert not project.layers_due and not project.store.layers_pending
    with Project.create(tmp_path / "whole.undoproj", art) as whole:
        assert not whole.layers_due and not whole.store.layers_pending


def test_a_failed_layer_write_keeps_the_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack and the mark go in one transaction: a write that fails half-way leaves both as before."""
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    real = project_store.write_stack

    def fails_after_writing(conn: sqlite3.Connection, encoded: object) -> None:
        real(conn, encoded)  # type: ignore[arg-type]
        raise sqlite3.OperationalError("disk I/O error")

    with Project.create(tmp_path / "p.undoproj", art, layers=False) as project:
        monkeypatch.setattr(project_store, "write_stack", fails_after_writing)
        with pytest.raises(ProjectError):
            project.put_layers()
        assert project.store.layers_pending
        assert project.store.load_artwork().layers is None


def test_killed_before_the_layers_reopens_with_them_read_from_the_source(tmp_path: Path) -> None:
    path, art, branch = _killed_before_the_layers(tmp_path)
    with Project.open(path) as project:
        assert project.layers_lost is None and project.layers_due
        assert _names(project) == ("Background", "Lines")
        assert project.artwork.content_hash == art.content_hash
        assert [b.id for b in project.branches] == [branch.id]
        project.put_layers()  # what the UI does on its worker after opening
    (tmp_path / "art.psd").unlink()
    with Project.open(path) as project:  # now the file alone has them
        assert _names(project) == ("Background", "Lines") and not project.layers_due
        assert project.layers_lost is None and not project.store.layers_pending


def test_killed_before_the_layers_and_the_source_gone_opens_flat_with_what_to_do(tmp_path: Path) -> None:
    path, art, branch = _killed_before_the_layers(tmp_path)
    source = tmp_path / "art.psd"
    kept = source.read_bytes()
    source.unlink()
    with Project.open(path) as project:
        assert project.artwork.layers is None and not project.layers_due
        assert np.array_equal(project.artwork.pixels, art.pixels)
        assert [b.id for b in project.branches] == [branch.id]  # nothing else lost
        lost = project.layers_lost
        assert lost is not None and "never saved" in lost.message and "no longer there" in lost.message
        assert str(source) in lost.message and lost.hint == LAYERS_LOST_HINT
    source.write_bytes(kept)  # the user does what the notice says
    with Project.open(path) as project:
        assert project.layers_lost is None and _names(project) == ("Background", "Lines")


def test_killed_before_the_layers_and_the_source_changed_opens_flat(tmp_path: Path) -> None:
    path, art, _branch = _killed_before_the_layers(tmp_path)
    write_psd(tmp_path / "art.psd", SIZE, _specs(seed=7))  # painted on since
    with Project.open(path) as project:
        assert project.artwork.layers is None and np.array_equal(project.artwork.pixels, art.pixels)
        assert project.layers_lost is not None and "has changed" in project.layers_lost.message
        assert project.store.layers_pending  # still: putting the old file back recovers them


def test_killed_before_the_layers_and_the_source_unreadable_opens_flat(tmp_path: Path) -> None:
    path, _art, _branch = _killed_before_the_layers(tmp_path)
    (tmp_path / "art.psd").write_bytes(b"8BPS not really")
    with Project.open(path) as project:
        assert project.artwork.layers is None
        assert project.layers_lost is not None and "could not be read" in project.layers_lost.message


def test_read_only_reopening_shows_the_layers_and_save_as_writes_them(tmp_path: Path) -> None:
    path, _art, _branch = _killed_before_the_layers(tmp_path)
    with Project.open(path, read_only=True) as project:
        assert project.layers_due and _names(project) == ("Background", "Lines")
        project.save_as(tmp_path / "copy.undoproj")
        project.put_layers()
    (tmp_path / "art.psd").unlink()
    with Project.open(tmp_path / "copy.undoproj") as copy:
        assert _names(copy) == ("Background", "Lines") and copy.layers_lost is None


def test_a_damaged_stack_is_read_again_from_the_unchanged_source(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    path = tmp_path / "p.undoproj"
    Project.create(path, art).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE layer_stack SET meta = 'not json'")
    conn.commit()
    conn.close()
    with Project.open(path) as project:
        assert project.layers_due and _names(project) == ("Background", "Lines")
        project.put_layers()
    (tmp_path / "art.psd").unlink()
    with Project.open(path) as project:
        assert _names(project) == ("Background", "Lines") and project.store.layers_damaged is None
    conn = sqlite3.connect(path)
    conn.execute("UPDATE layer_stack SET meta = 'not json'")
    conn.commit()
    conn.close()
    with Project.open(path) as project:  # damaged and no source: flat, with the notice
        assert project.layers_lost is not None and "damaged" in project.layers_lost.message


def test_an_older_project_without_the_mark_opens_flat_without_a_notice(tmp_path: Path) -> None:
    """A file from before the mark (or a plain image's project) is never taken for a half-written one."""
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    path = tmp_path / "p.undoproj"
    Project.create(path, art, layers=False).close()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM state WHERE key = ?", (LAYERS_PENDING,))
    conn.commit()
    conn.close()
    with ProjectStore.open(path) as store:
        assert not store.layers_pending
    with Project.open(path) as project:
        assert project.artwork.layers is None and project.layers_lost is None and not project.layers_due
