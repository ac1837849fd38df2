"""Comparisons of two analysis views (small registered frames, align.py) that the aligner and the flip
finder (flips.py) share."""

from __future__ import annotations

import cv2
import numpy as np


def soften(view: np.ndarray) -> np.ndarray:
    """A 3x3 box blur, so codec noise and resampling do not count as painting in `changed`. The kernel
    is symmetric, so the softened mirror image is the mirror image of the softened view."""
    return np.asarray(cv2.blur(view, (3, 3)))


def changed(soft_a: np.ndarray, soft_b: np.ndarray, level: int) -> float:
    """Fraction of pixels whose colour differs by more than `level` in some channel (softened views)."""
    diff = cv2.absdiff(soft_a, soft_b)
    most = np.maximum(np.maximum(diff[:, :, 0], diff[:, :, 1]), diff[:, :, 2])
    return float(np.count_nonzero(most > level)) / most.size


def luminance(view: np.ndarray) -> np.ndarray:
    """A view's luminance, float32: what `correlation` compares (convert once, compare many times)."""
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(view), cv2.COLOR_RGB2GRAY), dtype=np.float32)


def correlation(ga: np.ndarray, gb: np.ndarray) -> float:
    """Normalised cross-correlation of two same-size luminance images, -1..1 (0 when one is flat)."""
    if float(ga.std()) < 1e-3 or float(gb.std()) < 1e-3:
        return 0.0
    return float(cv2.matchTemplate(ga, gb, cv2.TM_CCOEFF_NORMED)[0, 0])
