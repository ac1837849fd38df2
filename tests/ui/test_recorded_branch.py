"""A real recording as a read-only "Recorded" branch (issue 11): added from the File menu or by dropping
a video on an open artwork; it is aligned on the worker like any branch's prepare, shows on the same
slider, and cannot be forked or duplicated (it has no seed and no process to redo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import synthetic_recordings as S
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from ui_helpers import open_small, wait_exact


def _files(tmp_path: Path) -> tuple[Path, Path]:
    art = S.artwork()
    art_path = tmp_path / "lighthouse.png"
    Image.fromarray(np.asarray(art.pixels)).save(art_path)
    made = S.make(S.process(art, 3, count=24), drop=())
    return art_path, S.write_mp4(tmp_path / "timelapse.mp4", made.frames, made.numbers)


def _drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)


def test_add_recording_from_the_menu_makes_a_read_only_recorded_branch(
    qtbot, make_window, tmp_path, monkeypatch
):
    art_path, video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path, step=0)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(video), "")))
    w.menus.add_recording_action.trigger()
    doc = w.document
    recorded = doc.active
    assert recorded.spec.engine == "recording" and recorded.name == "Recorded: timelapse.mp4"
    assert recorded.spec.setting("path") == str(video.resolve())
    assert not w.branches_panel.fork_button.isEnabled() and not w.branches_panel.duplicate_button.isEnabled()
    wait_exact(qtbot, w)
    assert doc.has_frame(recorded.id, 0), "the recording's frame for the current step was made"
    count = len(doc.branches)
    w.menus.fork_action.trigger()
    w.menus.duplicate_action.trigger()
    assert len(doc.branches) == count, "a Recorded branch is not forked or duplicated"
    w.menus.undo_action.trigger()
    assert not doc.has_branch(recorded.id), "adding a recording is undone like any new branch"


def test_dropping_a_video_on_an_open_artwork_adds_it_as_a_recording(qtbot, make_window, tmp_path):
    art_path, video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path)
    _drop(w, video)
    assert w.document.active.spec.engine == "recording"
    assert w.document.artwork.source == art_path, "the artwork stays open"
    wait_exact(qtbot, w)


def test_add_recording_without_an_artwork_says_what_to_do(qtbot, make_window):
    w = make_window()
    w.controller.files.browse_recording()
    assert "Open an artwork first" in w.status.message.text()


def test_scoring_ranks_the_generating_seed_first(qtbot, make_window, tmp_path):
    art_path, video = _files(tmp_path)  # recorded from seed 3's process
    w = make_window()
    open_small(qtbot, w, art_path)  # a seed-0 branch
    w.branches_panel.seed.setValue(3)
    qtbot.mouseClick(w.branches_panel.create_button, Qt.MouseButton.LeftButton)
    w.controller.files.add_recording(video)
    assert w.score_dock.isVisibleTo(w), "adding a recording shows the score panel"
    qtbot.waitUntil(lambda: w.document.session(w.document.active_id) is not None, timeout=60000)
    task = w.scores.score()
    qtbot.waitUntil(task.done, timeout=120000)
    report = task.result()
    assert report is not None and report.ranking[0] == "Seed 3"
    table = w.score_panel.table
    assert table.rowCount() == 2 and table.item(0, 0).text() == "Seed 3"
    assert "Seed 3" in w.score_panel.status.text()


def test_scoring_without_a_recording_says_what_to_do(qtbot, make_window, tmp_path):
    art_path, _video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path)
    task = w.scores.score()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() is None and "Add a recording" in w.score_panel.status.text()


def test_find_the_closest_process_adds_it_as_a_branch_and_scores(qtbot, make_window, tmp_path, monkeypatch):
    import app.ui.score.controller as score_controller

    monkeypatch.setattr(score_controller, "FIT_BUDGET_S", 0.0)  # one candidate: seed 0, default settings
    art_path, video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path)
    w.controller.files.add_recording(video)
    qtbot.waitUntil(lambda: w.document.session(w.document.active_id) is not None, timeout=60000)
    qtbot.mouseClick(w.score_panel.fit_button, Qt.MouseButton.LeftButton)
    task = w.scores._fitting
    qtbot.waitUntil(task.done, timeout=120000)
    spec = task.result()
    assert spec is not None and spec.seed == 0 and spec.setting("stage_timing") == "balanced"
    assert w.document.active.name == "Closest found: seed 0"
    qtbot.waitUntil(lambda: w.score_panel.table.rowCount() == 2, timeout=120000)
    assert w.score_panel.fit_button.text() == "Find the closest process"


def test_launch_arguments_add_the_recording_and_compare_with_it(qtbot, make_window, tmp_path):
    import asyncio

    from app.ui.launch import apply_args, parse_args

    art_path, video = _files(tmp_path)
    w = make_window()
    args = parse_args(["--open", str(art_path), "--recording", str(video), "--compare", "0,3"])
    task = asyncio.ensure_future(apply_args(w, args))
    qtbot.waitUntil(task.done, timeout=60000)
    doc = w.document
    engines = [doc.branch(bid).spec.engine for bid in w.viewer.compare_ids]
    seeds = [doc.branch(bid).spec.seed for bid in w.viewer.compare_ids]
    assert engines == ["recording", "procedural", "procedural"] and seeds[1:] == [0, 3]
    assert w.score_dock.isVisibleTo(w)


def test_a_recorded_branch_is_saved_and_reopened(qtbot, make_window, tmp_path):
    from ui_helpers import open_project

    art_path, video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path, step=0)
    recorded = w.branches.add_recording(video)
    wait_exact(qtbot, w)
    project = tmp_path / "with_recording.undoproj"
    assert w.controller.files.save(path=project)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.close()

    again = make_window()
    assert open_project(qtbot, again, project)
    doc = again.document
    back = next(b for b in doc.branches if b.spec.engine == "recording")
    assert (back.name, back.spec) == (recorded.name, recorded.spec)
    doc.set_active(back.id)
    wait_exact(qtbot, again)
    assert doc.has_frame(back.id, 0)


def test_moving_the_recordings_start_and_end_by_hand(qtbot, make_window, tmp_path):
    art_path, video = _files(tmp_path)
    w = make_window()
    open_small(qtbot, w, art_path)
    old = w.branches.add_recording(video)
    doc = w.document
    qtbot.waitUntil(lambda: doc.session(old.id) is not None, timeout=60000)
    auto = doc.session(old.id).aligned.alignment
    dialog = w.scores.edit_bounds()
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    later = float(auto.positions[auto.start]) + 3.0
    assert w.scores.apply_bounds(later, float(auto.positions[auto.end]))
    moved = doc.active
    assert moved.name == old.name and not doc.has_branch(old.id)
    assert moved.spec.setting("start") == pytest.approx(later)
    qtbot.waitUntil(lambda: doc.session(moved.id) is not None, timeout=60000)
    assert doc.session(moved.id).aligned.alignment.hand_corrected
    assert not w.scores.apply_bounds(50.0, 1.0) and "after its start" in w.score_panel.status.text()
    w.menus.undo_action.trigger()  # one step puts the branch as found back
    assert doc.has_branch(old.id) and not doc.has_branch(moved.id)


def _animation(tmp_path: Path, suffix: str, animated: bool = True) -> Path:
    """The recording as an animated GIF or WebP, or (not `animated`) its last frame alone in that format."""
    made = S.make(S.process(S.artwork(), 3, count=12), intro=0, blank=1, hold=1, drop=())
    images = [Image.fromarray(f) for f in (made.frames if animated else made.frames[-1:])]
    path = tmp_path / f"timelapse{suffix}"
    images[0].save(path, save_all=animated, append_images=images[1:], duration=500, loop=0)
    return path


@pytest.mark.parametrize(
    ("suffix", "answer"), [(".gif", "recording"), (".webp", "artwork"), (".gif", "cancel")]
)
def test_dropping_an_animation_on_an_open_artwork_asks_what_it_is(
    qtbot, make_window, tmp_path, suffix, answer
):
    art_path, _video = _files(tmp_path)
    animation = _animation(tmp_path, suffix)
    w = make_window()
    open_small(qtbot, w, art_path)
    asked: list[Path] = []
    w.controller.files.animation_choice = lambda path: asked.append(path) or answer
    count = len(w.document.branches)
    _drop(w, animation)
    qtbot.waitUntil(lambda: asked == [animation], timeout=5000)  # asked once the drop has returned
    doc = w.document
    if answer == "recording":
        assert doc.active.spec.engine == "recording" and doc.active.spec.setting("path") == str(
            animation.resolve()
        )
        assert doc.artwork.source == art_path, "the artwork stays open"
        qtbot.waitUntil(lambda: doc.session(doc.active_id) is not None, timeout=60000)
    elif answer == "artwork":
        qtbot.waitUntil(lambda: doc.artwork.source == animation, timeout=30000)
        assert all(b.spec.engine != "recording" for b in doc.branches)
    else:
        qtbot.wait(50)
        assert doc.artwork.source == art_path and len(doc.branches) == count
    wait_exact(qtbot, w)


def test_dropping_a_still_gif_on_an_open_artwork_opens_it_without_asking(qtbot, make_window, tmp_path):
    art_path, _video = _files(tmp_path)
    still = _animation(tmp_path, ".gif", animated=False)
    w = make_window()
    open_small(qtbot, w, art_path)
    w.controller.files.animation_choice = lambda path: pytest.fail("a one-frame GIF is an artwork")
    _drop(w, still)
    qtbot.waitUntil(lambda: w.document.artwork.source == still, timeout=30000)
    wait_exact(qtbot, w)


def test_the_score_panel_says_how_the_recording_shows_the_artwork(qtbot, make_window, tmp_path):
    art_path, _video = _files(tmp_path)
    steps = S.process(S.artwork(), 3, count=24)
    made = S.make(steps, drop=())
    for k, number in enumerate(made.numbers):  # the artist flipped the canvas for process frames 8..14
        j = round(made.truth.get(number, -1.0) * 23)
        if 8 <= j <= 14:
            made.frames[k] = S.transform(steps[j], flip=False)
    turned = [np.ascontiguousarray(np.rot90(f, -1)) for f in made.frames]  # a phone held sideways
    video = S.write_mp4(tmp_path / "sideways.mp4", turned, made.numbers)
    w = make_window()
    open_small(qtbot, w, art_path)
    assert not w.score_panel.alignment.isVisibleTo(w)
    w.controller.files.add_recording(video)
    qtbot.waitUntil(lambda: w.document.session(w.document.active_id) is not None, timeout=60000)
    text = w.score_panel.alignment.text()
    assert w.score_panel.alignment.isVisibleTo(w)
    assert "Mirrored: yes" in text and "Turned: 90° clockwise" in text and "Canvas flipped: " in text
    (first, last), *_ = w.document.session(w.document.active_id).aligned.alignment.flipped_ranges
    assert f"{first:.1f}–{last:.1f} s" in text
    assert "Add a recording" not in w.score_panel.status.text()  # it was added: the next step is scoring
    wait_exact(qtbot, w)
