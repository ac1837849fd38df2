"""Branches, compare and export on the real window."""

from __future__ import annotations

import av
from PySide6.QtCore import Qt
from ui_helpers import open_small, wait_exact


def test_second_branch_and_compare(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    assert len(w.document.branches) == 2
    assert w.document.branches[1].spec.seed != w.document.branches[0].spec.seed
    qtbot.mouseClick(w.branches_panel.compare_button, Qt.MouseButton.LeftButton)
    assert w.canvas_stack.currentWidget() is w.compare
    assert len(w.compare.panes) == 2
    wait_exact(qtbot, w)
    a, b = (p.canvas for p in w.compare.panes)
    assert a.has_image() and b.has_image()
    w.timeline.slider.setValue(300)  # one slider drives both panes
    wait_exact(qtbot, w)
    assert all(p.canvas._step == 300 for p in w.compare.panes)
    titles = [p.label.text() for p in w.compare.panes]
    assert titles == [br.name for br in w.document.branches]
    w.compare_action.setChecked(False)
    assert w.canvas_stack.currentWidget() is w.canvas


def test_fork_keeps_parent_frames_above_the_fork_step(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=700)
    parent = w.document.active
    parent_frame = w.document.best_frame(parent.id, 700)
    w.timeline.slider.setValue(400)
    wait_exact(qtbot, w)
    qtbot.mouseClick(w.branches_panel.fork_button, Qt.MouseButton.LeftButton)
    fork = w.document.active
    assert fork.parent_id == parent.id and fork.fork_step == 400
    assert w.document.owner_for(fork.id, 700) == parent.id
    assert w.document.best_frame(fork.id, 700).pixels is parent_frame.pixels
    assert w.document.owner_for(fork.id, 399) == fork.id


def test_rename_and_delete_branch(qtbot, make_window, small_artwork, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.branches_panel.seed.setValue(42)
    qtbot.mouseClick(w.branches_panel.create_button, Qt.MouseButton.LeftButton)
    assert [b.spec.seed for b in w.document.branches] == [0, 42]
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Night sky", True)))
    qtbot.mouseClick(w.branches_panel.rename_button, Qt.MouseButton.LeftButton)
    assert w.document.active.name == "Night sky"
    assert "Night sky" in w.branches_panel.list.currentItem().text()
    qtbot.mouseClick(w.branches_panel.delete_button, Qt.MouseButton.LeftButton)
    assert [b.spec.seed for b in w.document.branches] == [0]
    wait_exact(qtbot, w)


def _decode(path):
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames


def test_export_mp4_and_decode_it(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.open_export()
    assert dialog.label.isChecked(), "the AI-simulated label is on by default"
    out = tmp_path / "out" / "house.mp4"
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(900)
    dialog.length.setCurrentIndex(0)  # full
    dialog.fps.setValue(25)
    dialog.hold_last.setValue(0.0)
    ctrl = w.controller.export_controller
    with qtbot.waitSignal(ctrl.finished, timeout=60000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.path == out and out.is_file()
    frames = _decode(out)
    assert len(frames) >= 100
    h, wd = frames[0].shape[:2]
    assert (wd, h) == (result.width, result.height)
    assert frames[-1].std() > 5  # the last frame shows the drawing, not a blank canvas
    dialog.close()


def test_export_comparison_video(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.document.duplicate_branch(w.document.active_id)
    w.controller.compare_branches([b.id for b in w.document.branches])
    wait_exact(qtbot, w)
    dialog = w.controller.open_export()
    out = tmp_path / "cmp.mp4"
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(960)
    dialog.length.setCurrentIndex(0)
    ctrl = w.controller.export_controller
    assert len(ctrl.branch_ids) == 2
    with qtbot.waitSignal(ctrl.finished, timeout=60000) as blocker:
        dialog.export_button.click()
    frames = _decode(out)
    assert frames and blocker.args[0].width > 2 * 150  # two panes side by side
    dialog.close()
