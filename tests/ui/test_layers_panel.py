"""The layers panel (issue 13 item 5): a layered artwork's stack with each layer's class and steps, a
changed class or a dragged order making a new (undoable, saved) branch, and no panel for a flat image."""

from __future__ import annotations

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_ora
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QComboBox
from ui_helpers import open_artwork, open_project, open_small

from app.inference.layers import LayersSession
from app.ui.layers.panel import CLASS_COLUMN, LAYER_COLUMN, STEPS_COLUMN

W, H = 96, 80


@pytest.fixture
def layered(tmp_path):
    lines = np.zeros((H, W, 4), np.uint8)
    lines[20:22, 8:88] = (0, 0, 0, 255)
    lines[8:72, 50:52] = (0, 0, 0, 255)
    colours = Spec(
        "Colours",
        group=True,
        children=[
            Spec("Base", gradient_rgba(60, 50, 2), x=20, y=15),
            Spec("Shadow", np.full((30, 30, 4), (80, 60, 120, 200), np.uint8), x=30, y=25, blend="multiply"),
        ],
    )
    specs = [
        Spec("Background", np.full((H, W, 4), (230, 230, 250, 255), np.uint8)),
        Spec("Sketch", np.full((50, 60, 4), (120, 120, 120, 110), np.uint8), x=20, y=15, visible=False),
        Spec("Lines", lines),
        colours,
    ]
    return write_ora(tmp_path / "art.ora", (W, H), specs)


def _ready(w) -> bool:
    return isinstance(w.document.session(w.document.active_id), LayersSession) and bool(w.layers.windows)


def _open_layered(qtbot, w, path) -> None:
    assert open_artwork(qtbot, w, path, step=500)
    qtbot.waitUntil(lambda: _ready(w), timeout=30000)


def _row(w, name: str):
    tree = w.layers_panel.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while items:
        item = items.pop(0)
        if item.text(LAYER_COLUMN).startswith(name):
            return item
        items += [item.child(i) for i in range(item.childCount())]
    raise AssertionError(f"no row {name!r}")


def test_the_panel_shows_the_stack_with_classes_and_steps(qtbot, make_window, layered):
    w = make_window()
    _open_layered(qtbot, w, layered)
    assert w.layers_dock.isVisible()
    assert w.document.active.spec.engine == "layers"  # a layered file opens as its own layers
    tree = w.layers_panel.tree
    top = [tree.topLevelItem(i).text(LAYER_COLUMN) for i in range(tree.topLevelItemCount())]
    assert top == ["Colours", "Lines", "Sketch (hidden)", "Background"]  # top first, as painting apps
    group = tree.topLevelItem(0)
    assert [group.child(i).text(LAYER_COLUMN) for i in range(group.childCount())] == ["Shadow", "Base"]
    assert tree.itemWidget(group, CLASS_COLUMN) is None  # a group has no class
    classes = {}
    for name in ("Background", "Sketch", "Lines", "Base", "Shadow"):
        combo = tree.itemWidget(_row(w, name), CLASS_COLUMN)
        assert isinstance(combo, QComboBox)
        classes[name] = combo.currentData()
        first, last = (int(s) for s in _row(w, name).text(STEPS_COLUMN).split()[0].split("–"))
        assert 999 >= first >= last >= 0
    assert classes["Lines"] == "lines" and classes["Sketch"] == "sketch" and classes["Shadow"] == "shadow"
    assert "hidden by" in _row(w, "Sketch").toolTip(STEPS_COLUMN)
    assert w.layers_panel.order_list.count() == 5
    # a click on a layer shows it half painted
    window = w.layers.windows[2]  # "Lines", index 2 bottom first
    w.layers_panel.tree.itemClicked.emit(_row(w, "Lines"), 0)
    assert w.playback.step == window.middle


