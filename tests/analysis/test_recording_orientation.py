"""Recordings that show the canvas turned (a phone held sideways) or flipped for a stretch (issue 11:
"may be mirrored or rotated"): the turn and the flipped stretches are found, undone before scoring, and
reported by the alignment."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import synthetic_recordings as S

from app.analysis.align import AlignedRecording, align
from app.analysis.sources import load_recording


@pytest.fixture(scope="module")
def art():
    return S.artwork()


@pytest.fixture(scope="module")
def steps(art) -> list[np.ndarray]:
    return S.process(art, 3)


def _number(aligned: AlignedRecording, sample: int) -> int:
    return round(float(aligned.alignment.positions[sample]) * S.FPS)


def _progress_errors(aligned: AlignedRecording, made: S.Made) -> list[float]:
    a = aligned.alignment
    return [abs(made.truth[_number(aligned, i)] - p) for i, p in zip(a.kept, a.progress, strict=True)]


@pytest.mark.parametrize("rotation", [90, 180])
def test_a_turned_recording_is_turned_back(art, steps, rotation, tmp_path: Path):
    made = S.make(steps)  # cropped, letterboxed, mirrored, intro card, holds, dropped frames
    turned = [np.ascontiguousarray(np.rot90(f, -rotation // 90)) for f in made.frames]  # clockwise
    rec = align(load_recording(S.write_mp4(tmp_path / "turned.mp4", turned, made.numbers)), art.pixels)
    a = rec.alignment
    assert a.matches and a.geometry.rotation == rotation and a.geometry.flip
    assert np.allclose(a.geometry.art_box, S.art_box(), atol=2.0), a.geometry.art_box
    assert np.allclose(a.geometry.frame_box, S.content_box(), atol=2.0), "in the upright frame's pixels"
    assert max(_progress_errors(rec, made)) <= 0.03
    assert {_number(rec, i) for i in a.dropped} == {0, 1, 2, 3}, "the intro card is still left out"
    assert a.to_dict()["geometry"]["rotation"] == rotation
    picture = rec.picture_for_step(0)  # the finished picture, shown upright and unmirrored
    x0, y0, x1, y1 = (int(round(v)) for v in a.geometry.art_box)
    expected = cv2.resize(
        np.asarray(art.pixels)[y0:y1, x0:x1], picture.shape[1::-1], interpolation=cv2.INTER_AREA
    )
    assert np.abs(picture.astype(int) - expected).mean() < 10


def test_an_upright_recording_reports_no_turn(art, steps, tmp_path: Path):
    made = S.make(steps, intro=0, hold=2)
    rec = align(load_recording(S.write_folder(tmp_path / "f", made.frames, made.numbers)), art.pixels)
    assert rec.alignment.geometry.rotation == 0 and rec.alignment.to_dict()["geometry"]["rotation"] == 0


FLIPPED = range(16, 31)  # process frames shown with the canvas flipped (unmirrored, in a mirrored recording)


def _flipped_for_a_stretch(steps: list[np.ndarray]) -> tuple[S.Made, list[int]]:
    """The usual mirrored recording, but the artist flipped the canvas for process frames 16..30: those
    frames show the picture the other way round. Also the recording frame numbers of that stretch."""
    made = S.make(steps)
    count, numbers = len(steps), []
    for k, number in enumerate(made.numbers):
        j = round(made.truth.get(number, -1.0) * (count - 1))
        if j in FLIPPED:
            made.frames[k] = S.transform(steps[j], flip=False)
            numbers.append(number)
    return made, numbers


@pytest.fixture(scope="module")
def flipped_recordings(art, steps, tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("flips")
    made, numbers = _flipped_for_a_stretch(steps)
    plain = S.make(steps)
    return {
        "made": made,
        "numbers": numbers,
        "flipped": align(
            load_recording(S.write_mp4(folder / "f.mp4", made.frames, made.numbers)), art.pixels
        ),
        "plain": align(
            load_recording(S.write_mp4(folder / "p.mp4", plain.frames, plain.numbers)), art.pixels
        ),
    }


def test_a_stretch_with_the_canvas_flipped_is_found_and_undone(flipped_recordings):
    rec, made, numbers = (flipped_recordings[k] for k in ("flipped", "made", "numbers"))
    a = rec.alignment
    assert a.geometry.flip, "the recording as a whole is mirrored"
    [(first, last)] = a.flipped_ranges
    assert abs(round(first * S.FPS) - numbers[0]) <= 2 and abs(round(last * S.FPS) - numbers[-1]) <= 2
    assert a.to_dict()["flipped_ranges"] == [[round(first, 3), round(last, 3)]]
    assert max(_progress_errors(rec, made)) <= 0.03
    assert len(a.kept) >= len(made.truth) - 2, "the flipped stretch is kept, not cut away"
    middle = next(i for i in a.kept if _number(rec, i) == numbers[len(numbers) // 2])
    plain = flipped_recordings["plain"]
    same = next(i for i in plain.alignment.kept if _number(plain, i) == _number(rec, middle))
    assert np.abs(rec.views[middle].astype(int) - plain.views[same].astype(int)).mean() < 3.0
    assert flipped_recordings["plain"].alignment.flipped_ranges == []


def test_a_flipped_stretch_scores_like_the_unflipped_recording(art, flipped_recordings):
    from app.analysis.score import score_branches
    from app.core.branch import BranchSpec
    from app.core.cancel import CancelToken, no_progress
    from app.inference.procedural import ProceduralEngine

    engine = ProceduralEngine()
    session = engine.prepare(art, BranchSpec.make("procedural", 3), CancelToken(), no_progress)
    branches = {"seed 3": lambda step: engine.render_step(session, step)}
    flipped = score_branches(flipped_recordings["flipped"], branches).branches[0]
    plain = score_branches(flipped_recordings["plain"], branches).branches[0]
    assert flipped.score == pytest.approx(plain.score, abs=0.01)
    assert flipped.dtw_distance == pytest.approx(plain.dtw_distance, abs=0.01)


@pytest.mark.parametrize("rotation", [0, 90])
def test_a_recording_of_another_picture_is_refused_however_it_is_turned(art, rotation, tmp_path: Path):
    """Eight ways to place a picture find a fair match for an unrelated one more often than two: a turn
    must beat upright clearly, and a bordered placement stays inside the letterbox."""
    made = S.make(S.process(S.artwork("portrait.png"), 1, count=12), intro=0, blank=1, hold=1, drop=())
    turned = [np.ascontiguousarray(np.rot90(f, -rotation // 90)) for f in made.frames]
    rec = align(load_recording(S.write_mp4(tmp_path / "other.mp4", turned, made.numbers)), art.pixels)
    assert not rec.alignment.matches, rec.alignment.verdict
