"""The frame store of an open document: a memory LRU in front of a backing store (the project file).

Two tiers, two calls, so no caller can block by accident:
- `peek(key)` answers from memory only. It never blocks, on any thread: the UI thread paints from it.
- `load(key)` reads the backing store on a miss (SQLite plus a PNG decode, 20-70 ms at 1024², more than a
  whole scrub budget, design §7). It is for the engine worker only: the thread that made the store (the
  UI thread of the app) may declare itself with `forbid_blocking_here()`, and `load` then raises there.

The store remembers keys the backing store turned out not to hold (`known_absent`), so a frame that was
indexed but never reached the file (a crash before its autosave) is rendered again instead of being
waited for forever.

Why not inside `LruFrameCache`: the cache is a policy (what to keep in a byte budget); this is a place
(which tier a frame is in) and is the only object that knows the project file exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.core.cancel import CancelToken
from app.core.frame_cache import LruFrameCache
from app.core.frames import Frame, FrameKey
from app.errors import ProjectError

DEFAULT_MEMORY_BUDGET = 1536 * 1024 * 1024


class FrameBacking(Protocol):
    """Where frames outlive memory (app.core.project.Project). Called on the worker thread only."""

    def get_frame(self, key: FrameKey) -> Frame | None: ...


@dataclass(frozen=True)
class LoadResult:
    """What one batch of `load_many` did: steps now in memory, and steps the backing store lacks."""

    loaded: tuple[int, ...] = ()
    absent: tuple[int, ...] = ()


class TieredFrameStore:
    """Memory LRU (`peek`, any thread) in front of an optional backing store (`load`, worker only)."""

    def __init__(self, memory: LruFrameCache | None = None) -> None:
        self.memory = memory if memory is not None else LruFrameCache(DEFAULT_MEMORY_BUDGET)
        self._backing: FrameBacking | None = None
        self._absent: set[FrameKey] = set()
        self._lock = threading.Lock()
        self._forbidden_thread: int | None = None

    # -- configuration ---------------------------------------------------------------------------
    @property
    def backing(self) -> FrameBacking | None:
        return self._backing

    def attach(self, backing: FrameBacking | None) -> None:
        """Put a project file behind the memory tier (None: memory only, e.g. an unsaved artwork)."""
        with self._lock:
            self._backing = backing
            self._absent.clear()

    def forbid_blocking_here(self) -> None:
        """Make `load` raise on the calling thread (the app's UI thread): a programming error, caught
        by the tests, is better than a frozen window."""
        self._forbidden_thread = threading.get_ident()

    # -- the memory tier (any thread, never blocks) ----------------------------------------------
    def peek(self, key: FrameKey) -> Frame | None:
        return self.memory.get(key)

    def contains(self, key: FrameKey) -> bool:
        return self.memory.contains(key)

    def put(self, key: FrameKey, frame: Frame) -> bool:
        """Keep `frame` in memory; False when the memory tier refused it (too big, or a better kind)."""
        with self._lock:
            self._absent.discard(key)
        return self.memory.put(key, frame)

    def discard(self, key: FrameKey) -> None:
        self.memory.discard(key)

    def may_hold(self, key: FrameKey) -> bool:
        """True when a frame missing from memory can be loaded instead of rendered again: there is a
        backing store and it has not been found to lack this key."""
        with self._lock:
            return self._backing is not None and key not in self._absent

    def mark_absent(self, key: FrameKey) -> None:
        with self._lock:
            self._absent.add(key)

    @property
    def bytes_used(self) -> int:
        return self.memory.bytes_used

    @property
    def budget_bytes(self) -> int:
        return self.memory.budget_bytes

    # -- the backing tier (worker thread only) ---------------------------------------------------
    def load(self, key: FrameKey) -> Frame | None:
        """The frame from memory or, on a miss, from the backing store (kept in memory after). Blocks:
        never call it on the UI thread."""
        if self._forbidden_thread is not None and threading.get_ident() == self._forbidden_thread:
            raise RuntimeError("TieredFrameStore.load called on the UI thread; load frames on the worker")
        frame = self.memory.get(key)
        if frame is not None:
            return frame
        backing = self._backing
        if backing is None or not self.may_hold(key):
            return None
        try:
            frame = backing.get_frame(key)
        except ProjectError:  # damaged or closed: the frame is rendered again instead
            frame = None
        if frame is None:
            self.mark_absent(key)
            return None
        self.memory.put(key, frame)
        return frame

    def load_many(
        self,
        items: Sequence[tuple[int, FrameKey]],
        cancel: CancelToken,
        fill_limit: float | None = None,
    ) -> LoadResult:
        """Load `(step, key)` items into memory (worker thread). Stops when cancelled, or, with
        `fill_limit`, once memory is that fraction of its budget full (a prefetch must not evict the
        frames the user is looking at)."""
        loaded: list[int] = []
        absent: list[int] = []
        limit = None if fill_limit is None else int(self.budget_bytes * fill_limit)
        for step, key in items:
            if cancel.cancelled or (limit is not None and self.bytes_used >= limit):
                break
            if self.load(key) is None:
                absent.append(step)
            else:
                loaded.append(step)
        return LoadResult(tuple(loaded), tuple(absent))


LoadFn = Callable[[Sequence[tuple[int, FrameKey]], CancelToken], LoadResult]

__all__ = ["DEFAULT_MEMORY_BUDGET", "FrameBacking", "LoadFn", "LoadResult", "TieredFrameStore"]
