"""Benchmark: 1000 frames of 512x512 to H.264 MP4 through export_process (design §7: <= 10 s, 2-core CPU).

Frames are a few precomputed arrays cycled by step, so the number measures captioning + colour conversion +
encoding + muxing, not frame generation. `--json`: the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.core.export import ExportOptions, export_process


def synthetic_frames(size: int = 512, count: int = 8) -> list[np.ndarray]:
    """A few painting-like frames: gradients plus progressively more coloured blobs."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    frames = []
    for i in range(count):
        base = np.stack([255 - 60 * xx, 255 - 40 * yy, 230 + 25 * xx * yy], axis=2)
        for _ in range(4 + 6 * i):
            cx, cy, r = rng.random(3) * [size, size, size / 6]
            colour = rng.integers(0, 256, 3)
            mask = (xx * size - cx) ** 2 + (yy * size - cy) ** 2 < (r + 4) ** 2
            base[mask] = colour
        noise = rng.normal(0, 3, base.shape)
        frames.append(np.clip(base + noise, 0, 255).astype(np.uint8))
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    frames = synthetic_frames(args.size)
    steps = list(range(args.frames - 1, -1, -1))
    options = ExportOptions(fps=30, hold_last_s=0.0)

    def frame_for_step(step: int) -> np.ndarray:
        return frames[(step * len(frames)) // args.frames]

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bench.mp4"
        start = time.perf_counter()
        result = export_process(steps, frame_for_step, out, options)
        seconds = time.perf_counter() - start
        size_kb = out.stat().st_size / 1024
    print(
        f"{result.frame_count} frames {result.width}x{result.height} -> MP4 (libx264 {options.preset}, "
        f"crf {options.crf}): {seconds:.2f} s ({result.frame_count / seconds:.0f} fps), {size_kb:.0f} KiB"
    )
    if args.json:
        print(
            json.dumps(
                {"mp4_1000_frames_s": round(seconds, 3), "frames": result.frame_count, "kib": round(size_kb)}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
