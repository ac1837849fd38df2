"""Project files that met the world, in the window (issue 10): a damaged view state, damaged frames, a full
disk during autosave, the file moved while open, a second instance, a read-only project."""

from __future__ import annotations

import sqlite3

import pytest
from ui_helpers import open_project, open_small, played_project

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
