"""Turns "show undo step s" into prioritised requests: loads of stored frames and engine work (§3).

Why a separate, Qt-free module: the slider fires far faster than engines work. On every slider move the UI
thread asks the scheduler (cheap, no engine call, no file read) for the best frame available *now* (the
frame index, app/core/frame_index.py, which it extends) and for the requests that would improve it. Loads
from the project file and engine work are requests of the same kind: the scheduler de-duplicates them
against the store and against requests in flight, cancels what a new position supersedes, and ignores
results of requests it no longer tracks (stale by request id). It never runs anything itself: requests go
to a `RequestSink` (the document, which turns them into worker jobs).

Ordering (design §3): random-access engines (procedural) render the step under the playhead, then batches
of its neighbours in the scrub direction. Engines without random access get their keyframes first (one
batch), then the segment under the playhead, then the segments next to it in the scrub direction.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from app.core.frame_index import BranchFrameIndex, StepState
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe, Segment, clamp_step
from app.core.segments import DEFAULT_LAYOUT, SegmentLayout, rounded_step
from app.core.tiered_store import LoadResult, TieredFrameStore

PRIORITY_LOAD = -1  # a stored frame costs one read and one decode: cheaper than any render, and exact
PRIORITY_KEYFRAMES = 0
PRIORITY_PLAYHEAD = 1
PRIORITY_NEIGHBOURS = 10
PRIORITY_PREFETCH = 150  # below every render, above nothing but autosave
LOAD_AHEAD = 6  # stored frames loaded per position in the scrub direction (the playhead's own first)...
LOAD_BEHIND = 2  # ...and behind it (the other side of the preview blend)
PREFETCH_CHUNK = 2  # frames per prefetch request: the runner re-reads its queue between chunks
PREFETCH_FILL = 0.8  # a prefetch stops when memory is this full (it must not evict what is on screen)


@dataclass(frozen=True)
class PlannedRequest:
    """One unit of work for the sink: render `steps`, interpolate `segment` = (a, b, count), or load
    `loads` = ((step, key), ...) from the backing store. `background` requests (prefetch) are not
    superseded by a new playhead position; `fill_limit` stops a load when memory is that full."""

    priority: int
    steps: tuple[int, ...] = ()
    segment: tuple[int, int, int] | None = None
    loads: tuple[tuple[int, FrameKey], ...] = ()
    background: bool = False
    fill_limit: float | None = None

    @property
    def is_load(self) -> bool:
        return bool(self.loads)

    @property
    def is_render(self) -> bool:
        return self.segment is None and not self.loads

    def covers(self) -> tuple[int, ...]:
        if self.loads:
            return tuple(s for s, _key in self.loads)
        if self.segment is None:
            return self.steps
        a, b, n = self.segment
        return tuple(rounded_step(a, b, i, n) for i in range(n))


class RequestSink(Protocol):
    """Turns plans into work (the document: runner jobs). Results come back through `accept`."""

    def submit(self, plan: PlannedRequest) -> int: ...

    def cancel(self, request_id: int) -> None: ...


class BranchScheduler(BranchFrameIndex):
    """Scheduling state for one branch: its frame index (step -> key and kind), the work in flight for
    it (engine requests and loads alike: one supersede/cancel/stale-drop routine), and what failed.

    UI thread only. The engine worker never touches a scheduler: it gets plans through the sink, and an
    export gets an immutable `snapshot()`.
    """

    def __init__(
        self,
        artwork_hash: str,
        branch_hash: str,
        store: TieredFrameStore,
        sink: RequestSink,
        random_access: bool,
        layout: SegmentLayout = DEFAULT_LAYOUT,
        batch: int = 8,
        lookahead_batches: int = 3,
        key_for: Callable[[Keyframe | Segment], FrameKey] | None = None,
        rerender: bool = False,
    ) -> None:
        super().__init__(artwork_hash, branch_hash, store, key_for, rerender)
        self.sink = sink
        self.random_access = random_access
        self.layout = layout  # keyframe engines: the segments of the chain (app/core/segments.py)
        self.batch = batch
        self.lookahead_batches = lookahead_batches
        # Engine work is planned only once the engine session exists; until then `wants_engine` says
        # that the step the last `show` was for needs an engine (the owner then prepares a session).
        self.engine_ready = False
        self.wants_engine = False
        self._inflight: dict[int, PlannedRequest] = {}
        self._prefetch: list[PlannedRequest] = []
        self._failed_steps: set[int] = set()  # work that failed is not retried until `clear_failures`
        self._failed_segments: set[tuple[int, int, int]] = set()

    def state(self, step: int) -> StepState:
        """Where the frame for `step` is now (see `StepState`)."""
        entry = self._index.get(step)
        if entry is not None and self.store.contains(entry[0]):
            return StepState.IN_MEMORY
        if step in self._busy():
            return StepState.QUEUED
        if entry is not None and self._reachable(entry[0]):
            return StepState.STORED
        return StepState.MISSING

    # -- planning --------------------------------------------------------------------------------
    def wanted(self, step: int, direction: int) -> list[PlannedRequest]:
        """What should exist to show `step` well, best first (work already done included): loads of
        stored frames near it, then engine work."""
        step, d = clamp_step(step), (-1 if direction < 0 else 1)
        plans = self._loads_near(step, d)
        if self.random_access:
            plans.append(PlannedRequest(PRIORITY_PLAYHEAD, steps=(step,)))
            for b in range(self.lookahead_batches):
                lo = step + d * (1 + b * self.batch)
                steps = tuple(clamp_step(lo + d * i) for i in range(self.batch))
                steps = tuple(dict.fromkeys(s for s in steps if s != step))
                if steps:
                    plans.append(PlannedRequest(PRIORITY_NEIGHBOURS + b, steps=steps))
            return plans
        plans.append(PlannedRequest(PRIORITY_KEYFRAMES, steps=self.layout.rendered_steps()))
        n = self.layout.frames_per_segment
        for rank, (a, b) in enumerate(self.layout.render_order(step, d)):
            plans.append(PlannedRequest(PRIORITY_PLAYHEAD + rank, segment=(a, b, n)))
        return plans

    def _loads_near(self, step: int, d: int) -> list[PlannedRequest]:
        """Stored frames to load for `step`: its own (a request of its own, so it is painted after one
        decode), then the nearest indexed ones in the scrub direction and behind it (what a preview
        blend and the next slider moves need). A neighbour already in memory still counts."""
        i = bisect.bisect_left(self._sorted_steps, step)
        here = [step] if i < len(self._sorted_steps) and self._sorted_steps[i] == step else []
        above = self._sorted_steps[i + len(here) : i + len(here) + LOAD_AHEAD]
        below = self._sorted_steps[max(0, i - LOAD_AHEAD) : i][::-1]
        forward, backward = (below, above) if d < 0 else (above, below)
        plans = []
        for group in (here, forward[:LOAD_AHEAD] + backward[:LOAD_BEHIND]):
            loads = tuple((s, key) for s in group if (key := self._loadable(s)) is not None)
            if loads:
                plans.append(PlannedRequest(PRIORITY_LOAD, loads=loads))
        return plans

    def _adopt(self, part: Keyframe | Segment, step: int, kind: FrameKind) -> bool:
        """For plan-keyed engines: a frame another branch already made under the same key (same
        dependencies) is reused instead of rendered again. True when it was found."""
        if self.key_for is None:
            return False
        key = self.key_for_part(part)
        if not self.store.contains(key):
            return False
        self.index_existing([(key, step, kind)])
        return True

    def _busy(self) -> set[int]:
        return {s for p in self._inflight.values() for s in p.covers()}

    def _missing(self, plan: PlannedRequest, busy: set[int]) -> PlannedRequest | None:
        """The part of `plan` that is neither done nor in flight (nor failed before)."""
        if plan.is_load:
            loads = tuple((s, k) for s, k in plan.loads if s not in busy and not self.store.contains(k))
            return replace(plan, loads=loads) if loads else None
        if plan.is_render:
            for s in plan.steps:
                if s not in self._index:
                    self._adopt(Keyframe(s), s, FrameKind.EXACT)
            skip = busy | self._failed_steps
            steps = tuple(s for s in plan.steps if s not in skip and self._needs_engine(s))
            return PlannedRequest(plan.priority, steps=steps) if steps else None
        assert plan.segment is not None
        if plan.segment in self._failed_segments or any(
            p.segment == plan.segment for p in self._inflight.values()
        ):
            return None
        a, b, _n = plan.segment
        shown = self.layout.timeline_frames(a, b)
        if not any(self._needs_engine(self.layout.step_of(f)) for f in shown):
            return None
        if self.key_for is not None and all(
            self._adopt(f, self.layout.step_of(f), FrameKind.INTERPOLATED) for f in shown
        ):
            return None
        return plan

    def show(self, step: int, direction: int = -1, want_frame: bool = True) -> Frame | None:
        """Plan work for `step` (cancel superseded requests; submit missing ones: loads from the file
        at once, engine work once the engine is ready) and return the best frame now (skipped with
        `want_frame=False` when the caller already painted it)."""
        wanted = self.wanted(step, direction)
        keep_steps = {s for p in wanted for s in p.covers()}
        keep_segments = {p.segment for p in wanted if p.segment is not None}
        for rid, plan in list(self._inflight.items()):
            if plan.background:
                continue
            superseded = (
                plan.segment not in keep_segments
                if plan.segment is not None
                else not (set(plan.covers()) & keep_steps)
            )
            if superseded:
                del self._inflight[rid]
                self.sink.cancel(rid)
        for plan in wanted:
            todo = self._missing(plan, self._busy())
            if todo is not None and (todo.is_load or self.engine_ready):
                self._inflight[self.sink.submit(todo)] = todo
        # A session is worth preparing for the playhead's own step, not for neighbours that may never
        # be shown (a reopened project scrubs its stored frames without any engine).
        self.wants_engine = not self.engine_ready and self._needs_engine(clamp_step(step))
        return self.best_frame(step) if want_frame else None

    def prefetch(self, step: int) -> None:
        """Load every stored frame into memory in the background, nearest to `step` first, in small
        requests (the next one submitted when one ends, so a prefetch never holds back the playhead's
        work), until memory is `PREFETCH_FILL` full. Scrubbing does not supersede it; `cancel_all` does."""
        items = sorted(
            ((s, key) for s in self._sorted_steps if (key := self._loadable(s)) is not None),
            key=lambda item: abs(item[0] - step),
        )
        self._prefetch = [
            PlannedRequest(
                PRIORITY_PREFETCH,
                loads=tuple(items[i : i + PREFETCH_CHUNK]),
                background=True,
                fill_limit=PREFETCH_FILL,
            )
            for i in range(0, len(items), PREFETCH_CHUNK)
        ]
        self._next_prefetch()

    def _next_prefetch(self) -> None:
        if any(p.background for p in self._inflight.values()):
            return
        while self._prefetch:
            todo = self._missing(self._prefetch.pop(0), self._busy())
            if todo is not None:
                self._inflight[self.sink.submit(todo)] = todo
                return

    def cancel_all(self) -> None:
        self._prefetch.clear()
        for rid in list(self._inflight):
            self.sink.cancel(rid)
        self._inflight.clear()

    def inflight(self) -> dict[int, PlannedRequest]:
        return dict(self._inflight)

    # -- results ---------------------------------------------------------------------------------
    def accept(self, request_id: int, result: Sequence[np.ndarray] | LoadResult) -> list[int]:
        """A request's result: frames to store (renders, segments) or what a load found. Returns the
        steps whose frame changed; results of requests no longer tracked (stale) are dropped."""
        plan = self._inflight.pop(request_id, None)
        if plan is None:
            return []
        if plan.is_load:
            assert isinstance(result, LoadResult)
            for s in result.absent:  # not in the file after all: forgotten, so an engine makes it
                self.frame_at(s)
            if plan.background:
                if len(result.loaded) + len(result.absent) < len(plan.loads):
                    self._prefetch.clear()  # memory is full enough
                self._next_prefetch()
            return sorted({*result.loaded, *result.absent})
        assert not isinstance(result, LoadResult)
        stored: list[int] = []
        if plan.segment is None:
            for s, px in zip(plan.steps, result, strict=False):
                if self.add_frame(self.key_for_step(s), Frame(px, s, FrameKind.EXACT)):
                    stored.append(s)
            return stored
        a, b, _n = plan.segment
        shown = set(self.layout.timeline_frames(a, b))
        for i, px in enumerate(result):
            # only the frame that shows its step: end frames copy the keyframes, frames past 999 are video-only
            part = Segment(a, b, i)
            if part in shown:
                s = self.layout.step_of(part)
                if self.add_frame(self.key_for_part(part), Frame(px, s, FrameKind.INTERPOLATED)):
                    stored.append(s)
        return stored

    def finished(self, request_id: int) -> None:
        """The request was cancelled: forget it so it can be planned again."""
        plan = self._inflight.pop(request_id, None)
        if plan is not None and plan.background:
            self._prefetch.clear()  # the user cancelled, or the document closed: stop prefetching

    def failed(self, request_id: int) -> None:
        """The request failed: do not plan the same work again (no error storm while scrubbing). A
        failed load marks its frames absent, so they are rendered instead."""
        plan = self._inflight.pop(request_id, None)
        if plan is None:
            return
        if plan.is_load:
            for _s, key in plan.loads:
                self.store.mark_absent(key)
            if plan.background:
                self._next_prefetch()
        elif plan.segment is not None:
            self._failed_segments.add(plan.segment)
        else:
            self._failed_steps.update(plan.steps)

    def clear_failures(self) -> None:
        self._failed_steps.clear()
        self._failed_segments.clear()


__all__ = ["BranchScheduler", "PlannedRequest", "RequestSink"]
