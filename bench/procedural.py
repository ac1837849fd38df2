"""Benchmark of the procedural engine against design §12 (1024x1024 artwork on a 2-core CPU), for each
way of working: analysis <= 2 s, any step <= 10 ms (p95), 1000 frames <= 5 s; a recipe <= 10 MB that
restores a session much faster than analysis (design: a re-render is a cache read).

    python bench/procedural.py [--artwork PATH] [--painterly PATH] [--wash PATH] [--samples 300]
                               [--seed 0] [--json]

Each way runs on an artwork it fits (1024x1024), with the way set per branch: line art on the bundled
cat, painterly on the bundled landscape, sketch-and-wash on the code-drawn watercolour of the way tests
(tests/inference/way_pictures.py; no bundled sample is a wash). Every behaviour is switched on (chance
1: a flip and a colour adjustment cost a little on every affected frame), so the step times are the
worst case.
"analysis" is a full `prepare` with an empty analysis cache (analysis, choice of the way, plan, layers,
behaviours; `analysis_cpu_s` is its CPU time, which other work on a shared machine inflates less),
timed after one warm-up `prepare` of a 128² crop (the first call into OpenCV and numpy pays one-off
costs, about 0.3 s here, that an app session pays once at start, not per artwork).
"1000 frames" renders every step 999..0 as fresh arrays through `iter_frames`, the way an exporter
consumes them (not all kept in memory). "recipe" is the branch's stored recipe
(`engine.recipe`), "restore" a fresh engine's `restore` from it (best of 5). With `--json`, the last
line is one JSON object: the figures per way under "ways" (each with `meets_targets`: analysis, step
p95 and 1000 frames within the targets above), the targets under "targets", and the line-art figures at
the top level too (as before).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def code_drawn_wash(size: int = 1024) -> Artwork:
    """The way tests' watercolour-like picture (tests/inference/way_pictures.py: not shipped)."""
    sys.path.insert(0, str(ROOT / "tests" / "inference"))
    from way_pictures import watercolour_wash

    return Artwork.from_array(watercolour_wash(size))


TARGETS = {"analysis_s": 2.0, "step_ms_p95": 10.0, "frames_1000_s": 5.0}
ALL_ON = {"flip_chance": 1.0, "grade_chance": 1.0, "repaint_chance": 1.0, "background_chance": 1.0}


def run(artwork: Artwork, samples: int, seed: int, way: str = "line-art") -> dict[str, float]:
    cancel = CancelToken()
    engine = ProceduralEngine()
    spec = BranchSpec.make("procedural", seed, {"way": way, **ALL_ON})
    t0, c0 = time.perf_counter(), time.process_time()
    session = engine.prepare(artwork, spec, cancel, no_progress)
    analysis_s, analysis_cpu_s = time.perf_counter() - t0, time.process_time() - c0

    rng = np.random.default_rng(seed)
    times = []
    for step in rng.integers(0, 1000, samples):
        t = time.perf_counter()
        engine.render_step(session, int(step))
        times.append(time.perf_counter() - t)
    ms = np.asarray(times) * 1e3
    p95 = float(np.percentile(ms, 95))

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
        "analysis_cpu_s": round(analysis_cpu_s, 4),
        "step_ms_p50": round(float(np.percentile(ms, 50)), 3),
        "step_ms_p95": round(p95, 3),
        "step_ms_max": round(float(ms.max()), 3),
        "frames_1000_s": round(frames_s, 4),
        "recipe_bytes": len(recipe),
        "recipe_s": round(recipe_s, 4),
        "restore_s": round(min(restores), 4),
        "width": artwork.width,
        "height": artwork.height,
        "cpus": os.cpu_count() or 0,
        "meets_targets": analysis_s <= TARGETS["analysis_s"]
        and p95 <= TARGETS["step_ms_p95"]
        and frames_s <= TARGETS["frames_1000_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--artwork", type=Path, default=SAMPLES_DIR / "cat_window.png", help="line-art artwork"
    )
    parser.add_argument(
        "--painterly", type=Path, default=SAMPLES_DIR / "landscape.png", help="painterly artwork"
    )
    parser.add_argument(
        "--wash", type=Path, default=None, help="wash artwork (default: the code-drawn watercolour)"
    )
    parser.add_argument("--samples", type=int, default=300, help="random steps timed one by one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    line_art, painterly = load_artwork(args.artwork), load_artwork(args.painterly)
    wash = load_artwork(args.wash) if args.wash else code_drawn_wash()
    warm = Artwork.from_array(np.ascontiguousarray(line_art.pixels[:128, :128]))
    ProceduralEngine().prepare(warm, BranchSpec.make("procedural", 0, ALL_ON), CancelToken(), no_progress)
    ways = {
        "line-art": run(line_art, args.samples, args.seed, "line-art"),
        "painterly": run(painterly, args.samples, args.seed, "painterly"),
        "sketch-wash": run(wash, args.samples, args.seed, "sketch-wash"),
    }
    first = ways["line-art"]
    print(f"procedural engine, {first['width']}x{first['height']}, {first['cpus']} CPUs, every behaviour on")
    for way, result in ways.items():
        print(f"{way}:")
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
        print(f"  meets the targets:       {'yes' if result['meets_targets'] else 'NO'}")
    if args.json:
        print(json.dumps({**first, "ways": ways, "targets": TARGETS}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
