"""Frames and the artwork as PNG bytes in the project file: encoded with OpenCV, decoded only after the
header has been checked (a project file may come from anyone)."""

from __future__ import annotations

import struct

import numpy as np

from app.core.artwork import DEFAULT_MAX_PIXELS
from app.errors import ProjectError

__all__ = ["decode_png", "encode_png"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode_png(pixels: np.ndarray, compression: int = 3) -> bytes:
    """Lossless PNG via OpenCV (several times faster than Pillow at equal size)."""
    import cv2

    px = np.ascontiguousarray(pixels, dtype=np.uint8)
    ok, data = cv2.imencode(
        ".png", cv2.cvtColor(px, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, compression]
    )
    if not ok:
        raise ProjectError("A frame could not be encoded as PNG.", "This is a bug; please report it.")
    return data.tobytes()


def decode_png(data: bytes, size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode a stored frame. The PNG header is checked first: a project file may come from anyone, and
    a few hundred bytes claiming 60000x60000 pixels would otherwise have OpenCV allocate 10 GB.
    `size` (width, height): the size the image must have, checked before decoding too."""
    import cv2

    header = bytes(data[:24])
    if len(header) < 24 or header[:8] != _PNG_SIGNATURE or header[12:16] != b"IHDR":
        raise ProjectError("A stored image in the project is damaged.", "Regenerate the affected frames.")
    width, height = struct.unpack(">II", header[16:24])
    if size is not None and (width, height) != size:
        raise ProjectError(
            f"A stored image in the project claims {width}x{height} pixels instead of {size[0]}x{size[1]}.",
            "The file is damaged or was tampered with; regenerate the affected frames.",
        )
    if width * height > DEFAULT_MAX_PIXELS:
        raise ProjectError(
            f"A stored image in the project claims {width}x{height} pixels, more than any frame can have.",
            "The file is damaged or was tampered with; regenerate the affected frames.",
        )
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ProjectError("A stored image in the project is damaged.", "Regenerate the affected frames.")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
