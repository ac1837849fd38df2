"""A real recording as a branch (`RecordedEngine`): frames for any step at the artwork's size, through
the same `ProcessFrames` as every engine, so the timeline, compare and export need no special case."""

from __future__ import annotations

import numpy as np
import pytest
import synthetic_recordings as S

from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import CancelledError, EngineError, RecordingError
from app.inference.frame_source import ProcessFrames
from app.inference.recorded import OUTSIDE_GREY, RecordedEngine
from app.inference.registry import create_engine, engine_names


@pytest.fixture(scope="module")
def art():
    return S.artwork()


@pytest.fixture(scope="module")
def made(art):
    return S.make(S.process(art, 3))


@pytest.fixture(scope="module")
def video(made, tmp_path_factory):
    return S.write_mp4(tmp_path_factory.mktemp("recorded") / "rec.mp4", made.frames, made.numbers)


def _spec(path, **more) -> BranchSpec:
    return BranchSpec.make("recording", 0, {"path": str(path), **more})


def test_recording_engine_is_made_but_not_offered_for_new_branches():
    assert isinstance(create_engine("recording"), RecordedEngine)
    assert "recording" not in engine_names() and "procedural" in engine_names()


def test_frames_for_steps_show_the_recording_where_the_artwork_is(art, video):
    engine = RecordedEngine()
    session = engine.prepare(art, _spec(video), CancelToken(), no_progress)
    assert session.output_size == (art.width, art.height)
    source = ProcessFrames(engine, art, _spec(video), CancelToken(), session=session)
    last, first = source.frame_for_step(0), source.frame_for_step(999)
    assert last.shape == (art.height, art.width, 3)
    x0, y0, x1, y1 = S.art_box()
    inside = np.s_[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
    diff = np.abs(last[inside].astype(int) - np.asarray(art.pixels)[inside].astype(int)).mean()
    assert diff < 12, "step 0 is the recording's finished picture, in place and unmirrored"
    assert (last[:, : x0 - 1] == OUTSIDE_GREY).all(), "the cropped-off edge is not invented"
    assert first[inside].mean() > last[inside].mean(), "step 999 is the (white) blank canvas"


def test_hand_corrected_start_comes_from_the_spec(art, video, made):
    engine = RecordedEngine()
    later = (made.start_number + 10) / S.FPS
    session = engine.prepare(art, _spec(video, start=later), CancelToken(), no_progress)
    alignment = session.aligned.alignment
    assert alignment.hand_corrected and alignment.positions[alignment.start] == pytest.approx(later)


def test_bad_recording_branches_fail_clearly(art, video, tmp_path):
    engine = RecordedEngine()
    with pytest.raises(EngineError, match="names no recording"):
        engine.prepare(art, BranchSpec.make("recording", 0, {}), CancelToken(), no_progress)
    with pytest.raises(RecordingError, match="does not exist"):
        engine.prepare(art, _spec(tmp_path / "gone.mp4"), CancelToken(), no_progress)
    with pytest.raises(RecordingError, match="does not match this artwork"):
        engine.prepare(S.artwork("portrait.png"), _spec(video), CancelToken(), no_progress)
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        engine.prepare(art, _spec(video), token, no_progress)
