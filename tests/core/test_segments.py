import random

import pytest

from app.core.frames import MAX_STEP, Keyframe, Segment
from app.core.segments import (
    DEFAULT_KEYFRAME_STEPS,
    SEGMENT_FRAMES,
    WHITE_STEP,
    SegmentLayout,
    rounded_step,
)

LAYOUTS = [
    SegmentLayout(),
    SegmentLayout((500,)),
    SegmentLayout((250, 500, 990, 995, 998)),  # segments shorter than 16 steps: frames share steps
    SegmentLayout((1, 2, 3, 997)),
    SegmentLayout(()),
    SegmentLayout((400,), frames_per_segment=5),
    *(SegmentLayout(tuple(random.Random(seed).sample(range(1, 1000), seed % 7 + 1))) for seed in range(20)),
]


def test_default_chain_matches_reference_order() -> None:
    layout = SegmentLayout()
    assert layout.keyframe_steps == DEFAULT_KEYFRAME_STEPS
    assert layout.anchors() == (0, 400, 600, 800, 900, 950, 999, WHITE_STEP)
    assert layout.rendered_steps() == (0, 400, 600, 800, 900, 950, 999)
    assert layout.segments()[0] == (0, 400) and layout.segments()[-1] == (999, WHITE_STEP)


def test_custom_keyframes_are_sorted_deduplicated_and_on_the_timeline() -> None:
    layout = SegmentLayout((500, 500, 0, 1200, 250))
    assert layout.anchors() == (0, 250, 500, WHITE_STEP)
    assert layout == SegmentLayout((250, 500))
    with pytest.raises(ValueError):
        SegmentLayout(frames_per_segment=1)


def test_frame_positions_span_the_segment_evenly_and_round_half_up() -> None:
    layout = SegmentLayout()
    assert layout.position(Segment(400, 600, 0)) == 400
    assert layout.position(Segment(400, 600, SEGMENT_FRAMES - 1)) == 600
    gaps = {
        round(layout.position(Segment(0, 150, i + 1)) - layout.position(Segment(0, 150, i)), 6)
        for i in range(SEGMENT_FRAMES - 1)
    }
    assert gaps == {10.0}
    assert layout.segment_steps(0, 400)[:3] == (0, 27, 53)  # 26.67 and 53.33
    assert [rounded_step(0, 2, i, 5) for i in range(5)] == [0, 1, 1, 2, 2]  # 0.5 and 1.5 round up
    assert layout.step_of(Keyframe(600)) == 600


def test_anchors_show_their_keyframe_and_other_steps_the_nearest_segment_frame() -> None:
    layout = SegmentLayout()
    assert all(layout.part_for_step(s) == Keyframe(s) for s in layout.rendered_steps())
    assert layout.part_for_step(27) == Segment(0, 400, 1)  # stored there
    assert layout.part_for_step(35) == Segment(0, 400, 1)  # between 27 and 53: the nearer one
    assert layout.part_for_step(10) == Keyframe(0)  # nearest is the end frame: the exact keyframe instead
    assert layout.part_for_step(997) == Segment(950, 999, 14)  # 995.7
    assert layout.part_for_step(998) == Keyframe(999)
    with pytest.raises(ValueError):
        layout.part_for_step(WHITE_STEP)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: str(layout.keyframe_steps))
def test_every_step_is_shown_by_a_frame_stored_at_a_step_it_shows(layout: SegmentLayout) -> None:
    anchors = set(layout.anchors())
    shown = {f for a, b in layout.segments() for f in layout.timeline_frames(a, b)}
    for step in range(MAX_STEP + 1):
        part = layout.part_for_step(step)
        if step in anchors:
            assert part == Keyframe(step)
            continue
        assert isinstance(part, Segment) or part.step in anchors
        if isinstance(part, Segment):
            assert part in shown and part.a < step < part.b
            assert layout.segment_for_step(step) == (part.a, part.b)
            # nearest to the step among the frames on the timeline
            on_timeline = [f for f in layout.frames(part.a, part.b) if layout.step_of(f) <= MAX_STEP]
            n = layout.frames_per_segment

            def distance(f: Segment, step: int = step, n: int = n) -> int:
                return abs((f.b - f.a) * f.index - (step - f.a) * (n - 1))  # exact: |position - step| * (n-1)

            assert distance(part) == min(distance(f) for f in on_timeline)
            # a tie goes to the lower index
            assert all(distance(f) > distance(part) for f in on_timeline if f.index < part.index)
    for f in shown:
        assert layout.step_of(f) <= MAX_STEP and layout.part_for_step(layout.step_of(f)) == f
        assert 0 < f.index < layout.frames_per_segment - 1  # end frames are the keyframes' job
    assert set(layout.timeline_segments()) == {(f.a, f.b) for f in shown}


def test_the_white_canvas_segment_is_video_only_after_a_keyframe_at_999() -> None:
    layout = SegmentLayout()
    assert (999, WHITE_STEP) in layout.segments()
    assert layout.timeline_frames(999, WHITE_STEP) == ()
    assert (999, WHITE_STEP) not in layout.timeline_segments()
    # without a keyframe at 999 the last segment runs to the white canvas and shows the steps before it
    late = SegmentLayout((500,))
    assert late.timeline_segments() == ((0, 500), (500, WHITE_STEP))
    # the white frame (1000) is off the slider: 999 shows the frame at 967
    assert late.part_for_step(999) == Segment(500, WHITE_STEP, 14)


def test_render_order_is_the_playhead_segment_then_its_neighbours_in_the_scrub_direction() -> None:
    layout = SegmentLayout((400, 600, 800))
    assert layout.render_order(700, -1) == [(600, 800), (400, 600), (0, 400)]
    assert layout.render_order(700, +1) == [(600, 800), (800, WHITE_STEP)]
    assert layout.render_order(999, -1)[0] == (800, WHITE_STEP)
    assert SegmentLayout().render_order(999, -1)[0] == (950, 999)  # 999 -> white shows no slider step


def test_video_order_runs_white_canvas_first_and_shares_end_frames() -> None:
    layout = SegmentLayout()
    order = layout.video_order()
    n_segments = len(DEFAULT_KEYFRAME_STEPS) + 1
    assert len(order) == SEGMENT_FRAMES + (n_segments - 1) * (SEGMENT_FRAMES - 1)
    assert order[0] == Segment(999, WHITE_STEP, SEGMENT_FRAMES - 1)  # the white canvas
    assert order[-1] == Segment(0, 400, 0)  # the finished artwork
    steps = [layout.position(s) for s in order]
    assert steps == sorted(steps, reverse=True)
    assert len(set(steps)) == len(steps)
