"""Small, pure image helpers on RGB uint8 arrays (H, W, 3): sizing, blending, captions, side-by-side.

Used by export, the preview blends and the comparison view. Every function returns a new array and
never writes to its input (frames in caches are shared and may be read-only).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

DEFAULT_LABEL = "AI-simulated process"


def as_rgb_u8(pixels: np.ndarray) -> np.ndarray:
    """Validate/convert to C-contiguous (H, W, 3) uint8; greyscale and RGBA are accepted."""
    px = np.asarray(pixels)
    if px.dtype != np.uint8:
        px = np.clip(px, 0, 255).astype(np.uint8)
    if px.ndim == 2:
        px = np.repeat(px[:, :, None], 3, axis=2)
    elif px.ndim == 3 and px.shape[2] == 4:
        px = px[:, :, :3]
    if px.ndim != 3 or px.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {px.shape}")
    return np.ascontiguousarray(px)


def fit_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled down so the long side is <= max_side (never up); aspect kept."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_to(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to exactly (width, height): INTER_AREA to shrink, INTER_LINEAR to grow; copy-free if equal."""
    px = as_rgb_u8(pixels)
    if px.shape[1] == width and px.shape[0] == height:
        return px
    shrinking = width * height < px.shape[0] * px.shape[1]
    return cv2.resize(px, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def resize_to_fit(pixels: np.ndarray, max_side: int | None) -> np.ndarray:
    """Downscale so the long side is at most `max_side` (None: unchanged)."""
    px = as_rgb_u8(pixels)
    w, h = fit_size(px.shape[1], px.shape[0], max_side)
    return resize_to(px, w, h)


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even dimensions: round down to even (at least 2)."""
    return max(2, width - width % 2), max(2, height - height % 2)


def make_even(pixels: np.ndarray, mode: str = "crop") -> np.ndarray:
    """Even width and height for yuv420p: 'crop' drops the last row/column, 'pad' repeats it."""
    px = as_rgb_u8(pixels)
    h, w = px.shape[:2]
    if w % 2 == 0 and h % 2 == 0:
        return px
    if mode == "pad":
        return cv2.copyMakeBorder(px, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    if mode != "crop":
        raise ValueError(f"mode must be 'crop' or 'pad', got {mode!r}")
    if w < 2 or h < 2:
        return cv2.copyMakeBorder(px, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(px[: h - h % 2, : w - w % 2])


def blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """(1 - t) * a + t * b, rounded; t is clamped to [0, 1]; b is resized to a's size if needed."""
    pa = as_rgb_u8(a)
    pb = resize_to(b, pa.shape[1], pa.shape[0])
    t = min(max(float(t), 0.0), 1.0)
    if t == 0.0:
        return pa.copy()
    if t == 1.0:
        return pb.copy()
    return cv2.addWeighted(pa, 1.0 - t, pb, t, 0.0)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled font: exists on a bare Linux
    except Exception:  # noqa: BLE001 - very old Pillow without FreeType: the bitmap font, unscaled
        return ImageFont.load_default()


class LabelStamp:
    """A caption rendered once for one image size, then blended onto many frames cheaply (export)."""

    def __init__(
        self, width: int, height: int, text: str, corner: str = "bottom-right", scale: float = 0.035
    ):
        self.width, self.height = int(width), int(height)
        self._patch: np.ndarray | None = None
        self._alpha: np.ndarray | None = None
        self._origin = (0, 0)
        if not text or width < 8 or height < 8:
            return
        size = max(8, round(min(width, height) * scale))
        font = _font(size)
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        left, top, right, bottom = (int(v) for v in probe.textbbox((0, 0), text, font=font))
        pad, margin = max(2, size // 3), max(2, size // 2)
        box_w = min(width, right - left + 2 * pad)
        box_h = min(height, bottom - top + 2 * pad)
        x0 = width - box_w - margin if corner.endswith("right") else margin
        y0 = height - box_h - margin if corner.startswith("bottom") else margin
        x0, y0 = max(0, min(x0, width - box_w)), max(0, min(y0, height - box_h))
        # White text on a translucent dark plate: readable on light and dark pictures alike.
        plate = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 150))
        text_layer = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        ImageDraw.Draw(text_layer).text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 255))
        rgba = np.asarray(Image.alpha_composite(plate, text_layer), dtype=np.float32)
        self._patch = rgba[:, :, :3]
        self._alpha = rgba[:, :, 3:4] / 255.0
        self._origin = (x0, y0)

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """A new array with the caption blended in; `pixels` must be (height, width, 3)."""
        px = as_rgb_u8(pixels)
        if px.shape[:2] != (self.height, self.width):
            raise ValueError(f"stamp is for {self.width}x{self.height}, image is {px.shape[1]}x{px.shape[0]}")
        out = px.copy()
        if self._patch is None or self._alpha is None:
            return out
        x0, y0 = self._origin
        h, w = self._patch.shape[:2]
        region = out[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
        mixed = self._patch * self._alpha + region * (1.0 - self._alpha)
        out[y0 : y0 + h, x0 : x0 + w] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        return out


@lru_cache(maxsize=16)
def label_stamp(
    width: int, height: int, text: str, corner: str = "bottom-right", scale: float = 0.035
) -> LabelStamp:
    """Cached `LabelStamp` per (size, text, corner)."""
    return LabelStamp(width, height, text, corner, scale)


def _caption(pixels: np.ndarray, text: str, corner: str, scale: float) -> np.ndarray:
    px = as_rgb_u8(pixels)
    return label_stamp(px.shape[1], px.shape[0], text, corner, scale).apply(px)


def draw_label(pixels: np.ndarray, text: str = DEFAULT_LABEL, corner: str = "bottom-right") -> np.ndarray:
    """A discreet caption (about 3.5 % of the short side) in a corner; returns a new array."""
    return _caption(pixels, text, corner, 0.035)


def side_by_side(
    frames: Sequence[np.ndarray], labels: Sequence[str] | None = None, gap: int = 8, gap_colour: int = 32
) -> np.ndarray:
    """Panes left to right at a common height (the first pane's), separated by `gap` pixels, labelled."""
    if not frames:
        raise ValueError("side_by_side needs at least one frame")
    first = as_rgb_u8(frames[0])
    height = first.shape[0]
    panes = []
    for i, frame in enumerate(frames):
        px = as_rgb_u8(frame)
        width = max(1, round(px.shape[1] * height / px.shape[0]))
        pane = resize_to(px, width, height)
        if labels is not None and i < len(labels) and labels[i]:
            pane = _caption(pane, labels[i], "top-left", 0.045)
        panes.append(pane)
    if gap > 0 and len(panes) > 1:
        spacer = np.full((height, gap, 3), gap_colour, dtype=np.uint8)
        joined: list[np.ndarray] = []
        for i, pane in enumerate(panes):
            if i:
                joined.append(spacer)
            joined.append(pane)
        panes = joined
    return np.ascontiguousarray(np.concatenate(panes, axis=1))
