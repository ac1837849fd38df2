"""One model of the timeline's segments (app/core/segments.py): what the UI scheduler plans and stores,
the keyframe plan's keys, the CLI's process video and the export source agree, for the default and for
custom keyframe steps. The fake keyframe engine (tests/fake_engines.py) paints into each frame which part
of the chain it is, so every frame read anywhere traces back to the part it came from."""

from __future__ import annotations

import numpy as np
import pytest
from fake_engines import ChainEngine, part_of, tag

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import MAX_STEP, Keyframe, Segment
from app.core.keyframe_plan import KeyframePlan
from app.core.scheduler import BranchScheduler, PlannedRequest
from app.core.segments import DEFAULT_KEYFRAME_STEPS, WHITE_STEP, SegmentLayout
from app.core.tiered_store import TieredFrameStore
from app.inference.frame_source import ProcessFrames
from app.inference.render_job import RenderRequest, _frame_source

KEYFRAME_STEPS = [DEFAULT_KEYFRAME_STEPS, (500,), (250, 500, 990, 995, 998), (1, 2, 3, 997)]
ARTWORK = Artwork.from_array(np.zeros((1, 2, 3), np.uint8))


class RecordingSink:
    def __init__(self) -> None:
        self.submitted: dict[int, PlannedRequest] = {}

    def submit(self, plan: PlannedRequest) -> int:
        self.submitted[len(self.submitted) + 1] = plan
        return len(self.submitted)

    def cancel(self, request_id: int) -> None:
        pass


def _plan(steps: tuple[int, ...]) -> KeyframePlan:
    return ChainEngine(steps).plan_for(ARTWORK.content_hash, BranchSpec.make("chain", 1, {}))


def _scrubbed_scheduler(layout: SegmentLayout, plan: KeyframePlan) -> tuple[BranchScheduler, RecordingSink]:
    """The UI's scheduler after scrubbing the whole timeline down and up, every request answered."""
    sink = RecordingSink()
    sched = BranchScheduler(
        ARTWORK.content_hash, "spec", TieredFrameStore(), sink, False, layout=layout, key_for=plan.key
    )
    sched.engine_ready = True
    moves = [*((s, -1) for s in range(MAX_STEP, -1, -50)), *((s, +1) for s in range(0, 1000, 50))]
    for step, direction in moves:
        sched.show(step, direction)
        for rid, request in sched.inflight().items():
            if request.segment is None:
                sched.accept(rid, [tag(Keyframe(s)) for s in request.steps])
            else:
                a, b, n = request.segment
                sched.accept(rid, [tag(Segment(a, b, i)) for i in range(n)])
    assert not sched.inflight()
    return sched, sink


@pytest.mark.parametrize("steps", KEYFRAME_STEPS, ids=str)
def test_scheduler_and_keyframe_plan_use_the_layouts_segments(steps: tuple[int, ...]) -> None:
    layout, plan = SegmentLayout(steps), _plan(steps)
    assert plan.layout == layout and plan.anchors() == layout.anchors()
    _sched, sink = _scrubbed_scheduler(layout, plan)
    renders = [p for p in sink.submitted.values() if p.is_render]
    segments = [p.segment for p in sink.submitted.values() if p.segment is not None]
    assert renders and all(set(p.steps) <= set(layout.rendered_steps()) for p in renders)
    assert all((a, b) in layout.segments() and n == layout.frames_per_segment for a, b, n in segments)
    assert {(a, b) for a, b, _n in segments} == set(layout.timeline_segments())
    assert len(segments) == len(set(segments))  # each segment rendered once
    assert set(layout.timeline_segments()) <= set(plan.layout.segments())


@pytest.mark.parametrize("steps", KEYFRAME_STEPS, ids=str)
def test_every_stored_frame_is_the_one_export_reads_for_its_step(steps: tuple[int, ...]) -> None:
    layout, plan = SegmentLayout(steps), _plan(steps)
    sched, _sink = _scrubbed_scheduler(layout, plan)
    stored = sched.available()
    for step in range(MAX_STEP + 1):
        part = layout.part_for_step(step)
        assert (step in stored) == (layout.step_of(part) == step)  # stored exactly where it shows its step
        if step in stored:
            key, _kind = sched.entry(step)
            assert key == plan.key(part) and part_of(sched.frame_at(step).pixels) == part

    # The app's export reads the scheduler's store by part: everything is there, nothing is rendered.
    engine = ChainEngine(steps)

    def lookup(part: Keyframe | Segment) -> np.ndarray | None:
        frame = sched.store.peek(sched.key_for_part(part))
        return None if frame is None else frame.pixels

    source = ProcessFrames(engine, ARTWORK, plan.spec, CancelToken(), layout=plan.layout, lookup=lookup)
    for step in range(MAX_STEP + 1):
        assert part_of(source.frame_for_step(step)) == layout.part_for_step(step)
    assert engine.calls == []  # not even a prepare


@pytest.mark.parametrize("steps", KEYFRAME_STEPS, ids=str)
def test_cli_video_and_steps_read_the_same_chain(steps: tuple[int, ...]) -> None:
    layout, plan = SegmentLayout(steps), _plan(steps)
    engine = ChainEngine(steps)
    session = engine.prepare(ARTWORK, plan.spec, CancelToken(), no_progress)
    source = ProcessFrames(engine, ARTWORK, plan.spec, CancelToken(), session=session)
    entries, frame_for, frame_at_step = _frame_source(source, RenderRequest())
    video = [part_of(frame_for(i)) for i in entries]
    assert video == layout.video_order()
    assert video[0] == Segment(layout.anchors()[-2], WHITE_STEP, 15)  # the white canvas first
    assert {(p.a, p.b) for p in video} == set(layout.segments()) == set(plan.layout.segments())
    positions = [layout.position(p) for p in video]
    assert positions == sorted(positions, reverse=True) and len(set(positions)) == len(positions)
    # keyframes once, in one batch; every segment once, with the layout's frame count
    assert engine.calls[1] == ("render", layout.rendered_steps())
    interpolations = [c for c in engine.calls if c[0] == "interpolate"]
    assert sorted(interpolations) == sorted(("interpolate", a, b, 16) for a, b in layout.segments())
    calls = len(engine.calls)
    assert [part_of(frame_at_step(s)) for s in range(MAX_STEP + 1)] == [
        layout.part_for_step(s) for s in range(MAX_STEP + 1)
    ]
    assert len(engine.calls) == calls  # the contact sheet reuses the rendered chain
    # every frame the slider stores is a frame of the video
    shown = {f for a, b in layout.timeline_segments() for f in layout.timeline_frames(a, b)}
    assert shown <= set(video)
