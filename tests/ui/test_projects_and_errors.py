"""Projects (save, close, reopen without engine calls, damaged files), cancelling long work, a failing
engine, the import boundary and translations."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt
from ui_helpers import open_artwork, open_project, open_small, wait_exact

from app.core.frames import FrameKind


def test_save_close_reopen_without_engine_calls(qtbot, make_window, small_artwork, tmp_path, engine_log):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=800)
    w.timeline.slider.setValue(250)
    wait_exact(qtbot, w)
    w.document.duplicate_branch(w.document.active_id)
    w.controller.compare_export.compare_branches([b.id for b in w.document.branches])
    wait_exact(qtbot, w)
    pane_before = [p.canvas.grab().toImage() for p in w.compare.panes]
    assert "*" in w.windowTitle()
    path = tmp_path / "house.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    assert "*" not in w.windowTitle()
    names = [b.name for b in w.document.branches]
    saved_steps = {b.id: set(w.document.available(b.id)) for b in w.document.branches}
    assert 250 in saved_steps[w.document.branches[0].id]
    w.close()

    engine_log["calls"].clear()
    w2 = make_window()
    assert open_project(qtbot, w2, path)
    assert w2.playback.step == 250
    assert w2.viewer.comparing and len(w2.compare.panes) == 2
    assert [b.name for b in w2.document.branches] == names
    for b in w2.document.branches:
        assert set(w2.document.available(b.id)) == saved_steps[b.id]
    wait_exact(qtbot, w2)  # read back from the file on the worker, never on the UI thread
    assert w2.viewer.shown_kinds == [FrameKind.EXACT, FrameKind.EXACT]
    pane_after = [p.canvas.grab().toImage() for p in w2.compare.panes]
    assert [i.size() for i in pane_after] == [i.size() for i in pane_before]
    w2.compare_action.setChecked(False)
    w2.document.set_active(w2.document.branches[0].id)
    w2.timeline.slider.setValue(800)  # another saved step: from the file, not the engine
    qtbot.waitUntil(lambda: w2.viewer.shown_kinds == [FrameKind.EXACT], timeout=10000)
    assert engine_log["calls"] == [], "reopening must not call any engine"
    assert "*" not in w2.windowTitle()


def test_autosave_after_frame_batches(qtbot, make_window, small_artwork, tmp_path):
    from app.core.project import Project

    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    path = tmp_path / "auto.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.timeline.slider.setValue(123)
    wait_exact(qtbot, w)
    qtbot.waitUntil(lambda: not w.projects.busy() and not w.document.dirty, timeout=30000)
    with Project.open(path, read_only=True) as p:
        steps = {step for _k, _kind, step in p.stored_frames(p.branches[0])}
    assert 123 in steps


def test_damaged_project_shows_a_clear_error_and_app_keeps_working(
    qtbot, make_window, small_artwork, tmp_path
):
    bad = tmp_path / "broken.undoproj"
    bad.write_bytes(b"this is not a database" * 100)
    w = make_window()
    assert not open_project(qtbot, w, bad)
    assert "broken.undoproj" in w.status.error_label.text()
    assert w.pages.currentWidget() is w.start_page
    open_small(qtbot, w, small_artwork)


def test_cancel_a_long_task(qtbot, make_window, small_artwork, engine_log):
    engine_log["slow_seeds"].add(0)
    w = make_window()
    assert open_artwork(qtbot, w, small_artwork)
    qtbot.waitUntil(engine_log["slow_started"].is_set, timeout=10000)  # planned right after the paint
    qtbot.waitUntil(lambda: w.status.cancel_button.isVisible(), timeout=5000)
    qtbot.mouseClick(w.status.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.worker.queue_length() == 0, timeout=10000)
    assert not w.document.is_busy()
    # still responsive: another branch (not slow) renders
    engine_log["slow_seeds"].clear()
    w.branches_panel.seed.setValue(5)
    w.branches.create_from_form()
    wait_exact(qtbot, w)


def test_failing_engine_shows_an_error_and_the_app_keeps_working(
    qtbot, make_window, small_artwork, engine_log
):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    good = w.document.active_id
    engine_log["fail_seeds"].add(13)
    w.branches_panel.seed.setValue(13)
    w.branches.create_from_form()
    qtbot.waitUntil(lambda: "Simulated engine failure" in w.status.error_label.text(), timeout=10000)
    assert w.viewer.shown_kinds == [None]
    w.document.set_active(good)
    w.playback.refresh()
    w.timeline.slider.setValue(200)
    wait_exact(qtbot, w)


def test_ui_imports_no_neural_stack():
    code = (
        "import sys, os\nos.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "import app.ui.launch, app.ui.main_window, app.ui.window_controller, app.ui.document\n"
        "print(','.join(m for m in ('torch','diffusers','transformers','onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_window_in_chinese(qtbot, make_window, qapp):
    from app.ui.i18n import install_translator

    translator = install_translator("zh_CN")
    try:
        w = make_window()
        assert w.start_page.open_button.text() == "打开作品…"
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)


def test_closing_with_unsaved_work_asks_and_saves(qtbot, make_window, small_artwork, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from app.core.project import Project

    w = make_window()
    open_small(qtbot, w, small_artwork, step=640)
    target = tmp_path / "on-close.undoproj"
    asked = []
    w.controller.files.confirm_close = lambda: asked.append(1) or "save"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    w.close()
    assert asked == [1]
    assert target.is_file()
    with Project.open(target, read_only=True) as p:
        assert p.view_state["step"] == 640
        assert 640 in {step for _k, _kind, step in p.stored_frames(p.branches[0])}


def test_cancelled_close_keeps_the_window(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.controller.files.confirm_close = lambda: "cancel"
    assert not w.close()
    assert w.worker.runner.alive and w.document.artwork is not None
    w.controller.files.confirm_close = lambda: "discard"
