"""Frames stored in the project file but not in memory (a reopened project, or after the memory LRU evicted
them) are read back on the worker thread only: the UI thread paints the best preview at once and the
stored frame replaces it when it arrives (design §7: a PNG decode at 1024² alone can exceed the budget)."""

from __future__ import annotations

import threading

from ui_helpers import open_project, open_small, played_project, wait_exact

from app.core.frames import FrameKind
from app.core.project import Project


def _spy_project_reads(monkeypatch) -> dict[str, int]:
    """Count `Project.get_frame` calls by thread (class-level, so it sees the project the window opens)."""
    calls = {"ui": 0, "worker": 0}
    ui_thread = threading.get_ident()
    read = Project.get_frame

    def spy(self, key):
        calls["ui" if threading.get_ident() == ui_thread else "worker"] += 1
        return read(self, key)

    monkeypatch.setattr(Project, "get_frame", spy)
    return calls


def _saved_project(qtbot, make_window, small_artwork, tmp_path, steps=(900, 700, 500, 300, 100)):
    """A saved project with the frames around `steps` rendered; returns (path, stored steps)."""
    path, made = played_project(qtbot, make_window, small_artwork, tmp_path / "stored.undoproj", steps)
    return path, sorted(made)


def test_scrubbing_a_reopened_project_never_reads_the_file_on_the_ui_thread(
    qtbot, make_window, small_artwork, tmp_path, engine_log, monkeypatch
):
    path, stored = _saved_project(qtbot, make_window, small_artwork, tmp_path)
    calls = _spy_project_reads(monkeypatch)
    engine_log["calls"].clear()
    w = make_window()
    assert open_project(qtbot, w, path)
    for s in (700, 300, 500, 100):
        assert s in stored
        w.timeline.slider.setValue(s)
        assert calls["ui"] == 0, "a stored frame was read (and decoded) on the UI thread"
        qtbot.waitUntil(lambda: w.viewer.shown_kinds == [FrameKind.EXACT], timeout=10000)
    assert calls["ui"] == 0
    assert calls["worker"] > 0, "the stored frames came from the file, on the worker"
    assert engine_log["calls"] == [], "stored frames are never rendered again"


def test_evicted_frames_show_a_preview_at_once_then_come_back_from_the_file(
    qtbot, make_window, small_artwork, tmp_path, engine_log, monkeypatch
):
    calls = _spy_project_reads(monkeypatch)
    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    doc, bid = w.document, w.document.active_id
    for s in (600, 400):
        doc.request(bid, s, -1)
        qtbot.waitUntil(lambda s=s: doc.has_frame(bid, s) and not doc.is_busy(), timeout=30000)
    assert w.controller.files.save(path=tmp_path / "evict.undoproj")
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    doc.cancel_all()
    qtbot.waitUntil(lambda: w.worker.queue_length() == 0 and w.worker.runner.running() is None)
    doc._store.memory.clear()  # as if the memory LRU had evicted everything
    doc.request(bid, 999, -1)  # the white canvas end comes back first: something to blend with
    qtbot.waitUntil(lambda: doc.best_frame(bid, 999) is not None, timeout=10000)
    engine_log["rendered"].clear()

    w.timeline.slider.setValue(400)
    assert w.viewer.shown_kinds == [FrameKind.PREVIEW], "the nearest frame in memory is shown at once"
    assert doc.has_frame(bid, 400), "a frame on its way from the file is not forgotten"
    qtbot.waitUntil(lambda: w.viewer.shown_kinds == [FrameKind.EXACT], timeout=10000)
    assert calls["ui"] == 0
    # (neighbours the viewer plans after the paint may be rendered; step 400 itself must not be)
    assert 400 not in engine_log["rendered"], "the evicted frame came from the file, not the engine"


def test_a_superseded_load_is_cancelled_and_its_result_dropped(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    path, stored = _saved_project(qtbot, make_window, small_artwork, tmp_path, steps=(900, 100))
    w = make_window()
    assert open_project(qtbot, w, path)
    doc, bid = w.document, w.document.active_id
    w.viewer.suspended = True  # only this test's requests plan loads (the view's own plan timer is racy)
    doc.cancel_all()  # no prefetch, no planned loads: start from an empty memory cache
    qtbot.waitUntil(lambda: w.worker.queue_length() == 0 and w.worker.runner.running() is None)
    doc._store.memory.clear()
    loaded: list[int] = []
    doc.frames_loaded.connect(lambda _bid, steps: loaded.extend(steps))
    release = threading.Event()
    read = Project.get_frame

    def slow(self, key):
        release.wait(5.0)  # hold the first load on the worker until the scrub has moved on
        return read(self, key)

    monkeypatch.setattr(Project, "get_frame", slow)
    doc.request(bid, 900, -1)
    doc.request(bid, 100, -1)  # the playhead moved far away: the load for 900 is stale
    release.set()
    qtbot.waitUntil(lambda: 100 in loaded, timeout=10000)
    qtbot.waitUntil(lambda: w.worker.queue_length() == 0 and w.worker.runner.running() is None)
    assert 900 not in loaded, f"a superseded load must not be reported: {loaded}"
    assert doc.best_frame(bid, 100).kind is FrameKind.EXACT
    w.viewer.set_suspended(False)
    wait_exact(qtbot, w)


def test_save_as_after_reopening_keeps_the_frames_that_were_never_loaded(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    """Save As copies the whole file: frames stored but not in memory must not be left behind."""
    from app.core.project_store import ProjectStore

    path, stored = _saved_project(qtbot, make_window, small_artwork, tmp_path)
    with ProjectStore.open(path, read_only=True) as original:
        count = original.frame_count()
    assert count >= len(stored) > 0
    w = make_window()
    assert open_project(qtbot, w, path)
    target = tmp_path / "copy.undoproj"
    assert w.controller.files.save(path=target)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    assert w.projects.path == target
    w.close()
    with ProjectStore.open(target, read_only=True) as copy:
        assert copy.frame_count() == count
