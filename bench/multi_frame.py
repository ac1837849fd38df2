"""Benchmark: one 16-frame segment's UNet3D + dynamic-TSNR sampling, ours vs the reference's way, on CPU.

Full-size UNet3D architecture (the README manifest config, 1.44 B params) with random weights, at the
smallest bucket (320x512 -> latent 40x64), few sampler steps (default 2):

* ours: what `MultiFramePipeline` does on this device: CFG batching where it pays (GPUs; on CPU the two
  conditions stay separate calls, see below) in the dtype our device policy picks (`--dtype`, bf16 on
  CPUs with native bf16);
* reference way: two UNet calls per step (batch 1 each), as `SamplerDynamicTSNR.model_apply` does, in
  `--reference-dtype` (fp32: the reference runs fp16 on CUDA, which a CPU cannot run usefully).

Both use the same weights, conditions and injected noise, so `max_abs_diff` between their final latents
shows the numbers are the same. Each variant runs in its own subprocess so that its peak memory (VmHWM,
reset after the model is built) is its own. The video VAE decode is NOT part of this bench: the dual-ref
decoder must decode all frames of a clip together (chunking over time changes the result), so ours and
the reference's decode are the same computation. `--json`: the last line is one JSON object.

Measured once (2026-11-21, 2 shared AMD EPYC cores with AVX512-BF16, bf16, 2 steps, other jobs running):
ours 482 s vs reference way 411 s wall (404 vs 377 s CPU), peak RSS 4716 vs 3982 MB. So on CPU batching
does NOT pay (the GEMMs are already large; the bigger working set costs), which is why
`MultiFramePipeline(batched_cfg=None)` batches only on GPUs. bf16 diff after 2 steps: 0.37 of max 7.2
(bf16 rounding depends on batch shape); in fp32 (`--dtype fp32 --model-channels 64 --bucket 64x128`)
the two ways agree to 3.1e-5 of max 6.6.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = (
    Path(__file__).resolve().parents[1]
    / "app"
    / "inference"
    / "paints_undo"
    / "manifests"
    / "multi_frame_unet.json"
)


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _randomize(model, seed: int) -> None:
    """README scheme: Linear/Conv N(0,1)/sqrt(fan_in), biases 0.1 N, norms 1 + 0.1 N / 0.1 N; deterministic."""
    import torch

    g = torch.Generator().manual_seed(seed)
    for module in model.modules():
        weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
        if isinstance(module, torch.nn.GroupNorm | torch.nn.LayerNorm):
            weight.copy_(1 + 0.1 * torch.randn(weight.shape, generator=g))
            bias.copy_(0.1 * torch.randn(bias.shape, generator=g))
        elif isinstance(module, torch.nn.Linear | torch.nn.Conv1d | torch.nn.Conv2d | torch.nn.Conv3d):
            fan_in = weight[0].numel()
            weight.copy_(torch.randn(weight.shape, generator=g) / fan_in**0.5)
            if bias is not None:
                bias.copy_(0.1 * torch.randn(bias.shape, generator=g))
    for name, param in model.named_parameters():
        if name.endswith("alpha"):
            param.copy_(0.5 * torch.randn((), generator=g))


def _batched(args: argparse.Namespace) -> bool:
    """Ours: "auto" is the pipeline's own rule for this (CPU) bench: batch only on GPUs; reference: never."""
    if args.worker == "reference":
        return False
    return {"auto": False, "on": True, "off": False}[args.ours_batched_cfg]


