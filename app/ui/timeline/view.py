"""TimelineView: transport buttons, the undo-step slider, labels and the track (layout only).

The slider's value is the undo step; its appearance is inverted so that left is the blank canvas (999)
and right the finished artwork (0): painting order reads left to right. Behaviour lives in
`timeline.controller.PlaybackController`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.frames import MAX_STEP, MIN_STEP, FrameKind, progress_percent
from app.ui.fitting_label import FittingLabel
from app.ui.icons import icon
from app.ui.timeline.track import TimelineTrack

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class JumpSlider(QSlider):
    """A slider whose groove, clicked, puts the handle under the pointer (and lets the drag go on from
    there) instead of moving it a page towards the pointer: on a 1000-step timeline, a click means "go
    there". Qt offers this only as a style hint, which the app's style sheet would have to carry."""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            style = self.style()
            cc = QStyle.ComplexControl.CC_Slider
            handle = style.subControlRect(cc, opt, QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = style.subControlRect(cc, opt, QStyle.SubControl.SC_SliderGroove, self)
                x = round(event.position().x()) - groove.x() - handle.width() // 2
                span = max(1, groove.width() - handle.width())
                self.setValue(
                    QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span, opt.upsideDown)
                )
        super().mousePressEvent(event)  # the handle is under the pointer now: a drag continues from it


class TimelineView(QWidget):
    step_moved = Signal(int)  # the user moved the slider

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.slider = JumpSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("stepSlider")
        self.slider.setRange(MIN_STEP, MAX_STEP)
        self.slider.setInvertedAppearance(True)
        self.slider.setInvertedControls(True)
        self.slider.setValue(MAX_STEP)
        self.slider.setPageStep(50)
        self.slider.valueChanged.connect(self.step_moved)

        def tool(name: str, tip: str) -> QToolButton:
            b = QToolButton()
            b.setIcon(icon(name))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            return b

        self.first_button = tool("skip-start", self.tr("Blank canvas (Home)"))
        self.prev_key_button = tool("prev-key", self.tr("Previous keyframe (Shift+Left)"))
        self.back_button = tool("step-back", self.tr("Step back (Left)"))
        self.play_button = tool("play", self.tr("Play / pause (Space)"))
        self.play_button.setObjectName("playButton")
        self.forward_button = tool("step-forward", self.tr("Step forward (Right)"))
        self.next_key_button = tool("next-key", self.tr("Next keyframe (Shift+Right)"))
        self.last_button = tool("skip-end", self.tr("Finished artwork (End)"))
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip(self.tr("Playback speed"))
        self.loop = QCheckBox(self.tr("Loop"))
        # the step and the kind badge show a shorter form rather than be cut on a narrow row, and their
        # minimum fits the widest short form (not the text shown: a minimum that followed the text made the
        # window's minimum change with every frame shown); their tooltips have the full text
        self.step_label = FittingLabel()
        self.step_label.setObjectName("stepLabel")
        # at the window's smallest the bare number: "Step 999" there would push the window's minimum past a
        # small screen (800 logical pixels at 2x)
        self.step_label.set_shortest_texts(str(s) for s in range(MIN_STEP, MAX_STEP + 1))
        self.kind_label = FittingLabel()
        self.kind_label.setObjectName("kindBadge")
        self.kind_label.set_shortest_texts(self.kind_text(k) for k in (*FrameKind, None))
        self.track = TimelineTrack()
        self.track.step_clicked.connect(self.step_moved)

        row = QHBoxLayout()
        row.setSpacing(4)
        for w in (
            self.first_button,
            self.prev_key_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.next_key_button,
            self.last_button,
        ):
            row.addWidget(w)
        row.addSpacing(8)
        row.addWidget(self.step_label)
        row.addWidget(self.kind_label)
        row.addStretch(1)
        row.addWidget(self.speed)
        row.addWidget(self.loop)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 8)
        lay.setSpacing(2)
        lay.addLayout(row)
        lay.addWidget(self.slider)
        lay.addWidget(self.track)
        self.show_step(MAX_STEP)

    def step_texts(self, step: int) -> tuple[str, str, str]:
        """The step label's texts, longest first: the full line, the step without the percentage, and the
        bare number (which the label always has room for)."""
        pct = f"{progress_percent(step):.1f}"
        full = self.tr("Step %1 · %2 % painted").replace("%1", str(step)).replace("%2", pct)
        return full, self.tr("Step %1").replace("%1", str(step)), str(step)

    def kind_text(self, kind: FrameKind | None) -> str:
        return {
            FrameKind.EXACT: self.tr("exact"),
            FrameKind.INTERPOLATED: self.tr("interpolated"),
            FrameKind.PREVIEW: self.tr("preview"),
            None: self.tr("waiting…"),
        }[kind]

    def show_step(self, step: int) -> None:
        """Reflect `step` without emitting `step_moved`."""
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self.track.set_step(step)
        self.step_label.set_texts(*self.step_texts(step))

    def show_kind(self, kind: FrameKind | None, sources: Sequence[int] = ()) -> None:
        """The badge beside the step: what the picture is. A preview says which steps it shows (the
        nearest frames), so "Step 0" over a half-painted frame of step 480 says "preview of step 480"."""
        value = kind.value if kind else "none"
        texts = [self.kind_text(kind)]
        if sources:
            steps = ", ".join(str(s) for s in sources[:4]) + ("…" if len(sources) > 4 else "")
            texts.insert(0, self.tr("preview of step %1").replace("%1", steps))
        if self.kind_label.property("kind") == value and self.kind_label.full_text() == texts[0]:
            return
        self.kind_label.set_texts(*texts)
        self.kind_label.setProperty("kind", value)
        self.kind_label.style().unpolish(self.kind_label)
        self.kind_label.style().polish(self.kind_label)

    def set_playing(self, playing: bool) -> None:
        self.play_button.setIcon(icon("pause" if playing else "play"))
