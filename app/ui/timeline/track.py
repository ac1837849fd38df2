"""A pyqtgraph strip under the slider: stage bands, the change curve, keyframe markers and which steps
have frames (and of which kind). The x axis is the undo step, drawn 999 -> 0 like the slider (painting
order left to right). A click or a drag on it moves the playhead there; its tooltip names what lies under
the pointer and explains the marks (a legend).

The playhead follows a storm of step changes (a fast drag, a held key: hundreds a second) at most every
`PLAYHEAD_INTERVAL_MS`: moving it costs a few milliseconds of pyqtgraph work and a redraw of the strip,
per step change that was most of the UI thread's time in a storm (issue 10 item 11). The first change
after a pause moves it at once, the last one of a storm always lands; the slider and the step label show
every step as it comes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QGraphicsItem, QToolTip

from app.core.frames import MAX_STEP, FrameKind

KIND_COLOURS = {FrameKind.EXACT: "#4fc28b", FrameKind.INTERPOLATED: "#5aa9ff", FrameKind.PREVIEW: "#c9a34a"}
BAND_COLOURS = ["#3b3f58", "#44405e", "#3d4d5a", "#4a4550", "#3f5148", "#524a3c"]
PLAYHEAD_INTERVAL_MS = 50  # a storm moves the playhead 20 times a second (a redraw costs ~5-10 ms)
LABEL_PADDING_PX = 6  # TextItem's own margin plus a gap before the next band's label
MIN_LABEL_CHARS = 2  # an elided label shorter than this ("s…") says nothing: the band goes unlabelled


def band_label_texts(
    spans: Sequence[tuple[int, int, str]], width_px: float, elide: Callable[[str, float], str]
) -> list[str]:
    """The label each stage band can show on a track `width_px` wide: its name, elided to the band's own
    width (`elide(text, px)`, e.g. QFontMetricsF.elidedText), or "" when not even a couple of characters
    fit. A label starts at its band's left edge, so a tiny band's full name ran over the next band's
    label; the tooltip still names every band. `spans`: (lo, hi, name) in undo steps."""
    px_per_step = max(width_px, 0.0) / MAX_STEP
    texts = []
    for lo, hi, name in spans:
        room = (hi - lo) * px_per_step - LABEL_PADDING_PX
        shown = elide(name, room) if room > 0 else ""
        texts.append(shown if len(shown.rstrip("…")) >= min(MIN_LABEL_CHARS, len(name)) else "")
    return texts


class TimelineTrack(pg.PlotWidget):
    step_clicked = Signal(int)  # the user clicked or dragged on the track at this undo step

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=None)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedHeight(64)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        item = self.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setContentsMargins(0, 0, 0, 0)
        self.getViewBox().invertX(True)
        self.setXRange(0, MAX_STEP, padding=0)
        self.setYRange(-0.25, 1.25, padding=0)
        self._bands: list[pg.LinearRegionItem] = []  # the ones shown, from `_band_pool`
        self._band_pool: list[tuple[pg.LinearRegionItem, pg.TextItem]] = []
        self._band_labels: list[pg.TextItem] = []
        self._band_steps: list[tuple[int, int, str]] = []  # (lo, hi, shown name) for the tooltip
        self._keyframe_steps: frozenset[int] = frozenset()
        self._kinds: Mapping[int, FrameKind] = {}
        self.curve = self.plot([], [], pen=pg.mkPen("#8a8fb0", width=1))
        self.available = pg.ScatterPlotItem(size=4, pen=None, symbol="s")
        self.keyframes = pg.ScatterPlotItem(
            size=9, pen=pg.mkPen("#ffffff"), brush=pg.mkBrush("#f2b84b"), symbol="t"
        )
        self.addItem(self.available)
        self.addItem(self.keyframes)
        self.playhead = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#ff6b6b", width=2))
        self.addItem(self.playhead)
        self._playhead_step = 0
        self._playhead_timer = QTimer(self)
        self._playhead_timer.setSingleShot(True)
        self._playhead_timer.setInterval(PLAYHEAD_INTERVAL_MS)
        self._playhead_timer.timeout.connect(self._move_playhead)
        for static in (self.curve, self.available, self.keyframes):
            _cache_on_device(static)

    def set_step(self, step: int) -> None:
        """Put the playhead at `step`: at once after a pause, else when the interval ends (module doc)."""
        self._playhead_step = step
        if not self._playhead_timer.isActive():
            self._move_playhead()

    def stop_playhead_timer(self) -> None:
        """The window closes: nothing may wait to move the playhead."""
        self._playhead_timer.stop()

    def _move_playhead(self) -> None:
        if self.playhead.value() != self._playhead_step:
            self.playhead.setValue(self._playhead_step)
            self._playhead_timer.start()  # the next change within the interval waits for its end

    def set_bands(self, bands: Sequence) -> None:
        """Show the stage bands. Their pyqtgraph items are made once and reused (hidden when not needed):
        making a band's items cost tens of milliseconds, a stall whenever a branch became ready or the
        shown branch changed in the middle of a scrub (issue 10 item 11)."""
        while len(self._band_pool) < len(bands):
            region = pg.LinearRegionItem((0, 1), movable=False, pen=pg.mkPen(None))
            region.setZValue(-10)
            label = pg.TextItem("", color="#c8cbe0", anchor=(0, 0))
            _cache_on_device(region)
            _cache_on_device(label)
            self.addItem(region)
            self.addItem(label)
            self._band_pool.append((region, label))
        self._bands, self._band_labels, self._band_steps = [], [], []
        for i, (region, label) in enumerate(self._band_pool):
            region.setVisible(i < len(bands))
            label.setVisible(i < len(bands))
            if i >= len(bands):
                continue
            lo, hi = sorted((bands[i].first_step, bands[i].last_step))
            name = self.stage_label(bands[i].name)
            colour = QColor(BAND_COLOURS[i % len(BAND_COLOURS)])
            colour.setAlpha(150)
            region.setBrush(pg.mkBrush(colour))
            region.setRegion((lo, hi))
            label.setPos(hi, 1.25)
            self._bands.append(region)
            self._band_labels.append(label)
            self._band_steps.append((lo, hi, name))
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Each band's label elided to its band (or left out): `band_label_texts`."""
        if not getattr(self, "_band_labels", None):  # also: a resize while PlotWidget is being made
            return
        metrics = QFontMetricsF(self._band_labels[0].textItem.font())

        def elide(text: str, px: float) -> str:
            return metrics.elidedText(text, Qt.TextElideMode.ElideRight, px)

        width = float(self.getViewBox().width()) or float(self.width())
        texts = band_label_texts(self._band_steps, width, elide)
        for label, text in zip(self._band_labels, texts, strict=True):
            label.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_labels()  # the bands' widths in pixels change with the track's

    def stage_label(self, name: str) -> str:
        """Engines name stages in English ids; these are the ones the built-in engines use (the procedural
        engine's three ways of working, app/inference/procedural/ways.py)."""
        labels = {
            "sketch": self.tr("sketch"),
            "ink": self.tr("ink"),
            "flats": self.tr("flats"),
            "shading": self.tr("shading"),
            "details": self.tr("details"),
            "block-in": self.tr("block-in"),
            "forms": self.tr("forms"),
            "refinement": self.tr("refinement"),
            "drawing": self.tr("drawing"),
            "washes": self.tr("washes"),
            "glazes": self.tr("glazes"),
            "definition": self.tr("definition"),
        }
        return labels.get(name, name)

    def set_change_curve(self, curve: np.ndarray | None) -> None:
        if curve is None or len(curve) == 0:
            self.curve.setData([], [])
            return
        y = np.asarray(curve, dtype=np.float64)
        peak = float(np.max(y)) or 1.0
        self.curve.setData(np.arange(len(y)), 0.1 + 0.8 * y / peak)

    def set_keyframes(self, steps: Sequence[int]) -> None:
        self._keyframe_steps = frozenset(int(s) for s in steps)
        self.keyframes.setData(list(steps), [1.05] * len(steps))

    def set_available(self, kinds: Mapping[int, FrameKind]) -> None:
        self._kinds = kinds
        if not kinds:
            self.available.setData([], [])
            return
        steps = np.fromiter(kinds.keys(), dtype=np.int32)
        cache = {k: pg.mkBrush(c) for k, c in KIND_COLOURS.items()}
        brushes = [cache[k] for k in kinds.values()]
        self.available.setData(steps, np.full(len(steps), -0.1), brush=brushes)

    # -- the mouse: click or drag to move the playhead; tooltips --------------------------------------
    def step_at(self, pos: QPointF) -> int:
        """The undo step under a point in widget coordinates."""
        x = self.getViewBox().mapSceneToView(self.mapToScene(pos.toPoint())).x()
        return int(min(max(round(x), 0), MAX_STEP))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.step_clicked.emit(self.step_at(event.position()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.step_clicked.emit(self.step_at(event.position()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            QToolTip.showText(event.globalPos(), self.tooltip_at(self.step_at(QPointF(event.pos()))), self)
            return True
        return super().viewportEvent(event)

    def tooltip_at(self, step: int) -> str:
        """What lies at `step` (stage, keyframe, frame kind), then the legend of the track's marks."""
        facts = [self.tr("Step %1").replace("%1", str(step))]
        stages = [name for lo, hi, name in self._band_steps if lo <= step <= hi]
        if stages:
            facts.append(self.tr("stage: %1").replace("%1", stages[0]))
        if step in self._keyframe_steps:
            facts.append(self.tr("keyframe"))
        kind_text = {
            FrameKind.EXACT: self.tr("frame: exact"),
            FrameKind.INTERPOLATED: self.tr("frame: interpolated"),
            FrameKind.PREVIEW: self.tr("frame: preview"),
        }
        kind = self._kinds.get(step)
        facts.append(kind_text[kind] if kind is not None else self.tr("no frame yet"))
        return "<b>" + " · ".join(facts) + "</b><br>" + self.legend()

    def legend(self) -> str:
        """The marks of the track, as rich text with their colours (also the track's help)."""

        def swatch(colour: str, glyph: str = "■") -> str:
            return f"<span style='color:{colour}'>{glyph}</span>"

        rows = [
            swatch(BAND_COLOURS[0], "▬") + " " + self.tr("Bands: the stages of the painting process"),
            swatch("#f2b84b", "▼") + " " + self.tr("Triangles: keyframes (Shift+Left / Shift+Right jump)"),
            swatch("#8a8fb0", "∿") + " " + self.tr("Line: how much the canvas changes at each step"),
            swatch(KIND_COLOURS[FrameKind.EXACT])
            + swatch(KIND_COLOURS[FrameKind.INTERPOLATED])
            + swatch(KIND_COLOURS[FrameKind.PREVIEW])
            + " "
            + self.tr("Bottom strip: steps with frames (exact, interpolated, preview)"),
            swatch("#ff6b6b", "│") + " " + self.tr("Red line: the step shown. Click or drag to move it."),
        ]
        return "<br>".join(rows)


def _cache_on_device(item: pg.GraphicsObject) -> None:
    """Scrubbing moves only the playhead, every slider step; the items under it keep a pixmap of
    themselves so repainting the strip the line leaves is a blit, not a re-render (design §7: the track
    repaint was about half of the slider-to-painted time)."""
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
