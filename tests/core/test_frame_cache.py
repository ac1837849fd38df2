"""LruFrameCache: byte-budget LRU, kind ranking, stats, thread safety, protocol conformance."""

from __future__ import annotations

import threading

import numpy as np

from app.core.frame_cache import FrameStore, LruFrameCache
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe


def _key(step: int, branch: str = "b") -> FrameKey:
    return FrameKey("art", branch, Keyframe(step))


def _frame(step: int, kind: FrameKind = FrameKind.EXACT, side: int = 10) -> Frame:
    return Frame(np.zeros((side, side, 3), np.uint8), step, kind)  # 300 bytes at side 10


def test_is_a_frame_store() -> None:
    assert isinstance(LruFrameCache(1000), FrameStore)


def test_evicts_least_recently_used_by_bytes() -> None:
    cache = LruFrameCache(budget_bytes=900)  # three 300-byte frames
    for s in range(3):
        assert cache.put(_key(s), _frame(s))
    assert cache.get(_key(0)) is not None  # 0 becomes most recent; 1 is now the oldest
    cache.put(_key(3), _frame(3))
    assert not cache.contains(_key(1))
    assert all(cache.contains(_key(s)) for s in (0, 2, 3))
    assert cache.bytes_used == 900 and cache.evictions == 1
    assert cache.keys() == [_key(2), _key(0), _key(3)]


def test_big_frames_evict_several_small_ones() -> None:
    cache = LruFrameCache(budget_bytes=1200)
    for s in range(4):
        cache.put(_key(s), _frame(s))
    cache.put(_key(9), _frame(9, side=15))  # 675 bytes
    assert cache.bytes_used <= 1200 and cache.contains(_key(9))
    assert cache.stats().evictions == 3


def test_frame_bigger_than_budget_is_not_stored() -> None:
    cache = LruFrameCache(budget_bytes=100)
    assert not cache.put(_key(1), _frame(1))
    assert len(cache) == 0 and cache.bytes_used == 0


def test_worse_kind_does_not_replace_better_but_better_replaces_worse() -> None:
    cache = LruFrameCache(10_000)
    exact = _frame(5, FrameKind.EXACT)
    assert cache.put(_key(5), _frame(5, FrameKind.PREVIEW))
    assert cache.put(_key(5), _frame(5, FrameKind.INTERPOLATED))
    assert cache.put(_key(5), exact)
    assert not cache.put(_key(5), _frame(5, FrameKind.PREVIEW))
    assert cache.get(_key(5)) is exact
    assert cache.put(_key(5), _frame(5, FrameKind.EXACT))  # equal kind replaces (newer render)
    assert cache.bytes_used == 300


def test_stats_hits_misses() -> None:
    cache = LruFrameCache(1000)
    cache.put(_key(1), _frame(1))
    cache.get(_key(1))
    cache.get(_key(2))
    cache.peek(_key(1))
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 1, 1)
    assert stats.hit_rate == 0.5


def test_discard_clear_and_discard_where() -> None:
    cache = LruFrameCache(10_000)
    for s in range(3):
        cache.put(_key(s, "a"), _frame(s))
        cache.put(_key(s, "b"), _frame(s))
    cache.discard(_key(0, "a"))
    cache.discard(_key(0, "a"))  # twice is fine
    assert cache.discard_where(lambda k: k.branch_hash == "b") == 3
    assert len(cache) == 2 and cache.bytes_used == 600
    cache.clear()
    assert len(cache) == 0 and cache.bytes_used == 0


def test_shrinking_budget_evicts() -> None:
    cache = LruFrameCache(1000)
    for s in range(3):
        cache.put(_key(s), _frame(s))
    cache.budget_bytes = 300
    assert cache.keys() == [_key(2)] and cache.budget_bytes == 300


def test_concurrent_puts_and_gets_keep_accounting_consistent() -> None:
    cache = LruFrameCache(30 * 300)

    def worker(offset: int) -> None:
        for i in range(300):
            cache.put(_key(offset * 1000 + i % 50), _frame(i))
            cache.get(_key(offset * 1000 + (i * 7) % 50))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.bytes_used == sum(cache.peek(k).nbytes for k in cache.keys())  # type: ignore[union-attr]
    assert cache.bytes_used <= cache.budget_bytes
