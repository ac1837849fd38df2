"""Scores against a recording (issue 11 §4): the generating seed ranks first, and each measure behaves
as documented (identical sequences score perfectly; a non-matching recording gets no score)."""

from __future__ import annotations

import numpy as np
import pytest
import synthetic_recordings as S

from app.analysis.align import align
from app.analysis.metrics import distance, dtw, ms_ssim, ranks, spearman
from app.analysis.score import combined, score_branches
from app.analysis.sources import load_recording
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import CancelledError, RecordingError
from app.inference.procedural import ProceduralEngine

SEED = 3


@pytest.fixture(scope="module")
def art():
    return S.artwork()


@pytest.fixture(scope="module")
def aligned(art, tmp_path_factory):
    made = S.make(S.process(art, SEED))
    path = S.write_mp4(tmp_path_factory.mktemp("score") / "rec.mp4", made.frames, made.numbers)
    return align(load_recording(path), art.pixels)


@pytest.fixture(scope="module")
def branches(art):
    engine = ProceduralEngine()

    def frames(seed: int):
        session = engine.prepare(art, BranchSpec.make("procedural", seed), CancelToken(), no_progress)
        return lambda step: engine.render_step(session, step)

    return {f"seed {seed}": frames(seed) for seed in (1, SEED, 2, 5)}


def test_the_generating_seed_ranks_first(aligned, branches, art):
    report = score_branches(aligned, branches)
    assert report.ranking[0] == f"seed {SEED}"
    best = next(b for b in report.branches if b.name == f"seed {SEED}")
    others = [b for b in report.branches if b.name != f"seed {SEED}"]
    assert best.dtw_distance < min(b.dtw_distance for b in others)
    assert best.order_agreement is not None and best.order_agreement > 0.8
    assert best.profile_area < 0.05
    assert len(best.profile) == len(report.progress) == len(report.recording_profile)
    data = report.to_dict()
    assert data["ranking"][0] == f"seed {SEED}" and len(data["branches"]) == 4


def test_profiles_fall_towards_the_final_image(aligned, branches, art):
    report = score_branches(aligned, {"a": branches[f"seed {SEED}"]}, samples=11)
    assert report.recording_profile[0] > 0.2 and report.recording_profile[-1] < 0.05
    assert report.branches[0].profile[-1] < 0.01  # step 0 is the artwork itself


def test_scoring_is_cancelled_between_frames(aligned, branches, art):
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        score_branches(aligned, branches, cancel=token)


def test_no_score_against_a_recording_of_something_else(art, tmp_path):
    other = S.artwork("portrait.png")
    made = S.make(S.process(other, 1, count=16), intro=0, blank=2, hold=2, drop=())
    rec = align(load_recording(S.write_mp4(tmp_path / "other.mp4", made.frames, made.numbers)), art.pixels)
    assert not rec.alignment.matches
    assert "does not match this artwork" in rec.alignment.verdict
    with pytest.raises(RecordingError, match="does not match this artwork"):
        score_branches(rec, {"a": lambda step: np.asarray(art.pixels)})


def test_metrics_basics():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    b = np.full_like(a, 128)
    assert ms_ssim(a, a) == pytest.approx(1.0)
    assert distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert distance(a, b) > 0.5
    cost, path = dtw(3, 4, lambda i, j: abs(i - j * 0.75))
    assert path[0] == (0, 0) and path[-1] == (2, 3)
    assert list(ranks([3, 1, 1, 2])) == [4.0, 1.5, 1.5, 3.0]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2], [1, 2]) is None and spearman([1, 1, 1], [1, 2, 3]) is None


def test_the_combined_score_takes_distances_as_shares_of_the_recordings_change():
    """A picture with half the contrast (half the distances, half the span) scores the same; a branch
    as far off as the whole change gets nothing for frames and course, whatever further it is."""
    assert combined(0.03, 0.01, 0.5, 0.3) == pytest.approx(combined(0.06, 0.02, 0.5, 0.6))
    assert combined(0.0, 0.0, 1.0, 0.3) == pytest.approx(1.0)
    assert combined(0.3, 0.3, None, 0.3) == pytest.approx(combined(0.9, 2.0, None, 0.3)) == 0.125
    assert combined(0.05, 0.0, 0.0, 0.25) < combined(0.05, 0.0, 0.0, 0.5)
