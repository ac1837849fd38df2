"""CompareView: 2-4 labelled canvases side by side, or a wipe / onion skin of the first two.

Driven by the main timeline (one slider for all panes): the window calls `show_frames` with the frame of
every compared branch for the current step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.frames import Frame
from app.ui.canvas.view import CanvasView
from app.ui.icons import icon


class ComparePane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = CanvasView()
        self.canvas.setMinimumSize(96, 72)  # four panes must fit a small (or 2x-scaled) screen
        self.label = QLabel(self.canvas)
        self.label.setObjectName("paneLabel")
        self.label.move(10, 10)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.canvas)

    def set_title(self, text: str) -> None:
        self.label.setText(text)
        self.label.adjustSize()


class CompareView(QWidget):
    export_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.branch_ids: list[str] = []
        self.titles: list[str] = []
        self.mode = QComboBox()
        self.mode.addItem(self.tr("Side by side"), "side")
        self.mode.addItem(self.tr("Wipe (first two)"), "wipe")
        self.mode.addItem(self.tr("Onion skin (first two)"), "onion")
        # the combo may cut its text on a narrow window rather than widen the window (design: any screen)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(6)
        self.mode.setToolTip(self.tr("Mode"))
        self.export_button = QPushButton(icon("export"), self.tr("Export comparison…"))
        self.back_button = QPushButton(icon("viewer"), self.tr("Back to viewer"))
        self.export_button.clicked.connect(self.export_requested)
        self.back_button.clicked.connect(self.close_requested)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 6, 10, 0)
        bar.addWidget(self.mode)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.back_button)
        self.grid = QGridLayout()
        self.grid.setSpacing(6)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addLayout(self.grid, 1)
        self.panes: list[ComparePane] = []
        self.mode.currentIndexChanged.connect(self._relayout)

    def set_branches(self, ids: list[str], titles: list[str]) -> None:
        self.branch_ids, self.titles = list(ids), list(titles)
        for pane in self.panes:
            pane.setParent(None)
            pane.deleteLater()
        self.panes = []
        for title in titles:
            pane = ComparePane()
            pane.set_title(title)
            self.panes.append(pane)
        self._relayout()

    def _relayout(self) -> None:
        while self.grid.count():
            self.grid.takeAt(0)
        mode = self.mode.currentData()
        if mode == "side" or len(self.panes) < 2:
            cols = 2 if len(self.panes) == 4 else max(1, len(self.panes))
            for i, pane in enumerate(self.panes):
                pane.show()
                pane.set_title(self.titles[i])  # not the "A + B" an overlay mode gave the first pane
                pane.canvas.set_overlay(None)
                self.grid.addWidget(pane, i // cols, i % cols)
        else:
            first = self.panes[0]
            first.show()
            first.set_title(
                f"{self.titles[0]}  |  {self.titles[1]}"
                if mode == "wipe"
                else f"{self.titles[0]} + {self.titles[1]}"
            )
            self.grid.addWidget(first, 0, 0)
            for pane in self.panes[1:]:
                pane.hide()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def show_frames(self, frames: list[Frame | None], step: int) -> None:
        mode = self.mode.currentData()
        for pane, frame in zip(self.panes, frames, strict=False):
            pane.canvas.set_pixels(None if frame is None else frame.pixels, step)
        if mode in ("wipe", "onion") and len(frames) >= 2 and self.panes:
            second = frames[1]
            self.panes[0].canvas.set_overlay(None if second is None else second.pixels, mode)
