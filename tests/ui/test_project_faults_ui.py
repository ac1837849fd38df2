"""Project files that met the world, in the window (issue 10): a damaged view state, damaged frames, a full
disk during autosave, the file moved while open, a second instance, a read-only project."""

from __future__ import annotations

import sqlite3

import pytest
from ui_helpers import open_project, open_small, played_project, wait_exact

from app.core.frames import MAX_STEP, FrameKind


def _tamper(path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("view", ['{"step": "abc"}', '{"step": [3], "compare": 7}', '{"step": 1e999}'])
def test_a_project_with_a_damaged_view_opens_at_the_default_step(
    qtbot, make_window, small_artwork, tmp_path, view
):
    path = tmp_path / "view.undoproj"
    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.close()
    _tamper(path, "UPDATE state SET value = ? WHERE key = 'view'", view)
    w2 = make_window()
    assert open_project(qtbot, w2, path)
    assert w2.playback.step == MAX_STEP and not w2.viewer.comparing


def test_damaged_frames_are_made_again_with_one_message(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    path, made = played_project(qtbot, make_window, small_artwork, tmp_path / "hurt.undoproj", (500,))
    damaged = sorted(s for s in made if 490 <= s <= 510)
    assert 500 in damaged and len(damaged) > 1
    _tamper(path, "UPDATE frames SET data = X'89504E47' WHERE step BETWEEN 490 AND 510")
    engine_log["calls"].clear()
    w = make_window()
    messages: list[str] = []
    w.projects.error.connect(messages.append)
    assert open_project(qtbot, w, path)
    for s in damaged:
        w.timeline.slider.setValue(s)
        qtbot.waitUntil(lambda: w.viewer.shown_kinds == [FrameKind.EXACT], timeout=30000)
    assert "render" in engine_log["calls"], "a damaged frame is made again, never waited for"
    assert len(messages) == 1 and "hurt.undoproj" in messages[0] and "damaged" in messages[0]
    assert "damaged" in w.status.error_label.text()


def _set_page_limit(store, pages: int | None = None) -> None:
    """SQLite's page limit gives the very error a full disk gives (SQLITE_FULL): None frees it again."""
    with store._lock:
        conn = store._connection()
        limit = conn.execute("PRAGMA page_count").fetchone()[0] if pages is None else pages
        conn.execute(f"PRAGMA max_page_count = {limit}")


def test_a_full_disk_keeps_frames_and_writes_them_when_space_returns(
    qtbot, make_window, small_artwork, tmp_path
):
    from app.core.project import Project

    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    path = tmp_path / "full.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    messages: list[str] = []
    w.projects.error.connect(messages.append)
    w.projects.retry_timer.setInterval(100)
    store = w.projects.project.store
    _set_page_limit(store)  # the disk is full from now on

    w.timeline.slider.setValue(300)
    qtbot.waitUntil(lambda: w.status.unsaved_label.isVisible(), timeout=30000)
    qtbot.wait(600)  # several retries, still full
    assert len(messages) == 1, messages
    assert "disk is full" in messages[0] and "rollback" not in messages[0]
    assert "300" in w.status.unsaved_label.toolTip() and not w.status.saving_label.isVisible()
    assert w.projects.busy() and "*" in w.windowTitle()

    _set_page_limit(store, 1073741823)  # space is back
    qtbot.waitUntil(lambda: not w.status.unsaved_label.isVisible() and not w.projects.busy(), timeout=30000)
    assert "*" not in w.windowTitle() and len(messages) == 1
    with Project.open(path, read_only=True) as p:
        assert 300 in {step for _k, _kind, step in p.stored_frames(p.branches[0])}


def _saved(qtbot, make_window, small_artwork, path):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    return w


def test_a_second_instance_opens_the_project_read_only_with_a_notice(
    qtbot, make_window, small_artwork, tmp_path
):
    from app.core.project import Project

    path = tmp_path / "shared.undoproj"
    first = _saved(qtbot, make_window, small_artwork, path)
    second = make_window()
    assert open_project(qtbot, second, path)
    assert second.projects.project.read_only
    assert "read-only" in second.status.error_label.text()
    assert "another Undo Studio window" in second.status.error_label.toolTip()
    assert "(read-only)" in second.windowTitle()
    second.document.duplicate_branch(second.document.active_id)  # a change the file must not get
    second.timeline.slider.setValue(200)
    qtbot.waitUntil(lambda: second.status.unsaved_label.isVisible(), timeout=30000)
    first.document.duplicate_branch(first.document.active_id)  # the writer's change does get there
    with Project.open(path, read_only=True) as p:
        assert [b.id for b in p.branches] == [b.id for b in first.document.branches]
    second.close()
    first.close()
    with Project.open(path) as p:  # both closed: free for writing again
        assert len(p.branches) == 2


def test_a_read_only_project_opens_read_only_and_save_as_keeps_the_changes(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    import os

    from app.core.project import Project

    path = tmp_path / "ro.undoproj"
    _saved(qtbot, make_window, small_artwork, path).close()
    real_access = os.access
    # Tests may run as root, where chmod does not stop writes: simulate the read-only folder instead.
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    w = make_window()
    assert open_project(qtbot, w, path)
    assert w.projects.project.read_only and "read-only location" in w.status.error_label.toolTip()
    w.timeline.slider.setValue(321)
    qtbot.waitUntil(lambda: w.status.unsaved_label.isVisible(), timeout=30000)
    assert "321" in w.status.unsaved_label.toolTip() and not w.projects.busy()
    monkeypatch.undo()
    copy = tmp_path / "copy.undoproj"
    asked: list[str] = []
    w.controller.files.confirm_close = lambda: asked.append("asked") or "cancel"
    assert not w.controller.files.leave_current(), "unsaved work in a read-only project is asked about"
    assert asked
    assert w.controller.files.save(path=copy)
    qtbot.waitUntil(lambda: not w.projects.busy() and not w.status.unsaved_label.isVisible(), timeout=30000)
    assert not w.projects.project.read_only and "(read-only)" not in w.windowTitle()
    with Project.open(copy, read_only=True) as p:
        assert 321 in {step for _k, _kind, step in p.stored_frames(p.branches[0])}


def test_a_deleted_project_file_is_noticed_once_and_save_as_rescues_it(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from app.core.project import Project

    path = tmp_path / "gone.undoproj"
    w = _saved(qtbot, make_window, small_artwork, path)
    w.timeline.slider.setValue(450)
    wait_exact(qtbot, w)
    qtbot.waitUntil(lambda: not w.projects.busy() and not w.document.dirty, timeout=30000)
    path.unlink()
    w.projects.watch()
    box = w.controller.files._lost_box
    assert box is not None and box.isVisible() and "gone.undoproj" in box.text()
    w.projects.watch()
    assert w.controller.files._lost_box is box, "said once"
    rescued = tmp_path / "rescued.undoproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(rescued), ""))
    next(b for b in box.buttons() if "Save As" in b.text()).click()
    qtbot.waitUntil(lambda: w.projects.path == rescued and not w.projects.busy(), timeout=30000)
    with Project.open(rescued, read_only=True) as p:
        assert 450 in {step for _k, _kind, step in p.stored_frames(p.branches[0])}


def test_the_wal_is_checkpointed_when_idle(qtbot, make_window, small_artwork, tmp_path):
    import shutil
    from pathlib import Path

    from app.core.project import Project

    path = tmp_path / "idle.undoproj"
    w = _saved(qtbot, make_window, small_artwork, path)
    w.timeline.slider.setValue(222)
    wait_exact(qtbot, w)
    qtbot.waitUntil(lambda: not w.projects.busy() and not w.document.dirty, timeout=30000)
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0
    w.projects.watch()
    qtbot.waitUntil(lambda: wal.stat().st_size == 0, timeout=10000)
    shutil.copy(path, tmp_path / "alone.undoproj")  # the main file only, as a careless backup takes it
    with Project.open(tmp_path / "alone.undoproj") as p:
        assert 222 in {step for _k, _kind, step in p.stored_frames(p.branches[0])}
