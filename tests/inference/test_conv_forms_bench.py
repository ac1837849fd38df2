"""bench/conv_forms.py (issue 14 part 5): its Winograd F(4x4,3x3) prototype computes the same convolution
as torch (odd sizes, no bias, several channels), and the bench runs a tiny keyframe batch and reports
every conv shape of it with the same keys as the full-size run. Tiny models: a few seconds."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F


@pytest.mark.parametrize(
    ("shape", "out_channels", "bias"),
    [((1, 3, 8, 8), 5, True), ((2, 16, 7, 9), 8, False), ((1, 1, 1, 1), 2, True), ((3, 8, 13, 4), 16, True)],
)
def test_the_winograd_prototype_equals_the_direct_convolution(shape, out_channels, bias) -> None:
    from bench.conv_forms import winograd_conv, winograd_weights

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    weight = torch.randn((out_channels, shape[1], 3, 3), generator=gen, dtype=torch.float64)
    b = torch.randn(out_channels, generator=gen, dtype=torch.float64) if bias else None
    got = winograd_conv(x, winograd_weights(weight), b)
    assert got.shape == (shape[0], out_channels, *shape[2:])
    torch.testing.assert_close(got, F.conv2d(x, weight, b, padding=1), rtol=1e-9, atol=1e-9)


def test_the_bench_reports_each_conv_shape_of_a_tiny_batch(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import conv_forms

    assert conv_forms.main(["--tiny", "--size", "64x64", "--steps", "1", "--repeats", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["tiny"] and result["batch_cpu_s"] > 0 and result["gemm_peak"]["gflops_per_cpu_s"] > 0
    shapes = result["shapes"]
    assert sum(s["calls"] for s in shapes) > 10
    compared = [s for s in shapes if "speedup" in s]
    assert compared and all(s["kernel"] == [3, 3] and s["stride"] == [1, 1] for s in compared)
    # a stride-2 downsampler is recorded but not compared (the prototype is for stride 1 only)
    assert any(s["stride"] == [2, 2] and "speedup" not in s for s in shapes)
    assert 0 < result["max_rel_diff"] < 1e-4
    assert result["conv3x3_cpu_s"] <= result["conv_cpu_s"] <= result["batch_cpu_s"]
    assert result["batch_cpu_s_with_winograd_est"] == pytest.approx(
        result["batch_cpu_s"] - result["winograd_saved_cpu_s"], abs=0.02
    )
