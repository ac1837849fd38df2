"""The frame store of an open document: a memory LRU in front of the project file, and the scheduler
that knows a frame can be on its way from that file.

Frames in the project file but not in memory (after reopening, or after the memory LRU evicted them) are
never read on the UI thread: a read is SQLite plus a PNG decode, 20-70 ms at 1024², more than a whole
scrub budget (design §7). To the UI thread they are "not ready yet", like a frame an engine is still
rendering; `Document` loads them on the worker.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from app.core.frames import Frame, FrameKey
from app.core.scheduler import BranchScheduler, DictFrameStore


def make_frame_store(budget_bytes: int = 1536 * 1024 * 1024) -> Any:
    """The byte-budget LRU the schedulers index into (frames are also kept in the project file)."""
    try:
        from app.core.frame_cache import LruFrameCache
    except ImportError:  # pragma: no cover - the core ships it
        return DictFrameStore()
    return LruFrameCache(budget_bytes)


class TieredFrameStore:
    """Memory LRU in front of the open project file: a frame evicted from memory (or never loaded, after
    reopening) is read back from the project instead of being rendered again.

    Only off the UI thread: there `get` answers from memory alone and `waiting` says which frames are on
    their way from the file, so the UI thread never blocks on SQLite + PNG decoding. Worker-thread callers
    (export frame sources) still read through, as before."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory
        self.backing: Any = None  # app.core.project.Project or None
        self.missing: set[FrameKey] = set()  # looked for in the file and not found there
        self._ui_thread = threading.get_ident()  # the document (and so this store) is made on the UI thread

    def on_ui_thread(self) -> bool:
        return threading.get_ident() == self._ui_thread

    def in_memory(self, key: FrameKey) -> bool:
        contains = getattr(self.memory, "contains", None)
        return bool(contains(key)) if contains is not None else self.memory.get(key) is not None

    def get(self, key: FrameKey) -> Frame | None:
        frame = self.memory.get(key)
        if frame is None and self.backing is not None and not self.on_ui_thread():
            frame = self.backing.get_frame(key)
            if frame is not None:
                self.memory.put(key, frame)
        return frame

    def waiting(self, key: FrameKey) -> bool:
        """True on the UI thread for a frame the project file should hold that is not in memory: it must be
        loaded on the worker (`Document._plan_loads`), not forgotten and rendered again."""
        return (
            self.backing is not None
            and key not in self.missing
            and self.on_ui_thread()
            and not self.in_memory(key)
        )

    def put(self, key: FrameKey, frame: Frame) -> bool:
        self.missing.discard(key)
        return bool(self.memory.put(key, frame))

    @property
    def bytes_used(self) -> int:
        return int(getattr(self.memory, "bytes_used", 0))

    @property
    def budget_bytes(self) -> int:
        return int(getattr(self.memory, "budget_bytes", 0))


class TieredBranchScheduler(BranchScheduler):
    """The core scheduler over a `TieredFrameStore`: an indexed frame that waits on the project file is
    not ready (no frame now, keep the index entry), where the base class would take the store's None for
    an eviction, forget the step and plan an engine render for a frame the file already holds."""

    store: TieredFrameStore

    def frame_at(self, step: int) -> Frame | None:
        entry = self.entry(step)
        if entry is not None and self.store.waiting(entry[0]):
            return None
        return super().frame_at(step)

    def add_frame(self, key: FrameKey, frame: Frame) -> bool:
        known = self.entry(frame.step)
        if known is not None and known[1].rank < frame.kind.rank and self.store.waiting(known[0]):
            return False  # a better kind waits in the file; the base class only checks memory
        return super().add_frame(key, frame)

    def waiting_near(self, step: int, direction: int, ahead: int, behind: int) -> list[tuple[int, FrameKey]]:
        """Stored frames to load for `step`, best first: its own, then the nearest ones in the scrub
        direction and behind it (the frames a preview blend and the next slider moves need)."""
        steps = sorted(self.available())
        i = bisect.bisect_left(steps, step)
        here = steps[i : i + 1] if i < len(steps) and steps[i] == step else []
        above = steps[i + len(here) :]
        below = steps[:i][::-1]
        forward, backward = (below, above) if direction < 0 else (above, below)
        out: list[tuple[int, FrameKey]] = []
        for group, limit in ((here, 1), (forward, ahead), (backward, behind)):
            taken = 0
            for s in group:
                if taken >= limit:
                    break
                entry = self.entry(s)
                if entry is None:
                    continue
                taken += 1  # a neighbour already in memory still counts: load only the nearest few
                if self.store.waiting(entry[0]):
                    out.append((s, entry[0]))
        return out
