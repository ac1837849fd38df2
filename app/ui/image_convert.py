"""The only place numpy pixels become Qt images (design §2).

Why one place: QImage does not own numpy memory unless told to, and getting stride, format and
devicePixelRatio right once keeps every view correct on high-DPI screens.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_qimage(pixels: np.ndarray, device_pixel_ratio: float = 1.0) -> QImage:
    """RGB uint8 (H, W, 3) -> QImage (Format_RGB888) that owns a copy of the data.

    The device pixel ratio makes one image pixel one physical pixel at 100 % zoom.
    """
    px = np.ascontiguousarray(pixels, dtype=np.uint8)
    if px.ndim == 2:
        px = np.ascontiguousarray(np.repeat(px[:, :, None], 3, axis=2))
    if px.shape[2] == 4:
        px = np.ascontiguousarray(px[:, :, :3])
    h, w = px.shape[:2]
    image = QImage(px.data, w, h, int(px.strides[0]), QImage.Format.Format_RGB888).copy()
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def to_qpixmap(pixels: np.ndarray, device_pixel_ratio: float = 1.0) -> QPixmap:
    pixmap = QPixmap.fromImage(to_qimage(pixels, 1.0))
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


def resized(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`pixels` resized to (width, height) for display: bilinear down to half size (what a smooth
    painter transform does, several times cheaper than Qt's own smooth scaling), area-averaged below
    that so a large artwork zoomed far out does not alias.

    The area averaging is done by exact halvings (OpenCV's fast path for whole factors: each output
    pixel the mean of a 2x2 block), then bilinear for the last factor below 2. `INTER_AREA` at a
    fractional factor took 10-20 ms per 1024² frame, so four compare panes stalled a scrub by about
    50 ms per step (issue 10 item 11); this takes about 1 ms and stays within a few levels of it."""
    import cv2

    w, h = size
    while w * 2 <= pixels.shape[1] and h * 2 <= pixels.shape[0]:
        half_h, half_w = pixels.shape[0] // 2, pixels.shape[1] // 2
        pixels = cv2.resize(
            pixels[: half_h * 2, : half_w * 2], (half_w, half_h), interpolation=cv2.INTER_AREA
        )
    if (pixels.shape[1], pixels.shape[0]) == (w, h):
        return np.ascontiguousarray(pixels)
    return cv2.resize(pixels, (w, h), interpolation=cv2.INTER_LINEAR)


def thumbnail(pixels: np.ndarray, max_side: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """A small pixmap for lists and the start page (scaled in Qt, smooth)."""
    from PySide6.QtCore import Qt

    image = to_qimage(pixels)
    side = int(max_side * device_pixel_ratio)
    scaled = image.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    pixmap = QPixmap.fromImage(scaled)
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


def qimage_to_array(image: QImage) -> np.ndarray:
    """QImage -> RGB uint8 (H, W, 3) copy (screenshots in tests and the benchmark)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = img.height(), img.width(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=h * bpl).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()
