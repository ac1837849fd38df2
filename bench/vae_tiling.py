"""Benchmark: the single-frame VAE decode of one keyframe, tiled vs untiled (issue 14, part 2).

The single-frame VAE is diffusers' `AutoencoderKL`; its tiling (`use_tiling`: latent tiles of
`tile_latent_min_size`, 64 = 512 px for the SD VAE, overlapping by a quarter and blended linearly over
128 px) is what `single_frame/vae.py` switches on. Each variant runs in its own subprocess and reports
`decode_peak_rss_mb` = peak RSS during the decode (VmHWM, reset just before) minus RSS before it, its
wall and CPU seconds; `max_abs_diff` / `mean_abs_diff` compare the two decodes in uint8 grey levels
(the app's truncating conversion), `max_abs_diff_float` in [-1, 1] pixels.

Weights are random (bench/pu_models.py's scheme: full-size architecture from the packaged manifest,
or `--tiny`), and so are the latents (a smooth random field, unit variance, like scaled SD latents).
Random weights answer the memory question fully but the tolerance question only partly: tiling
differs from the whole-image decode through each tile's GroupNorm statistics and the receptive field
cut at tile edges, and how far those move depends on trained weights and real image content.
`--json`: the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: import the app and bench helpers of this checkout
    sys.path.insert(0, str(ROOT))

from bench.multi_frame import _reset_peak, _rss_mb  # noqa: E402


def smooth_latents(height: int, width: int, seed: int = 1) -> object:
    """(1,4,h/8,w/8) latents: random at 1/4 of the latent size, upsampled bilinearly, unit variance."""
    import torch

    g = torch.Generator().manual_seed(seed)
    h, w = height // 8, width // 8
    coarse = torch.randn(1, 4, max(1, h // 4), max(1, w // 4), generator=g)
    field = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    field = field + 0.3 * torch.randn(1, 4, h, w, generator=g)
    return (field - field.mean()) / field.std()


def worker(args: argparse.Namespace) -> int:
    import torch

    from app.inference.paints_undo.preprocess import pytorch2numpy
    from app.inference.paints_undo.single_frame.vae import decode_latents
    from bench.pu_models import build

    vae = build("single_frame_vae", torch.float32, tiny=args.tiny, seed=0)
    height, width = (int(v) for v in args.size.split("x"))
    latents = smooth_latents(height, width)
    before_mb = _rss_mb("VmRSS")
    reset = _reset_peak()
    cpu_start, start = time.process_time(), time.perf_counter()
    pixels = decode_latents(vae, latents, tiled=args.worker == "tiled")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = _rss_mb("VmHWM")
    torch.save({"pixels": pixels, "uint8": torch.from_numpy(pytorch2numpy(pixels)[0])}, args.out)
    out = {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak, "before_mb": before_mb}
    print(json.dumps({**out, "peak_reset": reset}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="1024x1024", help="pixel HxW of the keyframe")
    parser.add_argument("--tiny", action="store_true", help="the tiny test VAE instead of the full size")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--worker", choices=["tiled", "untiled"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    import torch

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in ("untiled", "tiled"):
            out = Path(folder) / f"{variant}.pt"
            cmd = [sys.executable, __file__, "--worker", variant, "--out", str(out), "--size", args.size]
            cmd += ["--tiny"] if args.tiny else []
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
            results[variant].update(torch.load(out))
    untiled, tiled = results["untiled"], results["tiled"]
    grey = (tiled["uint8"].int() - untiled["uint8"].int()).abs()
    summary = {
        "size": args.size,
        "architecture": "tiny" if args.tiny else "full (SD VAE)",
        "dtype": "fp32",
        "untiled_peak_rss_mb": round(untiled["peak_mb"] - untiled["before_mb"]),
        "tiled_peak_rss_mb": round(tiled["peak_mb"] - tiled["before_mb"]),
        "max_abs_diff": int(grey.max()),
        "mean_abs_diff": round(float(grey.float().mean()), 3),
        "share_over_4_levels": round(float((grey > 4).float().mean()), 4),
        "max_abs_diff_float": round(float((tiled["pixels"] - untiled["pixels"]).abs().max()), 4),
        "untiled_s": round(untiled["seconds"], 2),
        "tiled_s": round(tiled["seconds"], 2),
        "untiled_cpu_s": round(untiled["cpu_seconds"], 2),
        "tiled_cpu_s": round(tiled["cpu_seconds"], 2),
        "threads": torch.get_num_threads(),
        "peak_reset_ok": bool(untiled["peak_reset"] and tiled["peak_reset"]),
    }
    print(
        f"VAE decode {args.size} {summary['architecture']} fp32: peak +{summary['untiled_peak_rss_mb']} MB "
        f"untiled vs +{summary['tiled_peak_rss_mb']} MB tiled; max |diff| {summary['max_abs_diff']} grey "
        f"levels (mean {summary['mean_abs_diff']}); {summary['untiled_s']} s vs {summary['tiled_s']} s"
    )
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
