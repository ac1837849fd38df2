"""Seed-independent analysis of an artwork: line art, colour regions, flat colours and a shading layer.

This is the expensive half of `prepare` and does not depend on the branch seed or settings, so the
engine caches it per artwork and every further branch of the same artwork only re-plans the order.

What it extracts, and why this way:
- **Line art** as a soft alpha: the luminance "closed" with a small disc (which erases thin dark lines)
  minus the luminance itself. Thin dark strokes score high, soft shading gradients and wide dark areas
  do not. This keeps anti-aliased edges soft, so ink composites without jaggies.
- **Regions** like a colouring book: pixels that are not line art, split by a coarse colour
  quantisation (k-means in Lab on a subsample, applied through an RGB lookup table) and by
  connectivity. Tiny fragments and the line pixels
  themselves are given to the nearest real region, so every pixel belongs to one region.
- **Flats**: one colour per region, the per-channel median of its non-line pixels.
- **Shading**: the flats plus a blurred residual (artwork minus flats, line pixels excluded by a
  normalised convolution), which keeps soft light and shadow but drops texture and small details.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.core.cancel import CancelToken, ProgressCallback

QUANT_COLOURS = 12
LINE_CUTOFF = 0.03  # line alpha below this is treated as no line at all


@dataclass(frozen=True, eq=False)
class Analysis:
    image: np.ndarray  # (H, W, 3) uint8, the working-size artwork
    line_alpha: np.ndarray  # (H, W) float32 in [0, 1]; 0 below LINE_CUTOFF
    regions: np.ndarray  # (H, W) int32 region id 0..R-1, every pixel assigned
    region_area: np.ndarray  # (R,) float64 pixels
    region_centroid: np.ndarray  # (R, 2) float64 (x, y) in pixels
    region_border: np.ndarray  # (R,) float64 fraction of the region's pixels on the image border band
    flat: np.ndarray  # (H, W, 3) uint8 flat colour per region
    shade: np.ndarray  # (H, W, 3) uint8 flats + soft shading, no details

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def region_count(self) -> int:
        return int(self.region_area.shape[0])


def _odd(n: float) -> int:
    k = max(3, int(round(n)))
    return k if k % 2 else k + 1


def line_alpha(image: np.ndarray) -> np.ndarray:
    """Soft line-art alpha (see module docstring)."""
    lum = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    k = _odd(max(image.shape[:2]) / 140)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(lum, cv2.MORPH_CLOSE, disc)
    darkness = cv2.subtract(closed, lum).astype(np.float32)
    alpha = np.clip((darkness - 14.0) / 46.0, 0.0, 1.0)
    # Ink is dark: a thin stroke counts when its darkest nearby pixel (the stroke's core, also for the
    # pale anti-aliased rim) is dark. Thin *coloured* strokes (stripes, glints) stay colour and arrive
    # with shading/details instead of being inked.
    core = cv2.erode(lum, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).astype(np.float32)
    alpha *= np.clip((125.0 - core) / 40.0, 0.0, 1.0)
    alpha[alpha < LINE_CUTOFF] = 0.0
    return alpha


_RGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    np.float32,
)
_WHITE = np.array([0.950456, 1.0, 1.088754], np.float32)


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 sRGB -> (N, 3) float32 CIE Lab. In numpy on purpose: OpenCV's Lab conversion builds
    large lookup tables on first use (~0.25 s), far more than converting these few thousand colours."""
    c = rgb.reshape(-1, 3).astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = (lin @ _RGB_TO_XYZ.T) / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.stack(
        [116.0 * f[:, 1] - 16.0, 500.0 * (f[:, 0] - f[:, 1]), 200.0 * (f[:, 1] - f[:, 2])], axis=1
    )


def _kmeans(points: np.ndarray, k: int, iterations: int = 12) -> np.ndarray:
    """Deterministic k-means (farthest-point initialisation); returns (k, 3) float32 centres."""
    centres = [points[0]]
    dist = np.sum((points - points[0]) ** 2, axis=1)
    for _ in range(1, k):
        centres.append(points[int(np.argmax(dist))])
        dist = np.minimum(dist, np.sum((points - centres[-1]) ** 2, axis=1))
    c = np.stack(centres)
    for _ in range(iterations):
        assign = _nearest(points, c)
        for j in range(k):
            members = points[assign == j]
            if len(members):
                c[j] = members.mean(axis=0)
    return c


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # Plain broadcasting, not a BLAS matmul: the arrays are small, and BLAS threads only contend.
    d = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(d, axis=1)


def _quantise(image: np.ndarray, k: int) -> np.ndarray:
    """Colour class per pixel: k-means in Lab on a fixed subsample, then a 32x32x32 RGB lookup table,
    so classifying a megapixel is a table lookup instead of a distance computation."""
    h, w = image.shape[:2]
    flat = image.reshape(-1, 3)
    rng = np.random.default_rng(12345)
    sample = flat[rng.choice(flat.shape[0], size=min(flat.shape[0], 16000), replace=False)]
    centres = _kmeans(_to_lab(sample), k)
    grid = (np.indices((32, 32, 32)).reshape(3, -1).T * 8 + 4).astype(np.uint8)
    lut = _nearest(_to_lab(grid), centres).astype(np.uint8)
    q = flat >> 3
    index = (q[:, 0].astype(np.int32) << 10) | (q[:, 1].astype(np.int32) << 5) | q[:, 2]
    return lut[index].reshape(h, w)


