"""The CPU path's same-numbers techniques (issue 14 part 5): the policy chooses them, each is applied
exactly as the policy says (glibc's mallopt with the tuned values, channels_last on the conv weights),
the numbers do not change with a technique on, and bench/single_frame.py reports the same-dtype speed-up
with a line per technique (tiny models: seconds; no timings asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_single_frame_tiny import CROSS_DIM, make_components, make_unet, make_vae, write_models_dir

from app.inference import cpu_tuning
from app.inference.cpu_tuning import GLIBC_STEADY, TECHNIQUES, TUNED, CpuTuning, choose_cpu_tuning


class FakeLibc:
    def __init__(self, answer: int = 1) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer = answer
        self.trims = 0

    def mallopt(self, param: Any, value: Any) -> int:
        self.calls.append((param.value, value.value))
        return self.answer

    def malloc_trim(self, pad: Any) -> int:
        self.trims += 1
        return 1


@pytest.fixture()
def libc(monkeypatch: pytest.MonkeyPatch) -> FakeLibc:
    fake = FakeLibc()
    monkeypatch.setattr(cpu_tuning.ctypes, "CDLL", lambda name: fake)
    monkeypatch.setitem(cpu_tuning._STATE, "tuned", False)
    return fake


def test_the_policy_tunes_the_allocator_on_a_cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cpu_tuning.ENV_TUNING, raising=False)
    assert choose_cpu_tuning("cpu") == CpuTuning(
        allocator=True, channels_last=False, context_memo=True, phase_upsample=True
    )
    assert choose_cpu_tuning("cuda") == choose_cpu_tuning("mps") == CpuTuning()
    monkeypatch.setenv(cpu_tuning.ENV_TUNING, "channels_last, allocator")
    assert choose_cpu_tuning("cpu").enabled() == ["allocator", "channels_last"]
    monkeypatch.setenv(cpu_tuning.ENV_TUNING, "none")
    assert choose_cpu_tuning("cpu") == CpuTuning()
    monkeypatch.setenv(cpu_tuning.ENV_TUNING, "channels_last,warp_drive")  # unknown: ignored
    assert choose_cpu_tuning("cpu") == CpuTuning(channels_last=True)


def test_mallopt_gets_the_tuned_values_on_glibc(monkeypatch: pytest.MonkeyPatch, libc: FakeLibc) -> None:
    monkeypatch.setattr(cpu_tuning, "is_glibc", lambda: True)
    assert cpu_tuning.set_allocator(True)
    assert dict(libc.calls) == TUNED
    assert TUNED[cpu_tuning.M_MMAP_THRESHOLD] > GLIBC_STEADY[cpu_tuning.M_MMAP_THRESHOLD]
    libc.calls.clear()
    assert cpu_tuning.set_allocator(False) and dict(libc.calls) == GLIBC_STEADY
    libc.answer = 0  # the C library refuses: reported, no crash
    assert not cpu_tuning.set_allocator(True)


def test_the_free_heap_goes_back_after_a_batch_only_when_tuned(
    monkeypatch: pytest.MonkeyPatch, libc: FakeLibc
) -> None:
    monkeypatch.setattr(cpu_tuning, "is_glibc", lambda: True)
    assert not cpu_tuning.release_memory() and libc.trims == 0  # glibc's defaults return it themselves
    cpu_tuning.set_allocator(True)
    assert cpu_tuning.release_memory() and libc.trims == 1
    cpu_tuning.set_allocator(False)
    assert not cpu_tuning.release_memory() and libc.trims == 1


def test_no_mallopt_off_glibc(monkeypatch: pytest.MonkeyPatch, libc: FakeLibc) -> None:
    monkeypatch.setattr(cpu_tuning.sys, "platform", "darwin")
    assert not cpu_tuning.is_glibc()
    assert not cpu_tuning.set_allocator(True)
    monkeypatch.setattr(cpu_tuning.sys, "platform", "linux")
    monkeypatch.setattr(cpu_tuning.platform, "libc_ver", lambda: ("musl", "1.2"))
    assert not cpu_tuning.set_allocator(True)
    assert libc.calls == []


def test_apply_process_tuning_calls_mallopt_only_when_the_policy_says(
    monkeypatch: pytest.MonkeyPatch, libc: FakeLibc
) -> None:
    monkeypatch.setattr(cpu_tuning, "is_glibc", lambda: True)
    cpu_tuning.apply_process_tuning(CpuTuning())
    assert libc.calls == []
    cpu_tuning.apply_process_tuning(CpuTuning(allocator=True))
    assert dict(libc.calls) == TUNED


def _conv_weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p for p in module.parameters() if p.dim() == 4]


def test_channels_last_on_the_conv_weights_with_the_same_numbers() -> None:
    plain, tuned = make_unet(), make_unet()
    assert cpu_tuning.prepare_module(plain, CpuTuning()) is plain
    assert all(w.is_contiguous() for w in _conv_weights(plain))
    assert cpu_tuning.prepare_module(tuned, CpuTuning(channels_last=True)) is tuned
    weights = _conv_weights(tuned)
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    assert not all(w.is_contiguous() for w in weights)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 8, 8, generator=gen)
    args = (
        x,
        torch.tensor([10, 500]),
        torch.randn(2, 77, CROSS_DIM, generator=gen),
        torch.randn(1, 4, 8, 8),
        torch.tensor([400]),
    )
    with torch.inference_mode():
        assert torch.allclose(plain(*args), tuned(*args), atol=1e-5, rtol=1e-4)
        vae_plain, vae_tuned = (
            make_vae(),
            cpu_tuning.prepare_module(make_vae(), CpuTuning(channels_last=True)),
        )
        z = torch.randn(1, 4, 8, 8, generator=gen)
        assert torch.allclose(vae_plain.decode(z).sample, vae_tuned.decode(z).sample, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("techniques", ["allocator,channels_last", "none"])
def test_the_engine_applies_the_policy_when_it_loads_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, techniques: str
) -> None:
    from app.inference.paints_undo.engine import PaintsUndoEngine

    applied: list[bool] = []
    monkeypatch.setattr(cpu_tuning, "set_allocator", lambda tuned: applied.append(tuned) or True)
    monkeypatch.setenv(cpu_tuning.ENV_TUNING, techniques)
    models = write_models_dir(tmp_path / "models", make_components(tmp_path))
    engine = PaintsUndoEngine(models_dir=models, device="cpu")
    manager = engine._model_manager()
    on = techniques != "none"
    assert applied == ([True] if on else [])
    for name in ("single_frame_unet", "single_frame_vae"):
        with manager.use(name) as module:
            weights = _conv_weights(module)
            assert all(
                w.is_contiguous(memory_format=torch.channels_last) == on for w in weights if w.shape[-1] > 1
            )


def test_the_single_frame_bench_reports_the_same_dtype_speedup_per_technique(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench import single_frame

    argv = ["--tiny", "--dtype", "fp32", "--size", "64x64", "--undo-steps", "1", "--steps", "1",
            "--calls", "1", "--warmup", "0", "--json"]  # fmt: skip
    assert single_frame.main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["cold"] and result["reference_way_dtype"] == "fp32" == result["ours_dtype"]
    assert result["speedup_same_dtype"] > 0 and result["within_tolerance"] and len(result["threads"]) == 1
    assert set(result["techniques"]) == set(TECHNIQUES)
    assert (
        result["techniques"]["allocator"]["in_policy"]
        and not result["techniques"]["channels_last"]["in_policy"]
        and result["techniques"]["phase_upsample"]["in_policy"]
    )
    assert result["max_pixel_diff"] <= result["tolerance"]["max_pixel_diff"]
    # each way's peak measured alone as well as in the rounds' shared processes
    assert result["reference_way_peak_mb"] > 0 and result["ours_same_dtype_peak_mb"] > 0
    assert set(result["peak_mb_in_rounds"]) == {"reference", "ours"}


def test_the_single_frame_bench_splits_its_batches_over_alternating_rounds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two rounds of one timed batch each: every side keeps both batches (the minimum is over both)."""
    from bench import single_frame

    argv = ["--tiny", "--dtype", "fp32", "--size", "64x64", "--undo-steps", "1", "--steps", "1",
            "--calls", "2", "--rounds", "2", "--warmup", "0", "--json"]  # fmt: skip
    assert single_frame.main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["rounds"] == 2 and result["within_tolerance"]
    assert all(len(batches) == 2 for batches in result["batches_cpu_s"].values())
    assert result["reference_way_cpu_s"] == round(float(np.median(result["batches_cpu_s"]["reference"])), 3)
    assert result["speedup_same_dtype_min"] > 0


def test_merged_rounds_keep_every_batch_and_the_first_rounds_frames() -> None:
    from bench.single_frame import merge_stats

    def side(cpu: list[float], peak: float, tag: str) -> dict:
        st = {k: list(cpu) for k in ("wall_s", "cpu_s", "user_s", "system_s", "faults")}
        st.update(threads=[2] * len(cpu), peak_mb=peak, latents=tag)
        st.update({f"{k}_min": min(cpu) for k in ("wall_s", "cpu_s", "user_s", "system_s", "faults")})
        return st

    stats: dict[str, dict] = {}
    merge_stats(stats, {"ours": side([5.0], 100.0, "first")})
    merge_stats(stats, {"ours": side([4.0, 6.0], 90.0, "second")})
    ours = stats["ours"]
    assert ours["cpu_s"] == [5.0, 4.0, 6.0] and ours["cpu_s_min"] == 4.0 and ours["threads"] == [2, 2, 2]
    assert ours["cpu_s_med"] == 5.0  # the headline figure: one fast spell does not decide it
    assert ours["peak_mb"] == 100.0 and ours["latents"] == "first"
