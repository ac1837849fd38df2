"""Saving never freezes what is shown (issue 10.2): a big save is written a batch at a time, so a render
asked for meanwhile runs between two batches, and a long save says how far it is."""

from __future__ import annotations

import re
import threading

from ui_helpers import open_small

from app.core.project import Project


def test_a_render_asked_for_during_a_big_save_ends_before_the_save(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    monkeypatch.setattr("app.ui.frame_batches.BATCH_FRAMES", 2)
    monkeypatch.setattr("app.ui.status_bar.SAVE_COUNT_FROM", 1)
    gate, gating, written = threading.Semaphore(0), [True], []
    put_frames = Project.put_frames

    def held_put_frames(self, items):  # the writer is slow: each write waits for the test's go
        if gating[0]:
            assert gate.acquire(timeout=20), "the test never let this write go"
        written.append(len(items))
        return put_frames(self, items)

    monkeypatch.setattr(Project, "put_frames", held_put_frames)
    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    doc, bid = w.document, w.document.active_id
    qtbot.waitUntil(lambda: not doc.is_busy(), timeout=30000)  # no frame comes after the count below
    total = len(doc.frames_in_memory(bid))
    assert total > 4, "the save must be bigger than a couple of batches"
    assert w.controller.files.save(path=tmp_path / "big.undoproj")
    assert w.projects.busy()

    step = next(s for s in range(100, 999) if not doc.has_frame(bid, s))
    at_render: list[int] = []
    doc.frames_added.connect(lambda b, steps: at_render.append(sum(written)) if step in steps else None)
    doc.request(bid, step, -1)
    gate.release()  # one write may go
    qtbot.waitUntil(lambda: bool(at_render), timeout=30000)
    assert at_render[0] < total, "the render waited for the whole save"
    assert w.projects.busy(), "the save is still being written"
    counts = re.search(r"(\d+) / (\d+)", w.status.saving_label.text())
    assert counts is not None, w.status.saving_label.text()
    assert int(counts[1]) < int(counts[2]) and int(counts[2]) >= total

    gating[0] = False
    for _ in range(total):
        gate.release()
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    assert sum(written) >= total and "/" not in w.status.saving_label.text()
    with Project.open(tmp_path / "big.undoproj", read_only=True) as p:
        stored = {s for _k, _kind, s in p.stored_frames(p.branches[0])}
    assert stored >= {frame.step for _key, frame in doc.frames_in_memory(bid)[:total]} - {step}