def segment(
    image: np.ndarray, line_mask: np.ndarray, colours: int = QUANT_COLOURS, min_share: float = 0.00015
) -> np.ndarray:
    """Connected components of same-quantised-colour, non-line pixels; tiny ones (under `min_share` of
    the picture) and lines get the nearest real region. Returns compact int32 labels 0..R-1. The
    painterly way's colour masses are this with few colours and a large `min_share`."""
    h, w = line_mask.shape
    quant = _quantise(cv2.medianBlur(image, 5), colours)
    # One connected-components pass instead of one per colour: pixels where the colour class changes
    # to the right or below become separators (like line pixels) and get their region afterwards.
    open_px = ~line_mask
    open_px[:, :-1] &= quant[:, :-1] == quant[:, 1:]
    open_px[:-1, :] &= quant[:-1, :] == quant[1:, :]
    min_area = max(12, int(h * w * min_share))
    n, comp, stats, _ = cv2.connectedComponentsWithStats(open_px.view(np.uint8), connectivity=4)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    ids = np.zeros(n, np.int32)
    ids[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    labels = ids[comp]
    next_id = int(keep.sum()) + 1
    if next_id == 1:  # nothing big enough: one region for the whole picture
        return np.zeros((h, w), np.int32)
    unassigned = (labels == 0).view(np.uint8)
    if unassigned.any():
        _, nearest = cv2.distanceTransformWithLabels(
            unassigned, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
        )
        zy, zx = np.nonzero(unassigned == 0)
        source = labels[zy, zx]
        labels = np.where(unassigned > 0, source[nearest - 1], labels)
    return (labels - 1).astype(np.int32)


def median_colours(image: np.ndarray, regions: np.ndarray, weight_mask: np.ndarray, count: int) -> np.ndarray:
    """Per-region, per-channel median via a (region, value) histogram: O(pixels), no sorting."""
    sel = weight_mask.ravel()
    reg = regions.ravel()
    has = np.bincount(reg[sel], minlength=count) > 0
    use = sel | ~has[reg]  # regions made only of line pixels use all of their pixels
    reg = reg[use]
    out = np.zeros((count, 3), np.uint8)
    for ch in range(3):
        values = image[..., ch].ravel()[use].astype(np.int64)
        hist = np.bincount(reg * 256 + values, minlength=count * 256).reshape(count, 256)
        cum = np.cumsum(hist, axis=1)
        half = (cum[:, -1:] + 1) // 2
        out[:, ch] = np.argmax(cum >= half, axis=1).astype(np.uint8)
    return out


def _shading(image: np.ndarray, flat: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Flats plus the low-frequency part of (artwork - flats), ignoring line pixels."""
    h, w = alpha.shape
    sigma = max(1.0, max(h, w) / 340.0)  # blurred at half size, so ~6 px at 1024
    small = (max(1, w // 2), max(1, h // 2))
    weight = (1.0 - alpha).astype(np.float32)
    residual = (image.astype(np.float32) - flat.astype(np.float32)) * weight[..., None]
    r = cv2.GaussianBlur(cv2.resize(residual, small, interpolation=cv2.INTER_AREA), (0, 0), sigma)
    wt = cv2.GaussianBlur(cv2.resize(weight, small, interpolation=cv2.INTER_AREA), (0, 0), sigma)
    r = cv2.resize(r / np.maximum(wt, 1e-3)[..., None], (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(flat.astype(np.float32) + r + 0.5, 0, 255).astype(np.uint8)


def analyse(image: np.ndarray, cancel: CancelToken, progress: ProgressCallback) -> Analysis:
    """Analyse a working-size RGB uint8 image. Raises `CancelledError` between sub-steps."""
    h, w = image.shape[:2]
    progress(0.0, "Finding line art")
    alpha = line_alpha(image)
    cancel.raise_if_cancelled()
    progress(0.2, "Finding colour regions")
    regions = segment(image, alpha > 0.35)
    count = int(regions.max()) + 1
    cancel.raise_if_cancelled()
    progress(0.6, "Measuring regions")
    area = np.bincount(regions.ravel(), minlength=count).astype(np.float64)
    ys, xs = np.indices((h, w), dtype=np.float32)
    cx = np.bincount(regions.ravel(), weights=xs.ravel(), minlength=count) / np.maximum(area, 1)
    cy = np.bincount(regions.ravel(), weights=ys.ravel(), minlength=count) / np.maximum(area, 1)
    band = max(2, int(max(h, w) * 0.01))
    border = np.zeros((h, w), bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    border_px = np.bincount(regions[border], minlength=count).astype(np.float64)
    colours = median_colours(image, regions, alpha < 0.1, count)
    flat = colours[regions]
    cancel.raise_if_cancelled()
    progress(0.8, "Separating shading from details")
    shade = _shading(image, flat, alpha)
    progress(1.0, "Analysis done")
    return Analysis(
        image=image,
        line_alpha=alpha,
        regions=regions,
        region_area=area,
        region_centroid=np.stack([cx, cy], axis=1),
        region_border=border_px / np.maximum(area, 1),
        flat=flat,
        shade=shade,
    )
