"""BranchesPanel (layout only): the branch list with compare check boxes, actions, and a "new branch"
form (engine, seed, engine settings). `branches.controller` wires it to the document."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.branches.settings_form import SettingsForm
from app.ui.icons import icon

MIN_WIDTH = 272  # logical px; wider content scrolls (a 2x-scaled 1600x1000 screen is 800 px wide)


class BranchesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The panel scrolls rather than forcing its height on the window (a small or 2x-scaled screen),
        # and is only as wide as its buttons need.
        content = QWidget()
        content.setObjectName("branchesContent")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay = QVBoxLayout(content)
        lay.setContentsMargins(10, 10, 10, 10)
        lay.setSpacing(8)
        self.list = QListWidget()
        self.list.setObjectName("branchList")
        # long names and settings wrap in the panel's width (nothing is cut or hidden behind a horizontal
        # scroll bar); the items are laid out again when the panel is resized
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setMinimumHeight(96)
        hint = QLabel(self.tr("Tick 2–4 branches to compare them."))
        hint.setWordWrap(True)
        hint.setObjectName("simLabel")
        lay.addWidget(self.list, 1)
        lay.addWidget(hint)

        row = QHBoxLayout()

        def tool(name: str, tip: str) -> QToolButton:
            b = QToolButton()
            b.setIcon(icon(name))
            b.setToolTip(tip)
            row.addWidget(b)
            return b

        self.duplicate_button = tool("duplicate", self.tr("Duplicate with a new seed"))
        self.fork_button = tool("fork", self.tr("Fork here: redo differently from the current step"))
        self.rename_button = tool("rename", self.tr("Rename"))
        self.delete_button = tool("delete", self.tr("Delete"))
        row.addStretch(1)
        self.compare_button = QPushButton(icon("compare"), self.tr("Compare"))
        row.addWidget(self.compare_button)
        lay.addLayout(row)
        # the active branch's time and memory on this device, before its neural run (issue 14 part 6)
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("estimateLabel")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setVisible(False)
        self.hybrid_button = QPushButton(self.tr("Use the CPU hybrid"))
        self.hybrid_button.setToolTip(
            self.tr("A new branch with painted in-between frames and the CPU's fewer steps and smaller size.")
        )
        self.hybrid_button.setVisible(False)
        lay.addWidget(self.estimate_label)
        lay.addWidget(self.hybrid_button)

        group = QGroupBox(self.tr("New branch"))
        form = QFormLayout(group)
        self.engine = QComboBox()
        self.engine.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.engine.setMinimumContentsLength(12)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.settings = SettingsForm()
        self.create_button = QPushButton(icon("add"), self.tr("Create branch"))
        self.create_button.setObjectName("primary")
        form.addRow(self.tr("Engine"), self.engine)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.settings)
        form.addRow(self.create_button)
        self.engine_status = QLabel()
        self.engine_status.setObjectName("simLabel")
        self.engine_status.setWordWrap(True)
        form.addRow(self.engine_status)
        lay.addWidget(group)
        for rows in (form, self.settings.form):  # a narrow panel puts a field under its label
            rows.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.setMinimumWidth(MIN_WIDTH)

    def checked_ids(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out
