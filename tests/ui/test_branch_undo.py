"""Branch operations can be undone (issue 10, item 14): a delete needs no confirmation because Ctrl+Z
brings the same branch back, frames and fork included; the Edit menu says what it would undo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from ui_helpers import open_artwork, open_small, wait_exact


def _seeds(w) -> list[int]:
    return [b.spec.seed for b in w.document.branches]


def test_undo_delete_restores_the_same_branch_with_its_frames(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=500)
    doc = w.document
    w.branches_panel.seed.setValue(42)
    qtbot.mouseClick(w.branches_panel.create_button, Qt.MouseButton.LeftButton)
    wait_exact(qtbot, w)
    victim = doc.active
    before = (victim.id, victim.name, victim.spec, doc.available(victim.id))
    assert before[3], "the branch had frames before it was deleted"

    qtbot.mouseClick(w.branches_panel.delete_button, Qt.MouseButton.LeftButton)
    assert _seeds(w) == [0]
    assert w.menus.undo_action.text() == f"Undo Delete “{victim.name}”"
    assert w.menus.undo_action.isEnabled()

    w.menus.undo_action.trigger()
    back = doc.active
    assert (back.id, back.name, back.spec) == before[:3]
    assert doc.available(back.id) == before[3], "its frames are still indexed"
    assert _seeds(w) == [0, 42]
    assert w.menus.redo_action.text() == f"Redo Delete “{victim.name}”"

    w.menus.redo_action.trigger()
    assert _seeds(w) == [0]
    w.menus.undo_action.trigger()
    assert _seeds(w) == [0, 42]


def test_undo_delete_reattaches_forks_and_keeps_the_order(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=400)
    doc = w.document
    parent = doc.active
    qtbot.mouseClick(w.branches_panel.fork_button, Qt.MouseButton.LeftButton)
    fork = doc.active
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    order = [b.id for b in doc.branches]

    w.branches.undo.delete(parent.id)
    assert fork.parent_id is None  # the fork became a root while its parent was gone
    w.menus.undo_action.trigger()
    assert [b.id for b in doc.branches] == order
    assert (fork.parent_id, fork.fork_step) == (parent.id, 400)
    assert doc.owner_for(fork.id, 700) == parent.id


def test_create_duplicate_fork_and_rename_undo_and_redo(qtbot, make_window, small_artwork, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    w = make_window()
    open_small(qtbot, w, small_artwork)
    doc, undo = w.document, w.menus.undo_action
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    dup = doc.active
    assert undo.text() == f"Undo Duplicate as “{dup.name}”"
    undo.trigger()
    assert not doc.has_branch(dup.id)
    w.menus.redo_action.trigger()
    assert doc.has_branch(dup.id) and doc.active_id == dup.id  # the same branch, not a new one

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Night sky", True)))
    w.menus.rename_action.trigger()
    assert doc.active.name == "Night sky"
    undo.trigger()
    assert doc.active.name == dup.name
    undo.trigger()
    assert len(doc.branches) == 1


def test_undo_keys_and_a_new_document_clears_the_stack(qtbot, make_window, small_artwork):
    w = make_window()
    assert QKeySequence("Ctrl+Z") in w.menus.undo_action.shortcuts()
    assert QKeySequence("Ctrl+Shift+Z") in w.menus.redo_action.shortcuts()
    assert not w.menus.undo_action.isEnabled()
    open_small(qtbot, w, small_artwork)
    qtbot.mouseClick(w.branches_panel.duplicate_button, Qt.MouseButton.LeftButton)
    assert w.menus.undo_action.isEnabled()
    assert open_artwork(qtbot, w, small_artwork)
    assert not w.menus.undo_action.isEnabled(), "undo must not reach into the previous document"
    assert w.menus.undo_action.text() == "Undo"
