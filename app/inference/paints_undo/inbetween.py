"""Painted in-betweens: a segment's frames without the multi-frame model, in seconds on a CPU.

Why: the multi-frame model needs minutes per 16-frame segment on a GPU-less machine (hours for a whole
image), while the keyframes already fix what each end of a segment looks like. What is missing between
two keyframes is the ORDER in which the difference gets painted. The procedural engine already plans a
plausible painting order for an image (line art as strokes from a start point, then flat regions one
after another, then shading and details: `procedural.schedule.make_plan`), so the segment reuses that
plan, analysed on the more finished keyframe and driven by what actually differs between the two:

* a changed pixel on the line art gets its ink-stroke time, a strongly changed one its region (flats)
  time, a lightly changed one its shading or details time;
* those times, over the changed pixels only, become the segment's 0..1 progress (evenly paced: the
  share of changed pixels painted before each one);
* a frame at painting progress p shows the finished keyframe where a pixel's time has passed (with a
  short soft edge, like a brush's) and the earlier keyframe elsewhere. Not a cross-fade: every changed
  pixel switches once, in stroke/region order; the pixels only a few grey levels apart ease from one
  keyframe to the other (flipping them all in one frame made a visible jump). The ends are the two
  keyframes exactly, and the soft edges lie inside the segment, so the first and last painted frames
  change no more than the others (a fork's segment starts from its parent's frame without a jump).
"""

from __future__ import annotations

import numpy as np

from app.core.cancel import NEVER_CANCELLED, CancelToken, no_progress
from app.inference.procedural.analysis import analyse
from app.inference.procedural.schedule import make_plan

CHANGED = 6.0  # mean |difference| over RGB (grey levels) below which a pixel counts as unchanged
STRONG = 40.0  # above this the change is a new flat colour (region order), below it shading/details
LINE = 0.35  # line-art alpha above which a changed pixel is inked (stroke order)
SOFT = 0.03  # width of a stroke's soft edge on the 0..1 progress axis


def paint_times(finished: np.ndarray, earlier: np.ndarray, seed: int) -> np.ndarray:
    """(H, W) float32 in [0, 1]: when each pixel turns from `earlier` to `finished` (-1: unchanged)."""
    an = analyse(finished, NEVER_CANCELLED, no_progress)
    rng = np.random.default_rng(seed)
    plan = make_plan(an, np.zeros(finished.shape[:2], np.float32), "balanced", "auto", 0.5, rng)
    _sketch, ink, flats, shading, details = (t.astype(np.float32) for t in plan.times)
    change = np.abs(finished.astype(np.float32) - earlier.astype(np.float32)).mean(axis=2)
    light = np.where(change > (CHANGED + STRONG) / 2, shading, details)
    times = np.where(an.line_alpha > LINE, ink, np.where(change > STRONG, flats, light))
    changed = change > CHANGED
    out = np.full(change.shape, -1.0, np.float32)
    if changed.any():
        # Even pacing: a pixel's time becomes the share of changed pixels painted before it (pixels with
        # one tick switch together), so each frame paints about as much and no frame idles.
        _values, index, counts = np.unique(times[changed], return_inverse=True, return_counts=True)
        share = (np.cumsum(counts) - counts / 2.0) / float(counts.sum())
        out[changed] = share[index.ravel()]
    return out


def painted_inbetween(
    frame_a: np.ndarray, frame_b: np.ndarray, count: int, seed: int, cancel: CancelToken = NEVER_CANCELLED
) -> list[np.ndarray]:
    """`count` frames from `frame_a` (the more finished keyframe, first) to `frame_b` (last).

    Both (H, W, 3) uint8 of one size. Frame i is at painting progress 1 - i/(count-1): the first
    frame is `frame_a` and the last `frame_b`, exactly.
    """
    if frame_a.shape != frame_b.shape or frame_a.ndim != 3 or frame_a.shape[2] != 3:
        raise ValueError(
            f"keyframes must be two (H, W, 3) images of one size, got {frame_a.shape}, {frame_b.shape}"
        )
    if count < 1:
        return []
    if count == 1:
        return [frame_a.copy()]
    times = paint_times(frame_a, frame_b, seed)
    # A pixel's soft edge spans SOFT of progress around its time; starting the edges at SOFT/2 and ending
    # them at 1 - SOFT/2 means no pixel has begun at progress 0 (the frame IS frame_b) and every one is
    # done at 1 (frame_a), so the first and last painted frames change no more than the others do.
    starts = SOFT / 2 + times * (1.0 - SOFT)
    a = frame_a.astype(np.float32)
    b = frame_b.astype(np.float32)
    frames = []
    for i in range(count):
        cancel.raise_if_cancelled()
        if i == 0 or i == count - 1:
            frames.append((frame_a if i == 0 else frame_b).copy())
            continue
        progress = 1.0 - i / (count - 1)
        alpha = np.clip((progress - starts) / SOFT + 0.5, 0.0, 1.0)
        alpha[times < 0] = progress  # unchanged pixels (a few levels apart): eased, never all at once
        frames.append(np.rint(b + (a - b) * alpha[..., None]).astype(np.uint8))
    return frames
