"""Benchmark: `app.batch.run` with 2 workers, locally and on a local Ray instance (issue 15).

N procedural artworks of 512 px (gradients and coloured blobs, each its own seed), each rendered to a
300-frame MP4 with the procedural engine. Reports items per minute on local worker processes and on
Ray actors (`ray.init(num_cpus=2)`, started before the clock: on a cluster it is already running),
Ray's overhead in percent of the local time (target <= 15 %), and what the manifest costs per item
(registering + hashing the input, marking it running and done: target <= 5 ms), measured apart on
the same files. Issue 15 asks for 200 artworks: about 6-7 minutes per backend on an idle 2-core machine
(much longer on a shared one), so `--items` makes it smaller (the JSON says how many were used).

`--json`: the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from app.batch import RenderRequest, run
from app.batch.manifest import Manifest
from app.core.export import ExportOptions


def make_artworks(folder: Path, count: int, size: int) -> list[Path]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    paths = []
    for i in range(count):
        rng = np.random.default_rng(i)
        tint = rng.uniform(0, 60, 3)
        base = np.stack([255 - tint[0] * xx, 255 - tint[1] * yy, 230 + 25 * xx * yy - tint[2]], axis=2)
        for _ in range(12):
            cx, cy, r = rng.random(3) * [size, size, size / 6]
            base[(xx * size - cx) ** 2 + (yy * size - cy) ** 2 < (r + 4) ** 2] = rng.integers(0, 256, 3)
        path = folder / f"art{i:04d}.png"
        Image.fromarray(np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def item_seconds(out: Path) -> float:
    """Median seconds a worker spent on one item (its sidecar's total_s): the per-item cost without
    worker start-up, to tell a fixed start-up cost from a per-item overhead."""
    totals = [json.loads(p.read_text())["timings"]["total_s"] for p in out.glob("*.json")]
    return round(float(np.median(totals)), 3)


def manifest_ms_per_item(paths: list[Path], folder: Path) -> float:
    manifest = Manifest(folder)
    start = time.perf_counter()
    keys = manifest.add_inputs(paths, lambda digest: "bench-" + digest[:16])
    for key in keys:
        manifest.mark_running(key)
        manifest.mark_done(key, {"total_s": 1.0}, "bench:1")
    seconds = time.perf_counter() - start
    manifest.close()
    return 1000.0 * seconds / len(paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true", help="local only")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    request = RenderRequest(frames=args.frames, export=ExportOptions(fps=30, hold_last_s=0.0))
    result: dict[str, object] = {"items": args.items, "size": args.size, "frames": args.frames}
    result["workers"] = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        paths = make_artworks(folder / "in", args.items, args.size)
        result["manifest_ms_per_item"] = round(manifest_ms_per_item(paths, folder / "manifest"), 3)

        local = run(paths, folder / "local", request, workers=args.workers)
        assert local.rendered == args.items, local.failures
        result["items_per_min_local"] = local.items_per_min
        result["item_s_local"] = item_seconds(folder / "local")
        print(f"local: {local.items_per_min:.2f} items/min ({local.seconds:.1f} s)")
        if not args.no_ray:
            import os

            import ray

            # What `--ray auto` does when it starts Ray itself: workers at the local processes' priority
            # (Ray's default, nice 15, measures the machine's other load, not Ray).
            os.environ.setdefault("RAY_worker_niceness", "0")
            ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="WARNING")
            try:
                on_ray = run(paths, folder / "ray", request, workers=args.workers, ray="auto")
            finally:
                ray.shutdown()
            assert on_ray.rendered == args.items, on_ray.failures
            result["items_per_min_ray"] = on_ray.items_per_min
            result["overhead_pct"] = round(100.0 * (on_ray.seconds - local.seconds) / local.seconds, 1)
            result["item_s_ray"] = item_seconds(folder / "ray")
            print(f"ray:   {on_ray.items_per_min:.2f} items/min ({on_ray.seconds:.1f} s)")
    print(f"manifest: {result['manifest_ms_per_item']} ms per item")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
