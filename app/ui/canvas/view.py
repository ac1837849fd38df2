"""CanvasView: shows one frame, zoomable (wheel, fit, 100 %) and pannable (drag), high-DPI correct.

Why a plain QWidget and not QGraphicsView: one image and a transform are all we need, and a direct
`drawPixmap` is the cheapest path from a slider event to pixels on screen. Zoom 1.0 means one image pixel
per *physical* pixel, so the pixmap's devicePixelRatio is set from the screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.image_convert import resized, to_qpixmap

MIN_ZOOM, MAX_ZOOM = 0.05, 32.0


PLACEHOLDER_MARGIN = 24  # logical px between the placeholder text and the view's edges


class CanvasView(QWidget):
    painted = Signal(int)  # the step whose frame was just painted
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # we fill every pixel ourselves
        self._background = QColor("#1c1d24")
        self._pixmap: QPixmap | None = None  # full resolution, made on demand
        self._display: tuple[tuple[tuple[int, int], float], QPixmap] | None = None  # at the size shown
        self._pixels: np.ndarray | None = None
        self._step = -1
        self._zoom = 1.0
        self._fit = True
        self._offset = QPointF(0, 0)
        self._drag_from: QPointF | None = None
        self.placeholder = ""
        self.overlay: QPixmap | None = None  # second image for wipe / onion skin
        self.overlay_mode = ""  # "", "wipe", "onion"
        self.wipe = 0.5

    # -- content ---------------------------------------------------------------------------------
    def set_pixels(self, pixels: np.ndarray | None, step: int = -1) -> None:
        self._step = step
        if pixels is None or pixels is not self._pixels:
            self._pixels, self._pixmap, self._display = pixels, None, None
        self.update()

    def set_overlay(self, pixels: np.ndarray | None, mode: str = "") -> None:
        self.overlay = None if pixels is None else to_qpixmap(pixels, self.devicePixelRatioF())
        self.overlay_mode = mode if pixels is not None else ""
        self.update()

    def has_image(self) -> bool:
        return self._pixels is not None

    def _full_pixmap(self) -> QPixmap:
        """The frame at full resolution (100 % and closer, overlays), made when first needed."""
        assert self._pixels is not None
        dpr = self.devicePixelRatioF()
        if self._pixmap is None or self._pixmap.devicePixelRatio() != dpr:  # or moved to another screen
            self._pixmap = to_qpixmap(self._pixels, dpr)
        return self._pixmap

    def _pixmap_for(self, rect: QRectF) -> QPixmap:
        """What to draw into `rect`. Zoomed out (the usual view: fit), a pixmap made at the size shown,
        drawn 1:1: resizing the array and converting the small result costs about half of converting the
        full frame and letting the painter scale it, on every slider step (design §7)."""
        assert self._pixels is not None
        dpr = self.devicePixelRatioF()
        size = (round(rect.width() * dpr), round(rect.height() * dpr))
        if not 0 < size[0] < self._pixels.shape[1] or size[1] < 1:
            return self._full_pixmap()
        if self._display is None or self._display[0] != (size, dpr):
            self._display = ((size, dpr), to_qpixmap(resized(self._pixels, size), dpr))
        return self._display[1]

    # -- zoom / pan ------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._fit_zoom() if self._fit else self._zoom

    def _image_logical_size(self) -> tuple[float, float]:
        if self._pixels is None:
            return 1.0, 1.0
        dpr = self.devicePixelRatioF()
        return self._pixels.shape[1] / dpr, self._pixels.shape[0] / dpr

    def _fit_zoom(self) -> float:
        w, h = self._image_logical_size()
        margin = 24
        return max(MIN_ZOOM, min((self.width() - margin) / w, (self.height() - margin) / h, 8.0))

    def fit(self) -> None:
        self._fit, self._offset = True, QPointF(0, 0)
        self.zoom_changed.emit(self.zoom)
        self.update()

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        old = self.zoom
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        if anchor is not None and old > 0:  # keep the point under the cursor still
            centre = QPointF(self.width() / 2, self.height() / 2) + self._offset
            self._offset += (anchor - centre) * (1 - zoom / old)
        self._fit, self._zoom = False, zoom
        self.zoom_changed.emit(zoom)
        self.update()

    def wheelEvent(self, event) -> None:  # noqa: N802
        factor = 1.0 + event.angleDelta().y() / 1200.0
        self.set_zoom(self.zoom * factor, event.position())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._drag_from = event.position()
            if self.overlay_mode == "wipe" and event.button() == Qt.MouseButton.LeftButton:
                self._set_wipe(event.position())
            else:
                self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drag_from is None:
            return
        if self.overlay_mode == "wipe" and event.buttons() & Qt.MouseButton.LeftButton:
            self._set_wipe(event.position())
            return
        if self._fit:
            self._fit, self._zoom = False, self._fit_zoom()
        self._offset += event.position() - self._drag_from
        self._drag_from = event.position()
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag_from = None
        self.unsetCursor()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.fit()

    def _set_wipe(self, pos: QPointF) -> None:
        rect = self.image_rect()
        if rect.width() > 0:
            self.wipe = min(1.0, max(0.0, (pos.x() - rect.left()) / rect.width()))
            self.update()

    def image_rect(self) -> QRectF:
        w, h = self._image_logical_size()
        z = self.zoom
        centre = QPointF(self.width() / 2, self.height() / 2) + self._offset
        return QRectF(centre.x() - w * z / 2, centre.y() - h * z / 2, w * z, h * z)

    # -- painting --------------------------------------------------------------------------------
    def _fill_around(self, painter: QPainter, image: QRectF) -> None:
        """Fill only the margins around the image (the image covers the rest): half the fill cost."""
        w, h = float(self.width()), float(self.height())
        top, bottom = max(0.0, image.top()), min(h, image.bottom())
        for band in (
            QRectF(0, 0, w, top),
            QRectF(0, bottom, w, h - bottom),
            QRectF(0, top, max(0.0, image.left()), bottom - top),
            QRectF(image.right(), top, max(0.0, w - image.right()), bottom - top),
        ):
            if band.width() > 0 and band.height() > 0:
                painter.fillRect(band, self._background)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if self._pixels is None:
            painter.fillRect(self.rect(), self._background)
            if self.placeholder:
                painter.setPen(QColor(150, 150, 160))
                # wrapped inside a margin: a failure names files and what to do, lines wider than the view
                flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
                margin = PLACEHOLDER_MARGIN
                painter.drawText(
                    self.rect().adjusted(margin, margin, -margin, -margin), flags, self.placeholder
                )
            painter.end()
            return
        rect = self.image_rect()
        self._fill_around(painter, rect)
        if self.overlay is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1.0)
        pixmap = self._pixmap_for(rect)
        if pixmap is self._pixmap:
            painter.drawPixmap(rect, pixmap, QRectF(pixmap.rect()))
        else:  # made at the size shown: drawn at its own size on whole device pixels, never resampled
            dpr = pixmap.devicePixelRatio()
            painter.drawPixmap(QPointF(round(rect.left() * dpr) / dpr, round(rect.top() * dpr) / dpr), pixmap)
        if self.overlay is not None and self.overlay_mode == "onion":
            painter.setOpacity(0.5)
            painter.drawPixmap(rect, self.overlay, QRectF(self.overlay.rect()))
            painter.setOpacity(1.0)
        elif self.overlay is not None and self.overlay_mode == "wipe":
            src = QRectF(self.overlay.rect())
            cut = self.wipe
            painter.drawPixmap(
                QRectF(rect.left() + rect.width() * cut, rect.top(), rect.width() * (1 - cut), rect.height()),
                self.overlay,
                QRectF(src.width() * cut, 0, src.width() * (1 - cut), src.height()),
            )
            x = rect.left() + rect.width() * cut
            painter.setPen(QColor(255, 255, 255, 220))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        painter.end()
        self.painted.emit(self._step)
