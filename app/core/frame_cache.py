"""Byte-budget LRU cache policy for frames, behind a `FrameStore` protocol (design §2).

The protocol lets the UI and scheduler not care whether frames live in RAM (`LruFrameCache`) or in a
project file. The cache is thread-safe: the engine worker puts
frames while the UI thread gets them. Replacing policy: a frame never replaces a *better* kind of frame
for the same key (an exact render is not overwritten by a preview blend that arrives late).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.core.frames import Frame, FrameKey


@runtime_checkable
class FrameStore(Protocol):
    """Where frames are kept. All methods are safe to call from any thread."""

    def get(self, key: FrameKey) -> Frame | None: ...

    def put(self, key: FrameKey, frame: Frame) -> bool:
        """Store `frame`; False when it was not stored (too big, or a better kind is already there)."""
        ...

    def contains(self, key: FrameKey) -> bool: ...

    def discard(self, key: FrameKey) -> None: ...

    def clear(self) -> None: ...

    @property
    def bytes_used(self) -> int: ...

    @property
    def budget_bytes(self) -> int: ...

    def keys(self) -> list[FrameKey]: ...


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    entries: int
    bytes_used: int
    budget_bytes: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class LruFrameCache:
    """In-memory `FrameStore`: least-recently-used frames are evicted when the byte budget is exceeded."""

    def __init__(self, budget_bytes: int) -> None:
        if budget_bytes < 0:
            raise ValueError(f"budget_bytes must be >= 0, got {budget_bytes}")
        self._budget = int(budget_bytes)
        self._frames: OrderedDict[FrameKey, Frame] = OrderedDict()  # oldest first
        self._bytes = 0
        self._lock = threading.RLock()
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    # -- FrameStore ---------------------------------------------------------------------------------------
    def get(self, key: FrameKey) -> Frame | None:
        """The frame for `key` (marking it recently used), or None. Counts a hit or a miss."""
        with self._lock:
            frame = self._frames.get(key)
            if frame is None:
                self._misses += 1
                return None
            self._frames.move_to_end(key)
            self._hits += 1
            return frame

    def peek(self, key: FrameKey) -> Frame | None:
        """Like `get` but without touching LRU order or statistics (for drawing overviews)."""
        with self._lock:
            return self._frames.get(key)

    def put(self, key: FrameKey, frame: Frame) -> bool:
        size = frame.nbytes
        with self._lock:
            old = self._frames.get(key)
            if old is not None and old.kind.rank < frame.kind.rank:
                self._frames.move_to_end(key)  # still wanted; keep the better one
                return False
            if size > self._budget:
                return False
            if old is not None:
                del self._frames[key]
                self._bytes -= old.nbytes
            self._frames[key] = frame
            self._bytes += size
            self._evict_to(self._budget)
            return True

    def contains(self, key: FrameKey) -> bool:
        with self._lock:
            return key in self._frames

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._frames

    def discard(self, key: FrameKey) -> None:
        with self._lock:
            frame = self._frames.pop(key, None)
            if frame is not None:
                self._bytes -= frame.nbytes

    def discard_where(self, predicate: Callable[[FrameKey], bool]) -> int:
        """Drop every frame whose key matches (e.g. one branch's frames); returns how many."""
        with self._lock:
            doomed = [k for k in self._frames if predicate(k)]
            for key in doomed:
                self._bytes -= self._frames.pop(key).nbytes
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0

    @property
    def bytes_used(self) -> int:
        with self._lock:
            return self._bytes

    @property
    def budget_bytes(self) -> int:
        return self._budget

    @budget_bytes.setter
    def budget_bytes(self, value: int) -> None:
        """Shrinking the budget evicts at once."""
        if value < 0:
            raise ValueError(f"budget_bytes must be >= 0, got {value}")
        with self._lock:
            self._budget = int(value)
            self._evict_to(self._budget)

    def keys(self) -> list[FrameKey]:
        """A snapshot of the keys, least recently used first."""
        with self._lock:
            return list(self._frames)

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    # -- statistics ---------------------------------------------------------------------------------------
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._hits, self._misses, self._evictions, len(self._frames), self._bytes, self._budget
            )

    @property
    def hits(self) -> int:
        return self._hits

    @property
    def misses(self) -> int:
        return self._misses

    @property
    def evictions(self) -> int:
        return self._evictions

    def _evict_to(self, budget: int) -> None:
        while self._bytes > budget and self._frames:
            _, frame = self._frames.popitem(last=False)
            self._bytes -= frame.nbytes
            self._evictions += 1
