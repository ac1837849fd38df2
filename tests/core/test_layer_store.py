"""A layered artwork's stack in the project file: a project reopens with its layers without the source
file; sizes are checked before anything is inflated; a damaged stack opens the artwork flat; an older
project (schema 2) is migrated and opens flat as before."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_kra, write_psd

from app.core.artwork import load_artwork
from app.core.compositor import composite_rgb
from app.core.layers import Group, Layer
from app.core.project import Project
from app.core.project_store import SCHEMA_VERSION, ProjectStore

SIZE = (96, 64)


def _specs() -> list[Spec]:
    ramp = (np.arange(30)[None, :].repeat(20, 0) * 8).astype(np.uint8)
    return [
        Spec("Background", gradient_rgba(*SIZE, seed=1, alpha=False)),
        Spec("Lines", gradient_rgba(50, 40, 3), x=5, y=30, blend="multiply", opacity=200, mask=(ramp, 8, 32)),
        Spec("Shade", gradient_rgba(80, 60, 4), clipping=True, blend="soft_light"),
        Spec(
            "Group", group=True, children=[Spec("Sketch", gradient_rgba(30, 30, 6), x=50, y=5, visible=False)]
        ),
    ]


def _same_tree(a, b) -> None:  # type: ignore[no-untyped-def]
    nodes_a, nodes_b = list(a.walk()), list(b.walk())
    assert len(nodes_a) == len(nodes_b)
    for (x, _), (y, _) in zip(nodes_a, nodes_b, strict=True):
        assert type(x) is type(y) and x.name == y.name and x.blend == y.blend and x.visible == y.visible
        assert x.opacity == y.opacity and x.clipping == y.clipping
        if isinstance(x, Layer):
            assert (x.x, x.y, x.kind) == (y.x, y.y, y.kind) and np.array_equal(x.pixels, y.pixels)
        assert (x.mask is None) == (y.mask is None)
        if x.mask is not None:
            assert np.array_equal(x.mask.pixels, y.mask.pixels) and (x.mask.x, x.mask.default) == (
                y.mask.x,
                y.mask.default,
            )


def test_a_layered_project_reopens_without_its_source_file(tmp_path: Path) -> None:
    source = write_psd(tmp_path / "art.psd", SIZE, _specs())
    art = load_artwork(source)
    Project.create(tmp_path / "p.undoproj", art).close()
    source.unlink()
    with Project.open(tmp_path / "p.undoproj") as project:
        stack = project.artwork.layers
        assert stack is not None and stack.source_format == "psd" and stack.merged is not None
        assert np.array_equal(stack.merged, project.artwork.pixels)
        _same_tree(stack, art.layers)
        assert np.array_equal(composite_rgb(stack), composite_rgb(art.layers))  # type: ignore[arg-type]
        assert project.artwork.content_hash == art.content_hash


def test_a_stack_without_merged_image_is_stored_without_one(tmp_path: Path) -> None:
    art = load_artwork(write_kra(tmp_path / "a.kra", SIZE, _specs()[:2]))
    with ProjectStore.create(tmp_path / "p.undoproj", art) as store:
        again = store.load_artwork()
    assert again.layers is not None and again.layers.merged is None
    assert isinstance(again.layers.children[1], Layer)


def _tamper(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _meta(path: Path) -> dict:  # type: ignore[type-arg]
    conn = sqlite3.connect(path)
    meta = json.loads(conn.execute("SELECT meta FROM layer_stack").fetchone()[0])
    conn.close()
    return meta  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE layer_images SET png = x'89504e470d0a1a0a0000000d49484452000fffff000fffff0806000000'",  # claims 1 TP
        "DELETE FROM layer_images WHERE idx = 0",
        "UPDATE layer_stack SET meta = 'not json'",
        "UPDATE layer_stack SET meta = json_set(meta, '$.children[0].w', 99999999)",  # over the budget
        "UPDATE layer_stack SET meta = json_set(meta, '$.children[0].blend', 'hologram')",
        "UPDATE layer_stack SET meta = json_set(meta, '$.width', 5)",
    ],
)
def test_a_damaged_stack_opens_the_artwork_flat(tmp_path: Path, damage: str) -> None:
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    Project.create(tmp_path / "p.undoproj", art).close()
    _tamper(tmp_path / "p.undoproj", damage)
    with ProjectStore.open(tmp_path / "p.undoproj") as store:
        again = store.load_artwork()
        assert again.layers is None and store.layers_damaged
        assert np.array_equal(again.pixels, art.pixels)


def test_declared_sizes_are_checked_before_inflating(tmp_path: Path, monkeypatch) -> None:
    from app.core import layer_store

    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    Project.create(tmp_path / "p.undoproj", art).close()
    _tamper(
        tmp_path / "p.undoproj", "UPDATE layer_stack SET meta = json_set(meta, '$.children[0].w', 99999999)"
    )
    decoded: list[int] = []
    monkeypatch.setattr(layer_store, "_decode", lambda *a: decoded.append(1))
    with ProjectStore.open(tmp_path / "p.undoproj") as store:
        assert store.load_artwork().layers is None
    assert decoded == []


def test_a_schema_2_project_is_migrated_and_opens_flat(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    plain = type(art)(art.pixels, art.source, art.layer_names)
    Project.create(tmp_path / "p.undoproj", plain).close()
    _tamper(
        tmp_path / "p.undoproj",
        "DROP TABLE layer_stack",
        "DROP TABLE layer_images",
        "UPDATE schema_version SET version = 2",
    )
    with ProjectStore.open(tmp_path / "p.undoproj") as store:
        assert store.load_artwork().layers is None and store.layers_damaged is None
    conn = sqlite3.connect(tmp_path / "p.undoproj")
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)] == [(3,)]
    assert conn.execute("SELECT COUNT(*) FROM layer_stack").fetchone() == (0,)
    conn.close()


def test_groups_are_kept(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    with ProjectStore.create(tmp_path / "p.undoproj", art) as store:
        group = store.load_artwork().layers.children[-1]  # type: ignore[union-attr]
    assert isinstance(group, Group) and group.children[0].name == "Sketch" and not group.children[0].visible


def test_a_project_created_without_its_layers_gets_them_later(tmp_path: Path) -> None:
    """What the UI's first save does: the file at once, the layers written afterwards (on its worker)."""
    art = load_artwork(write_psd(tmp_path / "art.psd", SIZE, _specs()))
    path = tmp_path / "p.undoproj"
    with Project.create(path, art, layers=False) as project:
        with Project.open(path, read_only=True) as early:
            assert early.store.layers_pending and early.layers_due  # not in the file yet
        project.put_layers()
    with Project.open(path) as project:
        assert project.artwork.layers is not None
        _same_tree(project.artwork.layers, art.layers)
