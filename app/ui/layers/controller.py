"""LayersController: shows a layered artwork's stack in the layers panel with what the layers engine made
of it (each layer's class and steps), and turns the user's corrections into branches.

Whose plan: the branch whose frames the user is looking at, i.e. the one that owns the playhead's step
(`Document.owner_for`): the active branch, or, on a fork at and above its fork step, the parent whose
frames it shows there. A branch that is not a Layers one says so and offers a Layers branch.

"Paints-UNDO from these layers" makes a Paints-UNDO branch whose user keyframes are the shown plan's
stages (`inference/layers/stages.py`, the same stages as `render --keyframes-from-layers`): its
multi-frame model then fills in between real stages of the artwork.

Why a correction makes a new branch rather than changing the shown one: frames are keyed by their
branch's spec, and comparing "as the app guessed" with "as I did it" is the point. The new branch is the
shown one's spec with the change as a setting (`inference/layers/overrides.py`), so it is stored in the
project and reopens as it was, and it goes through the branch undo stack (Ctrl+Z removes it). A change
that gives a spec some branch already has shows that branch instead.

The dock is hidden while the artwork has no layers (a PNG, or a layered file read flat).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import QComboBox, QListWidgetItem, QTreeWidgetItem

from app.core.branch import Branch, BranchSpec
from app.core.layers import Group, Layer, LayerStack, Node
from app.errors import UndoStudioError
from app.inference.layers.engine import ENGINE_NAME, LayersSession
from app.inference.layers.overrides import with_classes, with_order
from app.inference.layers.stages import layer_stages, stage_steps, with_layer_stages
from app.inference.layers.windows import LayerWindow, layer_windows
from app.inference.registry import PAINTS_UNDO_ENGINE
from app.ui.layers.panel import CLASS_COLUMN, LAYER_COLUMN, STEPS_COLUMN, LayersPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

INDEX_ROLE = Qt.ItemDataRole.UserRole


class LayersController(QObject):
    def __init__(self, window: MainWindow, panel: LayersPanel) -> None:
        super().__init__(window)
        self.w, self.panel = window, panel
        self.windows: dict[int, LayerWindow] = {}  # layer index -> its window in the shown plan
        self._names: list[str] = []  # layer index -> name
        self._rows: dict[int, list[QTreeWidgetItem | QListWidgetItem]] = {}  # layer index -> its rows
        self._refreshing = False
        self._moved: int | None = None  # the layer the user just dragged in the painting order
        self._shown_id: str | None = None  # the branch whose frames show the playhead's step
        doc = window.document
        doc.artwork_changed.connect(self._artwork_changed)
        doc.branches_changed.connect(self.refresh)
        doc.branch_ready.connect(lambda _bid: self.refresh())
        doc.branch_failed.connect(lambda _bid: self.refresh())
        window.playback.step_changed.connect(lambda step, _dir: self._step_changed(step))
        panel.new_branch_button.clicked.connect(lambda _checked=False: self.new_branch())
        panel.paints_undo_button.clicked.connect(lambda _checked=False: self.paints_undo_branch())
        panel.tree.itemClicked.connect(lambda item, _col: self._jump(item.data(LAYER_COLUMN, INDEX_ROLE)))
        panel.order_list.itemClicked.connect(lambda item: self._jump(item.data(INDEX_ROLE)))
        panel.order_list.model().rowsMoved.connect(self._rows_moved)
        self._artwork_changed()

    # -- what is shown ---------------------------------------------------------------------------
    def stack(self) -> LayerStack | None:
        """The open artwork's layers, None when it has none."""
        art = self.w.document.artwork
        return art.layers if art is not None and art.layered else None

    def shown_branch(self) -> Branch | None:
        """The branch whose frames show the playhead's step: the active one, or the parent a fork shows
        at and above its fork step."""
        doc = self.w.document
        active = doc.active
        if active is None:
            return None
        return doc.branch(doc.owner_for(active.id, self.w.playback.step))

    def plan_branch(self) -> Branch | None:
        """The branch whose plan the panel shows and corrects: the shown one, when it is a Layers one."""
        shown = self.shown_branch()
        return shown if shown is not None and shown.spec.engine == ENGINE_NAME else None

    def _step_changed(self, step: int) -> None:
        """The playhead moved: a fork's playhead crossing its fork step shows another branch's plan."""
        shown = self.shown_branch()
        if (shown.id if shown is not None else None) != self._shown_id:
            self.refresh()
        else:
            self._mark_current(step)

    def _artwork_changed(self) -> None:
        stack = self.stack()
        has = stack is not None
        self.w.layers_dock.setVisible(has)
        self.w.layers_dock.toggleViewAction().setEnabled(has)
        self._names = [layer.name for layer in stack.layers()] if stack is not None else []
        approximated = stack.approximated if stack is not None else ()
        self.panel.approximated.setVisible(bool(approximated))
        self.panel.approximated.setText(
            self.tr("Approximated (in the merged image only, arriving at the end): %1").replace(
                "%1", ", ".join(approximated)
            )
        )
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the tree and the painting order from the stack and the shown branch's plan."""
        stack = self.stack()
        shown = self.shown_branch()
        self._shown_id = shown.id if shown is not None else None
        branch = self.plan_branch()
        session = self.w.document.session(branch.id) if branch is not None else None
        ready = isinstance(session, LayersSession)
        self.windows = (
            layer_windows(session.events, session.classes) if isinstance(session, LayersSession) else {}
        )
        p = self.panel
        p.new_branch_button.setVisible(stack is not None and branch is None)
        p.paints_undo_button.setVisible(stack is not None and ready)
        if stack is None:
            p.status.setText("")
        elif branch is None:
            p.status.setText(self._not_layers_text(shown))
        elif not ready:
            failure = self.w.document.failure(branch.id)
            p.status.setText(failure or self.tr("Planning the layers of “%1”…").replace("%1", branch.name))
            if failure is None:
                self.w.document.prepare_session(branch.id)
        else:
            p.status.setText(
                self.tr("%1 layers, as planned in “%2”. Change a class or the order to make a new branch.")
                .replace("%1", str(len(self._names)))
                .replace("%2", branch.name)
                + self._fork_note(branch)
            )
        self._refreshing = True
        try:
            self._rows = {}
            self._fill_tree(stack, editable=ready)
            self._fill_order()
        finally:
            self._refreshing = False
        self._mark_current(self.w.playback.step)

    def _not_layers_text(self, shown: Branch | None) -> str:
        """What the panel says for a branch that is not built from the layers (its own plan has none)."""
        text = self.tr("This branch is not built from the layers; choose a layers branch to edit its plan.")
        try:
            stages = layer_stages(shown.spec) if shown is not None else None
        except UndoStudioError:
            stages = None  # a damaged setting: the branch's own failure says so
        if stages is not None:
            steps = ", ".join(str(step) for step in stages[0])
            text = (
                self.tr("Its keyframes are the layers' stages at steps %1.").replace("%1", steps) + " " + text
            )
        return text

    def _fork_note(self, branch: Branch) -> str:
        """On a fork, a line saying whose plan this is: its parent's at and above the fork step (the
        frames shown there are the parent's), its own below."""
        doc = self.w.document
        active = doc.active
        if active is None or active.fork_step is None or active.parent_id is None:
            return ""
        if active.id == branch.id:
            parent = doc.branch(active.parent_id) if doc.has_branch(active.parent_id) else None
            if parent is None:
                return ""
            note = self.tr(
                "This fork shows the frames of “%1” from step %2 up; below it, its own plan (this one)."
            )
            return "\n" + note.replace("%1", parent.name).replace("%2", str(active.fork_step))
        note = self.tr("The fork “%1” shows these frames from step %2 up; below it, its own plan.")
        return "\n" + note.replace("%1", active.name).replace("%2", str(active.fork_step))

    def _fill_tree(self, stack: LayerStack | None, editable: bool) -> None:
        tree = self.panel.tree
        tree.clear()
        if stack is None:
            return
        index = {id(node): k for k, node in enumerate(stack.layers())}
        muted = tree.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)

        def add(node: Node, parent: QTreeWidgetItem | None) -> None:
            item = QTreeWidgetItem([node.name, "", ""])
            item.setToolTip(LAYER_COLUMN, node.name)  # a long name is elided beside the class chooser
            if parent is None:
                tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            if not node.visible:
                self._hidden_look(item, muted)
            if isinstance(node, Group):
                font = item.font(LAYER_COLUMN)
                font.setBold(True)
                item.setFont(LAYER_COLUMN, font)
                for child in reversed(node.children):  # top first, as painting apps list them
                    add(child, item)
                item.setExpanded(True)
                return
            self._layer_row(item, node, index[id(node)], editable)

        for node in reversed(stack.children):
            add(node, None)

    def _layer_row(self, item: QTreeWidgetItem, layer: Layer, index: int, editable: bool) -> None:
        item.setData(LAYER_COLUMN, INDEX_ROLE, index)
        self._rows.setdefault(index, []).append(item)
        window = self.windows.get(index)
        if window is None:
            if self.plan_branch() is None:
                return  # another engine's branch: no plan, so no steps (not "…", which reads "planning")
            unplanned = self.tr("not painted") if self.windows else "…"
            item.setText(STEPS_COLUMN, unplanned)
            item.setToolTip(STEPS_COLUMN, self.tr("Empty, hidden in a hidden group, or not planned yet"))
            return
        item.setText(STEPS_COLUMN, self._steps_text(window, short=True))
        item.setToolTip(STEPS_COLUMN, self._steps_text(window))
        if editable:
            combo = self.panel.class_combo(window.cls)
            combo.currentIndexChanged.connect(lambda _i, c=combo, k=index: self._class_chosen(k, c))
            self.panel.tree.setItemWidget(item, CLASS_COLUMN, combo)
        else:
            item.setText(CLASS_COLUMN, self.panel.class_label(window.cls))

    def _hidden_look(self, item: QTreeWidgetItem, muted: QBrush) -> None:
        font = item.font(LAYER_COLUMN)
        font.setItalic(True)
        item.setFont(LAYER_COLUMN, font)
        item.setForeground(LAYER_COLUMN, muted)
        item.setText(LAYER_COLUMN, self.tr("%1 (hidden)").replace("%1", item.text(LAYER_COLUMN)))
        item.setToolTip(
            LAYER_COLUMN,
            self.tr("Hidden in the file: painted early, hidden again when the artist would have"),
        )

    def _fill_order(self) -> None:
        lst = self.panel.order_list
        lst.clear()
        for window in sorted(self.windows.values(), key=lambda w: w.position):
            name = self._names[window.index] if window.index < len(self._names) else str(window.index)
            text = f"{name}  ·  {self.panel.class_label(window.cls)}  ·  {self._steps_text(window)}"
            item = QListWidgetItem(text)
            item.setData(INDEX_ROLE, window.index)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)  # between rows, never onto one
            lst.addItem(item)
            self._rows.setdefault(window.index, []).append(item)

    def _steps_text(self, window: LayerWindow, short: bool = False) -> str:
        """The steps a layer is painted over ('999–870'), and when it is hidden again unless `short`."""
        text = self.tr("%1–%2").replace("%1", str(window.first)).replace("%2", str(window.last))
        if window.hidden_at is not None and not short:
            text += "  " + self.tr("hidden by %1").replace("%1", str(window.hidden_at))
        return text

    def _mark_current(self, step: int) -> None:
        """The layers being painted at `step` in bold."""
        for index, rows in self._rows.items():
            window = self.windows.get(index)
            on = window is not None and window.last <= step <= window.first
            for row in rows:
                if isinstance(row, QTreeWidgetItem):
                    font = row.font(LAYER_COLUMN)
                    if font.bold() != on:
                        font.setBold(on)
                        row.setFont(LAYER_COLUMN, font)
                else:
                    font = QFont(row.font())
                    if font.bold() != on:
                        font.setBold(on)
                        row.setFont(font)

    def _jump(self, index: object) -> None:
        """A click on a layer: the playhead half way through its painting."""
        window = self.windows.get(index) if isinstance(index, int) else None
        if window is not None:
            self.w.playback.set_step(window.middle)

    # -- corrections -----------------------------------------------------------------------------
    def new_branch(self) -> Branch | None:
        """A Layers branch (a new seed), made active: for a layered artwork opened as another engine's."""
        if self.stack() is None:
            return None
        spec = BranchSpec.make(ENGINE_NAME, self.w.document.new_seed())
        return self.w.branches.undo.create(spec)

    def paints_undo_branch(self) -> Branch | None:
        """A Paints-UNDO branch (made active, undoable) whose keyframes are the shown plan's stages; the
        branch that already is that when there is one. Its model files are checked when it is prepared:
        without them the branch says which are missing, as any Paints-UNDO branch does."""
        branch = self.plan_branch()
        session = self.w.document.session(branch.id) if branch is not None else None
        if branch is None or not isinstance(session, LayersSession):
            return None
        steps = stage_steps(session.stage_bands)
        if not steps:
            return None
        base = BranchSpec.make(PAINTS_UNDO_ENGINE, branch.spec.seed)
        name = self.tr("Paints-UNDO from “%1”").replace("%1", branch.name)
        return self._branch_for(with_layer_stages(base, branch.spec, steps), name)

    def _class_chosen(self, index: int, combo: QComboBox) -> None:
        """A class chosen in a layer's combo: the branch is made once the combo's signal has returned
        (making it rebuilds the tree, which deletes the combo)."""
        if not self._refreshing:
            cls = str(combo.currentData())
            QTimer.singleShot(0, self, lambda: self.change_class(index, cls))

    def change_class(self, index: int, cls: str) -> Branch | None:
        """Layer `index` painted as `cls`: a new branch (or the branch that already is that)."""
        branch = self.plan_branch()
        window = self.windows.get(index)
        if branch is None or window is None or window.cls == cls:
            return None
        name = (
            self.tr("“%1” as %2").replace("%1", self._names[index]).replace("%2", self.panel.class_label(cls))
        )
        return self._branch_for(with_classes(branch.spec, {index: cls}), name)

    def set_order(self, order: list[int], moved: int | None = None) -> Branch | None:
        """The layers painted in `order`: a new branch (or the branch that already is that)."""
        branch = self.plan_branch()
        if branch is None or not order:
            return None
        current = [w.index for w in sorted(self.windows.values(), key=lambda w: w.position)]
        if order == current:
            return None
        what = self._names[moved] if moved is not None and moved < len(self._names) else ""
        name = self.tr("“%1” moved").replace("%1", what) if what else self.tr("Your painting order")
        return self._branch_for(with_order(branch.spec, order), name)

    def _branch_for(self, spec: BranchSpec, name: str) -> Branch:
        doc = self.w.document
        same = next((b for b in doc.branches if b.spec == spec), None)
        if same is not None:
            doc.set_active(same.id)
            return same
        return self.w.branches.undo.create(spec, name)

    def _rows_moved(self, _parent: QModelIndex, start: int, _end: int, _dest: QModelIndex, row: int) -> None:
        """A drag in the painting order ended (Qt moves the row itself): make its branch once the
        list has settled (a move is reported while the view is still dropping)."""
        if self._refreshing:
            return
        lst = self.panel.order_list
        moved = lst.item(row - 1 if row > start else row)
        self._moved = moved.data(INDEX_ROLE) if moved is not None else None
        QTimer.singleShot(0, self, self._commit_order)

    def _commit_order(self) -> None:
        lst = self.panel.order_list
        order = [int(lst.item(i).data(INDEX_ROLE)) for i in range(lst.count())]
        moved, self._moved = self._moved, None
        self.set_order(order, moved)
