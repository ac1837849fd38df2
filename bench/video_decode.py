"""Benchmark: peak memory of the 16-frame video VAE decode, ours (streaming) vs the reference's way.

Full-size decoder architecture (the packaged `multi_frame_vae` manifest config) with random weights
(bench/multi_frame.py's scheme), fp32 on CPU, one clip of 16 frames:

* ours: `VideoAutoencoderKL.decode_latents` in inference mode, i.e. `vae_stream.decode_streaming`:
  per-frame layers `--frame-chunk` frames at a time, whole-clip layers without clip-sized temporaries;
* reference way: the decoder's one-shot forward (every layer on the whole clip, out of place), which is
  how the original decodes. It runs our kernels (the temporal (3,1,1) convs as a Conv2d over time), so
  its peak is if anything LOWER than the original's Conv3d (that one adds a column buffer).

Both decode the same latents with the same reference hidden states. Each runs in its own subprocess and
reports `decode_peak_rss_mb` = peak RSS during the decode (VmHWM, reset just before) minus RSS before it.
`max_abs_diff` compares the two decodes' pixels (0 means identical numbers). The default size is the
smallest video bucket, 320x512; `--size 160x256` is 4x cheaper when memory or time is short.
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

from bench.multi_frame import _randomize, _reset_peak, _rss_mb  # noqa: E402

FRAMES = 16


def worker(args: argparse.Namespace) -> int:
    import torch

    from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL
    from app.inference.paints_undo.weights import manifest

    torch.manual_seed(0)
    config = manifest("multi_frame_vae")["config"]
    with torch.device("meta"):
        vae = VideoAutoencoderKL(**config)
    vae = vae.to_empty(device="cpu").eval().requires_grad_(False)
    with torch.no_grad():
        _randomize(vae, seed=0)
    height, width = (int(v) for v in args.size.split("x"))
    g = torch.Generator().manual_seed(1)
    latents = torch.randn(1, 4, FRAMES, height // 8, width // 8, generator=g)
    with torch.inference_mode():  # the two keyframes' encoder hidden states, as the pipeline has them
        keyframes = torch.rand(1, 3, 2, height, width, generator=g) * 2 - 1
        _, hidden = vae.encode_latents(keyframes, frame_chunk=1)
        hidden = [h.clone() for h in hidden]  # plain tensors, usable outside inference mode
    before_mb = _rss_mb("VmRSS")
    reset = _reset_peak()
    cpu_start, start = time.process_time(), time.perf_counter()
    if args.worker == "ours":
        with torch.inference_mode():
            pixels = vae.decode_latents(latents, hidden, frame_chunk=args.frame_chunk)
    else:
        with torch.enable_grad():  # the one-shot forward; nothing requires grad, so no graph is kept
            pixels = vae.decode_latents(latents, hidden)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = _rss_mb("VmHWM")
    torch.save(pixels, args.out)
    out = {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak, "before_mb": before_mb}
    print(json.dumps({**out, "peak_reset": reset}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="320x512", help="pixel HxW of the frames")
    parser.add_argument("--frame-chunk", type=int, default=2, help="ours: frames per per-frame chunk")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--worker", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    import torch

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in ("ours", "reference"):
            out = Path(folder) / f"{variant}.pt"
            cmd = [sys.executable, __file__, "--worker", variant, "--out", str(out), "--size", args.size]
            cmd += ["--frame-chunk", str(args.frame_chunk)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
            results[variant]["pixels"] = torch.load(out)
    ours, ref = results["ours"], results["reference"]
    ours_mb = ours["peak_mb"] - ours["before_mb"]
    ref_mb = ref["peak_mb"] - ref["before_mb"]
    summary = {
        "size": args.size,
        "frames": FRAMES,
        "dtype": "fp32",
        "frame_chunk": args.frame_chunk,
        "decode_peak_rss_mb": round(ours_mb),
        "reference_way_decode_peak_rss_mb": round(ref_mb),
        "peak_ratio": round(ours_mb / ref_mb, 3),
        "max_abs_diff": float((ours["pixels"] - ref["pixels"]).abs().max()),
        "ours_s": round(ours["seconds"], 2),
        "reference_way_s": round(ref["seconds"], 2),
        "ours_cpu_s": round(ours["cpu_seconds"], 2),
        "reference_way_cpu_s": round(ref["cpu_seconds"], 2),
        "threads": torch.get_num_threads(),
        "peak_reset_ok": bool(ours["peak_reset"] and ref["peak_reset"]),
    }
    print(
        f"video VAE decode, {FRAMES} frames {args.size} fp32: peak +{summary['decode_peak_rss_mb']} MB ours vs "
        f"+{summary['reference_way_decode_peak_rss_mb']} MB reference way ({summary['peak_ratio']}x); "
        f"{summary['ours_s']} s vs {summary['reference_way_s']} s; max |diff| {summary['max_abs_diff']:.3g}"
    )
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
