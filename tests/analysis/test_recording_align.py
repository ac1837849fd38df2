"""The aligner against recordings with a known truth (issue 11): our procedural process, cropped,
resized, letterboxed, mirrored, with an intro card, a blank-canvas hold, a final hold and dropped frames,
as an MP4, a folder of numbered PNGs and a `.procreate`-style zip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import synthetic_recordings as S

from app.analysis.align import AlignedRecording, align
from app.analysis.sources import load_recording
from app.errors import RecordingError


@pytest.fixture(scope="module")
def art():
    return S.artwork()


@pytest.fixture(scope="module")
def made(art) -> S.Made:
    return S.make(S.process(art, 3))


@pytest.fixture(scope="module")
def recordings(made, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    return {
        "mp4": S.write_mp4(folder / "speedpaint.mp4", made.frames, made.numbers),
        "folder": S.write_folder(folder / "frames", made.frames, made.numbers),
        "procreate": S.write_procreate(folder / "Untitled.procreate", made.frames, made.numbers),
    }


@pytest.fixture(scope="module")
def aligned(recordings, art) -> dict[str, AlignedRecording]:
    return {kind: align(load_recording(path), art.pixels) for kind, path in recordings.items()}


def _number(aligned: AlignedRecording, sample: int) -> int:
    """The recording frame number a sample shows (folders: the file number; videos: time x FPS)."""
    position = float(aligned.alignment.positions[sample])
    return round(position * S.FPS) if aligned.alignment.position_unit == "s" else round(position)


@pytest.mark.parametrize("kind", ["mp4", "folder", "procreate"])
def test_geometry_flip_crop_and_letterbox_are_recovered(aligned, kind):
    geometry = aligned[kind].alignment.geometry
    assert aligned[kind].alignment.matches
    assert geometry.flip
    assert np.allclose(geometry.art_box, S.art_box(), atol=2.0), geometry.art_box
    assert np.allclose(geometry.frame_box, S.content_box(), atol=2.0), geometry.frame_box


@pytest.mark.parametrize("kind", ["mp4", "folder", "procreate"])
def test_intro_card_and_holds_are_trimmed(aligned, made, kind):
    alignment = aligned[kind].alignment
    dropped = {_number(aligned[kind], i) for i in alignment.dropped}
    assert dropped == {0, 1, 2, 3}, "the intro card (frames 0-3) matches nothing"
    assert abs(_number(aligned[kind], alignment.start) - made.start_number) <= 1
    assert abs(_number(aligned[kind], alignment.end) - made.end_number) <= 1
    kept = {_number(aligned[kind], i) for i in alignment.kept}
    assert kept <= set(made.truth), "no intro, hold or dropped frame is kept"
    assert len(kept) >= len(made.truth) - 2


@pytest.mark.parametrize("kind", ["mp4", "folder", "procreate"])
def test_progress_of_every_kept_frame_is_within_3_percent(aligned, made, kind):
    alignment = aligned[kind].alignment
    errors = [
        abs(made.truth[_number(aligned[kind], i)] - p)
        for i, p in zip(alignment.kept, alignment.progress, strict=True)
    ]
    assert max(errors) <= 0.03, max(errors)
    assert np.all(np.diff(alignment.progress) > 0), "the progress curve rises"


def test_positions_keep_the_gaps_of_dropped_frames(aligned, made):
    """Frames 9, 23, 37 of the process were dropped: their time stamps are missing, not shifted."""
    numbers = [_number(aligned["mp4"], i) for i in range(len(aligned["mp4"].alignment.positions))]
    assert numbers == made.numbers


def test_frame_for_a_step_is_the_recording_at_that_progress(aligned):
    rec = aligned["mp4"]
    alignment = rec.alignment
    assert alignment.sample_for_step(999) == alignment.start
    assert alignment.sample_for_step(0) == alignment.end
    assert rec.view_for_step(0) is rec.views[alignment.end]
    middle = alignment.sample_for_step(500)
    i = list(alignment.kept).index(middle)
    assert alignment.progress[i] <= 0.5 + 1e-9 < alignment.progress[min(i + 1, len(alignment.kept) - 1)]


def test_start_and_end_can_be_corrected_by_hand(aligned):
    rec = aligned["mp4"]
    alignment = rec.alignment
    later = float(alignment.positions[alignment.kept[5]])
    moved = rec.with_bounds(start_position=later).alignment
    assert moved.hand_corrected and not alignment.hand_corrected
    assert moved.start == alignment.kept[5] and moved.auto_start == alignment.start
    assert moved.progress[0] == 0.0 and len(moved.kept) == len(alignment.kept) - 5
    with pytest.raises(RecordingError, match="after its start"):
        alignment.with_bounds(start_position=float(alignment.positions[alignment.end]), end_position=0.0)


def test_unmirrored_recording_without_crop(art, tmp_path):
    steps = S.process(art, 3, count=24)
    made = S.make(steps, intro=0, blank=2, hold=3, drop=(), flip=False)
    rec = align(load_recording(S.write_folder(tmp_path / "f", made.frames, made.numbers)), art.pixels)
    assert not rec.alignment.geometry.flip
    assert len(rec.alignment.dropped) == 0


def test_alignment_reports_itself(aligned):
    report = aligned["mp4"].alignment.to_dict()
    assert report["matches"] is True and report["geometry"]["flip"] is True
    assert report["dropped_positions"] == [0.0, 0.5, 1.0, 1.5]
    assert report["lead_trim"][0] == 0.0 and report["tail_trim"][1] == 33.5


def test_an_end_card_is_left_out(art, made, tmp_path):
    frames = made.frames + [S.title_card()] * 5
    numbers = made.numbers + [made.numbers[-1] + k for k in range(1, 6)]
    rec = align(load_recording(S.write_mp4(tmp_path / "outro.mp4", frames, numbers)), art.pixels)
    dropped = {_number(rec, i) for i in rec.alignment.dropped}
    assert dropped == {0, 1, 2, 3, *numbers[-5:]}
    assert abs(_number(rec, rec.alignment.end) - made.end_number) <= 1


def test_canvas_inside_an_apps_interface(art, tmp_path):
    """A screen recording: the canvas, unscaled, inside busy interface pixels (no uniform bars)."""
    interface = np.random.default_rng(1).integers(0, 255, (240, 300, 3), dtype=np.uint8)
    steps = S.process(art, 3, count=16)
    frames = []
    for step in [steps[0]] * 2 + steps + [steps[-1]] * 2:
        screen = interface.copy()
        screen[30 : 30 + art.height, 60 : 60 + art.width] = step
        frames.append(screen)
    rec = align(load_recording(S.write_folder(tmp_path / "ui", frames, list(range(len(frames))))), art.pixels)
    geometry = rec.alignment.geometry
    assert not geometry.flip and geometry.art_box == (0.0, 0.0, art.width, art.height)
    assert np.allclose(geometry.frame_box, (60, 30, 60 + art.width, 30 + art.height), atol=1.0)
