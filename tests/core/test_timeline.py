"""Timeline model: clamping, change-only events, keyframe navigation in painting order, playback."""

from __future__ import annotations

import pytest

from app.core.timeline import BASE_STEPS_PER_SECOND, MAX_SPEED, MIN_SPEED, Signal, Timeline


def test_step_clamps_and_emits_only_on_change() -> None:
    tl = Timeline(step=500)
    seen: list[int] = []
    tl.events.step.connect(seen.append)
    tl.step = 500
    tl.step = 2000
    tl.step = 999
    tl.step = -5
    assert seen == [999, 0] and tl.step == 0


def test_scrub_direction_follows_last_change() -> None:
    tl = Timeline(step=500)
    tl.step = 600
    assert tl.scrub_direction == 1
    tl.step = 600  # no change: direction kept
    assert tl.scrub_direction == 1
    tl.step = 10
    assert tl.scrub_direction == -1


def test_step_by_moves_forward_in_painting_order() -> None:
    tl = Timeline(step=500)
    assert tl.step_by(1) == 499
    assert tl.step_by(-10) == 509
    assert tl.step_by(10_000) == 0


def test_keyframes_sorted_unique_clamped_and_event() -> None:
    tl = Timeline()
    seen: list[tuple[int, ...]] = []
    tl.events.keyframes.connect(seen.append)
    tl.keyframes = [999, 400, 600, 400, 1500, -1]
    tl.keyframes = (0, 400, 600, 999)  # same set: no event
    assert tl.keyframes == (0, 400, 600, 999)
    assert seen == [(0, 400, 600, 999)]


def test_next_and_prev_keyframe_in_painting_order() -> None:
    tl = Timeline(step=700, keyframes=[400, 600, 800, 900, 950, 999])
    assert tl.next_keyframe() == 600  # lower step = further along in painting
    assert tl.prev_keyframe() == 800
    tl.step = 600
    assert tl.next_keyframe() == 400 and tl.prev_keyframe() == 800
    tl.step = 300
    assert tl.next_keyframe() is None
    assert tl.go_to_next_keyframe() == 0
    tl.step = 999
    assert tl.prev_keyframe() is None and tl.go_to_prev_keyframe() == 999
    assert tl.go_to_next_keyframe() == 950


def test_speed_clamped_and_loop_events() -> None:
    tl = Timeline()
    speeds: list[float] = []
    tl.events.speed.connect(speeds.append)
    tl.speed = 100
    tl.speed = 0.01
    tl.speed = 0.25
    assert speeds == [MAX_SPEED, MIN_SPEED]
    loops: list[bool] = []
    tl.events.loop.connect(loops.append)
    tl.loop = True
    tl.loop = True
    assert loops == [True]


def test_advance_only_while_playing_and_carries_fractions() -> None:
    tl = Timeline(step=999)
    assert tl.advance(1.0) == 999  # paused
    tl.play()
    for _ in range(60):
        tl.advance(1 / 60)  # one second at 60 Hz
    assert tl.step == 999 - int(BASE_STEPS_PER_SECOND)
    assert tl.scrub_direction == -1
    tl.speed = 2.0
    tl.advance(0.5)
    assert tl.step == 999 - 2 * int(BASE_STEPS_PER_SECOND)


def test_playback_stops_at_zero_without_loop() -> None:
    tl = Timeline(step=50)
    events: list[bool] = []
    tl.events.playing.connect(events.append)
    tl.play()
    tl.advance(10.0)
    assert tl.step == 0 and not tl.playing and events == [True, False]


def test_playback_wraps_with_loop() -> None:
    tl = Timeline(step=5)
    tl.loop = True
    tl.play()
    tl.advance(0.08)  # 8 steps: 5 -> 0 is 5, then 999, 998, 997
    assert tl.step == 997 and tl.playing
    assert tl.scrub_direction == -1


def test_play_from_the_end_restarts_at_blank_canvas() -> None:
    tl = Timeline(step=0)
    assert tl.toggle_playing() is True
    assert tl.step == 999
    tl.pause()
    assert not tl.playing


def test_setting_step_resets_playback_fraction() -> None:
    tl = Timeline(step=999)
    tl.play()
    tl.advance(0.005)  # half a step
    tl.step = 500
    tl.advance(0.005)
    assert tl.step == 500


def test_signal_connect_disconnect() -> None:
    sig = Signal("x")
    got: list[int] = []

    def once(v: int) -> None:
        got.append(v)
        sig.disconnect(once)

    sig.connect(once)
    sig.connect(once)
    assert len(sig) == 1
    sig.emit(1)
    sig.emit(2)
    assert got == [1]
    sig.disconnect(lambda v: None)  # unknown: ignored
    sig.connect(got.append)
    sig.disconnect()
    sig.emit(3)
    assert got == [1]


@pytest.mark.parametrize("value", [1.5, 2.4])
def test_step_accepts_floats_from_sliders(value: float) -> None:
    tl = Timeline(step=0)
    tl.step = value
    assert tl.step == round(value)
