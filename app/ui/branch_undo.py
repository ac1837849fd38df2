"""BranchUndo: the undo stack of branch operations (create, duplicate, fork, rename, delete).

Why Qt's `QUndoStack`: it is the undo model the Edit menu, Ctrl+Z / Ctrl+Shift+Z and the "Undo <what>"
texts expect, with a clean state and limits, so nothing here re-implements one. Each operation is a
command whose `redo` does it through the document and whose `undo` reverses it; a delete keeps the
document's `DeletedBranch` record, so undoing it brings back the same branch (id, name, spec, fork)
with its frames still indexed. Opening another artwork or project clears the stack: its commands name
branches of a document that is gone.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.branch import Branch, BranchSpec
from app.ui.document import DeletedBranch, Document


class _AddBranch(QUndoCommand):
    """A new branch (create, duplicate, fork): undo deletes it, redo puts the same branch back. Its text
    (`template` with the new branch's name for %1) is set by the first redo, when the name is known:
    the stack announces a command's text after that redo."""

    def __init__(self, doc: Document, make: Callable[[], Branch], template: str) -> None:
        super().__init__(template)
        self.doc, self.make, self.template = doc, make, template
        self.branch: Branch | None = None
        self.deleted: DeletedBranch | None = None

    def redo(self) -> None:
        if self.deleted is not None:
            self.doc.restore_branch(self.deleted)
            self.deleted = None
        else:
            self.branch = self.make()
            self.setText(self.template.replace("%1", self.branch.name))

    def undo(self) -> None:
        if self.branch is not None and self.doc.has_branch(self.branch.id):
            self.deleted = self.doc.delete_branch(self.branch.id)


class _DeleteBranch(QUndoCommand):
    def __init__(self, doc: Document, branch_id: str, text: str) -> None:
        super().__init__(text)
        self.doc, self.branch_id = doc, branch_id
        self.deleted: DeletedBranch | None = None

    def redo(self) -> None:
        self.deleted = self.doc.delete_branch(self.branch_id)

    def undo(self) -> None:
        if self.deleted is not None:
            self.doc.restore_branch(self.deleted)
            self.deleted = None


class _RenameBranch(QUndoCommand):
    def __init__(self, doc: Document, branch_id: str, old: str, new: str, text: str) -> None:
        super().__init__(text)
        self.doc, self.branch_id, self.old, self.new = doc, branch_id, old, new

    def redo(self) -> None:
        self.doc.rename_branch(self.branch_id, self.new)

    def undo(self) -> None:
        self.doc.rename_branch(self.branch_id, self.old)


class BranchUndo(QObject):
    """Branch operations that can be undone. Views call these instead of the document's own methods."""

    done = Signal(str)  # what was just done, undone or redone, for the status bar

    def __init__(self, doc: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.stack = QUndoStack(self)
        doc.artwork_changed.connect(self.stack.clear)

    def _push(self, command: QUndoCommand) -> None:
        self.stack.push(command)
        self.done.emit(command.text())

    def create(self, spec: BranchSpec, name: str | None = None) -> Branch:
        """A new branch of `spec` (named `name`, by default after its seed)."""
        return self._add(lambda: self.doc.add_branch(spec, name), self.tr("New branch “%1”"))

    def duplicate(self, branch_id: str) -> Branch:
        return self._add(lambda: self.doc.duplicate_branch(branch_id), self.tr("Duplicate as “%1”"))

    def fork(self, branch_id: str, step: int) -> Branch:
        return self._add(lambda: self.doc.fork_branch(branch_id, step), self.tr("Fork “%1”"))

    def rename(self, branch_id: str, name: str) -> None:
        old = self.doc.branch(branch_id).name
        if name != old:
            text = self.tr("Rename “%1”").replace("%1", old)
            self._push(_RenameBranch(self.doc, branch_id, old, name, text))

    def delete(self, branch_id: str) -> bool:
        """Delete a branch (never the last one: False then)."""
        if len(self.doc.branches) <= 1 or not self.doc.has_branch(branch_id):
            return False
        name = self.doc.branch(branch_id).name
        self._push(_DeleteBranch(self.doc, branch_id, self.tr("Delete “%1”").replace("%1", name)))
        return True

    def _add(self, make: Callable[[], Branch], template: str) -> Branch:
        cmd = _AddBranch(self.doc, make, template)
        self._push(cmd)
        assert cmd.branch is not None  # the push ran its first redo
        return cmd.branch
