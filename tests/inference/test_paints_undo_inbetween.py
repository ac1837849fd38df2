"""Painted in-betweens (the CPU hybrid's segments): the procedural painting order between two keyframes."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.paints_undo.inbetween import CHANGED, LINE, paint_times, painted_inbetween


def _finished(h: int = 96, w: int = 128) -> np.ndarray:
    """Flat colour regions with dark outlines: what a keyframe near the end of a painting looks like."""
    img = np.full((h, w, 3), 235, np.uint8)
    img[10:60, 10:70] = (200, 60, 60)
    img[40:90, 60:120] = (60, 90, 200)
    img[10:60, 10:12] = img[10:60, 68:70] = img[10:12, 10:70] = img[58:60, 10:70] = 20
    img[40:90, 60:62] = img[40:90, 118:120] = img[40:42, 60:120] = img[88:90, 60:120] = 20
    return img


def test_ends_are_the_keyframes_and_every_pixel_switches_once() -> None:
    a = _finished()
    b = np.full_like(a, 255)
    frames = painted_inbetween(a, b, 16, seed=1)
    assert len(frames) == 16 and all(f.shape == a.shape and f.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0], a) and np.array_equal(frames[-1], b)
    near_a = [int((np.abs(f.astype(int) - a).max(axis=2) <= 2).sum()) for f in frames]
    assert near_a == sorted(near_a, reverse=True) and near_a[0] > near_a[8] > near_a[-1]


def test_not_a_cross_fade_pixels_are_either_painted_or_not() -> None:
    a = _finished()
    b = np.full_like(a, 255)
    middle = painted_inbetween(a, b, 9, seed=2)[4].astype(np.float32)
    changed = np.abs(a.astype(np.float32) - b).mean(axis=2) > CHANGED
    share = np.abs(middle - b).mean(axis=2)[changed] / np.abs(a.astype(np.float32) - b).mean(axis=2)[changed]
    halfway = float(((share > 0.15) & (share < 0.85)).mean())
    assert halfway < 0.2  # a cross-fade would put every changed pixel halfway
    assert 0.1 < float((share >= 0.85).mean()) < 0.9  # part painted, part not yet


def test_line_art_is_painted_before_the_flat_colours() -> None:
    from app.inference.procedural.analysis import line_alpha

    a = _finished()
    b = np.full_like(a, 255)
    times = paint_times(a, b, seed=3)
    lines = line_alpha(a) > LINE
    flats = (times >= 0) & ~lines
    assert lines.any() and flats.any()
    assert float(times[lines].mean()) < float(times[flats].mean())
    assert (times[np.abs(a.astype(int) - b).mean(axis=2) <= 1] == -1).all()  # unchanged pixels


def test_seeded_cancellable_and_checked() -> None:
    a = _finished(64, 64)
    b = np.full_like(a, 255)
    assert all(
        np.array_equal(x, y)
        for x, y in zip(painted_inbetween(a, b, 5, 4), painted_inbetween(a, b, 5, 4), strict=True)
    )
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        painted_inbetween(a, b, 5, 4, cancel=token)
    with pytest.raises(ValueError, match="one size"):
        painted_inbetween(a, b[:32], 5, 4)
    assert painted_inbetween(a, b, 0, 4) == [] and np.array_equal(painted_inbetween(a, b, 1, 4)[0], a)


def test_the_first_and_last_painted_frames_change_no_more_than_the_others() -> None:
    """A segment starts exactly from its earlier keyframe (issue 10: a fork's first frames after its
    parent's): the first painted frame moves about one frame's share of the changed pixels, the soft
    edges lying inside the segment, and pixels only a few levels apart ease instead of all flipping at
    once. Likewise at the finished end."""
    a = _finished()
    b = np.clip(a.astype(int) + 4, 0, 255).astype(np.uint8)  # nearly the same keyframe...
    b[10:60, 10:70] = 255  # ...but for one region still to paint
    n = 16
    frames = painted_inbetween(a, b, n, seed=1)
    changed = paint_times(a, b, seed=1) >= 0
    assert 0 < changed.sum() < changed.size
    for frame, end in ((frames[-2], b), (frames[1], a)):
        moved = (np.abs(frame.astype(int) - end).max(axis=2) > 0) & changed
        assert moved.sum() <= 1.1 * changed.sum() / (n - 1)
        eased = np.abs(frame.astype(int) - end).mean(axis=2)[~changed]
        assert eased.mean() <= 4 / (n - 1) + 0.5  # not the whole 4 levels at once
