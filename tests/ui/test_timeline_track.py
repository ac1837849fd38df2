"""The timeline track: what it shows after reopening a project (before any engine session exists)."""

from __future__ import annotations

from ui_helpers import open_project, played_project

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
