"""Benchmark: import + align a long 1080p recording, and score 4 branches against it (issue 11).

The recording is made here: a 1024² artwork revealed tile by tile (one new tile a second, as a recorder
that captures a frame per stroke would show it), pillarboxed into 1920x1080, with a 2 s title card, a
3 s blank-canvas hold and a 5 s final hold, encoded with libx264 ultrafast at 30 fps (each second's
picture is converted once and sent 30 times, so generating costs mostly the encoder). Defaults: 10
minutes, 18000 frames.

`import_align_s` (target <= 30 s) and the peak memory of importing + aligning (`import_align_peak_mb`,
target <= 1024) are measured in a child process, so the generator's memory does not count (with
`import_align_cpu_s`, its CPU time over all threads, which a machine shared with other work does not
inflate the way it inflates wall time);
`score_s` (target <= 5 s) scores 4 procedural seeds against the aligned recording (41 progress values
each; the engine's `prepare` is reported apart as `prepare_s`). `--json`: the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

FPS = 30
FRAME = (1920, 1080)
ART_SIDE = 1024


def artwork() -> np.ndarray:
    from app.paths import SAMPLES_DIR

    pixels = np.asarray(Image.open(SAMPLES_DIR / "lighthouse.png").convert("RGB"))
    return cv2.resize(pixels, (ART_SIDE, ART_SIDE), interpolation=cv2.INTER_AREA)


def make_recording(path: Path, art: np.ndarray, minutes: float) -> dict[str, float]:
    """Write the recording; returns its facts (frames, seconds to generate)."""
    import av

    start = time.perf_counter()
    seconds = max(12, int(round(minutes * 60)))
    intro, blank, hold = 2, 3, 5
    painting = seconds - intro - blank - hold
    height = FRAME[1]
    width = round(art.shape[1] * height / art.shape[0])
    left = (FRAME[0] - width) // 2
    picture = cv2.resize(art, (width, height), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((FRAME[1], FRAME[0], 3), np.uint8)
    canvas[:, left : left + width] = 255
    rows = max(1, int(np.sqrt(painting * height / width)))
    cols = -(-painting // rows)
    tiles = np.random.default_rng(0).permutation(rows * cols)
    card = np.full((FRAME[1], FRAME[0], 3), (40, 30, 110), np.uint8)
    cv2.putText(card, "TIMELAPSE", (600, 560), cv2.FONT_HERSHEY_SIMPLEX, 4.0, (250, 240, 200), 8)
    frames = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(FPS, 1), options={"preset": "ultrafast", "crf": "26"}
        )
        stream.width, stream.height = FRAME
        stream.pix_fmt = "yuv420p"
        stream.thread_type = "AUTO"

        def send(rgb: np.ndarray) -> None:
            nonlocal frames
            yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            for _ in range(FPS):
                yuv.pts = frames
                frames += 1
                for packet in stream.encode(yuv):
                    container.mux(packet)

        for _ in range(intro):
            send(card)
        for _ in range(blank):
            send(canvas)
        th, tw = -(-height // rows), -(-width // cols)
        for k in range(painting):
            r, c = divmod(int(tiles[k % len(tiles)]), cols)
            y0, x0 = r * th, c * tw
            canvas[y0 : y0 + th, left + x0 : left + min(x0 + tw, width)] = picture[y0 : y0 + th, x0 : x0 + tw]
            if k == painting - 1:
                canvas[:, left : left + width] = picture
            send(canvas)
        for _ in range(hold):
            send(canvas)
        for packet in stream.encode(None):
            container.mux(packet)
    return {"frames": frames, "generate_s": time.perf_counter() - start, "mb": path.stat().st_size / 1e6}


def measure_import(video: Path, art_path: Path) -> dict[str, float]:
    """Run in a child process: import + align, and this process's peak memory."""
    import resource

    from app.analysis.align import align
    from app.analysis.sources import load_recording

    art = np.asarray(Image.open(art_path).convert("RGB"))
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    recording = load_recording(video)
    aligned = align(recording, art)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    base, peak = before.ru_maxrss / 1024, after.ru_maxrss / 1024
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    a = aligned.alignment
    return {
        "import_align_s": seconds,
        "import_align_cpu_s": cpu,  # CPU time of all threads: what a busy machine cannot inflate
        "import_align_peak_mb": peak,
        "python_and_libraries_mb": base,
        "samples": len(recording.frames),
        "decoded": recording.decoded,
        "by_seeking": recording.sampled_by_seeking,
        "kept": len(a.kept),
        "start_s": float(a.positions[a.start]),
        "end_s": float(a.positions[a.end]),
        "flip": a.geometry.flip,
        "rotation": a.geometry.rotation,
        "flipped_stretches": len(a.flipped_ranges),  # the bench's recording has none
        "similarity": a.geometry.similarity,
    }


def measure_score(video: Path, art: np.ndarray) -> dict[str, float]:
    from app.analysis.align import align
    from app.analysis.score import score_branches
    from app.analysis.sources import load_recording
    from app.core.artwork import Artwork
    from app.core.branch import BranchSpec
    from app.core.cancel import CancelToken, no_progress
    from app.inference.procedural import ProceduralEngine

    aligned = align(load_recording(video), art)
    engine = ProceduralEngine()
    artwork = Artwork.from_array(art)
    start = time.perf_counter()
    sessions = [
        engine.prepare(artwork, BranchSpec.make("procedural", seed), CancelToken(), no_progress)
        for seed in range(4)
    ]
    prepare_s = time.perf_counter() - start
    branches = {f"seed {k}": partial(engine.render_step, session) for k, session in enumerate(sessions)}
    start = time.perf_counter()
    report = score_branches(aligned, branches)
    return {"score_s": time.perf_counter() - start, "prepare_s": prepare_s, "best": report.ranking[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--measure", nargs=2, metavar=("VIDEO", "ARTWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_import(Path(args.measure[0]), Path(args.measure[1]))))
        return 0
    art = artwork()
    with tempfile.TemporaryDirectory() as folder:
        video, art_path = Path(folder) / "timelapse.mp4", Path(folder) / "art.png"
        Image.fromarray(art).save(art_path)
        made = make_recording(video, art, args.minutes)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(video), str(art_path)],
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, object] = {
            "minutes": args.minutes,
            **made,
            **json.loads(child.stdout.splitlines()[-1]),
        }
        result.update(measure_score(video, art))
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
    print(
        f"{rounded['frames']} frames 1080p ({args.minutes:g} min, generated in {rounded['generate_s']} s): "
        f"import+align {rounded['import_align_s']} s, peak {rounded['import_align_peak_mb']} MB; "
        f"score 4 branches {rounded['score_s']} s"
    )
    if args.json:
        print(json.dumps(rounded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
