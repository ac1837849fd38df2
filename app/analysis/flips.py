"""Stretches of a recording where the artist flipped the canvas (issue 11: "artists flip the canvas").

The geometry (geometry.py) finds one mirroring, from the late frames; but artists flip the canvas for a
while to check proportions, so a stretch may show the picture mirrored relative to the rest. Each
registered view *votes*: how much better it correlates with the artwork's view mirrored than as it is.
One view's vote is weak and noisy (a blank canvas, a title card, early line art say little), so the side
only changes (the hysteresis) at a *flip moment*, where two neighbouring samples are more alike when one
is mirrored than as they are (the artist pressed "flip"), and each stretch between flip moments takes
the side its informative votes say on average. A spurious moment costs nothing (both stretches vote the
same side); a missed one leaves a stretch on its majority's side.

A flipped stretch is un-mirrored in place, which is exact when the recorder shows the whole canvas or
crops it evenly (the usual cases); a canvas flipped on screen *and* cropped unevenly shows other columns
while flipped, and its un-mirrored views are shifted by the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.analysis.views import changed, correlation, normalised

FLIP_LEVEL = 16  # colour change (levels) that counts when comparing neighbours
MOMENT_CHANGE = 0.05  # a flip moment: neighbours differ in more than this share of pixels as they are...
MOMENT_RATIO = 0.5  # ...and in less than this share of that once one is mirrored
INFORMATIVE_VOTE = 0.01  # votes smaller than this (flat or blank views) say nothing
VOTE_MARGIN = 0.05  # a stretch is flipped when its informative votes average more than this


def correlations(views: Sequence[np.ndarray], final: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per view: its correlation with the artwork's view, as it is and mirrored (mirroring both leaves a
    correlation unchanged, so the artwork is mirrored once instead of every view)."""
    as_is, mirrored = normalised(final), normalised(final[:, ::-1])
    prepared = [normalised(v) for v in views]
    return (
        np.array([correlation(v, as_is) for v in prepared], dtype=np.float64),
        np.array([correlation(v, mirrored) for v in prepared], dtype=np.float64),
    )


def flip_moments(soft: Sequence[np.ndarray]) -> list[int]:
    """Sample indices i where samples i - 1 and i are more alike when i is mirrored (softened views)."""
    moments = []
    for i in range(1, len(soft)):
        plain = changed(soft[i - 1], soft[i], FLIP_LEVEL)
        if (
            plain > MOMENT_CHANGE
            and changed(soft[i - 1], soft[i][:, ::-1], FLIP_LEVEL) < MOMENT_RATIO * plain
        ):
            moments.append(i)
    return moments


def flipped_samples(as_is: np.ndarray, mirrored: np.ndarray, soft: Sequence[np.ndarray]) -> np.ndarray:
    """Bool per sample: it shows the picture mirrored relative to the geometry's mirroring (the late
    frames'). `as_is`, `mirrored`: `correlations` of the views; `soft`: the views softened."""
    vote = mirrored - as_is
    bounds = [0, *flip_moments(soft), len(soft)]
    flipped = np.zeros(len(soft), dtype=bool)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        said = vote[a:b][np.abs(vote[a:b]) >= INFORMATIVE_VOTE]
        flipped[a:b] = len(said) > 0 and float(said.mean()) > VOTE_MARGIN
    return flipped


def flip_ranges(flipped: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in `flipped`."""
    edges = np.diff(np.concatenate([[0], flipped.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
