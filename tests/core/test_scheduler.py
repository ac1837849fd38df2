"""The scheduler: playhead first, neighbours in the scrub direction, de-duplication, superseded work
cancelled, stale results dropped, previews blended from the nearest frames, keyframes-first ordering."""

from __future__ import annotations

import numpy as np

from app.core.frames import FrameKind, Keyframe
from app.core.scheduler import BranchScheduler, PlannedRequest
from app.core.segments import WHITE_STEP, SegmentLayout
from app.core.tiered_store import TieredFrameStore


class Sink:
    def __init__(self) -> None:
        self.submitted: dict[int, PlannedRequest] = {}
        self.cancelled: list[int] = []
        self._next = 1

    def submit(self, plan: PlannedRequest) -> int:
        rid, self._next = self._next, self._next + 1
        self.submitted[rid] = plan
        return rid

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)


def img(value: int, size: int = 4) -> np.ndarray:
    return np.full((size, size, 3), value, np.uint8)


def make(random_access: bool = True, **kw) -> tuple[BranchScheduler, Sink]:
    sink = Sink()
    sched = BranchScheduler("art", "branch", TieredFrameStore(), sink, random_access, **kw)
    sched.engine_ready = True
    return sched, sink


def test_playhead_first_then_neighbours_in_scrub_direction():
    sched, sink = make(batch=4, lookahead_batches=2)
    assert sched.show(500, direction=-1) is None
    plans = sorted(sink.submitted.values(), key=lambda p: p.priority)
    assert plans[0].steps == (500,)
    assert plans[1].steps == (499, 498, 497, 496)
    assert plans[2].steps == (495, 494, 493, 492)
    assert plans[0].priority < plans[1].priority < plans[2].priority


def test_scrubbing_towards_blank_canvas_looks_ahead_upwards():
    sched, sink = make(batch=3, lookahead_batches=1)
    sched.show(10, direction=+1)
    assert [p.steps for p in sink.submitted.values()] == [(10,), (11, 12, 13)]


def test_no_duplicate_requests_for_inflight_or_cached_steps():
    sched, sink = make(batch=2, lookahead_batches=1)
    sched.show(100, -1)
    sched.show(100, -1)
    assert len(sink.submitted) == 2
    ((rid, _plan),) = [(r, p) for r, p in sink.submitted.items() if p.steps == (100,)]
    sched.accept(rid, [img(7)])
    sink.submitted.clear()
    sched.show(100, -1)
    assert sink.submitted == {}  # cached 100, neighbours still in flight


def test_superseded_requests_are_cancelled_and_their_results_dropped():
    sched, sink = make(batch=2, lookahead_batches=1)
    sched.show(800, -1)
    old_ids = list(sink.submitted)
    sched.show(100, -1)
    assert sorted(sink.cancelled) == sorted(old_ids)
    assert sched.accept(old_ids[0], [img(1)]) == []  # stale: dropped
    assert not sched.has(800)


def test_best_frame_is_exact_when_cached_else_a_preview_blend():
    sched, sink = make()
    for step, value in ((100, 0), (200, 200)):
        sched.show(step, -1)
        rid = next(r for r, p in sink.submitted.items() if p.steps == (step,))
        assert sched.accept(rid, [img(value)]) == [step]
    exact = sched.best_frame(100)
    assert exact.kind is FrameKind.EXACT and exact.step == 100
    preview = sched.best_frame(150)
    assert preview.kind is FrameKind.PREVIEW and preview.step == 150
    assert abs(int(preview.pixels[0, 0, 0]) - 100) <= 1
    edge = sched.best_frame(900)  # only one side exists: nearest frame as preview
    assert edge.kind is FrameKind.PREVIEW and int(edge.pixels[0, 0, 0]) == 200


def test_keyframes_first_then_segment_under_playhead_then_neighbours():
    sched, sink = make(random_access=False, layout=SegmentLayout((400, 600, 800), frames_per_segment=5))
    sched.show(700, direction=-1)
    plans = sorted(sink.submitted.values(), key=lambda p: p.priority)
    # the input and the keyframes; the white canvas is not rendered
    assert plans[0].steps == (0, 400, 600, 800)
    assert plans[1].segment == (600, 800, 5)
    assert plans[2].segment == (400, 600, 5)  # next in painting order (smaller steps)
    assert plans[3].segment == (0, 400, 5)
    assert len(plans) == 4  # (800, white) is behind the playhead in this scrub direction


def test_segment_results_are_interpolated_frames_at_the_steps_they_show():
    sched, sink = make(random_access=False, layout=SegmentLayout((400,), frames_per_segment=5))
    sched.show(100, -1)
    rid = next(r for r, p in sink.submitted.items() if p.segment == (0, 400, 5))
    stored = sched.accept(rid, [img(i) for i in range(5)])
    assert stored == [100, 200, 300]  # the end frames are the keyframes' (0 and 400)
    assert sched.available() == dict.fromkeys(stored, FrameKind.INTERPOLATED)
    assert int(sched.best_frame(200).pixels[0, 0, 0]) == 2


def test_the_last_segment_ends_on_the_white_canvas_which_is_not_stored():
    sched, sink = make(random_access=False, layout=SegmentLayout((400,), frames_per_segment=5))
    sched.show(900, +1)
    rid = next(r for r, p in sink.submitted.items() if p.segment == (400, WHITE_STEP, 5))
    assert sched.accept(rid, [img(i) for i in range(5)]) == [550, 700, 850]


def test_segment_end_frames_never_replace_the_exact_keyframes():
    sched, sink = make(random_access=False, layout=SegmentLayout((400,), frames_per_segment=3))
    sched.show(100, -1)
    kf = next(r for r, p in sink.submitted.items() if p.is_render)
    sched.accept(kf, [img(9)] * len(sink.submitted[kf].steps))
    seg = next(r for r, p in sink.submitted.items() if p.segment == (0, 400, 3))
    assert sched.accept(seg, [img(i) for i in range(3)]) == [200]
    assert int(sched.best_frame(400).pixels[0, 0, 0]) == 9
    assert sched.entry(400)[0].part == Keyframe(400)


def test_reopened_frames_are_indexed_without_rendering():
    sched, sink = make()
    store = sched.store
    key = sched.key_for_step(300)
    from app.core.frames import Frame

    store.put(key, Frame(img(3), 300, FrameKind.EXACT))
    sched.index_existing([(key, 300, FrameKind.EXACT)])
    assert sched.best_frame(300).kind is FrameKind.EXACT
    assert sink.submitted == {}
