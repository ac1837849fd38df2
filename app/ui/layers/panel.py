"""LayersPanel (layout only): a layered artwork's stack as the file has it (groups, top layer first, as
painting apps show it) with each layer's class and the steps it is painted over, the same layers in
painting order (drag to reorder), and the layers the app could only approximate. `layers.controller`
fills it from the document and turns the user's changes into branches."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from app.inference.layers.classify import (
    BACKGROUND,
    BASE,
    CLASSES,
    EFFECT,
    HIGHLIGHT,
    LINES,
    SHADOW,
    SKETCH,
    TEXT,
)
from app.ui.icons import icon

LAYER_COLUMN, CLASS_COLUMN, STEPS_COLUMN = 0, 1, 2
MIN_WIDTH = 340  # logical px: a name, a class and "999–870" side by side


class LayersPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        lay.setSpacing(6)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("simLabel")
        lay.addWidget(self.status)
        self.new_branch_button = QPushButton(icon("add"), self.tr("New Layers branch"))
        self.new_branch_button.setToolTip(self.tr("A branch built from the file's own layers"))
        lay.addWidget(self.new_branch_button)
        self.paints_undo_button = QPushButton(icon("add"), self.tr("Paints-UNDO from these layers"))
        self.paints_undo_button.setToolTip(
            self.tr(
                "A Paints-UNDO branch whose keyframes are these layers' stages: its model paints the steps "
                "between real stages of your artwork (needs the Paints-UNDO model files)"
            )
        )
        lay.addWidget(self.paints_undo_button)

        self.tree = QTreeWidget()
        self.tree.setObjectName("layerTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("Layer"), self.tr("Class"), self.tr("Steps")])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(LAYER_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CLASS_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STEPS_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setToolTip(self.tr("Click a layer to see it being painted"))

        order_page = QWidget()
        order_lay = QVBoxLayout(order_page)
        order_lay.setContentsMargins(0, 0, 0, 0)
        self.order_list = QListWidget()
        self.order_list.setObjectName("paintingOrder")
        self.order_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.order_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.order_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        order_hint = QLabel(self.tr("Drag a layer to paint it earlier or later (a new branch)."))
        order_hint.setWordWrap(True)
        order_hint.setObjectName("simLabel")
        order_lay.addWidget(self.order_list, 1)
        order_lay.addWidget(order_hint)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.tree, self.tr("Stack"))
        self.tabs.addTab(order_page, self.tr("Painting order"))
        lay.addWidget(self.tabs, 1)

        self.approximated = QLabel()
        self.approximated.setWordWrap(True)
        self.approximated.setObjectName("simLabel")
        self.approximated.hide()
        lay.addWidget(self.approximated)
        self.setMinimumWidth(MIN_WIDTH)

    def class_label(self, cls: str) -> str:
        """A class as the user reads it (the engine's ids are English words)."""
        labels = {
            SKETCH: self.tr("Sketch"),
            LINES: self.tr("Line art"),
            BASE: self.tr("Base colours"),
            SHADOW: self.tr("Shadows"),
            HIGHLIGHT: self.tr("Highlights"),
            BACKGROUND: self.tr("Background"),
            EFFECT: self.tr("Effects"),
            TEXT: self.tr("Text"),
        }
        return labels.get(cls, cls)

    def class_combo(self, current: str) -> QComboBox:
        """The class chooser of one layer, on `current`."""
        combo = QComboBox()
        # As wide as its longest class in the UI language ("Base colours"): the class column sizes to
        # its contents and the layer names give way (they elide; their tooltip and the list name them).
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for cls in CLASSES:
            combo.addItem(self.class_label(cls), cls)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.setToolTip(self.tr("Change the class: a new branch paints the layer that way"))
        return combo
