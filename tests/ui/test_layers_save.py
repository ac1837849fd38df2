"""A layered artwork's first Save writes its layer stack from the worker thread, never the UI thread
(encoding one PNG per layer of a large painting takes seconds), and the project reopens with it."""

from __future__ import annotations

import threading

import numpy as np
from layered_files import Spec, gradient_rgba, write_ora
from ui_helpers import open_artwork

import app.core.layer_store as layer_store
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
