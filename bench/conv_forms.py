"""Benchmark: how close the single-frame keyframe's convolutions are to this CPU's fp32 ceiling, and what
the one FLOP-cutting form that is left, Winograd F(4x4,3x3), would buy and cost (issue 14 part 5).

Why: `bench/single_frame.py` reports `speedup_same_dtype` (ours against the reference way, both fp32).
The reference way does the same FLOPs, and our convolutions already run near the GEMM peak, so a
target above what exact-maths savings give needs FEWER multiplications. Winograd F(4x4,3x3) does a 3x3
conv's 36 multiply-adds per output pixel and channel pair in 36 per 4x4 tile (4x fewer), at the cost of
transforms and of weights transformed to 36 taps (4x the 3x3 weight's memory, cached, or transformed
again on every call). Neither oneDNN (which dropped its x86 Winograd) nor NNPACK (AVX2-only; 0.14-1.36x
of oneDNN on these shapes here, slowest at the UNet's batch-4 calls) offers it usefully, so this bench
carries its own prototype in the GEMM form: one (36x36) input-transform GEMM over the 6x6 patches, 36
batched (K x C) @ (C x tiles) GEMMs, one (16x36) output-transform GEMM. It measures, per 3x3 conv shape
of one keyframe batch of ours (the policy's CPU techniques, fp32, full-size models with random weights):
direct conv vs this form, with its weights precomputed (the best case), and sums what it would save
where it wins (the batch's own CPU seconds of that shape times 1 - 1/speedup) and the memory its
cached weights would cost. Not used by the app.

    python bench/conv_forms.py [--size 256x256] [--undo-steps 2] [--steps 4] [--json]
    python bench/conv_forms.py --tiny --size 64x64 --steps 2   # the bench's test

CPU seconds (all threads), best of `--repeats`. With `--json` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Lavin & Gray's F(4x4,3x3) (points 0, +-1, +-2, inf), for cross-correlation as CNNs compute it.
_BT = (
    (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
    (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1),
)  # fmt: skip
_G = (
    (1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
    (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1),
)  # fmt: skip
_AT = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))


def winograd_weights(weight: Any) -> Any:
    """(K, C, 3, 3) -> the (36, K, C) transformed weights G g G^T, summed in fp64."""
    import torch

    g = torch.tensor(_G, dtype=torch.float64)
    u = torch.einsum("ai,kcij,bj->abkc", g, weight.double(), g)
    return u.reshape(36, *weight.shape[:2]).to(weight.dtype).contiguous()


def winograd_conv(x: Any, u: Any, bias: Any | None) -> Any:
    """`conv2d(x, weight, bias, padding=1)` for a (N, C, H, W) `x`, from `winograd_weights(weight)`."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    th, tw = -(-h // 4), -(-w // 4)
    bt = torch.tensor(_BT, dtype=x.dtype)
    at = torch.tensor(_AT, dtype=x.dtype)
    padded = F.pad(x, (1, 1 + 4 * tw - w, 1, 1 + 4 * th - h))
    patches = padded.unfold(2, 6, 4).unfold(3, 6, 4)  # (N, C, th, tw, 6, 6), overlapping views
    patches = patches.permute(4, 5, 1, 0, 2, 3).reshape(36, -1)  # one copy: (6x6 taps, C*N*tiles)
    v = (torch.kron(bt, bt) @ patches).reshape(36, c, n * th * tw)
    m = torch.bmm(u, v)  # (36, K, tiles): the multiplications that Winograd cuts 4x
    k = u.shape[1]
    y = (torch.kron(at, at) @ m.reshape(36, -1)).reshape(4, 4, k, n, th, tw)
    y = y.permute(3, 2, 4, 0, 5, 1).reshape(n, k, 4 * th, 4 * tw)[:, :, :h, :w]
    return y if bias is None else y + bias[None, :, None, None]


def gemm_peak(size: int) -> dict[str, float]:
    """fp32 GEMM GFLOPS (wall and per CPU second) for a size^3 matmul, best of 3."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    wall, cpu = min(_timed(lambda: a @ b) for _ in range(3))
    flop = 2 * size**3 / 1e9
    return {"gflops_wall": round(flop / wall, 1), "gflops_per_cpu_s": round(flop / cpu, 1)}


def _timed(fn: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def record_convs(models: dict, args: argparse.Namespace) -> tuple[float, dict[tuple, dict[str, Any]]]:
    """One keyframe batch of ours (after an untimed one) with every `nn.Conv2d` call recorded: CPU s of
    the batch, and per (input shape, out channels, kernel, stride) the calls, CPU s and the modules' weights."""
    import torch

    from bench.single_frame import make_inputs, ours

    width, height = (int(v) for v in args.size.split("x"))
    art, batches, noise = make_inputs(width, height, args.undo_steps, 2)
    calls: dict[tuple, dict[str, Any]] = {}
    start: dict[int, float] = {}

    def before(module: Any, inputs: tuple) -> None:
        start[id(module)] = time.process_time()

    def after(module: Any, inputs: tuple, output: Any) -> None:
        key = (tuple(inputs[0].shape), module.out_channels, tuple(module.kernel_size), tuple(module.stride))
        entry = calls.setdefault(key, {"calls": 0, "cpu_s": 0.0, "modules": {}, "plain_3x3": True})
        entry["calls"] += 1
        entry["cpu_s"] += time.process_time() - start[id(module)]
        entry["modules"][id(module)] = module.weight.numel() * module.weight.element_size()
        entry["plain_3x3"] &= _plain_3x3(module)

    hooks = [
        h
        for m in (*models["unet"].modules(), *models["vae"].modules())
        if isinstance(m, torch.nn.Conv2d)
        for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))
    ]
    ours(models, art, batches[0], noise, args.steps, 3.0)  # untimed: oneDNN primitives, first touch
    calls.clear()
    cpu = time.process_time()
    ours(models, art, batches[1], noise, args.steps, 3.0)
    batch_cpu_s = time.process_time() - cpu
    for h in hooks:
        h.remove()
    return batch_cpu_s, calls


