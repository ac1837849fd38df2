"""Fit to a recording: the search finds the generating process among candidates, within its budget."""

from __future__ import annotations

import pytest
import synthetic_recordings as S

from app.analysis.align import align
from app.analysis.sources import load_recording
from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.fit import candidates, fit_to_recording, setting_values
from app.inference.procedural import ProceduralEngine


@pytest.fixture(scope="module")
def art():
    return S.artwork()


@pytest.fixture(scope="module")
def aligned(art, tmp_path_factory):
    made = S.make(S.process(art, 3))  # seed 3, default settings
    return align(
        load_recording(S.write_mp4(tmp_path_factory.mktemp("fit") / "r.mp4", made.frames, made.numbers)),
        art.pixels,
    )


def test_candidates_vary_every_setting_early():
    engine = ProceduralEngine()
    first = [spec for _, spec in zip(range(12), candidates(engine), strict=False)]
    assert [s.seed for s in first] == list(range(12))
    assert first[0].setting("order") == "auto" and first[0].setting("stage_timing") == "balanced"
    assert {s.setting("stage_timing") for s in first[:4]} == set(setting_values(engine.settings()[0]))
    assert len({s.setting("order") for s in first}) == 3


def test_fit_finds_the_generating_process(art, aligned):
    """Candidate k tries seeds[k] with the k-th settings; candidate 0 (seed 3, default settings) is the
    process the recording was made from, and it wins however late it comes."""
    engine = ProceduralEngine()
    seeds = [3, 1, 5, 2]
    result = fit_to_recording(engine, art, aligned, seeds=seeds, budget_s=600)
    assert [spec.seed for spec, _ in result.tried] == seeds and not result.budget_spent
    assert result.best.seed == 3 and result.best.setting("stage_timing") == "balanced"
    assert result.best_score == max(score for _, score in result.tried)


def test_fit_stops_at_its_budget_and_on_cancel(art, aligned):
    engine = ProceduralEngine()
    result = fit_to_recording(engine, art, aligned, budget_s=0.0)
    assert len(result.tried) == 1 and result.budget_spent
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        fit_to_recording(engine, art, aligned, cancel=token)