def worker(args: argparse.Namespace) -> int:
    import torch

    from app.inference.paints_undo.multi_frame.sampler import DynamicTSNRSampler, VideoCondition
    from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    config = json.loads(MANIFEST.read_text())["config"]
    if args.model_channels:
        config["model_channels"] = args.model_channels
    with torch.device("meta"):
        unet = UNet3DModel(**config).to(dtype)
    unet = unet.to_empty(device="cpu").eval()  # allocate once, directly in the bench dtype
    with torch.no_grad():
        _randomize(unet, seed=0)
    frames, (h, w) = 16, (int(v) // 8 for v in args.bucket.split("x"))
    g = torch.Generator().manual_seed(1)
    ctx = config["context_dim"]

    def side() -> VideoCondition:
        return VideoCondition(
            torch.randn(1, 77, ctx, generator=g),
            torch.randn(1, frames, 16, ctx, generator=g),
            concat,
            torch.tensor([3]),
        )

    concat = torch.randn(1, 4, frames, h, w, generator=g)
    positive, negative = side(), side()
    initial = torch.randn(1, 4, frames, h, w, generator=g)
    step_noise = [torch.randn(1, 4, frames, h, w, generator=g) for _ in range(args.steps)]
    with torch.inference_mode():  # warm-up at a tiny spatial size: primes oneDNN kernels and thread pools
        small = VideoCondition(positive.context_text, positive.context_img, concat[..., :8, :8], positive.fs)
        DynamicTSNRSampler().sample(
            unet,
            small,
            small,
            1,
            7.5,
            initial_noise=initial[..., :8, :8],
            noise=lambda i, x: torch.zeros_like(x),
            batched_cfg=_batched(args),
        )
    loaded_mb = _rss_mb("VmRSS")
    reset = _reset_peak()
    cpu_start, start = time.process_time(), time.perf_counter()
    with torch.inference_mode():
        latents = DynamicTSNRSampler().sample(
            unet,
            positive,
            negative,
            args.steps,
            7.5,
            initial_noise=initial,
            noise=lambda i, _x: step_noise[i],
            batched_cfg=_batched(args),
        )
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = _rss_mb("VmHWM")
    torch.save(latents, args.out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_mb": peak,
                "loaded_mb": loaded_mb,
                "peak_reset": reset,
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--bucket", default="320x512", help="pixel HxW (latent is /8)")
    parser.add_argument(
        "--dtype",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="ours; auto: what the device policy picks for the UNet here (bf16 only with native bf16: "
        "~1.6x faster on AVX512-BF16 CPUs, emulated and much slower without)",
    )
    parser.add_argument("--reference-dtype", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument(
        "--ours-batched-cfg", choices=["auto", "on", "off"], default="auto",
        help="auto: as the pipeline decides for the device (batched on GPUs, two calls on CPU)",
    )  # fmt: skip
    parser.add_argument("--model-channels", type=int, default=0, help="shrink the UNet (smoke runs only)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--worker", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dtype == "auto":
        from app.inference.devices import dtype_name, resolve_device

        args.dtype = {"bfloat16": "bf16"}.get(dtype_name(resolve_device("cpu"), "multi_frame_unet"), "fp32")
    if args.worker:
        return worker(args)

    import torch

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in ("ours", "reference"):
            out = Path(folder) / f"{variant}.pt"
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                variant,
                "--out",
                str(out),
                "--steps",
                str(args.steps),
                "--bucket",
                args.bucket,
                "--dtype",
                args.dtype if variant == "ours" else args.reference_dtype,
                "--ours-batched-cfg",
                args.ours_batched_cfg,
                "--model-channels",
                str(args.model_channels),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
            results[variant]["latents"] = torch.load(out)
    ours, ref = results["ours"], results["reference"]
    diff = float((ours["latents"] - ref["latents"]).abs().max())
    summary = {
        "ours_s": round(ours["seconds"], 2),
        "reference_way_s": round(ref["seconds"], 2),
        "speedup": round(ref["seconds"] / ours["seconds"], 3),
        # the CPU is shared with other processes: process CPU time is the steadier measure of work done
        "ours_cpu_s": round(ours["cpu_seconds"], 2),
        "reference_way_cpu_s": round(ref["cpu_seconds"], 2),
        "cpu_time_speedup": round(ref["cpu_seconds"] / ours["cpu_seconds"], 3),
        "ours_peak_mb": round(ours["peak_mb"]),
        "reference_way_peak_mb": round(ref["peak_mb"]),
        "ours_activation_peak_mb": round(ours["peak_mb"] - ours["loaded_mb"]),
        "reference_way_activation_peak_mb": round(ref["peak_mb"] - ref["loaded_mb"]),
        "max_abs_diff": diff,
        "max_abs_latent": float(ref["latents"].abs().max()),
        "steps": args.steps,
        "bucket": args.bucket,
        "ours_dtype": args.dtype,
        "reference_way_dtype": args.reference_dtype,
        "ours_batched_cfg": args.ours_batched_cfg,
        "threads": torch.get_num_threads(),
        "model_channels": args.model_channels or 320,
        "peak_reset_ok": bool(ours["peak_reset"]),
    }
    print(
        f"UNet3D + TSNR sampler, 16 frames, bucket {args.bucket}, {args.steps} steps, "
        f"ours {args.dtype} vs reference way {args.reference_dtype}: "
        f"ours {summary['ours_s']} s vs reference way {summary['reference_way_s']} s "
        f"({summary['speedup']}x wall, {summary['cpu_time_speedup']}x CPU time); peak RSS {summary['ours_peak_mb']} vs {summary['reference_way_peak_mb']} MB; "
        f"max |diff| {diff:.3g}"
    )
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
