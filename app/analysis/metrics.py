"""Image and sequence distances for scoring (numpy/OpenCV only; no model weights).

Why our own MS-SSIM, DTW and Spearman: the runtime has no scipy or scikit-image, and each is a few lines
over OpenCV's Gaussian blur and numpy; pulling a library stack in for them would cost more than it saves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang, Simoncelli & Bovik (2003)
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
COLOUR_SCALE = 50.0  # a mean Lab difference of this much counts as completely different colour
SSIM_WEIGHT = 0.75  # the rest is the colour term


@dataclass(frozen=True, eq=False)
class Features:
    """What a distance needs of one image, computed once: per MS-SSIM level the luminance, its local
    mean and variance; and the (blurred) Lab image. A pair then costs one blur per level."""

    levels: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    lab: np.ndarray


def _blur(z: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(z, (11, 11), 1.5)


def features(pixels: np.ndarray, levels: int = 3) -> Features:
    """Features of an RGB uint8 image. Levels stop early when the image gets smaller than the window."""
    x = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32)
    out = []
    for level in range(levels):
        mu = _blur(x)
        out.append((x, mu, _blur(x * x) - mu * mu))
        if level == levels - 1 or min(x.shape) < 22:
            break
        x = np.asarray(cv2.pyrDown(x), dtype=np.float32)
    h, w = pixels.shape[:2]  # colour is compared at half size: it lives at low frequencies
    small = cv2.resize(pixels, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    return Features(tuple(out), lab(small))


def ms_ssim_features(a: Features, b: Features) -> float:
    """Multi-scale SSIM of two images' luminance, 0..1 (1: identical; Wang et al. 2003, 11x11 Gaussian
    window of sigma 1.5, contrast-structure at the finer levels and full SSIM at the coarsest)."""
    count = min(len(a.levels), len(b.levels))
    used = []
    for level in range(count):
        (x, mx, vx), (y, my, vy) = a.levels[level], b.levels[level]
        cs = (2 * (_blur(x * y) - mx * my) + _C2) / (vx + vy + _C2)
        if level == count - 1:
            lum = (2 * mx * my + _C1) / (mx * mx + my * my + _C1)
            used.append(max(float((lum * cs).mean()), 0.0))
        else:
            used.append(max(float(cs.mean()), 0.0))
    w = np.array(_MS_WEIGHTS[:count], dtype=np.float64)
    return float(np.prod(np.power(np.array(used), w / w.sum())))


def ms_ssim(a: np.ndarray, b: np.ndarray, levels: int = 3) -> float:
    """Multi-scale SSIM of two RGB uint8 images' luminance, 0..1."""
    return ms_ssim_features(features(a, levels), features(b, levels))


def lab(pixels: np.ndarray) -> np.ndarray:
    """CIE Lab, float32, L in 0..100."""
    out = cv2.cvtColor(pixels.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return np.asarray(out, dtype=np.float32)


def feature_distance(a: Features, b: Features) -> float:
    """Perceptual distance 0..1: (1 - MS-SSIM on luminance) blended with the mean Lab difference."""
    diff = a.lab - b.lab
    colour = min(float(np.sqrt(np.einsum("ijk,ijk->ij", diff, diff)).mean()) / COLOUR_SCALE, 1.0)
    return SSIM_WEIGHT * (1.0 - ms_ssim_features(a, b)) + (1.0 - SSIM_WEIGHT) * colour


def distance(a: np.ndarray, b: np.ndarray, levels: int = 3) -> float:
    """`feature_distance` of two RGB uint8 images."""
    return feature_distance(features(a, levels), features(b, levels))


def dtw(
    count_a: int, count_b: int, cost: Callable[[int, int], float], band: int | None = None
) -> tuple[float, list[tuple[int, int]]]:
    """Dynamic time warping: the mean cost along the cheapest monotone path from (0, 0) to the end, and
    the path. `band` (Sakoe-Chiba) limits |i - j| so only about count*(2*band+1) costs are computed."""
    band = max(count_a, count_b) if band is None else max(band, abs(count_a - count_b))
    acc = np.full((count_a + 1, count_b + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, count_a + 1):
        for j in range(max(1, i - band), min(count_b, i + band) + 1):
            acc[i, j] = cost(i - 1, j - 1) + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    path = [(count_a - 1, count_b - 1)]
    i, j = count_a, count_b
    while (i, j) != (1, 1):
        moves = [(i - 1, j - 1), (i - 1, j), (i, j - 1)]
        i, j = min((m for m in moves if m[0] >= 1 and m[1] >= 1), key=lambda m: acc[m])
        path.append((i - 1, j - 1))
    path.reverse()
    return float(acc[count_a, count_b] / len(path)), path


def ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank."""
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for value in np.unique(v):
        tied = v == value
        r[tied] = r[tied].mean()
    return r


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float | None:
    """Spearman rank correlation, or None when it is undefined (fewer than 3 values, no spread)."""
    if len(a) < 3:
        return None
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(np.sqrt((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / denom) if denom > 1e-12 else None
