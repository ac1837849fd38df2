"""A layered artwork's first Save writes its layer stack from the worker thread, never the UI thread
(encoding one PNG per layer of a large painting takes seconds), and the project reopens with it. When
the app was killed before the stack was written, reopening reads it from the source file and saves it,
or, the source gone, opens the project flat and says what to do."""

from __future__ import annotations

import threading

import numpy as np
from layered_files import Spec, gradient_rgba, write_ora
from ui_helpers import open_artwork, open_project

import app.core.layer_store as layer_store
from app.core.artwork import load_artwork
from app.core.branch import Branch, BranchSpec
from app.core.project import Project


def test_the_first_save_encodes_the_layers_on_the_worker(qtbot, make_window, tmp_path, monkeypatch):
    specs = [
        Spec("Background", np.full((64, 80, 4), (230, 230, 250, 255), np.uint8)),
        Spec("Colour", gradient_rgba(40, 30, 2), x=10, y=10),
    ]
    source = write_ora(tmp_path / "art.ora", (80, 64), specs)
    threads: list[threading.Thread] = []
    encode = layer_store._encode

    def spy(pixels: np.ndarray) -> bytes:
        threads.append(threading.current_thread())
        return encode(pixels)

    monkeypatch.setattr(layer_store, "_encode", spy)
    w = make_window()
    assert open_artwork(qtbot, w, source, step=999)
    path = tmp_path / "art.undoproj"
    assert w.controller.files.save(path=path)
    assert w.projects.busy()  # the layers are on their way
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    assert len(threads) == 2
    assert threading.main_thread() not in threads
    w.close()
    with Project.open(path) as project:
        assert project.artwork.layers is not None
        assert project.artwork.layers.layer_names() == ("Background", "Colour")


def _killed_before_the_layers(tmp_path):
    """The first Save of a layered file, the app killed before the worker wrote the layers."""
    specs = [
        Spec("Background", np.full((64, 80, 4), (230, 230, 250, 255), np.uint8)),
        Spec("Colour", gradient_rgba(40, 30, 2), x=10, y=10),
    ]
    source = write_ora(tmp_path / "art.ora", (80, 64), specs)
    path = tmp_path / "art.undoproj"
    branch = Branch("Seed 0", BranchSpec.make("layers", 0))
    Project.create(path, load_artwork(source), [branch], layers=False).close()
    return source, path


def test_reopening_after_a_crash_reads_the_layers_from_the_source_and_saves_them(
    qtbot, make_window, tmp_path
):
    source, path = _killed_before_the_layers(tmp_path)
    w = make_window()
    messages: list[str] = []
    w.controller.files.error.connect(messages.append)
    assert open_project(qtbot, w, path)
    assert w.layers_dock.isVisible() and w.document.artwork.layered
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)  # the layers written on the worker
    assert messages == []
    w.close()
    source.unlink()
    with Project.open(path) as project:
        assert project.artwork.layers is not None and not project.store.layers_pending
        assert project.artwork.layers.layer_names() == ("Background", "Colour")


def test_reopening_after_a_crash_without_the_source_says_what_to_do(qtbot, make_window, tmp_path):
    source, path = _killed_before_the_layers(tmp_path)
    source.unlink()
    w = make_window()
    messages: list[str] = []
    w.controller.files.error.connect(messages.append)
    assert open_project(qtbot, w, path)
    assert w.document.artwork is not None and not w.layers_dock.isVisible()
    assert len(w.document.branches) == 1  # the project opened, branches and all
    assert len(messages) == 1
    assert "art.undoproj opened without its layers" in messages[0]
    assert "never saved" in messages[0] and "Put the layered file back" in messages[0]
