"""The frame index of one branch: which frame shows each undo step, and where that frame is now.

Why apart from the scheduler: "what exists" (this module: step -> frame key and kind, in memory or
stored, the best frame or preview now) is read by everyone on the UI thread, while "what to do about what
is missing" (app/core/scheduler.py: requests, supersede, cancel, results) is the scheduler's alone.
An export gets an immutable `snapshot()` of the index and never touches it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from types import MappingProxyType

import numpy as np

from app.core.frames import Frame, FrameKey, FrameKind, Keyframe, Segment, clamp_step
from app.core.tiered_store import TieredFrameStore


class StepState(Enum):
    """Where the frame for one undo step of one branch is, as the UI thread sees it."""

    MISSING = "missing"  # nothing indexed, nothing on its way: an engine must make it
    QUEUED = "queued"  # a request (engine work or a load) that covers it is in flight
    STORED = "stored"  # indexed, not in memory: a load (project file) or a re-render (recipe) brings it
    IN_MEMORY = "in_memory"  # `best_frame` returns it now


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


class BranchFrameIndex:
    """Step -> (frame key, kind) for one branch, over the document's tiered frame store. UI thread only."""

    def __init__(
        self,
        artwork_hash: str,
        branch_hash: str,
        store: TieredFrameStore,
        key_for: Callable[[Keyframe | Segment], FrameKey] | None = None,
        rerender: bool = False,
    ) -> None:
        self.artwork_hash = artwork_hash
        self.branch_hash = branch_hash
        self.store = store
        # Keyframe engines key frames by what they depend on (app/core/keyframe_plan.py); others by spec.
        self.key_for = key_for
        # Deterministic engines keep a recipe, not frames: an indexed step that is not in memory is
        # rendered again (a cache read that costs ~1 ms), never forgotten and never loaded.
        self.rerender = rerender
        self._index: dict[int, tuple[FrameKey, FrameKind]] = {}
        self._sorted_steps: list[int] = []

    def key_for_part(self, part: Keyframe | Segment) -> FrameKey:
        if self.key_for is not None:
            return self.key_for(part)
        return FrameKey(self.artwork_hash, self.branch_hash, part)

    def key_function(self) -> Callable[[Keyframe | Segment], FrameKey]:
        """`key_for_part` as a function that holds no reference to this scheduler (for other threads)."""
        if self.key_for is not None:
            return self.key_for
        artwork_hash, branch_hash = self.artwork_hash, self.branch_hash
        return lambda part: FrameKey(artwork_hash, branch_hash, part)

    def key_for_step(self, step: int) -> FrameKey:
        return self.key_for_part(Keyframe(int(step)))

    def add_frame(self, key: FrameKey, frame: Frame) -> bool:
        """Store a frame unless a better kind is already indexed for its step; True when stored."""
        known = self._index.get(frame.step)
        if known is not None and known[1].rank < frame.kind.rank and self._reachable(known[0]):
            return False
        self.store.put(key, frame)
        self._set(frame.step, key, frame.kind)
        return True

    def index_existing(self, entries: Iterable[tuple[FrameKey, int, FrameKind]]) -> None:
        """Register frames the store can give back (a reopened project) without touching the store."""
        for key, step, kind in entries:
            known = self._index.get(step)
            if known is not None and known[1].rank <= kind.rank:
                continue
            self._set(step, key, kind)

    def _set(self, step: int, key: FrameKey, kind: FrameKind) -> None:
        if step not in self._index:
            bisect.insort(self._sorted_steps, step)
        self._index[step] = (key, kind)

    def _reachable(self, key: FrameKey) -> bool:
        """In memory, or brought back without new engine work: loaded from the file, or re-rendered
        from the recipe of a deterministic engine."""
        return self.store.contains(key) or self.store.may_hold(key) or self.rerender

    def frame_at(self, step: int) -> Frame | None:
        """The indexed frame for `step` if it is in memory now (never blocks). An indexed frame that
        left memory and cannot come back (no project file holds it) is forgotten, so it is made again."""
        entry = self._index.get(step)
        if entry is None:
            return None
        frame = self.store.peek(entry[0])
        if frame is None and not self._reachable(entry[0]):
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
        """Every indexed step with its kind, in memory or stored (what the timeline track shows)."""
        return {s: k for s, (_, k) in self._index.items()}

    def has(self, step: int) -> bool:
        return step in self._index

    def snapshot(self) -> Mapping[int, tuple[FrameKey, FrameKind]]:
        """An immutable copy of the index for work on another thread: an export reads frames by key
        through the store and never touches this live scheduler."""
        return MappingProxyType(dict(self._index))

    def _nearest(self, step: int, below: bool) -> Frame | None:
        i = bisect.bisect_left(self._sorted_steps, step)
        candidates = range(i - 1, -1, -1) if below else range(i, len(self._sorted_steps))
        for j in candidates:
            if j >= len(self._sorted_steps):
                break
            frame = self.frame_at(self._sorted_steps[j])
            if frame is not None:
                return frame
        return None

    def best_frame(self, step: int) -> Frame | None:
        """Exact/interpolated frame when in memory, else a PREVIEW blend of the nearest ones, else None."""
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
            return Frame(only.pixels, step, FrameKind.PREVIEW, (only.step,))
        return Frame(blend_preview(lo, hi, step), step, FrameKind.PREVIEW, (lo.step, hi.step))

    def _loadable(self, step: int) -> FrameKey | None:
        """The key to load for `step` when its frame waits in the backing store, else None (a recipe
        branch re-renders instead: a render costs less than a PNG decode)."""
        entry = self._index.get(step)
        if (
            entry is None
            or self.rerender
            or self.store.contains(entry[0])
            or not self.store.may_hold(entry[0])
        ):
            return None
        return entry[0]

    def _needs_engine(self, step: int) -> bool:
        """True when only an engine can bring `step` into memory (not in memory, not loadable)."""
        entry = self._index.get(step)
        if entry is None:
            return True
        return not (self.store.contains(entry[0]) or self._loadable(step) is not None)
