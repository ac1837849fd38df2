"""Branches of a deterministic engine keep a recipe in the project file, not frames: reopening restores
the session from it (no analysis), the steps seen before are available at once, and a damaged recipe
costs an analysis, never the branch."""

from __future__ import annotations

import sqlite3

from ui_helpers import open_project, played_project, wait_exact

from app.core.frames import FrameKind
from app.core.project_store import ProjectStore


def _played_project(qtbot, make_window, small_artwork, tmp_path, steps=(900, 600, 300)):
    return played_project(qtbot, make_window, small_artwork, tmp_path / "recipe.undoproj", steps)


def test_a_procedural_branch_is_saved_as_a_recipe_and_reopens_without_analysis(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    engine_log["recipes"] = True
    path, seen = _played_project(qtbot, make_window, small_artwork, tmp_path)
    with ProjectStore.open(path, read_only=True) as store:
        assert store.frame_count() == 0, "no frames are stored for a deterministic engine"
        (branch_hash,) = {h for (h,) in store._connection().execute("SELECT branch_hash FROM recipes")}
        assert set(store.get_recipe(branch_hash).seen_steps) == seen
    engine_log["calls"].clear()
    w = make_window()
    assert open_project(qtbot, w, path)
    doc, bid = w.document, w.document.active_id
    assert set(doc.available(bid)) == seen, "the seen steps are on the timeline at once"
    w.timeline.slider.setValue(600)
    qtbot.waitUntil(lambda: w.viewer.shown_kinds == [FrameKind.EXACT], timeout=10000)
    assert "restore" in engine_log["calls"] and "prepare" not in engine_log["calls"], engine_log["calls"]


def test_a_damaged_recipe_costs_an_analysis_not_the_branch(
    qtbot, make_window, small_artwork, tmp_path, engine_log
):
    engine_log["recipes"] = True
    path, _seen = _played_project(qtbot, make_window, small_artwork, tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE recipes SET data = ?", (b"USRECIPE\x00\x00\x00\x05junk!",))
    engine_log["calls"].clear()
    w = make_window()
    assert open_project(qtbot, w, path)
    w.timeline.slider.setValue(600)
    wait_exact(qtbot, w)
    assert engine_log["calls"][:2] == ["restore", "prepare"], engine_log["calls"]
