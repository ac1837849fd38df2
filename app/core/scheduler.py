"""Turns "show undo step s" into prioritised engine requests, and answers "best frame for step s" (§3).

Why a separate, Qt-free module: the slider fires far faster than engines work. On every slider move the UI
thread asks the scheduler (cheap, no engine call) for the best frame available *now* and for the requests
that would improve it. The scheduler de-duplicates against the frame store and against requests already in
flight, cancels in-flight work the new position supersedes, and ignores results of requests it no longer
tracks (stale by request id). It never runs an engine itself: requests go to a `RequestSink` (the runner).

Ordering (design §3): random-access engines (procedural) render the step under the playhead, then batches
of its neighbours in the scrub direction. Engines without random access get their keyframes first (one
batch), then the segment under the playhead, then the segments next to it in the scrub direction.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.core.frames import MAX_STEP, Frame, FrameKey, FrameKind, Keyframe, Segment, clamp_step
from app.core.segments import DEFAULT_LAYOUT, SegmentLayout, rounded_step

PRIORITY_KEYFRAMES = 0
PRIORITY_PLAYHEAD = 1
PRIORITY_NEIGHBOURS = 10


class FrameStoreLike(Protocol):
    """What the scheduler needs from a frame cache (H1's LruFrameCache or a project-backed store)."""

    def get(self, key: FrameKey) -> Frame | None: ...

    def put(self, key: FrameKey, frame: Frame) -> None: ...


class DictFrameStore:
    """Unbounded dict store: for tests and small tools. The app uses a byte-budget LRU."""

    def __init__(self) -> None:
        self.frames: dict[FrameKey, Frame] = {}

    def get(self, key: FrameKey) -> Frame | None:
        return self.frames.get(key)

    def put(self, key: FrameKey, frame: Frame) -> None:
        self.frames[key] = frame


@dataclass(frozen=True)
class PlannedRequest:
    """One unit of engine work. `steps` for renders; `segment` = (a, b, count) for interpolations."""

    priority: int
    steps: tuple[int, ...] = ()
    segment: tuple[int, int, int] | None = None

    @property
    def is_render(self) -> bool:
        return self.segment is None

    def covers(self) -> tuple[int, ...]:
        if self.segment is None:
            return self.steps
        a, b, n = self.segment
        return tuple(rounded_step(a, b, i, n) for i in range(n))


class RequestSink(Protocol):
    def submit(self, plan: PlannedRequest) -> int: ...

    def cancel(self, request_id: int) -> None: ...


def blend_preview(lo: Frame, hi: Frame, step: int) -> np.ndarray:
    """Linear blend of the nearest frames on both sides of `step` (uint8, same shape)."""
    if lo.step == hi.step or lo.pixels.shape != hi.pixels.shape:
        return lo.pixels
    t = (step - lo.step) / (hi.step - lo.step)
    try:
        import cv2

        return cv2.addWeighted(lo.pixels, 1.0 - t, hi.pixels, t, 0.0)
    except ImportError:  # opencv is a dependency, but keep the maths usable without it
        out = lo.pixels.astype(np.float32) * (1.0 - t) + hi.pixels.astype(np.float32) * t
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class BranchScheduler:
    """Scheduling state for one branch (one engine session)."""

    def __init__(
        self,
        artwork_hash: str,
        branch_hash: str,
        store: FrameStoreLike,
        sink: RequestSink,
        random_access: bool,
        layout: SegmentLayout = DEFAULT_LAYOUT,
        batch: int = 8,
        lookahead_batches: int = 3,
        key_for: Callable[[Keyframe | Segment], FrameKey] | None = None,
    ) -> None:
        self.artwork_hash = artwork_hash
        self.branch_hash = branch_hash
        self.store = store
        self.sink = sink
        self.random_access = random_access
        self.layout = layout  # keyframe engines: the segments of the chain (app/core/segments.py)
        self.batch = batch
        self.lookahead_batches = lookahead_batches
        # Keyframe engines key frames by what they depend on (app/core/keyframe_plan.py); others by spec.
        self.key_for = key_for
        self._index: dict[int, tuple[FrameKey, FrameKind]] = {}
        self._sorted_steps: list[int] = []
        self._inflight: dict[int, PlannedRequest] = {}
        self._failed_steps: set[int] = set()  # work that failed is not retried until `clear_failures`
        self._failed_segments: set[tuple[int, int, int]] = set()

    # -- the frame index -------------------------------------------------------------------------
    def key_for_part(self, part: Keyframe | Segment) -> FrameKey:
        if self.key_for is not None:
            return self.key_for(part)
        return FrameKey(self.artwork_hash, self.branch_hash, part)

    def key_for_step(self, step: int) -> FrameKey:
        return self.key_for_part(Keyframe(int(step)))

    def add_frame(self, key: FrameKey, frame: Frame) -> bool:
        """Store a frame unless a better kind is already indexed for its step; True when stored."""
        known = self._index.get(frame.step)
        if known is not None and known[1].rank < frame.kind.rank and self.store.get(known[0]) is not None:
            return False
        self.store.put(key, frame)
        if known is None:
            bisect.insort(self._sorted_steps, frame.step)
        self._index[frame.step] = (key, frame.kind)
        return True

    def index_existing(self, entries: Iterable[tuple[FrameKey, int, FrameKind]]) -> None:
        """Register frames already in the store (a reopened project) without touching the store."""
        for key, step, kind in entries:
            known = self._index.get(step)
            if known is not None and known[1].rank <= kind.rank:
                continue
            if known is None:
                bisect.insort(self._sorted_steps, step)
            self._index[step] = (key, kind)

    def frame_at(self, step: int) -> Frame | None:
        entry = self._index.get(step)
        if entry is None:
            return None
        frame = self.store.get(entry[0])
        if frame is None:  # evicted from the store: forget it so it is rendered again
            self._forget(step)
        return frame

    def _forget(self, step: int) -> None:
        self._index.pop(step, None)
        i = bisect.bisect_left(self._sorted_steps, step)
        if i < len(self._sorted_steps) and self._sorted_steps[i] == step:
            self._sorted_steps.pop(i)

    def entry(self, step: int) -> tuple[FrameKey, FrameKind] | None:
        """The indexed key and kind for `step` (no store access)."""
        return self._index.get(step)

    def available(self) -> dict[int, FrameKind]:
        return {s: k for s, (_, k) in self._index.items()}

    def has(self, step: int) -> bool:
        return step in self._index

    def _nearest(self, step: int, below: bool) -> Frame | None:
        i = bisect.bisect_left(self._sorted_steps, step)
        candidates = range(i - 1, -1, -1) if below else range(i, len(self._sorted_steps))
        for j in candidates:
            if j >= len(self._sorted_steps):
                break
            s = self._sorted_steps[j]
            frame = self.frame_at(s)
            if frame is not None:
                return frame
        return None

    def best_frame(self, step: int) -> Frame | None:
        """Exact/interpolated frame when indexed, else a PREVIEW blend of the nearest ones, else None."""
        step = clamp_step(step)
        frame = self.frame_at(step)
        if frame is not None:
            return frame
        lo, hi = self._nearest(step, below=True), self._nearest(step + 1, below=False)
        if lo is None and hi is None:
            return None
        if lo is None or hi is None:
            only = lo or hi
            assert only is not None
            return Frame(only.pixels, step, FrameKind.PREVIEW)
        return Frame(blend_preview(lo, hi, step), step, FrameKind.PREVIEW)

    # -- planning --------------------------------------------------------------------------------
    def wanted(self, step: int, direction: int) -> list[PlannedRequest]:
        """What should exist to show `step` well, best first (already cached work included)."""
        step, d = clamp_step(step), (-1 if direction < 0 else 1)
        if self.random_access:
            plans = [PlannedRequest(PRIORITY_PLAYHEAD, steps=(step,))]
            for b in range(self.lookahead_batches):
                lo = step + d * (1 + b * self.batch)
                steps = tuple(clamp_step(lo + d * i) for i in range(self.batch))
                steps = tuple(dict.fromkeys(s for s in steps if s != step))
                if steps:
                    plans.append(PlannedRequest(PRIORITY_NEIGHBOURS + b, steps=steps))
            return plans
        plans = [PlannedRequest(PRIORITY_KEYFRAMES, steps=self.layout.rendered_steps())]
        n = self.layout.frames_per_segment
        for rank, (a, b) in enumerate(self.layout.render_order(step, d)):
            plans.append(PlannedRequest(PRIORITY_PLAYHEAD + rank, segment=(a, b, n)))
        return plans

    def _adopt(self, part: Keyframe | Segment, step: int, kind: FrameKind) -> bool:
        """For plan-keyed engines: a frame another branch already made under the same key (same
        dependencies) is reused instead of rendered again. True when it was found."""
        if self.key_for is None:
            return False
        key = self.key_for_part(part)
        if self.store.get(key) is None:
            return False
        self.index_existing([(key, step, kind)])
        return True

    def _missing(self, plan: PlannedRequest) -> PlannedRequest | None:
        busy = {s for p in self._inflight.values() for s in p.covers()}
        if plan.is_render:
            for s in plan.steps:
                if s not in self._index:
                    self._adopt(Keyframe(s), s, FrameKind.EXACT)
            skip = busy | self._failed_steps
            steps = tuple(s for s in plan.steps if s not in self._index and s not in skip)
            return PlannedRequest(plan.priority, steps=steps) if steps else None
        if plan.segment in self._failed_segments or any(
            p.segment == plan.segment for p in self._inflight.values()
        ):
            return None
        a, b, _n = plan.segment
        shown = self.layout.timeline_frames(a, b)
        if all(self.layout.step_of(f) in self._index for f in shown):
            return None
        if self.key_for is not None and all(
            self._adopt(f, self.layout.step_of(f), FrameKind.INTERPOLATED) for f in shown
        ):
            return None
        return plan

    def show(self, step: int, direction: int = -1, want_frame: bool = True) -> Frame | None:
        """Plan work for `step` (cancel superseded, submit missing) and return the best frame now
        (skipped with `want_frame=False` when the caller already painted it)."""
        wanted = self.wanted(step, direction)
        keep_steps = {s for p in wanted for s in p.covers()}
        keep_segments = {p.segment for p in wanted if p.segment is not None}
        for rid, plan in list(self._inflight.items()):
            superseded = (
                plan.segment not in keep_segments
                if plan.segment is not None
                else not (set(plan.steps) & keep_steps)
            )
            if superseded:
                del self._inflight[rid]
                self.sink.cancel(rid)
        for plan in wanted:
            todo = self._missing(plan)
            if todo is not None:
                self._inflight[self.sink.submit(todo)] = todo
        return self.best_frame(step) if want_frame else None

    def cancel_all(self) -> None:
        for rid in list(self._inflight):
            self.sink.cancel(rid)
        self._inflight.clear()

    def inflight(self) -> dict[int, PlannedRequest]:
        return dict(self._inflight)

    # -- results ---------------------------------------------------------------------------------
    def accept(self, request_id: int, images: Sequence[np.ndarray]) -> list[int]:
        """Store a request's frames; returns the steps stored. Stale request ids are dropped."""
        plan = self._inflight.pop(request_id, None)
        if plan is None:
            return []
        stored: list[int] = []
        if plan.segment is None:
            for s, px in zip(plan.steps, images, strict=False):
                if self.add_frame(self.key_for_step(s), Frame(px, s, FrameKind.EXACT)):
                    stored.append(s)
            return stored
        a, b, _n = plan.segment
        shown = set(self.layout.timeline_frames(a, b))
        for i, px in enumerate(images):
            # only the frame that shows its step: end frames copy the keyframes, frames past 999 are video-only
            part = Segment(a, b, i)
            if part in shown:
                s = self.layout.step_of(part)
                if self.add_frame(self.key_for_part(part), Frame(px, s, FrameKind.INTERPOLATED)):
                    stored.append(s)
        return stored

    def finished(self, request_id: int) -> None:
        """The request was cancelled: forget it so it can be planned again."""
        self._inflight.pop(request_id, None)

    def failed(self, request_id: int) -> None:
        """The request failed: do not plan the same work again (no error storm while scrubbing)."""
        plan = self._inflight.pop(request_id, None)
        if plan is None:
            return
        if plan.segment is not None:
            self._failed_segments.add(plan.segment)
        else:
            self._failed_steps.update(plan.steps)

    def clear_failures(self) -> None:
        self._failed_steps.clear()
        self._failed_segments.clear()


__all__ = [
    "BranchScheduler",
    "DictFrameStore",
    "FrameStoreLike",
    "PlannedRequest",
    "RequestSink",
    "blend_preview",
    "MAX_STEP",
]
