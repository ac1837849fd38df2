"""Benchmark of layered artworks (issue 13): open a 4000x3000 PSD with 60 layers (target <= 3 s), the
peak memory of that open (target <= 2.5x the decoded layer pixels), and the layers engine's step time at
its working size (target p95 <= 10 ms).

    python bench/layers.py [--width 4000] [--height 3000] [--layers 60] [--samples 200] [--json]

The PSD is written once with psd-tools (layers of 15-100 % of the canvas in each direction, smooth
content, RLE like Photoshop) and kept in the temp folder; psd-tools' own composite at save is skipped
(it takes minutes at this size), so the file's merged image is blank: the open does the same work.
The open runs in a fresh process (`open_s`: `load_artwork`, stack and merged image, psd-tools' import
included; `open_cpu_s` the CPU time it took, all threads together (the PSD reader decodes layers in
threads, so it can exceed `open_s`), which other work on a shared machine does not inflate;
`peak_rss_mb`: the process's peak plus that of any child process (`children_rss_mb`, 0 today: the
decoding threads are in the process itself), `baseline_rss_mb` before the open). `decoded_mb` is the
RGBA bytes of the layers read.
With `--json`, the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from app.core.artwork import load_artwork
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t, cpu = time.perf_counter(), time.process_time()
art = load_artwork(Path({path!r}))
open_s, open_cpu_s = time.perf_counter() - t, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
stack = art.layers
print(json.dumps({{"open_s": open_s, "open_cpu_s": open_cpu_s, "baseline_rss_mb": base / 1024, "peak_rss_mb": (peak + children) / 1024,
    "children_rss_mb": children / 1024, "layers_read": len(stack.layers()),
    "decoded_mb": stack.decoded_pixels() * 4 / 2**20}}))
"""


def make_psd(path: Path, width: int, height: int, count: int, seed: int = 0) -> None:
    from PIL import Image
    from psd_tools import PSDImage
    from psd_tools.constants import BlendMode

    rng = np.random.default_rng(seed)
    psd = PSDImage.new("RGBA", (width, height), color=(255, 255, 255, 0))
    psd._update_preview = lambda: None  # type: ignore[method-assign]  # see module docstring
    modes = [BlendMode.NORMAL] * 6 + [BlendMode.MULTIPLY, BlendMode.SCREEN, BlendMode.OVERLAY]
    for i in range(count):
        w = width if i == 0 else int(width * rng.uniform(0.15, 1.0))
        h = height if i == 0 else int(height * rng.uniform(0.15, 1.0))
        small = rng.integers(0, 256, (12, 16, 4), dtype=np.uint8)
        small[..., 3] = 255 if i == 0 else rng.integers(0, 256, (12, 16))
        pixels = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        mode = modes[int(rng.integers(len(modes)))] if i else BlendMode.NORMAL
        psd.create_pixel_layer(
            Image.fromarray(pixels, "RGBA"), name=f"Layer {i + 1}", top=y, left=x, blend_mode=mode
        )
    psd.save(path)


def measure_open(path: Path) -> dict[str, float]:
    code = _CHILD.format(root=str(ROOT), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure_steps(path: Path, samples: int) -> dict[str, float]:
    from app.core.artwork import load_artwork
    from app.core.branch import BranchSpec
    from app.core.cancel import CancelToken, no_progress
    from app.inference.layers import LayersEngine

    art = load_artwork(path)
    engine = LayersEngine()
    t, c = time.perf_counter(), time.process_time()
    session = engine.prepare(art, BranchSpec.make("layers", 0), CancelToken(), no_progress)
    prepare_s, prepare_cpu_s = time.perf_counter() - t, time.process_time() - c
    rng = np.random.default_rng(0)
    times, cpu = [], []
    for step in rng.integers(0, 1000, samples):
        t, c = time.perf_counter(), time.process_time()
        engine.render_step(session, int(step))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ms = np.asarray(times) * 1e3
    return {
        "prepare_s": prepare_s,
        "prepare_cpu_s": prepare_cpu_s,
        "step_ms_p50": float(np.percentile(ms, 50)),
        "step_ms_p95": float(np.percentile(ms, 95)),
        "step_cpu_ms_p95": float(np.percentile(np.asarray(cpu) * 1e3, 95)),
        "working_width": session.output_size[0],
        "working_height": session.output_size[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--layers", type=int, default=60)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--open-only", action="store_true", help="skip the engine (prepare, steps)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / f"undo_bench_layers_{args.width}x{args.height}_{args.layers}.psd"
    if not path.exists():
        t = time.perf_counter()
        make_psd(path, args.width, args.height, args.layers)
        print(f"wrote {path} in {time.perf_counter() - t:.0f} s")
    result: dict[str, object] = {"width": args.width, "height": args.height, "layers": args.layers}
    result |= measure_open(path)
    result["peak_over_decoded"] = float(result["peak_rss_mb"]) / max(float(result["decoded_mb"]), 1e-9)  # type: ignore[arg-type]
    if not args.open_only:
        result |= measure_steps(path, args.samples)
    result["cpus"] = os.cpu_count() or 1
    result["load_average"] = os.getloadavg()[0]  # other work on the machine slows every figure
    print(f"layers, {args.width}x{args.height}, {args.layers} layers, {result['cpus']} CPUs")
    print(
        f"  open (load_artwork):  {result['open_s']:.2f} s ({result['open_cpu_s']:.2f} s CPU)    target <= 3 s"
    )
    print(
        f"  peak RSS:             {result['peak_rss_mb']:.0f} MB ({result['peak_over_decoded']:.2f}x the "
        f"{result['decoded_mb']:.0f} MB of decoded layers)    target <= 2.5x"
    )
    if not args.open_only:
        print(f"  engine prepare:       {result['prepare_s']:.2f} s ({result['prepare_cpu_s']:.2f} s CPU)")
        print(
            f"  step p50 / p95:       {result['step_ms_p50']:.1f} / {result['step_ms_p95']:.1f} ms "
            f"(CPU p95 {result['step_cpu_ms_p95']:.1f} ms)    target p95 <= 10 ms"
        )
    print(f"  load average:         {result['load_average']:.1f} on {result['cpus']} CPUs")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
