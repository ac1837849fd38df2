"""How a keyframe-based process maps onto the undo-step timeline (design §3).

Paints-UNDO renders keyframes at a few undo steps and fills the gaps with 16-frame interpolations
between consecutive anchors: input (step 0) -> 400 -> 600 -> 800 -> 900 -> 950 -> 999 -> white canvas.
The white canvas sits one step beyond the timeline (`WHITE_STEP` = 1000): it is what comes before the
first stroke, so it is shown in a video's lead-in but never on the slider.

Frame `i` of a segment (a, b) with n frames lies at undo step a + (b - a) * i / (n - 1): frame 0 is the
anchor a and frame n-1 the anchor b (the model reproduces its two conditioning frames there). Interior
frames are INTERPOLATED frames for the steps they land on; the end frames are superseded by the exact
keyframes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.frames import MAX_STEP, Segment

DEFAULT_KEYFRAME_STEPS: tuple[int, ...] = (400, 600, 800, 900, 950, 999)
SEGMENT_FRAMES = 16
WHITE_STEP = MAX_STEP + 1


def anchors(keyframe_steps: Sequence[int] = DEFAULT_KEYFRAME_STEPS) -> tuple[int, ...]:
    """Input (0), the keyframes in increasing order, then the white canvas."""
    inner = sorted({int(s) for s in keyframe_steps if 0 < int(s) <= MAX_STEP})
    return (0, *inner, WHITE_STEP)


def segments(keyframe_steps: Sequence[int] = DEFAULT_KEYFRAME_STEPS) -> list[tuple[int, int]]:
    """Consecutive anchor pairs (a, b), a < b, in undo-step order."""
    a = anchors(keyframe_steps)
    return list(zip(a[:-1], a[1:], strict=True))


def frame_step(a: int, b: int, index: int, count: int = SEGMENT_FRAMES) -> float:
    """The (fractional) undo step frame `index` of segment (a, b) stands for."""
    return a + (b - a) * index / (count - 1)


@dataclass(frozen=True)
class SegmentFrame:
    segment: Segment
    step: int  # the undo step this frame is shown at (rounded)


def segment_frames_for_steps(
    keyframe_steps: Sequence[int] = DEFAULT_KEYFRAME_STEPS, count: int = SEGMENT_FRAMES
) -> dict[int, SegmentFrame]:
    """For every undo step 0..999 that is not a keyframe or the input: the nearest segment frame.

    Steps between two segment frames take the nearer one, so the timeline is fully covered once all
    segments exist.
    """
    keys = set(anchors(keyframe_steps))
    out: dict[int, SegmentFrame] = {}
    for a, b in segments(keyframe_steps):
        for step in range(a, min(b, MAX_STEP + 1)):
            if step in keys:
                continue
            index = round((step - a) * (count - 1) / (b - a))
            index = min(max(index, 0), count - 1)
            out[step] = SegmentFrame(Segment(a, b, index), step)
    return out


def segment_for_step(step: int, keyframe_steps: Sequence[int] = DEFAULT_KEYFRAME_STEPS) -> tuple[int, int]:
    """The segment (a, b) whose span holds `step` (a <= step < b)."""
    for a, b in segments(keyframe_steps):
        if a <= step < b:
            return a, b
    return segments(keyframe_steps)[-1]


def video_order(
    keyframe_steps: Sequence[int] = DEFAULT_KEYFRAME_STEPS, count: int = SEGMENT_FRAMES
) -> list[Segment]:
    """Every segment frame in painting order (white canvas first, finished artwork last), the way the
    reference chains its segments into one video. Shared end frames appear once."""
    order: list[Segment] = []
    for a, b in reversed(segments(keyframe_steps)):
        for i in range(count - 1, -1, -1):
            if order and i == count - 1:
                continue  # the previous (later-in-painting) segment already ended on this anchor
            order.append(Segment(a, b, i))
    return order
