from app.core.frames import MAX_STEP, Segment
from app.core.segments import (
    DEFAULT_KEYFRAME_STEPS,
    SEGMENT_FRAMES,
    WHITE_STEP,
    anchors,
    frame_step,
    segment_for_step,
    segment_frames_for_steps,
    segments,
    video_order,
)


def test_default_chain_matches_reference_order() -> None:
    assert anchors() == (0, 400, 600, 800, 900, 950, 999, WHITE_STEP)
    assert segments()[0] == (0, 400) and segments()[-1] == (999, WHITE_STEP)


def test_frame_steps_span_the_segment_evenly() -> None:
    assert frame_step(400, 600, 0) == 400
    assert frame_step(400, 600, SEGMENT_FRAMES - 1) == 600
    gaps = {round(frame_step(0, 150, i + 1) - frame_step(0, 150, i), 6) for i in range(SEGMENT_FRAMES - 1)}
    assert gaps == {10.0}


def test_every_non_keyframe_step_maps_to_a_segment_frame_of_its_span() -> None:
    mapping = segment_frames_for_steps()
    keys = set(anchors())
    assert set(mapping) == {s for s in range(MAX_STEP + 1) if s not in keys}
    for step, sf in mapping.items():
        seg = sf.segment
        assert seg.a <= step < seg.b
        assert (
            abs(frame_step(seg.a, seg.b, seg.index) - step)
            <= (seg.b - seg.a) / (SEGMENT_FRAMES - 1) / 2 + 1e-9
        )
        assert segment_for_step(step) == (seg.a, seg.b)


def test_custom_keyframes_and_dedup() -> None:
    assert anchors([500, 500, 0, 1200, 250]) == (0, 250, 500, WHITE_STEP)


def test_video_order_runs_white_canvas_first_and_shares_end_frames() -> None:
    order = video_order()
    n_segments = len(DEFAULT_KEYFRAME_STEPS) + 1
    assert len(order) == SEGMENT_FRAMES + (n_segments - 1) * (SEGMENT_FRAMES - 1)
    assert order[0] == Segment(999, WHITE_STEP, SEGMENT_FRAMES - 1)  # the white canvas
    assert order[-1] == Segment(0, 400, 0)  # the finished artwork
    steps = [frame_step(s.a, s.b, s.index) for s in order]
    assert steps == sorted(steps, reverse=True)
    assert len(set(steps)) == len(steps)
