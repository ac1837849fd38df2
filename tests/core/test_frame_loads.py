"""Frames stored in a project file but not in memory, driven through the scheduler without Qt: loads are
requests like engine work (planned, superseded, cancelled, stale results dropped), each step has an
explicit state, and the store never reads the file on the thread that forbids it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.core.frame_cache import LruFrameCache
from app.core.frame_index import StepState
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe
from app.core.scheduler import PRIORITY_LOAD, BranchScheduler, PlannedRequest
from app.core.tiered_store import LoadResult, TieredFrameStore

STORED = (100, 200, 300, 400, 500, 600, 700, 800)


class Backing:
    """A project file stand-in: frames by key, and which threads read them."""

    def __init__(self, steps: tuple[int, ...] = STORED) -> None:
        self.frames = {
            key(s): Frame(np.full((4, 4, 3), s % 256, np.uint8), s, FrameKind.EXACT) for s in steps
        }
        self.reads: list[int] = []

    def get_frame(self, k: FrameKey) -> Frame | None:
        self.reads.append(threading.get_ident())
        return self.frames.get(k)


class Sink:
    def __init__(self) -> None:
        self.submitted: dict[int, PlannedRequest] = {}
        self.cancelled: list[int] = []

    def submit(self, plan: PlannedRequest) -> int:
        rid = len(self.submitted) + 1
        self.submitted[rid] = plan
        return rid

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)

    def loads(self) -> dict[int, PlannedRequest]:
        return {r: p for r, p in self.submitted.items() if p.is_load and r not in self.cancelled}


def key(step: int) -> FrameKey:
    return FrameKey("art", "branch", Keyframe(step))


def reopened(backing: Backing | None = None, budget: int = 1 << 30) -> tuple[BranchScheduler, Sink, Backing]:
    """A scheduler over a reopened project: every stored frame indexed, none in memory, no session."""
    backing = backing or Backing()
    store = TieredFrameStore(LruFrameCache(budget))
    store.attach(backing)
    store.forbid_blocking_here()  # this test thread plays the UI thread
    sink = Sink()
    sched = BranchScheduler("art", "branch", store, sink, random_access=True)
    sched.index_existing((key(s), s, FrameKind.EXACT) for s in STORED)
    return sched, sink, backing


def run_on_worker(sched: BranchScheduler, plan: PlannedRequest) -> LoadResult:
    """What the document's worker job does with a load plan."""
    out: list[LoadResult] = []
    store, loads, fill = sched.store, plan.loads, plan.fill_limit
    worker = threading.Thread(target=lambda: out.append(store.load_many(loads, CancelToken(), fill)))
    worker.start()
    worker.join()
    return out[0]


def test_a_stored_step_is_loaded_by_a_request_of_its_own_first_then_its_neighbours():
    sched, sink, backing = reopened()
    assert sched.state(500) is StepState.STORED
    assert sched.show(500, direction=-1) is None, "nothing in memory yet: nothing to paint, nothing read"
    plans = list(sink.loads().items())
    assert [p.covers() for _r, p in plans] == [(500,), (400, 300, 200, 100, 600, 700)]
    assert all(p.priority == PRIORITY_LOAD for _r, p in plans)
    assert not any(p.is_render for p in sink.submitted.values()), "no engine work before a session"
    assert not sched.wants_engine, "a stored playhead step needs no session"
    assert sched.state(500) is StepState.QUEUED
    assert backing.reads == [], "planning reads nothing"

    rid, plan = plans[0]
    assert sched.accept(rid, run_on_worker(sched, plan)) == [500]
    assert sched.state(500) is StepState.IN_MEMORY
    assert sched.best_frame(500).kind is FrameKind.EXACT
    assert threading.get_ident() not in backing.reads, "the file was read on the worker only"


def test_a_new_position_cancels_the_loads_it_supersedes_and_drops_their_results():
    sched, sink, _backing = reopened()
    sched.show(800, direction=-1)
    (rid, plan), (neighbours_id, _neighbours) = sink.loads().items()
    assert plan.covers() == (800,)
    sched.show(100, direction=+1)
    assert rid in sink.cancelled, "800 is no longer near the playhead"
    assert neighbours_id not in sink.cancelled, "a load that still serves the new position goes on"
    assert sched.accept(rid, run_on_worker(sched, plan)) == [], "a stale load is dropped"
    assert sched.state(100) is StepState.QUEUED