def test_changing_a_class_makes_a_new_branch_that_is_saved(qtbot, make_window, layered, tmp_path):
    w = make_window()
    _open_layered(qtbot, w, layered)
    doc = w.document
    first = doc.active
    combo = w.layers_panel.tree.itemWidget(_row(w, "Lines"), CLASS_COLUMN)
    combo.setCurrentIndex(combo.findData("highlight"))
    qtbot.waitUntil(lambda: len(doc.branches) == 2, timeout=5000)
    made = doc.active
    assert made.id != first.id and made.spec.seed == first.spec.seed
    assert made.spec.setting("classes") == ((2, "highlight"),)
    qtbot.waitUntil(lambda: _ready(w) and doc.session(made.id) is not None, timeout=30000)
    session = doc.session(made.id)
    assert session.classes[2] == "highlight"
    assert w.layers.windows[2].cls == "highlight"
    assert w.layers_panel.tree.itemWidget(_row(w, "Lines"), CLASS_COLUMN).currentData() == "highlight"
    # the same choice made again on the first branch: the branch that is that, not another
    doc.set_active(first.id)
    qtbot.waitUntil(lambda: _ready(w) and w.layers.windows[2].cls == "lines", timeout=30000)
    again = w.layers.change_class(2, "highlight")
    assert again is not None and again.id == made.id == doc.active.id and len(doc.branches) == 2
    w.branches.undo.stack.undo()  # undoable like every branch operation
    assert [b.id for b in doc.branches] == [first.id]
    w.branches.undo.stack.redo()
    assert [b.id for b in doc.branches] == [first.id, made.id]

    # stored in the project: it reopens with the user's class
    path = tmp_path / "art.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.close()
    w2 = make_window()
    assert open_project(qtbot, w2, path)
    kept = [b for b in w2.document.branches if b.spec.setting("classes")]
    assert [b.spec.setting("classes") for b in kept] == [((2, "highlight"),)]
    w2.document.set_active(kept[0].id)  # its frames are in the file: the panel asks for its plan itself
    qtbot.waitUntil(lambda: _ready(w2), timeout=30000)
    assert w2.layers.windows[2].cls == "highlight"


def test_dragging_the_painting_order_makes_a_branch(qtbot, make_window, layered):
    w = make_window()
    _open_layered(qtbot, w, layered)
    doc = w.document
    lst = w.layers_panel.order_list
    before = [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())]
    last = lst.count() - 1
    # what the list's own drop does for an internal move (the drag itself needs a real pointer)
    assert lst.model().moveRow(QModelIndex(), last, QModelIndex(), 0)
    qtbot.waitUntil(lambda: len(doc.branches) == 2, timeout=5000)
    wanted = [before[last], *before[:last]]
    assert doc.active.spec.setting("order") == tuple(wanted)
    assert doc.active.name == f"“{w.layers._names[before[last]]}” moved"
    qtbot.waitUntil(lambda: _ready(w), timeout=30000)
    assert [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())] == wanted
    assert w.menus.undo_action.isEnabled()
    w.menus.undo_action.trigger()
    assert len(doc.branches) == 1


def test_no_panel_for_a_flat_image(qtbot, make_window, small_artwork, layered):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    assert not w.layers_dock.isVisible()
    assert not w.layers_dock.toggleViewAction().isEnabled()
    assert w.document.active.spec.engine == "procedural"
    _open_layered(qtbot, w, layered)
    assert w.layers_dock.isVisible()
    open_small(qtbot, w, small_artwork)
    assert not w.layers_dock.isVisible()


def test_another_engine_s_branch_offers_a_layers_branch(qtbot, make_window, layered):
    w = make_window()
    _open_layered(qtbot, w, layered)
    doc = w.document
    from app.core.branch import BranchSpec

    w.branches.undo.create(BranchSpec.make("procedural", 4))
    assert w.layers_panel.new_branch_button.isVisibleTo(w.layers_panel)
    assert w.layers_panel.order_list.count() == 0  # no plan to show for that engine
    made = w.layers.new_branch()
    assert made is not None and made.spec.engine == "layers" and doc.active.id == made.id
    assert not w.layers_panel.new_branch_button.isVisibleTo(w.layers_panel)
