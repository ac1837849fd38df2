"""A Paints-UNDO fork continues its parent's canvas: the parent's frame at the fork step is its first keyframe.

A fork (app/core/branch.py) shows its parent's frames at and above the fork step and redoes the rest of
the process, towards the finished artwork (step 0), with its own seed and settings. Paints-UNDO draws a
process as keyframes joined by 16-frame segments of the video model, so the fork's chain is:
the artwork (0) -> the fork's own keyframes below the fork step -> the parent's frame at the fork step.
The segment that ends on the parent's frame carries the canvas from the parent's state to the fork's
plan frame by frame, as every other segment carries one keyframe to the next; nothing is rendered above
the fork step (those steps are the parent's).

Own keyframes closer than `MIN_GAP` steps to the fork step are left out: a segment of a few steps would
show the jump from the parent's canvas to a keyframe of another seed in a few steps, a far larger change
per step than any of the parent's segments makes. `MIN_GAP` is the default chain's shortest segment
(950 -> 999), so the first segment of a fork is no shorter than the parent's shortest.

The parent's frame is made the way the parent makes it (its keyframe, or the frame of its segment that
shows the step), from the parent's spec alone, so a fork's frames stay a function of its spec as every
branch's are (a reopened project finds them under the same keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, scaled_progress
from app.core.frames import Keyframe
from app.core.segments import DEFAULT_KEYFRAME_STEPS, SegmentLayout
from app.errors import EngineError

if TYPE_CHECKING:
    from app.inference.paints_undo.engine import PaintsUndoEngine
    from app.inference.paints_undo.session import PaintsUndoSession

MIN_GAP = DEFAULT_KEYFRAME_STEPS[-1] - DEFAULT_KEYFRAME_STEPS[-2]


def fork_origin(spec: BranchSpec, engine: str) -> tuple[BranchSpec, int] | None:
    """(the parent's spec, the fork step) of a fork's spec, None for a root branch. A damaged fork or
    a fork of another engine's branch is an `EngineError` that says to fork again."""
    try:
        origin = spec.fork_origin()
    except ValueError as exc:
        raise EngineError(
            f"This fork's settings are damaged: {exc}.", "Fork the parent branch again."
        ) from None
    if origin is not None and origin[0].engine != engine:
        raise EngineError(
            f"This fork continues a {origin[0].engine} branch, not a {engine} one.",
            "Fork the parent branch again.",
        )
    return origin


def fork_keyframe_steps(own: tuple[int, ...], fork_step: int) -> tuple[int, ...]:
    """The keyframe steps of a fork at `fork_step` whose own settings ask for `own` (module docstring):
    the own ones at least `MIN_GAP` below the fork step, then the fork step (the parent's frame)."""
    return (*(s for s in own if s <= fork_step - MIN_GAP), fork_step)


def frame_at(
    engine: PaintsUndoEngine,
    sess: PaintsUndoSession,
    step: int,
    cancel: CancelToken,
    progress: ProgressCallback,
) -> np.ndarray:
    """The frame `sess`'s branch shows at `step` (its parent's at and above a fork step) at the output
    size: the keyframe there, or the frame of the segment that shows it (app/core/segments.py). The
    keyframes are rendered in one batch, as the scheduler and an export render them (a batch and a lone
    step may differ by one level), so the frame is the one the parent shows."""
    if sess.fork_parent is not None and sess.fork_step is not None and step >= sess.fork_step:
        return frame_at(engine, sess.fork_parent, step, cancel, progress)
    layout = SegmentLayout(tuple(sess.keyframe_steps))
    part = layout.part_for_step(step)
    anchors = list(layout.rendered_steps())
    keyframes = engine.render(sess, anchors, cancel, scaled_progress(progress, 0.0, 0.5))
    if isinstance(part, Keyframe):
        return keyframes[anchors.index(part.step)]
    frames = engine.interpolate(
        sess, part.a, part.b, layout.frames_per_segment, cancel, scaled_progress(progress, 0.5, 1.0)
    )
    return frames[part.index]


def start_from_parent(
    sess: PaintsUndoSession, parent: PaintsUndoSession, step: int, frame: np.ndarray, working: np.ndarray
) -> None:
    """Make the fork's session end its chain on the parent's `frame` at the fork `step` (`working`: the
    frame at the working size, what the video model is conditioned on)."""
    sess.keyframe_steps = fork_keyframe_steps(tuple(sess.keyframe_steps), step)
    sess.fork_parent, sess.fork_step, sess.fork_frame = parent, step, frame
    sess.keyframes[step] = working