def _plain_3x3(conv: Any) -> bool:
    return (
        tuple(conv.kernel_size) == (3, 3)
        and tuple(conv.stride) == (1, 1)
        and tuple(conv.padding) == (1, 1)
        and tuple(conv.dilation) == (1, 1)
        and conv.groups == 1
        and conv.padding_mode == "zeros"
    )


def compare_shape(shape: tuple, out_channels: int, repeats: int) -> dict[str, float]:
    """Direct conv vs `winograd_conv` (weights precomputed) on one shape: best-of CPU ms, max diff."""
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen)
    weight = torch.randn((out_channels, shape[1], 3, 3), generator=gen) / (9 * shape[1]) ** 0.5
    bias = torch.randn(out_channels, generator=gen)
    u = winograd_weights(weight)
    ref, got = F.conv2d(x, weight, bias, padding=1), winograd_conv(x, u, bias)
    direct = min(_timed(lambda: F.conv2d(x, weight, bias, padding=1))[1] for _ in range(repeats))
    wino = min(_timed(lambda: winograd_conv(x, u, bias))[1] for _ in range(repeats))
    flop = 2 * ref.numel() * shape[1] * 9 / 1e9
    return {
        "direct_ms": round(direct * 1e3, 2),
        "winograd_ms": round(wino * 1e3, 2),
        "speedup": round(direct / wino, 2),
        "direct_gflops_per_cpu_s": round(flop / direct, 1),
        "max_rel_diff": float((got - ref).abs().max() / ref.abs().max()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="256x256", help="WIDTHxHEIGHT, multiples of 64")
    p.add_argument("--undo-steps", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--gemm-size", type=int, default=2048)
    p.add_argument("--tiny", action="store_true", help="tiny models (a test of the bench)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import torch

    from app.inference.cpu_tuning import choose_cpu_tuning, prepare_module, set_allocator
    from bench.single_frame import build_models

    policy = choose_cpu_tuning("cpu")
    if policy.allocator:
        set_allocator(True)  # before the models are built, as the engine does
    torch.manual_seed(0)
    models = build_models("cpu", "float32", tiny=args.tiny)
    for key in ("unet", "vae"):
        prepare_module(models[key], policy)
    with torch.inference_mode():
        batch_cpu_s, calls = record_convs(models, args)
        peak = gemm_peak(args.gemm_size)
        shapes = []
        for (shape, out_channels, kernel, stride), entry in sorted(
            calls.items(), key=lambda kv: -kv[1]["cpu_s"]
        ):
            line: dict[str, Any] = {
                "input": list(shape), "out_channels": out_channels, "kernel": list(kernel),
                "stride": list(stride), "calls": entry["calls"], "batch_cpu_s": round(entry["cpu_s"], 3),
                "weights_mb": round(sum(entry["modules"].values()) / 2**20, 1),
            }  # fmt: skip
            if entry["plain_3x3"]:
                line.update(compare_shape(shape, out_channels, args.repeats))
            shapes.append(line)
    wins = [s for s in shapes if s.get("speedup", 0) > 1]
    # the batch's own time of each shape, scaled by the isolated ratio (isolated timings miss the batch's cache state)
    saved = sum(s["batch_cpu_s"] * (1 - 1 / s["speedup"]) for s in wins)
    result = {
        "size": args.size, "undo_steps": args.undo_steps, "sampler_steps": args.steps, "tiny": args.tiny,
        "threads": torch.get_num_threads(), "gemm_peak": peak, "batch_cpu_s": round(batch_cpu_s, 2),
        "conv_cpu_s": round(sum(s["batch_cpu_s"] for s in shapes), 2),
        "conv3x3_cpu_s": round(sum(s["batch_cpu_s"] for s in shapes if "speedup" in s), 2),
        "winograd_saved_cpu_s": round(saved, 2),
        "batch_cpu_s_with_winograd_est": round(batch_cpu_s - saved, 2),
        # cached transformed weights: 36 taps instead of 9 per weight, kept beside the originals
        "winograd_extra_weights_mb": round(4 * sum(s["weights_mb"] for s in wins), 1),
        "max_rel_diff": max((s["max_rel_diff"] for s in shapes if "speedup" in s), default=0.0),
        "shapes": shapes,
    }  # fmt: skip
    print(
        f"batch {result['batch_cpu_s']} CPU s, convs {result['conv_cpu_s']} (3x3 {result['conv3x3_cpu_s']}); "
        f"GEMM peak {peak['gflops_per_cpu_s']} GFLOPS per CPU s; Winograd F(4x4,3x3) where it wins: "
        f"-{result['winograd_saved_cpu_s']} CPU s -> {result['batch_cpu_s_with_winograd_est']}, "
        f"+{result['winograd_extra_weights_mb']} MB of weights, max rel diff {result['max_rel_diff']:.1e}"
    )
    for s in shapes[:20]:
        print(
            f"  {s['input']} -> {s['out_channels']} k{s['kernel'][0]}s{s['stride'][0]}: {s['calls']} calls, "
            f"{s['batch_cpu_s']} CPU s; x{s.get('speedup', '-')}"
        )
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
