"""Ways of working against recordings (issue 12): the 3x3 matrix of scores, recording way x branch way.

For each way W, a recording of the procedural process in W (seed A) is made on the code-drawn picture
that W fits (tests/inference/way_pictures.py), cropped, mirrored, with an intro card, holds and dropped
frames (tests/synthetic_recordings.py), written as numbered PNGs and loaded and aligned by the real
recording code; branches of every way with another seed B are scored against it (app/analysis/score.py).
Each (A, B) pair is one run; the matrix is the mean of `BranchScore.score` (the combined score the UI
ranks by) over the runs, with the mean of its parts, how often the matching way ranked first, and how
often it had the lowest frame distance after time warping (`dtw_distance`); each run lists its scores
and (DTW distance, profile area) per branch way.
Behaviours are off on both sides (tests/inference/way_scores.py says why). `--cross` also records every
way on every picture (does the scorer tell the ways apart on a picture they do not fit?).

    python bench/ways_score.py [--seeds 3 5 7] [--size 144] [--samples 41] [--cross] [--json]

With `--json`, the last line is one JSON object. A few seconds per run at the default size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# The app of this checkout, and the test helpers that make the pictures and recordings (not shipped).
for path in (ROOT, ROOT / "tests", ROOT / "tests" / "inference"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from way_scores import PICTURES, lowest_dtw, margin, parts, recorded, scores_by_way, way_scores  # noqa: E402

from app.analysis.score import ScoreReport  # noqa: E402
from app.core.artwork import Artwork  # noqa: E402
from app.inference.procedural import ProceduralEngine  # noqa: E402
from app.inference.procedural.ways import WAYS  # noqa: E402

PARTS = ("score", "dtw_distance", "profile_area", "order_agreement")


def _cell(reports: list[ScoreReport], way: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for part in PARTS:
        values = [getattr(b, part) for r in reports for b in r.branches if b.name == way]
        values = [v for v in values if v is not None]
        out[part] = round(float(np.mean(values)), 4) if values else None
    return out


def run_picture(picture: str, size: int, seeds: list[int], samples: int, folder: Path) -> dict[str, object]:
    """Recordings in every way on `picture` (or just its own way): the matrix and the wins."""
    engine = ProceduralEngine(analysis_cache_size=4)
    art = Artwork.from_array(PICTURES[picture](size))
    rows: dict[str, object] = {}
    for rec_way in WAYS:
        reports, wins, frame_wins, margins, pairs = [], 0, 0, [], []
        for a in seeds:
            recording = recorded(engine, art, rec_way, a, folder / f"{picture}-{rec_way}-{a}")
            b = a + 1000  # another seed, never one of the recordings'
            report = way_scores(engine, art, recording, b, samples)
            reports.append(report)
            wins += report.ranking[0] == rec_way
            frame_wins += lowest_dtw(report, rec_way)
            margins.append(margin(report, rec_way))
            pairs.append(
                {
                    "recording_seed": a,
                    "branch_seed": b,
                    "ranking": report.ranking,
                    "scores": {k: round(v, 4) for k, v in scores_by_way(report).items()},
                    "dtw_and_area": parts(report),
                }
            )
        rows[rec_way] = {
            "branches": {way: _cell(reports, way) for way in WAYS},
            "matching_wins": f"{wins}/{len(seeds)}",
            "matching_lowest_dtw": f"{frame_wins}/{len(seeds)}",
            "min_margin": round(min(margins), 4),
            "runs": pairs,
        }
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 5, 7], help="recording seeds")
    parser.add_argument("--size", type=int, default=144, help="side of the code-drawn pictures")
    parser.add_argument("--samples", type=int, default=41, help="progress values scored")
    parser.add_argument("--cross", action="store_true", help="record every way on every picture")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    t0, c0 = time.perf_counter(), time.process_time()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for picture in WAYS:
            rows = run_picture(picture, args.size, args.seeds, args.samples, Path(tmp))
            results[picture] = rows if args.cross else {picture: rows[picture]}
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"ways of working vs recordings: {args.size}px pictures, recording seeds {args.seeds}")
    print("mean combined score (higher is better); rows: recording (picture/way), columns: branch way")
    print(f"{'':<26}" + "".join(f"{w:>13}" for w in WAYS) + "   wins  min margin  lowest dtw")
    for picture, rows in results.items():
        for rec_way, row in rows.items():
            assert isinstance(row, dict)
            cells = "".join(f"{row['branches'][w]['score']:>13.4f}" for w in WAYS)
            wins, frames = row["matching_wins"], row["matching_lowest_dtw"]
            print(
                f"{picture + '/' + rec_way:<26}{cells}   {wins:>4}  {row['min_margin']:>9.4f}  {frames:>10}"
            )
    print(f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    if args.json:
        summary = {
            "size": args.size,
            "samples": args.samples,
            "seeds": args.seeds,
            "score": "BranchScore.score (combined; what the UI ranks by)",
            "pictures": results,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
