"""The layers panel and other branches (issue 13 parts 4 and 5): "Paints-UNDO from these layers" makes
an undoable, saved Paints-UNDO branch whose keyframes are the plan's stages (without model files it says
which are missing), and the panel shows the plan of the branch the user is looking at: on a fork, the
parent's at and above the fork step and the fork's own below it; on another engine's branch, a line
saying it is not built from the layers."""

from __future__ import annotations

from test_layers_panel import _open_layered, _ready, _row, layered  # noqa: F401 - `layered` is a fixture
from ui_helpers import open_project

from app.core.branch import BranchSpec
from app.inference.layers import LayersSession
from app.inference.layers.stages import layer_stages, stage_steps
from app.inference.layers.windows import layer_windows
from app.ui.layers.panel import STEPS_COLUMN

NOT_LAYERS = "This branch is not built from the layers"


def test_paints_undo_from_the_layers_makes_a_branch_with_the_stages(
    qtbot,
    make_window,
    layered,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("UNDO_STUDIO_MODELS", str(tmp_path / "no-models"))  # never any weights here
    w = make_window()
    _open_layered(qtbot, w, layered)
    doc, panel = w.document, w.layers_panel
    first = doc.active
    stages = stage_steps(doc.session(first.id).stage_bands)
    assert stages and panel.paints_undo_button.isVisibleTo(panel)
    panel.paints_undo_button.click()
    made = doc.active
    assert made.id != first.id and made.spec.engine == "paints-undo" and "Paints-UNDO" in made.name
    assert layer_stages(made.spec) == (stages, first.spec)
    listed = w.branches_panel.list.currentItem().text()  # the steps, not a raw tuple
    assert "Layer stages as keyframes: " + ", ".join(str(s) for s in stages) in listed and "()" not in listed
    # no weights: the engine's own "not ready" reason, naming the missing files, not a crash
    qtbot.waitUntil(lambda: doc.failure(made.id) is not None, timeout=10000)
    failure = doc.failure(made.id)
    assert "not ready" in failure and "missing" in failure and "paints_undo_single_frame" in failure
    qtbot.waitUntil(lambda: "could not be generated" in w.canvas.placeholder, timeout=10000)  # the viewer
    assert NOT_LAYERS in panel.status.text() and "stages at steps" in panel.status.text()
    assert not panel.paints_undo_button.isVisibleTo(panel)
    # the same again from the same plan: that branch, not another
    doc.set_active(first.id)
    qtbot.waitUntil(lambda: _ready(w), timeout=30000)
    assert w.layers.paints_undo_branch().id == made.id and len(doc.branches) == 2
    w.branches.undo.stack.undo()
    assert [b.id for b in doc.branches] == [first.id]
    w.branches.undo.stack.redo()
    assert [b.id for b in doc.branches] == [first.id, made.id]
    # stored in the project: it reopens with its stages
    path = tmp_path / "art.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.close()
    w2 = make_window()
    assert open_project(qtbot, w2, path)
    kept = [b for b in w2.document.branches if b.spec.engine == "paints-undo"]
    assert [layer_stages(b.spec) for b in kept] == [(stages, first.spec)]


def test_on_a_fork_the_panel_shows_the_plan_of_the_branch_shown_at_the_playhead(
    qtbot,
    make_window,
    layered,  # noqa: F811
):
    w = make_window()
    _open_layered(qtbot, w, layered)
    doc, panel = w.document, w.layers_panel
    parent = doc.active
    w.playback.set_step(500)
    fork = w.branches.undo.fork(parent.id, 500)
    assert doc.active.id == fork.id and fork.spec.seed != parent.spec.seed
    # at the fork step and above, the fork shows its parent's frames: the parent's plan
    assert w.layers.plan_branch().id == parent.id
    parent_windows = layer_windows(doc.session(parent.id).events, doc.session(parent.id).classes)
    assert w.layers.windows == parent_windows
    assert "The fork" in panel.status.text() and "500" in panel.status.text()
    # below it, the fork's own plan
    w.playback.set_step(200)
    assert w.layers.plan_branch().id == fork.id
    qtbot.waitUntil(
        lambda: isinstance(doc.session(fork.id), LayersSession) and bool(w.layers.windows), timeout=30000
    )
    session = doc.session(fork.id)
    assert w.layers.windows == layer_windows(session.events, session.classes)
    assert "This fork shows" in panel.status.text() and parent.name in panel.status.text()
    # a correction made there starts from the plan shown: the fork's seed, as a branch of its own
    w.layers.change_class(2, "highlight")
    made = doc.active
    assert made.spec.seed == fork.spec.seed and made.spec.fork_origin() is None
    assert made.spec.setting("classes") == ((2, "highlight"),)


def test_another_engine_s_branch_says_it_is_not_built_from_the_layers(
    qtbot,
    make_window,
    layered,  # noqa: F811
):
    w = make_window()
    _open_layered(qtbot, w, layered)
    panel = w.layers_panel
    w.branches.undo.create(BranchSpec.make("procedural", 4))
    assert w.layers.plan_branch() is None and w.layers.windows == {}
    assert panel.status.text().startswith(NOT_LAYERS)
    assert _row(w, "Lines").text(STEPS_COLUMN) == ""  # no plan: no steps, not "…" (planning)
    assert panel.new_branch_button.isVisibleTo(panel) and not panel.paints_undo_button.isVisibleTo(panel)
