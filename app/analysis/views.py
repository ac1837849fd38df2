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


def normalised(view: np.ndarray) -> np.ndarray:
    """A view's luminance, flattened, with zero mean and unit length (all zeros for a flat view): the
    correlation of two views is then one dot product (`correlation`), and each view is prepared once
    however many it is compared with."""
    gray = np.asarray(cv2.cvtColor(np.ascontiguousarray(view), cv2.COLOR_RGB2GRAY), dtype=np.float32).ravel()
    gray -= gray.mean()
    length = float(np.linalg.norm(gray))
    return gray / length if length > 1e-3 * np.sqrt(gray.size) else np.zeros_like(gray)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation of two same-size views' luminance (`normalised`), -1..1; 0 when one
    is flat. What OpenCV's TM_CCOEFF_NORMED gives for two same-size images, for a dot product's cost."""
    return float(np.dot(a, b))
