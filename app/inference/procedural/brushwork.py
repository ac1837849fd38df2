"""Brushwork for the ways of working without line art: colour masses, stroke directions, brush strokes.

- **Masses**: the few large colour areas a painter blocks in first: the analysis' colour segmentation
  (analysis.segment) on a blurred, small copy with few colours and a large minimum area, scaled back up.
- **Stroke directions**: along the image's structure (perpendicular to the luminance gradient), from the
  smoothed structure tensor; where the picture has no structure (a clear sky) strokes run horizontally,
  as painters lay in skies and flat grounds.
- **Brush strokes** (`brush_strokes`): every pixel belongs to one elongated stroke about `length` by
  `width` pixels lying along the local direction. Coordinates are rotated about the centre of a wobbly
  tile (not the image origin), so a slowly turning direction does not shred strokes far from the origin;
  rows of strokes are staggered like brickwork and strokes never cross a `split` label (a mass or
  region edge), so a stroke is one colour. Why not a stroke-rendering library: none renders into a
  per-pixel stroke id map, and the id map is what makes every step a masked copy (compositor.py).
- **Mosaic**: each stroke filled with the mean colour of a blurred reference under it, plus faint
  bristle streaks along it: what a pass with a brush of that size leaves (coarse-to-fine painterly
  rendering with brushes of several sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.inference.procedural.analysis import segment
from app.inference.procedural.strokes import smooth_noise

MASS_SIDE = 256  # masses are found at this long side
MASS_COLOURS = 7
MASS_MIN_SHARE = 0.008
TENSOR_SIDE = 256
BRUSH_SIDE = 512  # brushwork is planned at most at this long side and scaled up (a quarter of the cost)


def _resize_to(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image


def soft(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur by `sigma` pixels; large sigmas blur a reduced copy (same look, a fraction of the
    cost)."""
    if sigma < 0.5:
        return image
    h, w = image.shape[:2]
    factor = max(1, int(sigma // 3))
    if factor == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def brush_scale(image: np.ndarray) -> np.ndarray:
    """The copy of a working image that brushwork is planned on (`BRUSH_SIDE`)."""
    return np.ascontiguousarray(_resize_to(image, BRUSH_SIDE))


def to_size(array: np.ndarray, shape: tuple[int, ...], smooth: bool) -> np.ndarray:
    """`array` scaled to `shape`'s height and width: linear for colour layers (soft stroke edges),
    nearest for labels and tick maps (no values that were never planned)."""
    h, w = shape[:2]
    if array.shape[:2] == (h, w):
        return array
    interp = cv2.INTER_LINEAR if smooth else cv2.INTER_NEAREST
    return np.ascontiguousarray(cv2.resize(array, (w, h), interpolation=interp))


def masses(image: np.ndarray) -> np.ndarray:
    """(H, W) int32 labels 0..M-1 of the large colour masses (module docstring)."""
    h, w = image.shape[:2]
    small = cv2.GaussianBlur(_resize_to(image, MASS_SIDE), (0, 0), 1.5)
    labels = segment(small, np.zeros(small.shape[:2], bool), MASS_COLOURS, MASS_MIN_SHARE)
    if labels.shape != (h, w):
        labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
    if int(labels.max()) < 255:  # round off the staircase the upscale leaves
        k = max(3, (max(h, w) // MASS_SIDE) | 1)
        labels = cv2.medianBlur(labels.astype(np.uint8), min(k, 5)).astype(np.int32)
    return np.ascontiguousarray(labels, dtype=np.int32)


def stroke_angles(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 stroke direction in radians, along the image structure (module docstring)."""
    h, w = image.shape[:2]
    small = _resize_to(image, TENSOR_SIDE)
    lum = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3)
    sigma = max(1.5, max(small.shape[:2]) / 50.0)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    # doubled-angle vector of the direction *along* edges; a weak horizontal prior where there is none
    c = (jyy - jxx) + 200.0
    s = -2.0 * jxy
    c_full: np.ndarray = cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR)
    s_full: np.ndarray = cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR)
    angles: np.ndarray = (0.5 * np.arctan2(s_full, c_full)).astype(np.float32)
    return angles


@dataclass(frozen=True, eq=False)
class BrushStrokes:
    """Every pixel's stroke: ids (H, W) 0..S-1, the position along the stroke 0..1, and per stroke its
    size, centroid (x, y) and split label."""

    ids: np.ndarray
    along: np.ndarray  # (H, W) float32 0..1 from the stroke's start to its end
    across: np.ndarray  # (H, W) float32 position across the stroke in pixels (for bristles)
    size: np.ndarray  # (S,) float64
    centroid: np.ndarray  # (S, 2) float64
    label: np.ndarray  # (S,) int64 the split label each stroke lies in

    @property
    def count(self) -> int:
        return int(self.size.shape[0])


def brush_strokes(
    angles: np.ndarray, split: np.ndarray, length: float, width: float, rng: np.random.Generator
) -> BrushStrokes:
    """Cut the canvas into brush strokes about `length` x `width` px along `angles` (module docstring)."""
    h, w = angles.shape
    length, width = max(2.0, length), max(1.5, width)
    tile = 2.2 * length
    ys, xs = np.indices((h, w), dtype=np.float32)
    wx = xs + smooth_noise(rng, (h, w), 6) * (0.3 * tile) + np.float32(rng.uniform(0, tile))
    wy = ys + smooth_noise(rng, (h, w), 6) * (0.3 * tile) + np.float32(rng.uniform(0, tile))
    tx = np.floor(wx / tile)
    ty = np.floor(wy / tile)
    lx = wx - (tx + 0.5) * tile
    ly = wy - (ty + 0.5) * tile
    cos, sin = np.cos(angles), np.sin(angles)
    u = lx * cos + ly * sin
    v = ly * cos - lx * sin
    row = np.floor(v / width)
    cols_t = int(w // tile) + 4
    tile_id = (ty + 2).astype(np.int64) * cols_t + (tx + 2).astype(np.int64)
    stagger = np.float32(length) * np.modf(row * 0.618 + (tile_id % 97) * 0.377)[0].astype(np.float32)
    ua = (u + stagger) / np.float32(length)
    col = np.floor(ua)
    along = ua - col
    reach = int(tile // width) + 4
    span = int(tile // length) + 4
    key = (
        (split.astype(np.int64) * (cols_t * (int(h // tile) + 4)) + tile_id) * (2 * reach + 1)
        + (row.astype(np.int64) + reach)
    ) * (2 * span + 1) + (col.astype(np.int64) + span)
    ids = _compact(key.ravel()).reshape(h, w)
    flat = ids.ravel()
    size = np.bincount(flat).astype(np.float64)
    cx = np.bincount(flat, weights=xs.ravel()) / size
    cy = np.bincount(flat, weights=ys.ravel()) / size
    label = np.zeros(size.shape[0], np.int64)
    label[flat] = split.ravel()
    return BrushStrokes(ids, along.astype(np.float32), v - row * width, size, np.stack([cx, cy], 1), label)


def _compact(key: np.ndarray) -> np.ndarray:
    """0..K-1 in key order: np.unique's inverse (the keys are too sparse for a lookup table)."""
    return np.unique(key, return_inverse=True)[1].ravel().astype(np.int32)


def mosaic(
    strokes: BrushStrokes, reference: np.ndarray, rng: np.random.Generator, bristle: float
) -> np.ndarray:
    """Each stroke filled with the mean of `reference` under it, with bristle streaks of `bristle`
    levels along it (module docstring). (H, W, 3) uint8."""
    flat = strokes.ids.ravel()
    out = np.empty(reference.shape, np.float32)
    for ch in range(3):
        mean = np.bincount(flat, weights=reference[..., ch].ravel(), minlength=strokes.count) / strokes.size
        out[..., ch] = mean.astype(np.float32)[strokes.ids]
    if bristle > 0:
        phase = rng.uniform(0, 2 * np.pi, strokes.count).astype(np.float32)[strokes.ids]
        period = np.float32(max(1.5, 2.2 + rng.uniform(0, 1.5)))
        streak = np.sin(strokes.across * (2 * np.pi / period) + phase) * np.float32(bristle)
        out += streak[..., None]
    layer: np.ndarray = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return layer


def stroke_times(strokes: BrushStrokes, key: np.ndarray, overlap: float = 2.0) -> np.ndarray:
    """(H, W) 0..1 time per pixel: strokes in `key` order, each drawn from its start to its end over
    about `overlap` strokes' time."""
    n = strokes.count
    rank = np.empty(n, np.float64)
    rank[np.argsort(key, kind="stable")] = np.arange(n)
    t = (rank.astype(np.float32)[strokes.ids] + np.float32(overlap) * strokes.along) / np.float32(n + overlap)
    out: np.ndarray = np.clip(t, 0.0, 1.0)
    return out
