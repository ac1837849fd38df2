"""Benchmark of the procedural engine against design §7 (1024x1024 artwork on a 2-core CPU):
analysis <= 2 s, any step <= 10 ms (p95), 1000 frames <= 5 s; a recipe <= 10 MB that restores a
session much faster than analysis (design: a re-render is a cache read).

    python bench/procedural.py [--artwork PATH] [--samples 300] [--seed 0] [--json]

Uses the bundled cat sample (resized to 1024x1024 if needed). "analysis" is a full `prepare` with an
empty analysis cache (line art, regions, sketch, plan, layers). "1000 frames" renders every step
999..0 as fresh arrays through `iter_frames`, the way an exporter consumes them (not all kept in
memory). "recipe" is the branch's stored recipe (`engine.recipe`), "restore" a fresh engine's `restore`
from it (best of 5). With `--json`, the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.artwork import Artwork  # noqa: E402
from app.core.branch import BranchSpec  # noqa: E402
from app.core.cancel import CancelToken, no_progress  # noqa: E402
from app.inference.procedural import ProceduralEngine  # noqa: E402
from app.paths import SAMPLES_DIR  # noqa: E402


def load_artwork(path: Path, size: int = 1024) -> Artwork:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    if pixels.shape[:2] != (size, size):
        pixels = cv2.resize(pixels, (size, size), interpolation=cv2.INTER_AREA)
    return Artwork.from_array(pixels, source=path)


def run(artwork: Artwork, samples: int, seed: int) -> dict[str, float]:
    cancel = CancelToken()
    engine = ProceduralEngine()
    spec = BranchSpec.make("procedural", seed)
    t0 = time.perf_counter()
    session = engine.prepare(artwork, spec, cancel, no_progress)
    analysis_s = time.perf_counter() - t0

    rng = np.random.default_rng(seed)
    times = []
    for step in rng.integers(0, 1000, samples):
        t = time.perf_counter()
        engine.render_step(session, int(step))
        times.append(time.perf_counter() - t)
    ms = np.asarray(times) * 1e3

    t0 = time.perf_counter()
    checksum = 0
    for _, frame in engine.iter_frames(session, list(range(999, -1, -1)), cancel, no_progress):
        checksum += int(frame[0, 0, 0])
    frames_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    recipe = engine.recipe(session)
    recipe_s = time.perf_counter() - t0
    restores = []
    for _ in range(5):
        t0 = time.perf_counter()
        ProceduralEngine().restore(artwork, spec, recipe, cancel, no_progress)
        restores.append(time.perf_counter() - t0)
    return {
        "analysis_s": round(analysis_s, 4),
        "step_ms_p50": round(float(np.percentile(ms, 50)), 3),
        "step_ms_p95": round(float(np.percentile(ms, 95)), 3),
        "step_ms_max": round(float(ms.max()), 3),
        "frames_1000_s": round(frames_s, 4),
        "recipe_bytes": len(recipe),
        "recipe_s": round(recipe_s, 4),
        "restore_s": round(min(restores), 4),
        "width": artwork.width,
        "height": artwork.height,
        "cpus": os.cpu_count() or 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artwork", type=Path, default=SAMPLES_DIR / "cat_window.png")
    parser.add_argument("--samples", type=int, default=300, help="random steps timed one by one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    result = run(load_artwork(args.artwork), args.samples, args.seed)
    print(f"procedural engine, {result['width']}x{result['height']}, {result['cpus']} CPUs")
    print(f"  analysis (prepare):      {result['analysis_s']:.3f} s    target <= 2 s")
    print(
        f"  one step p50 / p95 / max: {result['step_ms_p50']:.2f} / {result['step_ms_p95']:.2f} / "
        f"{result['step_ms_max']:.2f} ms    target p95 <= 10 ms"
    )
    print(f"  1000 frames (999..0):    {result['frames_1000_s']:.3f} s    target <= 5 s")
    print(
        f"  recipe:                  {result['recipe_bytes'] / 1e6:.2f} MB in {result['recipe_s']:.3f} s"
        "    target <= 10 MB"
    )
    print(f"  restore from recipe:     {result['restore_s'] * 1e3:.1f} ms    target << analysis")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
