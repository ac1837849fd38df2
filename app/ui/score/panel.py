"""ScorePanel (layout only): how the recording was matched to the artwork (mirrored, turned, flipped
stretches), the distance-to-final curves of the recording and of each branch over painting progress
(pyqtgraph), and a table with each branch's score, best first."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.analysis.align import Alignment
from app.analysis.score import ScoreReport

RECORDING_PEN = "#ffffff"
BRANCH_COLOURS = ["#f2b84b", "#5aa9ff", "#4fc28b", "#ff6b6b", "#c08cff", "#7fd4d4", "#e8a0c0", "#b0b070"]


class ScorePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.score_button = QPushButton(self.tr("Score branches against the recording"))
        self.fit_text = self.tr("Find the closest process")
        self.fit_button = QPushButton(self.fit_text)
        self.fit_button.setToolTip(
            self.tr(
                "Try the procedural engine's seeds and settings for a while and add the closest as a branch"
            )
        )
        self.status = QLabel(self.tr("Add a recording (File › Add recording…), then score the branches."))
        self.status.setWordWrap(True)
        self.alignment = QLabel()
        self.alignment.setObjectName("recordingAlignment")
        self.alignment.setWordWrap(True)
        self.alignment.hide()  # until a recording has been aligned
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("bottom", self.tr("Painting progress"))
        self.plot.setLabel("left", self.tr("Distance to final"))
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # distances are 0..1, not milli-anything
        self.plot.addLegend(offset=(10, -10))  # bottom left: the curves start high and end low
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Branch"),
                self.tr("Score"),
                self.tr("Frames (DTW)"),
                self.tr("Curve area"),
                self.tr("Order"),
            ]
        )
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.bounds_button = QPushButton(self.tr("Recording start and end…"))
        self.bounds_button.setToolTip(self.tr("Move where painting starts and ends in the recording"))
        for widget in (
            self.score_button,
            self.fit_button,
            self.bounds_button,
            self.alignment,
            self.status,
            self.plot,
            self.table,
        ):
            layout.addWidget(widget)

    def show_alignment(self, alignment: Alignment | None) -> None:
        """How the recording shows the artwork (None: no recording; the line is hidden)."""
        if alignment is None:
            self.alignment.hide()
            return
        geometry = alignment.geometry
        parts = [
            self.tr("Mirrored: %1").replace("%1", self.tr("yes") if geometry.flip else self.tr("no")),
            self.tr("Turned: %1° clockwise").replace("%1", str(geometry.rotation)),
        ]
        if alignment.flipped_ranges:
            seconds = alignment.position_unit == "s"
            unit, digits = (self.tr("s"), 1) if seconds else (self.tr("frame"), 0)
            spans = ", ".join(f"{a:.{digits}f}–{b:.{digits}f} {unit}" for a, b in alignment.flipped_ranges)
            parts.append(self.tr("Canvas flipped: %1").replace("%1", spans))
        self.alignment.setText(" · ".join(parts))
        self.alignment.show()

    def show_report(self, report: ScoreReport, recording_name: str) -> None:
        """The curves and the table of `report` (best score first)."""
        self.plot.clear()
        progress = report.progress
        self.plot.plot(
            progress, report.recording_profile, pen=pg.mkPen(RECORDING_PEN, width=3), name=recording_name
        )
        ranked = sorted(report.branches, key=lambda b: -b.score)
        for k, branch in enumerate(report.branches):
            colour = BRANCH_COLOURS[k % len(BRANCH_COLOURS)]
            self.plot.plot(progress, branch.profile, pen=pg.mkPen(colour, width=2), name=branch.name)
        self.table.setRowCount(len(ranked))
        for row, branch in enumerate(ranked):
            order = "–" if branch.order_agreement is None else f"{branch.order_agreement:+.2f}"
            cells = [
                branch.name,
                f"{branch.score:.3f}",
                f"{branch.dtw_distance:.3f}",
                f"{branch.profile_area:.3f}",
                order,
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
