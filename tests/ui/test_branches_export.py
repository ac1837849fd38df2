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


def test_fork_continues_from_the_parents_canvas(qtbot, make_window, small_artwork):
    """Issue 10 item 1: a seed-7 branch forked at 443 shows, at 442, the parent's canvas at 443 plus
    one step of work, not a fresh process with far less paint."""
    import numpy as np

    from app.core.cancel import CancelToken, no_progress
    from app.inference.procedural import ProceduralEngine

    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.branches_panel.seed.setValue(7)
    qtbot.mouseClick(w.branches_panel.create_button, Qt.MouseButton.LeftButton)
    doc, parent = w.document, w.document.active
    w.timeline.slider.setValue(443)
    wait_exact(qtbot, w)
    qtbot.mouseClick(w.branches_panel.fork_button, Qt.MouseButton.LeftButton)
    fork = doc.active
    assert fork.spec.fork_origin() == (parent.spec, 443)
    assert fork.spec.spec_hash() != parent.spec.spec_hash()
    w.timeline.slider.setValue(442)
    wait_exact(qtbot, w)

    def change(a, b) -> float:
        return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())

    engine = ProceduralEngine()
    session = engine.prepare(doc.artwork, parent.spec, CancelToken(), no_progress)
    frames = [engine.render_step(session, s) for s in range(1000)]
    largest = max(change(frames[s], frames[s + 1]) for s in range(999))
    at_fork = doc.best_frame(fork.id, 443).pixels
    assert np.array_equal(at_fork, frames[443])
    assert change(doc.best_frame(fork.id, 442).pixels, at_fork) <= largest


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
    dialog = w.controller.compare_export.open_export()
    assert dialog.label.isChecked(), "the AI-simulated label is on by default"
    out = tmp_path / "out" / "house.mp4"
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(900)
    dialog.length.setCurrentIndex(0)  # full
    dialog.fps.setValue(25)
    dialog.hold_last.setValue(0.0)
    ctrl = w.controller.compare_export.export_controller
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
    w.controller.compare_export.compare_branches([b.id for b in w.document.branches])
    wait_exact(qtbot, w)
    dialog = w.controller.compare_export.open_export()
    out = tmp_path / "cmp.mp4"
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(960)
    dialog.length.setCurrentIndex(0)
    ctrl = w.controller.compare_export.export_controller
    assert len(ctrl.branch_ids) == 2
    with qtbot.waitSignal(ctrl.finished, timeout=60000) as blocker:
        dialog.export_button.click()
    frames = _decode(out)
    assert frames and blocker.args[0].width > 2 * 150  # two panes side by side
    dialog.close()


def test_an_export_reads_its_snapshot_never_a_live_scheduler(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    """The export runs on the worker while the user keeps working: it must not read the schedulers the UI
    thread changes (a data race). Every scheduler call made off the UI thread is recorded."""
    import threading

    from app.core.scheduler import BranchScheduler

    w = make_window()
    open_small(qtbot, w, small_artwork, step=950)
    ui_thread = threading.get_ident()
    off_thread: list[str] = []
    for name in [n for n, v in vars(BranchScheduler).items() if callable(v) and not n.startswith("__")]:
        original = getattr(BranchScheduler, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            if threading.get_ident() != ui_thread:
                off_thread.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(BranchScheduler, name, spy)
    dialog = w.controller.compare_export.open_export()
    dialog.path.setText(str(tmp_path / "frames"))
    dialog.start.setValue(999)
    dialog.end.setValue(940)
    dialog.length.setCurrentIndex(0)
    ctrl = w.controller.compare_export.export_controller
    with qtbot.waitSignal(ctrl.finished, timeout=60000):
        dialog.export_button.click()
        w.document.duplicate_branch(w.document.active_id)  # the user goes on working meanwhile
        w.timeline.slider.setValue(960)
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 60 + 30  # + the 1 s hold at 30 fps
    assert off_thread == [], f"the export called {sorted(set(off_thread))} on a live scheduler"
    dialog.close()


def test_creating_a_branch_paints_and_plans_once(qtbot, make_window, small_artwork):
    """The document says "branches changed" once and the viewer paints and plans once for it (it used to
    be three times: the panel and the window each asked again). Later paints, when the new session is
    ready and its frames arrive, are new information; the worker is held so none comes here."""
    import threading

    from app.inference.runner import CallJob

    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    gate = threading.Event()
    w.worker.submit(CallJob(lambda cancel, progress: gate.wait(10)), -1000, "hold")
    paints: list[int] = []
    plans: list[tuple[str, int]] = []
    w.viewer.frame_shown.connect(lambda step, _kind: paints.append(step))
    request = w.document.request

    def counting_request(branch_id, step, direction=-1, want_frame=True):
        plans.append((branch_id, step))
        return request(branch_id, step, direction, want_frame)

    w.document.request = counting_request
    w.branches_panel.seed.setValue(7)
    qtbot.mouseClick(w.branches_panel.create_button, Qt.MouseButton.LeftButton)
    new_id = w.document.active_id
    qtbot.wait(100)  # let the plan timer and queued signals run
    assert paints == [500], f"painted {len(paints)} times"
    gate.set()
    assert plans == [(new_id, 500)], f"planned {plans}"
