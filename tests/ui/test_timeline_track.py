"""The timeline track: what it shows after reopening a project (before any engine session exists), and
how it answers the mouse (a click jumps there) and explains its marks."""

from __future__ import annotations

from ui_helpers import open_project, open_small, played_project

from app.core.project_store import ProjectStore
from app.core.track_summary import STATE_PREFIX, TrackSummary


def _track_parts(track) -> tuple[int, list[int], int]:
    """(number of stage bands, keyframe steps, number of change-curve points) the track draws."""
    xs = track.keyframes.getData()[0]
    curve = track.curve.getData()[0]
    return len(track._bands), sorted(int(x) for x in xs), 0 if curve is None else len(curve)


def test_a_reopened_project_shows_bands_keyframes_and_curve_before_any_session(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    """Frames stored as images (what neural engines do): reopening prepares no session, yet the track
    shows what the session had (issue 10, item 4: it stayed empty until the first scrub)."""
    path, _ = played_project(qtbot, make_window, small_artwork, tmp_path / "t.undoproj", (900, 500))
    engine_log["calls"].clear()
    w = make_window()
    assert open_project(qtbot, w, path)
    bid = w.document.active_id
    bands, keyframes, curve = _track_parts(w.timeline.track)
    assert bands >= 3 and keyframes and curve == 1000
    assert set(w.playback.model.keyframes) >= set(keyframes) - {0, 999}, "keyframe jumps work at once too"
    assert w.document.session(bid) is None and "prepare" not in engine_log["calls"]


def test_a_restored_session_fills_the_track_of_a_project_that_kept_no_summary(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    """A procedural branch restores its session from the recipe at once; a project saved before track
    summaries existed gets its track when that session arrives, and keeps it from then on."""
    engine_log["recipes"] = True
    path, _ = played_project(qtbot, make_window, small_artwork, tmp_path / "r.undoproj", (900, 500))
    with ProjectStore.open(path) as store:
        conn = store._connection()
        with conn:
            conn.execute("DELETE FROM state WHERE key LIKE ?", (STATE_PREFIX + "%",))
    w = make_window()
    assert open_project(qtbot, w, path)
    bid = w.document.active_id
    qtbot.waitUntil(lambda: w.document.session(bid) is not None, timeout=10000)
    qtbot.waitUntil(lambda: _track_parts(w.timeline.track)[0] >= 3, timeout=5000)
    assert _track_parts(w.timeline.track)[2] == 1000
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=10000)
    with ProjectStore.open(path, read_only=True) as store:
        keys = [k for k in store.state_keys() if k.startswith(STATE_PREFIX)]
        assert len(keys) == 1 and not TrackSummary.from_json(store.get_state(keys[0])).empty


def test_a_damaged_summary_is_ignored():
    for bad in (None, [], {"bands": "x"}, {"keyframes": [5000]}, {"curve": [2000]}, {"bands": [[1, 2, 3]]}):
        try:
            TrackSummary.from_json(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    good = TrackSummary.of([], [999, 400], [0.0, 2.0, 1.0])
    assert TrackSummary.from_json(good.to_json()) == good
    assert good.curve == (0.0, 1.0, 0.5)


def test_clicking_the_slider_groove_jumps_there(qtbot, make_window, small_artwork):
    """Not a page step towards the pointer (issue 10, item 17). Left is the blank canvas (999)."""
    from PySide6.QtCore import QPoint, Qt

    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    slider = w.timeline.slider
    qtbot.mouseClick(
        slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() * 3 // 4, slider.height() // 2)
    )
    assert abs(w.playback.step - 250) <= 30, w.playback.step
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() // 4, slider.height() // 2))
    assert abs(w.playback.step - 750) <= 30, w.playback.step


def test_clicking_or_dragging_on_the_track_moves_the_playhead(qtbot, make_window, small_artwork):
    from PySide6.QtCore import QPoint, Qt

    w = make_window()
    open_small(qtbot, w, small_artwork, step=999)
    track = w.timeline.track
    view = track.viewport()
    y = view.height() // 2
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 2, y))
    assert abs(w.playback.step - 500) <= 10, w.playback.step
    assert abs(w.timeline.slider.value() - w.playback.step) == 0 and track.playhead.value() == w.playback.step
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 4, y))
    assert abs(w.playback.step - 750) <= 10, w.playback.step


