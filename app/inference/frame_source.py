"""Export frames of one branch: "pixels for undo step s" and "pixels for video entry i" (design §3, §5).

Why one class for the CLI and the app: both must read a step from the same frame of the chain
(`SegmentLayout.part_for_step`), or a video exported from the app would differ from the CLI's. Frames
are pulled one at a time (1000 frames of 1024² never sit in memory together) and come from, in order:
1. `lookup(part)`, frames already made (the app's frame store and project file; the CLI has none);
2. the engine: random-access engines render the step itself; keyframe engines render their keyframes in
   ONE batch the first time one is needed, and each 16-frame segment once, when a frame of it is needed
   (kept for the rest of the export: a video reads a segment's frames one after another).
The engine session is prepared only when something must be rendered. Engine calls happen on the calling
thread: the app runs this inside a runner `CallJob`, on the one worker thread like every engine call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.frames import Keyframe, Segment
from app.core.segments import SegmentLayout
from app.inference.engine import EngineSession, ProcessEngine

FramePart = Keyframe | Segment
PartLookup = Callable[[FramePart], np.ndarray | None]


def _nothing_stored(part: FramePart) -> None:
    return None


class ProcessFrames:
    """The frames of one branch for an export, made on demand.

    `session`: the branch's prepared session, or None to prepare one from `artwork` + `spec` when a frame
    must be rendered. `layout`: the keyframe chain, when known without a session (a reopened project);
    by default the session's (`session.keyframe_steps`)."""

    def __init__(
        self,
        engine: ProcessEngine,
        artwork: Artwork,
        spec: BranchSpec,
        cancel: CancelToken,
        *,
        session: EngineSession | None = None,
        layout: SegmentLayout | None = None,
        lookup: PartLookup = _nothing_stored,
        progress: ProgressCallback = no_progress,
    ) -> None:
        self.engine, self.artwork, self.spec = engine, artwork, spec
        self.cancel, self.lookup, self.progress = cancel, lookup, progress
        self._session = session
        self._layout = layout
        self._keyframes: dict[int, np.ndarray] = {}  # rendered by this source
        self._segments: dict[tuple[int, int], list[np.ndarray]] = {}

    @property
    def random_access(self) -> bool:
        return self.engine.capabilities.random_access

    @property
    def session(self) -> EngineSession:
        if self._session is None:
            self._session = self.engine.prepare(self.artwork, self.spec, self.cancel, self.progress)
        return self._session

    @property
    def layout(self) -> SegmentLayout:
        if self._layout is None:
            self._layout = SegmentLayout(tuple(self.session.keyframe_steps))
        return self._layout

    # -- what to show --------------------------------------------------------------------------------
    def part_for_step(self, step: int) -> FramePart:
        """The frame that shows `step`: the step itself for random-access engines, else the chain's."""
        return Keyframe(int(step)) if self.random_access else self.layout.part_for_step(int(step))

    def video_parts(self) -> list[Segment]:
        """The reference's process video of a keyframe engine, white canvas first (`video_order`)."""
        return self.layout.video_order()

    def frame_for_step(self, step: int) -> np.ndarray:
        return self.frame_for_part(self.part_for_step(step))

    def frame_for_part(self, part: FramePart) -> np.ndarray:
        self.cancel.raise_if_cancelled()
        stored = self.lookup(part)
        if stored is not None:
            return stored
        if isinstance(part, Segment):
            return self._segment(part.a, part.b)[part.index]
        if self.random_access:
            return self.engine.render(self.session, [part.step], self.cancel, no_progress)[0]
        return self._keyframe(part.step)

    # -- rendering -----------------------------------------------------------------------------------
    def _keyframe(self, step: int) -> np.ndarray:
        if step not in self._keyframes:
            self._render_keyframes()
        if step not in self._keyframes:  # not an anchor of the chain: render it on its own
            self._keyframes[step] = self.engine.render(self.session, [step], self.cancel, self.progress)[0]
        return self._keyframes[step]

    def _render_keyframes(self) -> None:
        """Every keyframe this source has not rendered yet, in one batch (cheaper than one per segment)."""
        todo = [s for s in self.layout.rendered_steps() if s not in self._keyframes]
        if todo:
            frames = self.engine.render(self.session, todo, self.cancel, self.progress)
            self._keyframes.update(zip(todo, frames, strict=True))

    def _segment(self, a: int, b: int) -> list[np.ndarray]:
        if (a, b) not in self._segments:
            self._render_keyframes()  # the segment's ends; the engine keeps them in its session
            n = self.layout.frames_per_segment
            self._segments[(a, b)] = self.engine.interpolate(
                self.session, a, b, n, self.cancel, self.progress
            )
        return self._segments[(a, b)]
