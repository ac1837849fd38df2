"""Issue 14 part 6 in the window: the branches panel says how long the active branch's neural run takes
on this device and how much memory it needs, warns when it is long, and on a CPU offers the hybrid as a
new (undoable) branch. The estimate is a fake one put on the prepared session, where the Paints-UNDO
engine puts its own (tests/inference/test_paints_undo_estimate.py covers how it is made)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import open_small

from app.inference.devices import GB, DeviceInfo
from app.inference.paints_undo.estimate import Calibration, estimate_run

CPU = DeviceInfo("cpu", "Test CPU", 16 * GB, 12 * GB, False, True)


def _slow_cpu_run():
    return estimate_run(
        Calibration(4.0, 8.0, (640, 512)), CPU,
        keyframes=6, segments=7, steps=50, video_steps=50, in_between="model",
    )  # fmt: skip


def test_a_long_cpu_run_is_flagged_and_the_hybrid_offered(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    panel, doc = w.branches_panel, w.document
    assert panel.estimate_label.isHidden() and panel.hybrid_button.isHidden()  # procedural: no estimate
    session = doc.session(doc.active_id)
    session.extra["estimate"] = _slow_cpu_run()
    w.branches.show_estimate()
    text = panel.estimate_label.text()
    assert not panel.estimate_label.isHidden() and "30 minutes" in text and "CPU hybrid" in text
    assert "h," in text or " h" in text  # hours, said as such
    assert not panel.hybrid_button.isHidden()
    before = len(doc.branches)
    qtbot.mouseClick(panel.hybrid_button, Qt.MouseButton.LeftButton)
    assert len(doc.branches) == before + 1
    made = doc.branches[-1]
    settings = made.spec.settings_dict()
    assert (settings["in_between"], settings["steps"], settings["size"]) == ("painted", 12, "384")
    assert "CPU hybrid" in made.name
    w.branches.undo.stack.undo()  # undoable like any new branch
    assert len(doc.branches) == before


def test_a_short_run_shows_its_estimate_without_a_warning(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    panel, doc = w.branches_panel, w.document
    fast = estimate_run(
        Calibration(0.01, 0.02, (384, 384)), CPU,
        keyframes=6, segments=7, steps=12, video_steps=50, in_between="painted",
    )  # fmt: skip
    doc.session(doc.active_id).extra["estimate"] = fast
    w.branches.show_estimate()
    assert not panel.estimate_label.isHidden() and "⚠" not in panel.estimate_label.text()
    assert panel.hybrid_button.isHidden()