def test_the_track_explains_its_marks(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=420)
    track = w.timeline.track
    qtbot.waitUntil(lambda: bool(track._band_steps) and 420 in track._kinds, timeout=5000)
    lo, hi, name = track._band_steps[0]
    text = track.tooltip_at((lo + hi) // 2)
    assert f"stage: {name}" in text and "Bands: the stages" in text and "keyframes" in text
    assert "frame: exact" in track.tooltip_at(420)
    (key,) = [s for s in w.playback.model.keyframes][:1]
    assert "· keyframe" in track.tooltip_at(key)


def test_stage_bands_reuse_their_items(qtbot, make_window, small_artwork):
    """Making pyqtgraph band items stalled the UI thread when a branch became ready mid-scrub (issue 10
    item 11): they are made once, then moved, relabelled or hidden."""
    from app.core.track_summary import TrackBand

    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    track = w.timeline.track
    bands = (TrackBand("sketch", 999, 700), TrackBand("flats", 700, 300), TrackBand("details", 300, 0))
    track.set_bands(bands)
    made = list(track._bands)
    items = len(track.getPlotItem().items)
    track.set_bands(())
    assert track._bands == [] and not any(region.isVisible() for region in made)
    track.set_bands(bands[1:])
    assert track._bands == made[:2] and len(track.getPlotItem().items) == items
    assert [step[:2] for step in track._band_steps] == [(300, 700), (0, 300)]
    assert made[0].getRegion() == (300, 700) and made[0].isVisible() and not made[2].isVisible()
    assert "flats" in track.tooltip_at(500) and "sketch" not in track.tooltip_at(800)


def test_a_band_label_that_does_not_fit_its_band_is_elided_or_left_out():
    """A tiny band's full name ran over the next band's label (a short hidden-sketch band): each label
    keeps to its band's width, and a band too narrow for two characters shows none."""
    from app.ui.timeline.track import band_label_texts

    def elide(text: str, px: float) -> str:  # 10 px a character, as QFontMetricsF.elidedText would cut
        chars = int(px // 10)
        return text if len(text) <= chars else (text[: chars - 1] + "…" if chars >= 1 else "")

    spans = [(900, 999, "Background"), (880, 900, "Sketch layer"), (875, 880, "Lines"), (0, 875, "Base")]
    texts = band_label_texts(spans, 1998.0, elide)  # 2 px a step, 6 px of padding
    assert texts == ["Background", "Sk…", "", "Base"]
    assert band_label_texts(spans, 3996.0, elide)[1:3] == ["Sketch…", ""]  # wider: more fits
    assert band_label_texts(spans, 999.0, elide)[:2] == ["Backgrou…", ""]
    assert band_label_texts(spans, 0.0, elide) == ["", "", "", ""]


def test_the_track_elides_a_tiny_band_s_label_and_its_tooltip_names_it(qtbot, make_window, small_artwork):
    from PySide6.QtGui import QFontMetricsF

    from app.core.track_summary import TrackBand

    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    track = w.timeline.track
    bands = (
        TrackBand("Background", 999, 600),
        TrackBand("Hidden sketch", 600, 595),
        TrackBand("Lines", 595, 0),
    )
    track.set_bands(bands)
    labels = [label.textItem.toPlainText() for label in track._band_labels]
    assert labels[0] == "Background" and labels[2] == "Lines"
    metrics = QFontMetricsF(track._band_labels[1].textItem.font())
    room = track.width() * 5 / 999
    assert labels[1] != "Hidden sketch" and metrics.horizontalAdvance(labels[1]) <= room
    assert "stage: Hidden sketch" in track.tooltip_at(598)
