"""bench/hybrid.py (issue 14 part 4) runs a whole CPU-hybrid process through the engine in `--tiny` mode
and reports what the full-size run reports: wall and CPU seconds per stage, keyframes, sampler steps,
working size, peak RSS and the engine's own estimate. Tiny models at 64 px: a few seconds."""

from __future__ import annotations

import json

import pytest


def test_the_hybrid_bench_runs_a_whole_process_with_tiny_models(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import hybrid

    assert hybrid.main(["--tiny", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["tiny"] and result["artwork"] == "64x64"
    assert (result["keyframes"], result["segments"], result["frames"]) == (6, 7, 7 * 16)
    assert result["sampler_steps"] == 2 and result["working_size"] == "64x64"
    assert result["in_between"] == "painted"  # the CPU default
    assert set(result["stages_s"]) == {"prepare", "keyframes", "segments"} == set(result["stages_cpu_s"])
    assert result["total_s"] > 0 and result["total_cpu_s"] > 0 and result["peak_rss_gb"] > 0
    estimate = result["estimate"]
    assert estimate["keyframes"] == 6 and estimate["steps"] == 2 and estimate["seconds"] > 0
