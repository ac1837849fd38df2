"""bench/gpu_check.py runs complete on a CPU with tiny models (`--device cpu --tiny`), the mode anyone
without a GPU can run, and its JSON says what a GPU run would: per-dtype checks, the forced fall-back,
two end-to-end runs (the device's own policy and a forced small budget) with seconds per stage.
Run it with UNDO_STUDIO_BENCH_TESTS=1 (it passed here in 517 s wall on a heavily shared CPU)."""

from __future__ import annotations

import json
import os

import pytest


# Opt-in: about 20 s of CPU on an idle 2-core machine, but minutes of wall time on a shared one.
@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("UNDO_STUDIO_BENCH_TESTS"), reason="set UNDO_STUDIO_BENCH_TESTS=1 to run benches"
)
def test_gpu_check_runs_complete_on_cpu_with_tiny_models(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import gpu_check

    argv = ["--device", "cpu", "--tiny", "--json", "--steps", "1", "--segments", "1"]
    code = gpu_check.main([*argv, "--dtypes", "float32", "--budget-gb", "0.5"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and result["ok"], result
    checks = result["tiny_checks"]
    assert checks["float32"]["keyframes_max_diff"] == 0.0  # CPU against CPU: the same numbers
    assert checks["forced_fallback"]["dtypes_used"] == {
        "single_frame_unet": "float32",
        "single_frame_vae": "float32",
    }
    default, budget = result["end_to_end_default"], result["end_to_end_budget"]
    assert default["policy"] == "resident" and budget["policy"] in ("offload", "sequential")
    for run in (default, budget):
        assert run["keyframes"] == 6 and run["segments"] == 1 and run["frames"] == 16
        assert run["total_s"] > 0 and "peak_rss_gb" in run
        assert any(k.startswith("keyframes: ") for k in run["stages_s"])
        assert any(k.startswith("segments: ") for k in run["stages_s"])
