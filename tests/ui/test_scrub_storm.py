"""Issue 10 item 11: a slider storm is coalesced (superseded steps are never blended, painted or planned)
and closing a document lets go of its frames."""

from __future__ import annotations

import gc
import weakref

from ui_helpers import open_small, wait_exact


def test_a_storm_in_one_turn_paints_the_first_and_the_latest_and_plans_once(
    qtbot, make_window, small_artwork, monkeypatch
):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    wait_exact(qtbot, w)
    qtbot.wait(50)  # let the open's own turn end
    doc = w.document
    asked: list[int] = []
    planned: list[int] = []
    best_frame, request = doc.best_frame, doc.request
    monkeypatch.setattr(doc, "best_frame", lambda bid, step: (asked.append(step), best_frame(bid, step))[1])
    monkeypatch.setattr(
        doc, "request", lambda bid, step, *a, **k: (planned.append(step), request(bid, step, *a, **k))[1]
    )
    for step in range(100, 300):  # 200 slider events without the event loop turning
        w.timeline.slider.setValue(step)
    assert asked == [100]  # the first of the turn at once; the superseded ones not at all
    qtbot.waitUntil(lambda: 299 in asked and bool(planned), timeout=5000)
    qtbot.wait(100)
    assert set(asked) == {100, 299}  # arriving frames may repaint 299; no superseded step is blended
    assert set(planned) <= {100, 299} and planned[-1] == 299
    assert w.playback.step == 299
    wait_exact(qtbot, w)
    assert "299" in w.timeline.step_label.text()


def test_closing_a_document_drops_every_reference_to_its_frames(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    wait_exact(qtbot, w)
    doc = w.document
    store = weakref.ref(doc._store)
    pixels = weakref.ref(doc.best_frame(doc.active_id, 900).pixels)
    assert w.controller.files.leave_current()
    doc.close()
    qtbot.wait(200)  # queued deliveries from the worker, deleteLater
    gc.collect()
    assert store() is None
    assert pixels() is None


def test_a_storm_over_many_turns_plans_only_when_it_pauses(qtbot, make_window, small_artwork, monkeypatch):
    from app.ui import viewer_controller

    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    wait_exact(qtbot, w)
    qtbot.wait(50)
    monkeypatch.setattr(viewer_controller, "STORM_GAP_S", 3600.0, raising=False)  # all a storm
    # what counts as a pause: long enough that a loaded machine's slow turns are not taken for one
    w.viewer.plan_timer.setInterval(2000)
    doc = w.document
    planned: list[int] = []
    request = doc.request
    monkeypatch.setattr(
        doc, "request", lambda bid, step, *a, **k: (planned.append(step), request(bid, step, *a, **k))[1]
    )
    for step in range(100, 140):
        w.timeline.slider.setValue(step)
        qtbot.wait(1)  # a turn of the event loop: each step is painted, none is planned
    assert planned == []
    qtbot.waitUntil(lambda: bool(planned), timeout=10000)  # the pause: the latest is planned
    assert set(planned) == {139}
    wait_exact(qtbot, w)


def test_a_storm_moves_the_track_playhead_at_most_once_per_interval(qtbot, make_window, small_artwork):
    from app.ui.timeline.track import PLAYHEAD_INTERVAL_MS

    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    track = w.timeline.track
    qtbot.wait(2 * PLAYHEAD_INTERVAL_MS)  # a pause: the next change moves the playhead at once
    moves: list[float] = []
    track.playhead.sigPositionChanged.connect(lambda line: moves.append(line.value()))
    for step in range(100, 300):  # a storm: 200 slider events in one turn
        w.timeline.slider.setValue(step)
    assert moves == [100] and w.timeline.slider.value() == 299 and "299" in w.timeline.step_label.text()
    qtbot.waitUntil(lambda: track.playhead.value() == 299, timeout=2000)  # the last one lands
    assert moves == [100, 299]


def test_in_a_storm_only_the_latest_step_of_each_turn_is_blended_and_painted(
    qtbot, make_window, small_artwork, monkeypatch
):
    from app.ui import viewer_controller

    w = make_window()
    open_small(qtbot, w, small_artwork, step=900)
    wait_exact(qtbot, w)
    qtbot.wait(50)
    doc = w.document
    asked: list[int] = []
    best_frame = doc.best_frame
    monkeypatch.setattr(doc, "best_frame", lambda bid, step: (asked.append(step), best_frame(bid, step))[1])
    monkeypatch.setattr(viewer_controller, "STORM_GAP_S", 3600.0, raising=False)  # all a storm
    for turn in range(5):
        for step in range(100 + 10 * turn, 105 + 10 * turn):
            w.timeline.slider.setValue(step)
        assert not any(100 + 10 * turn <= s < 105 + 10 * turn for s in asked)  # nothing yet...
        qtbot.waitUntil(lambda turn=turn: 104 + 10 * turn in asked, timeout=2000)  # ...then the latest
    assert set(asked) == {104, 114, 124, 134, 144}
    assert w.canvas._step == 144 and "144" in w.timeline.step_label.text()
