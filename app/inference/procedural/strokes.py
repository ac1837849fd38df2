"""Pencil sketch and stroke segmentation, the seed-dependent "hand" of the procedural engine.

A real sketch is not the final line art: it is lighter, a little off, doubled where the artist searched
for a line, and starts with big construction shapes. We imitate that from the extracted line art:
warp it by a smooth random displacement field, add a fainter second "searching" pass and construction
ellipses around the main subject regions (more with higher sketch density). `schedule.make_plan`
also leaves out some small strokes at low density.

Strokes: a connected line is cut into pieces by a wobbly random grid, so a long outline is drawn in
several strokes, like a human would, instead of appearing at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.inference.procedural.analysis import Analysis

SKETCH_CUTOFF = 0.04


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: `cells` random values along the long side, upsampled."""
    h, w = shape
    scale = cells / max(h, w)
    gh, gw = max(2, int(round(h * scale)) + 1), max(2, int(round(w * scale)) + 1)
    low = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC) / 1.5


def warp(alpha: np.ndarray, rng: np.random.Generator, amplitude: float, cells: int) -> np.ndarray:
    """`alpha` displaced by a smooth random field of about `amplitude` px: a hand that is a little off."""
    h, w = alpha.shape
    ys, xs = np.indices((h, w), dtype=np.float32)
    dx = smooth_noise(rng, (h, w), cells) * amplitude
    dy = smooth_noise(rng, (h, w), cells) * amplitude
    return cv2.remap(alpha, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _construction(an: Analysis, rng: np.random.Generator, count: int) -> np.ndarray:
    """Light ellipses around the largest subject (non-background) regions: the artist's blocking-in."""
    h, w = an.height, an.width
    canvas = np.zeros((h, w), np.float32)
    if count <= 0:
        return canvas
    area = an.region_area
    # shapes, not backdrops or specks
    subject = np.nonzero((an.region_border < 0.02) & (area >= h * w * 0.002) & (area <= h * w * 0.12))[0]
    subject = subject[np.argsort(-area[subject], kind="stable")]
    drawn = 0
    thickness = max(1, int(round(max(h, w) / 700)))
    for r in subject:
        ys, xs = np.nonzero(an.regions[::4, ::4] == r)
        if xs.size < 5:
            continue
        pts = np.stack([xs * 4, ys * 4], axis=1).astype(np.float32)
        (cx, cy), (ew, eh), ang = cv2.minAreaRect(pts)
        grow = 1.08 + rng.uniform(0, 0.1)
        center = (int(cx + rng.normal(0, 3)), int(cy + rng.normal(0, 3)))
        axes = (max(2, int(ew * grow / 2)), max(2, int(eh * grow / 2)))
        if max(axes) > 0.4 * max(h, w):
            continue
        cv2.ellipse(canvas, center, axes, ang + rng.normal(0, 4), 0, 360, 0.55, thickness, cv2.LINE_AA)
        drawn += 1
        if drawn >= count:
            break
    return canvas


def sketch_alpha(an: Analysis, rng: np.random.Generator, density: float) -> np.ndarray:
    """Pencil alpha (H, W) float32 in [0, 1] for a sketch density in [0, 1]."""
    h, w = an.height, an.width
    long_side = max(h, w)
    base = an.line_alpha
    main = warp(base, rng, amplitude=long_side / 320.0, cells=6) * 0.65
    search = warp(base, rng, amplitude=long_side / 150.0, cells=9) * (0.35 * density)
    alpha = np.maximum(main, search)
    alpha = np.maximum(alpha, _construction(an, rng, int(round(density * 6))))
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, long_side / 1400.0))
    grain = 0.75 + 0.25 * rng.random((h, w), dtype=np.float32)  # pencil on paper texture
    alpha *= grain
    alpha[alpha < SKETCH_CUTOFF] = 0.0
    return alpha


@dataclass(frozen=True, eq=False)
class Strokes:
    """Pixels of a mask grouped into strokes."""

    ys: np.ndarray  # (P,) int pixel rows of the masked pixels
    xs: np.ndarray  # (P,) int pixel columns
    stroke: np.ndarray  # (P,) int stroke id 0..S-1 per masked pixel
    size: np.ndarray  # (S,) pixel count per stroke
    centroid: np.ndarray  # (S, 2) (x, y)

    @property
    def count(self) -> int:
        return int(self.size.shape[0])


def segment_strokes(mask: np.ndarray, rng: np.random.Generator, cell_px: float) -> Strokes:
    """Cut connected lines of `mask` into strokes by a wobbly grid of about `cell_px` cells."""
    h, w = mask.shape
    n, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        empty = np.zeros(0, np.int64)
        return Strokes(empty, empty, empty, empty, np.zeros((0, 2)))
    wob_x = smooth_noise(rng, (h, w), 5)[ys, xs] * cell_px * 0.45
    wob_y = smooth_noise(rng, (h, w), 5)[ys, xs] * cell_px * 0.45
    off = rng.uniform(0, cell_px, size=2)
    gx = ((xs + wob_x + off[0]) // cell_px).astype(np.int64) + 2
    gy = ((ys + wob_y + off[1]) // cell_px).astype(np.int64) + 2
    cols = int(w // cell_px) + 6
    key = comp[ys, xs].astype(np.int64) * (cols * (int(h // cell_px) + 6)) + gy * cols + gx
    stroke = _compact(key)
    size = np.bincount(stroke).astype(np.float64)
    cx = np.bincount(stroke, weights=xs) / size
    cy = np.bincount(stroke, weights=ys) / size
    return Strokes(ys, xs, stroke, size, np.stack([cx, cy], axis=1))


def _compact(key: np.ndarray) -> np.ndarray:
    """Map arbitrary non-negative int keys to 0..K-1 (in key order). A lookup table when the key range
    is modest (no sort), np.unique otherwise."""
    top = int(key.max()) + 1
    if top <= 8 * key.size + 1_000_000:
        present = np.zeros(top, bool)
        present[key] = True
        lut = np.cumsum(present) - 1
        return lut[key]
    return np.unique(key, return_inverse=True)[1].ravel()


def sweep_fraction(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """(values - group min) / (group max - group min) per pixel, so each stroke/region is drawn from
    one end to the other. Groups with no extent get 0."""
    lo = np.full(groups, np.inf)
    hi = np.full(groups, -np.inf)
    np.minimum.at(lo, group, values)
    np.maximum.at(hi, group, values)
    span = np.maximum(hi - lo, 1e-6)
    return np.clip((values - lo[group]) / span[group], 0.0, 1.0)