def test_a_frame_missing_from_the_file_is_forgotten_and_rendered_once_a_session_exists():
    backing = Backing(steps=tuple(s for s in STORED if s != 300))  # indexed, never written (a crash)
    sched, sink, _ = reopened(backing)
    sched.show(300, direction=-1)
    rid, plan = next(iter(sink.loads().items()))
    assert plan.covers() == (300,)
    assert sched.accept(rid, run_on_worker(sched, plan)) == [300]
    assert sched.state(300) is StepState.MISSING
    assert not sched.has(300)
    sched.show(300, direction=-1)
    assert sched.wants_engine, "the playhead's step now needs the engine"
    sched.engine_ready = True
    sched.show(300, direction=-1)
    assert any(p.is_render and 300 in p.steps for p in sink.submitted.values())


def test_the_ui_thread_cannot_block_on_the_file():
    sched, _sink, backing = reopened()
    with pytest.raises(RuntimeError, match="UI thread"):
        sched.store.load(key(100))
    assert backing.reads == []
    assert sched.store.peek(key(100)) is None  # peeking never reads


def test_prefetch_loads_in_small_background_requests_that_scrubbing_does_not_cancel():
    sched, sink, _backing = reopened()
    sched.prefetch(450)
    (rid, first), *_ = sink.loads().items()
    assert first.background and first.covers() == (400, 500)  # nearest first, two at a time
    sched.show(800, direction=-1)
    assert rid not in sink.cancelled
    assert len([p for p in sink.loads().values() if p.background]) == 1, "one prefetch request at a time"
    sched.accept(rid, run_on_worker(sched, first))
    following = [p for r, p in sink.loads().items() if p.background and r != rid]
    foreground = {s for p in sink.loads().values() if not p.background for s in p.covers()}
    assert following and not set(following[0].covers()) & foreground, "no step is loaded twice"
    sched.cancel_all()
    assert sched.inflight() == {}


def test_prefetch_stops_when_memory_is_nearly_full():
    frame_bytes = 4 * 4 * 3
    sched, sink, _backing = reopened(budget=3 * frame_bytes)
    sched.prefetch(100)
    loaded = 0
    while True:
        pending = [(r, p) for r, p in sink.loads().items() if p.background and r in sched.inflight()]
        if not pending:
            break
        rid, plan = pending[0]
        result = run_on_worker(sched, plan)
        loaded += len(result.loaded)
        sched.accept(rid, result)
    assert loaded <= 3, "a prefetch does not push frames out of a full memory budget"


def test_a_recipe_branch_keeps_its_seen_steps_and_rerenders_them():
    store = TieredFrameStore()  # no project file: frames of a deterministic engine are never stored
    sink = Sink()
    sched = BranchScheduler("art", "branch", store, sink, random_access=True, rerender=True)
    sched.index_existing([(key(250), 250, FrameKind.EXACT)])
    assert sched.state(250) is StepState.STORED
    assert sched.best_frame(250) is None and sched.has(250), "not forgotten while it is not in memory"
    sched.show(250, direction=-1)
    assert sched.wants_engine
    sched.engine_ready = True
    sched.show(250, direction=-1)
    assert any(p.is_render and p.steps == (250,) for p in sink.submitted.values())


def test_a_snapshot_does_not_change_with_the_live_index():
    sched, sink, _backing = reopened()
    snap = sched.snapshot()
    sched.engine_ready = True
    sched.show(50, direction=-1)
    rid = next(r for r, p in sink.submitted.items() if p.steps[:1] == (50,))
    sched.accept(rid, [np.zeros((4, 4, 3), np.uint8)])
    assert 50 in sched.available() and 50 not in snap
    with pytest.raises(TypeError):
        snap[60] = (key(60), FrameKind.EXACT)  # type: ignore[index]
