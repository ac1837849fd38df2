"""The branch tree: one copy shared by the document and its project file; removing a branch can be put
back exactly (undo), forks included."""

from __future__ import annotations

from app.core.branch import Branch, BranchSpec, BranchTree


def _tree() -> tuple[BranchTree, Branch, Branch, Branch]:
    a = Branch("A", BranchSpec.make("procedural", 0))
    b = Branch("B", BranchSpec.make("procedural", 1))
    fork = Branch("F", BranchSpec.make("procedural", 2), parent_id=b.id, fork_step=400)
    tree = BranchTree([a, b, fork], active_id=b.id)
    return tree, a, b, fork


def test_removing_makes_forks_roots_and_putting_back_restores_place_activity_and_forks() -> None:
    tree, a, b, fork = _tree()
    assert tree.owner_for(fork.id, 500) == b.id
    removed = tree.remove(b.id)
    assert tree.ids() == [a.id, fork.id] and tree.active_id == a.id
    assert fork.parent_id is None and tree.owner_for(fork.id, 500) == fork.id
    tree.put_back(removed)
    assert tree.ids() == [a.id, b.id, fork.id] and tree.active_id == b.id
    assert (fork.parent_id, fork.fork_step) == (b.id, 400)
    assert tree.owner_for(fork.id, 500) == b.id


def test_owner_for_stops_at_a_cycle_or_a_missing_parent() -> None:
    tree, a, b, fork = _tree()
    b.parent_id, b.fork_step = fork.id, 100  # a damaged file: b and fork are each other's parent
    assert tree.owner_for(fork.id, 900) in {b.id, fork.id}
    fork.parent_id = "gone"
    assert tree.owner_for(fork.id, 900) == fork.id
