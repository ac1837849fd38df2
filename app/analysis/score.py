"""Score simulated branches against an aligned recording (issue 11 §4). Everything is compared in the
recording's view of the artwork (align.py), at `samples` progress values from 0 to 1.

- **Distance-to-final profile**: `metrics.distance` of the frame at each progress value to the finished
  artwork, for every branch and for the recording; `profile_area` is the area between a branch's profile
  and the recording's (0: the same course).
- **DTW distance**: the frames themselves compared after dynamic time warping over progress (a branch
  that does the same things a little earlier or later is not punished for the timing), as the mean
  distance along the warping path, on half-size views (the path needs many comparisons).
- **Order of work**: an 8x8 grid of regions; for each, the progress at which it first gets close to its
  final colour; the Spearman rank correlation of those times between branch and recording, over the
  regions that the recording had to change (regions already right on the blank canvas tell nothing).
`score` combines them, higher is better: 0.5 (1 - dtw / span) + 0.25 (1 - area / span) + 0.25 (1 + rho) / 2,
each ratio capped at 1, where `span` is the recording's own distance from its start (progress 0, the blank
canvas) to the final. Why relative: the two distances are in units of the picture's contrast, the rank
correlation is not. A pale watercolour on white paper is only about 0.28 from blank to final where a
painted landscape is 0.58, so in absolute units every distance of the pale picture was halved, and the
order term (two seeds of one way of working differ in it by up to 0.19) outweighed frames about twice as
far off: a branch of another way of working outscored one of the recorded way (bench/ways_score.py,
issue 12). As shares of the recording's own change the frame terms weigh the same on every picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from app.analysis.align import AlignedRecording
from app.analysis.metrics import Features, dtw, feature_distance, features, lab, spearman
from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.core.frames import MAX_STEP
from app.errors import RecordingError

DEFAULT_SAMPLES = 41
GRID = 8
CLOSE_LAB = 8.0  # a region is "close" to its final colour within this mean Lab difference...
CLOSE_SHARE = 0.3  # ...or within this share of how far it started
INFORMATIVE_LAB = 12.0  # regions that start closer than this to their final colour are left out
DTW_BAND = 0.2  # warping window, as a share of the sequence
MIN_SPAN = 0.05  # a recording that changes less than this from start to final is compared in these units
FrameForStep = Callable[[int], np.ndarray]


@dataclass(frozen=True, eq=False)
class BranchScore:
    name: str
    profile: np.ndarray
    profile_area: float
    dtw_distance: float
    order_agreement: float | None
    score: float

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "score": round(self.score, 4),
            "profile_area": round(self.profile_area, 4),
            "dtw_distance": round(self.dtw_distance, 4),
            "order_agreement": None if self.order_agreement is None else round(self.order_agreement, 4),
            "profile": [round(float(v), 4) for v in self.profile],
        }


@dataclass(frozen=True, eq=False)
class ScoreReport:
    progress: np.ndarray
    recording_profile: np.ndarray
    branches: tuple[BranchScore, ...]

    @property
    def ranking(self) -> list[str]:
        """Branch names, best score first."""
        return [b.name for b in sorted(self.branches, key=lambda b: -b.score)]

    def to_dict(self) -> dict[str, object]:
        return {
            "progress": [round(float(p), 4) for p in self.progress],
            "recording_profile": [round(float(v), 4) for v in self.recording_profile],
            "branches": [b.to_dict() for b in self.branches],
            "ranking": self.ranking,
        }


def step_for_progress(progress: float) -> int:
    return int(round(MAX_STEP * (1.0 - float(progress))))


def _half(view: np.ndarray) -> np.ndarray:
    return cv2.resize(
        view, (max(16, view.shape[1] // 2), max(16, view.shape[0] // 2)), interpolation=cv2.INTER_AREA
    )


def _region_times(
    progress: np.ndarray, frames: list[np.ndarray], final: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each grid region: when it first got close to its final colour (1.0: never) and how far it
    started from it."""

    def grid(px: np.ndarray) -> np.ndarray:
        return lab(cv2.resize(px, (GRID, GRID), interpolation=cv2.INTER_AREA)).reshape(-1, 3)

    target = grid(final)
    dist = np.stack([np.linalg.norm(grid(f) - target, axis=1) for f in frames])  # (frames, regions)
    start = dist[0]
    close = dist <= np.maximum(CLOSE_LAB, CLOSE_SHARE * start)[None, :]
    first = np.where(close.any(axis=0), progress[np.argmax(close, axis=0)], 1.0)
    return first, start


def _warped_distance(a: list[Features], b: list[Features], band: int) -> float:
    return dtw(len(a), len(b), lambda i, j: feature_distance(a[i], b[j]), band)[0]


def combined(dtw_distance: float, profile_area: float, rho: float | None, span: float) -> float:
    """The combined score (module docstring): the two distances as shares of `span`, capped at 1."""
    frames = 1.0 - min(dtw_distance / span, 1.0)
    course = 1.0 - min(profile_area / span, 1.0)
    return 0.5 * frames + 0.25 * course + 0.25 * (1.0 + (rho or 0.0)) / 2


def score_branches(
    aligned: AlignedRecording,
    branches: Mapping[str, FrameForStep],
    *,
    samples: int = DEFAULT_SAMPLES,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
) -> ScoreReport:
    """Score each branch (name -> its frame for an undo step, in the artwork's geometry at any scale).
    Raises `RecordingError` when the recording does not match the artwork: a score would mean nothing."""
    alignment = aligned.alignment
    if not alignment.matches:
        raise RecordingError(alignment.verdict, "Choose the recording of this artwork.")
    grid_p = np.linspace(0.0, 1.0, max(samples, 3))
    final = aligned.final
    rec_views = [aligned.view_at_progress(p) for p in grid_p]
    final_f = features(final)
    rec_profile = np.array([feature_distance(features(v), final_f) for v in rec_views])
    rec_half = [features(_half(v), 2) for v in rec_views]
    kept_views = [aligned.views[i] for i in alignment.kept]
    rec_first, rec_start = _region_times(alignment.progress, kept_views, final)
    informative = rec_start > INFORMATIVE_LAB
    span = max(float(rec_profile[0]), MIN_SPAN)
    results = []
    for k, (name, frame_for_step) in enumerate(branches.items()):
        views = []
        for p in grid_p:
            cancel.raise_if_cancelled()
            views.append(aligned.view_of(frame_for_step(step_for_progress(p))))
        progress((k + 0.5) / len(branches), f"Scoring branch {k + 1}/{len(branches)}")
        profile = np.array([feature_distance(features(v), final_f) for v in views])
        area = float(np.trapezoid(np.abs(profile - rec_profile), grid_p))
        half = [features(_half(v), 2) for v in views]
        band = max(1, int(round(DTW_BAND * len(grid_p))))
        warped = _warped_distance(half, rec_half, band)
        first, _ = _region_times(grid_p, views, final)
        rho = spearman(first[informative], rec_first[informative]) if informative.sum() >= 3 else None
        total = combined(warped, area, rho, span)
        results.append(BranchScore(name, profile, area, warped, rho, total))
    progress(1.0, "Scored")
    return ScoreReport(grid_p, rec_profile, tuple(results))
