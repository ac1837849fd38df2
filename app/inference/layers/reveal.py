"""When each pixel of a layer is painted within the layer's time window: a map of times in 0..1.

Line, sketch and text layers are drawn as strokes: each connected mark in turn (in a seeded reading
order), growing from one end. Base colours and backgrounds are filled region by region (regions of one
colour, largest first, each spreading from its centre). Shading, highlights and effects grow as washes:
the densest parts first, spreading outwards, with seeded unevenness. Times are ranked, so the layer is
painted at an even pace over its window; pixels that are not painted get 0 (their time never matters).
"""

from __future__ import annotations

import cv2
import numpy as np

from app.core.layers import Layer
from app.inference.layers.classify import BACKGROUND, BASE, LINES, SKETCH, TEXT

_MAX_PARTS = 400  # marks or regions timed one by one; the rest share the last slot
_LABEL_SIDE = 256


def reveal_times(layer: Layer, cls: str, rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32 times in 0..1 for the layer's own pixels."""
    alpha = layer.pixels[..., 3]
    painted = alpha > 0
    if not painted.any():
        return np.zeros(alpha.shape, np.float32)
    if cls in (LINES, SKETCH, TEXT):
        raw = _strokes(painted, rng)
    elif cls in (BASE, BACKGROUND):
        raw = _regions(layer.pixels, painted, rng)
    else:
        raw = _wash(alpha, rng)
    return _ranked(raw, painted)


def event_times(layer: Layer, cls: str, seed: int, index: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """A PAINT event's times as the layers engine keeps them: uint16 (0..65535) over the layer's box on
    the canvas, seeded by the branch's seed and the layer's index (so any thread may compute them)."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, index, 0x7E11])
    t = reveal_times(layer, cls, rng)
    return np.asarray(np.rint(t[: box[3] - box[1], : box[2] - box[0]] * 65535), np.uint16)


def _ranked(raw: np.ndarray, painted: np.ndarray) -> np.ndarray:
    """Times replaced by their rank among the painted pixels: an even pace over the window. Ranked
    through a 65536-bin histogram (linear time; ties within a bin share a time), not a full sort."""
    out = np.zeros(raw.shape, np.float32)
    values = raw[painted].astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        out[painted] = 1.0
        return out
    bins = np.minimum(((values - low) / (high - low) * 65535).astype(np.int64), 65535)
    cdf = np.cumsum(np.bincount(bins, minlength=65536)).astype(np.float64) / len(values)
    out[painted] = cdf[bins].astype(np.float32)
    return out


def _parts_in_order(labels: np.ndarray, count: int, keys: np.ndarray) -> np.ndarray:
    """Rank of each label (1..count-1) when sorted by `keys` (index = label)."""
    order = np.argsort(keys[1:count], kind="stable") + 1
    rank = np.zeros(count, np.float32)
    rank[order] = np.arange(len(order), dtype=np.float32)
    return np.minimum(rank, _MAX_PARTS)


def _strokes(painted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(
        painted.astype(np.uint8), connectivity=8
    )
    h, w = painted.shape
    # reading order with a seeded slant and jitter: mostly top to bottom, left to right
    slant = rng.uniform(0.2, 0.6)
    keys = centroids[:, 1] / max(h, 1) + slant * centroids[:, 0] / max(w, 1) + rng.uniform(0, 0.15, count)
    rank = _parts_in_order(labels, count, keys)
    # within a mark: growing from its top-left end
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top = stats[:, cv2.CC_STAT_TOP].astype(np.float32)
    left = stats[:, cv2.CC_STAT_LEFT].astype(np.float32)
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]).astype(np.float32)
    along = np.hypot(yy - top[labels], xx - left[labels]) / (1.5 * size[labels] + 1.0)
    return np.asarray(rank[labels] + np.clip(along, 0.0, 0.999), np.float32)


def _regions(pixels: np.ndarray, painted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Regions of one colour (4 levels a channel), largest first, each spreading from its centre. The
    regions are found at most 256 pixels on a side (their timing needs no more) and scaled back."""
    h, w = painted.shape
    scale = min(1.0, _LABEL_SIDE / max(h, w))
    small_w, small_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    small = cv2.resize(pixels, (small_w, small_h), interpolation=cv2.INTER_NEAREST)
    quant = (small[..., :3] // 64).astype(np.int32)
    colour = quant[..., 0] * 16 + quant[..., 1] * 4 + quant[..., 2] + 1
    colour[small[..., 3] == 0] = 0
    labels = np.zeros((small_h, small_w), np.int32)
    total = 0
    keys: list[float] = [0.0]
    for value, (top, bottom, left, right) in _colour_boxes(colour):
        # each colour is labelled inside its own bounding box only: the same regions, numbered in the same
        # (raster) order, for a fraction of the work when colours sit in parts of the layer
        n, lab, stats, _ = cv2.connectedComponentsWithStats(
            (colour[top:bottom, left:right] == value).astype(np.uint8), connectivity=4
        )
        if n <= 1:
            continue
        mask = lab > 0
        labels[top:bottom, left:right][mask] = lab[mask] + total
        areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
        keys.extend((-areas * rng.uniform(0.6, 1.4, n - 1)).tolist())  # largest first, seeded
        total += n - 1
    count = total + 1
    rank = _parts_in_order(labels, count, np.asarray(keys))
    # within a region: spreading from its centre
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    sums = np.bincount(labels.ravel(), minlength=count).astype(np.float32)
    cy = np.bincount(labels.ravel(), yy.ravel(), count) / np.maximum(sums, 1)
    cx = np.bincount(labels.ravel(), xx.ravel(), count) / np.maximum(sums, 1)
    reach = np.sqrt(sums) + 1.0
    spread = np.hypot(yy - cy[labels], xx - cx[labels]) / (2.0 * reach[labels])
    times = (rank[labels] + np.clip(spread, 0.0, 0.999)).astype(np.float32)
    return np.asarray(cv2.resize(times, (w, h), interpolation=cv2.INTER_NEAREST), np.float32)


def _colour_boxes(colour: np.ndarray) -> list[tuple[int, tuple[int, int, int, int]]]:
    """Each colour > 0 in increasing order with its bounding box (top, bottom, left, right), from one
    sort of the pixels rather than a pass over the image per colour."""
    flat = colour.ravel()
    order = np.argsort(flat, kind="stable")
    values, starts = np.unique(flat[order], return_index=True)
    ends = [*starts[1:].tolist(), len(order)]
    w = colour.shape[1]
    out = []
    for value, start, end in zip(values.tolist(), starts.tolist(), ends, strict=True):
        if value <= 0:
            continue
        rows, cols = np.divmod(order[start:end], w)
        out.append((value, (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)))
    return out


def _wash(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = alpha.shape
    sigma = max(2.0, 0.05 * max(h, w))
    dense = cv2.GaussianBlur(alpha.astype(np.float32) / 255.0, (0, 0), sigma)
    coarse = rng.random((max(2, h // 16), max(2, w // 16)), dtype=np.float32)
    noise = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.asarray(-(dense / (dense.max() + 1e-6)) + 0.35 * noise, np.float32)
