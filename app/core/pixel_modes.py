"""Pillow modes and sample depths -> (H, W, 3) uint8 RGB, the one pixel format of an `Artwork`.

Shared by the Pillow path (`artwork`) and the deep readers (`deep_formats`): floating-point samples are
nominally 0..1 (above 1, HDR, becomes white: no tone mapping is guessed), 16-bit ones are divided by 257,
and alpha is flattened onto white (a transparent background is a white canvas to a painter).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_FLATTEN_ROWS = 256


def float_to_uint8(values: np.ndarray) -> np.ndarray:
    """Floating-point samples, nominally 0..1, to uint8: clipped to 0..1 (HDR above 1 becomes white,
    NaN black), then scaled to 0..255 and rounded."""
    scaled = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    np.clip(scaled, 0.0, 1.0, out=scaled)
    scaled *= 255.0
    return np.rint(scaled).astype(np.uint8)


def to_rgb_array(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> (H, W, 3) uint8 RGB with alpha composited onto white.

    Floating-point images go through `float_to_uint8`; 16-bit ones are divided by 257 (a dark 16-bit
    image stays dark: the range is the format's, not the image's maximum). Alpha is flattened a band of rows at
    a time, so a 100-megapixel RGBA image needs a few MB of scratch, not gigabytes of uint16 copies."""
    mode = im.mode
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}:
        grey = np.asarray(im)
        if mode == "F":
            g8 = float_to_uint8(grey)
        else:
            wide = grey.astype(np.float64)
            if mode != "I" or wide.max(initial=0.0) > 255.0:
                wide = wide / 257.0  # 16-bit range (32-bit "I" has no agreed range: as-is when it fits)
            g8 = np.clip(np.rint(wide), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(g8[:, :, None], 3, axis=2))
    has_alpha = mode in {"RGBA", "LA", "PA", "La", "RGBa"} or (
        mode in {"P", "L", "RGB"} and "transparency" in im.info
    )
    if has_alpha:
        return flatten_onto_white(np.asarray(im if mode == "RGBA" else im.convert("RGBA")))
    if mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def flatten_onto_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 straight alpha -> (H, W, 3) uint8 over white, exactly rounded, in bands of rows."""
    out = np.empty((rgba.shape[0], rgba.shape[1], 3), np.uint8)
    for top in range(0, rgba.shape[0], _FLATTEN_ROWS):
        band = rgba[top : top + _FLATTEN_ROWS].astype(np.uint16)
        alpha = band[:, :, 3:4]
        out[top : top + _FLATTEN_ROWS] = (band[:, :, :3] * alpha + 255 * (255 - alpha) + 127) // 255
    return out
