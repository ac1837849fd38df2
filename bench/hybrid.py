"""The CPU hybrid end to end (issue 14 part 4): a whole Paints-UNDO process of a 512 px artwork on a CPU.

    python bench/hybrid.py --json          # full-size architectures, random weights (target <= 10 min)
    python bench/hybrid.py --tiny --json   # tiny models, 64 px, 2 sampler steps: seconds

Through the app's own engine (`PaintsUndoEngine.from_components` over random-weight modules built as
bench/pu_models.py builds them, in the dtypes the device policy picks), on the CPU, with the settings
the CPU resolves to (device_defaults.py: fewer sampler steps, a smaller working size, painted
in-betweens) unless `--steps` / `--size` say otherwise: `prepare` (encodings and the time estimate),
every keyframe in one batch, then each segment of the chain filled by the painted in-betweens. Prints
`total_s` (wall) and `total_cpu_s` (process CPU time: the machine may be shared), per-stage seconds,
the keyframe count, sampler steps, working size, `peak_rss_gb`, and the engine's own estimate beside
what it measured. The last line with `--json` is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pu_models  # noqa: E402
from bench.gpu_check import NEGATIVE, PROMPT, SF, _artwork, _peak_gb, _reset_peak  # noqa: E402


class _Clock:
    """Wall and CPU seconds of named stages."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, fn: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        self.wall[name] = round(self.wall.get(name, 0.0) + time.perf_counter() - wall, 3)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + time.process_time() - cpu, 3)
        return out


def run(tiny: bool, side: int, steps: int | None, size: str | None) -> dict[str, Any]:
    from app.core.artwork import Artwork
    from app.core.branch import BranchSpec
    from app.core.cancel import CancelToken, no_progress
    from app.core.segments import SegmentLayout
    from app.inference.cpu_tuning import apply_process_tuning, choose_cpu_tuning
    from app.inference.devices import choose_dtype, resolve_device
    from app.inference.paints_undo.engine import PaintsUndoEngine
    from app.paths import ENV_CACHE

    # the engine calibrates afresh (its cost is part of `prepare`), and never into the user's cache
    os.environ.setdefault(ENV_CACHE, tempfile.mkdtemp(prefix="hybrid-bench-cache-"))
    info = resolve_device("cpu")
    apply_process_tuning(choose_cpu_tuning(info.kind))  # as the engine does before it loads models
    clock = _Clock()
    built = clock.run(
        "build_models",
        lambda: {
            c: pu_models.build(c, choose_dtype(info, c), tiny=tiny, device="cpu", seed=i)
            for i, c in enumerate(SF)
        },
    )
    engine = PaintsUndoEngine.from_components(
        built["single_frame_unet"], built["single_frame_vae"], built["single_frame_text_encoder"],
        pu_models.tokenizer(), device="cpu",
    )  # fmt: skip
    settings: dict[str, Any] = {"prompt": PROMPT, "negative_prompt": NEGATIVE}
    if steps is not None:
        settings["steps"] = steps
    if size is not None:
        settings["size"] = size
    art = Artwork.from_array(_artwork(side, side))
    spec = BranchSpec.make("paints-undo", 1, settings)
    cancel = CancelToken()
    _reset_peak("cpu")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    sess = clock.run("prepare", lambda: engine.prepare(art, spec, cancel, no_progress))
    layout = SegmentLayout(tuple(sess.keyframe_steps))
    anchors = list(layout.rendered_steps())
    clock.run("keyframes", lambda: engine.render(sess, anchors, cancel, no_progress))
    frames = 0
    for a, b in layout.segments():
        made = clock.run(
            "segments",
            lambda a=a, b=b: engine.interpolate(sess, a, b, layout.frames_per_segment, cancel, no_progress),
        )
        frames += len(made)
    total, total_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    estimate = sess.extra.get("estimate")
    return {
        "device": info.describe(),
        "tiny": tiny,
        "artwork": f"{side}x{side}",
        "total_s": round(total, 2),
        "total_cpu_s": round(total_cpu, 2),
        "stages_s": {k: v for k, v in clock.wall.items() if k != "build_models"},
        "stages_cpu_s": {k: v for k, v in clock.cpu.items() if k != "build_models"},
        "build_models_s": clock.wall["build_models"],
        "keyframes": len(sess.keyframe_steps),
        "segments": len(layout.segments()),
        "frames": frames,
        "sampler_steps": sess.steps,
        "working_size": f"{sess.working_size[0]}x{sess.working_size[1]}",
        "in_between": sess.in_between,
        "dtypes": {c: str(next(m.parameters()).dtype).removeprefix("torch.") for c, m in built.items()},
        "peak_rss_gb": round(_peak_gb("cpu"), 3),
        "estimate": None if estimate is None else estimate.to_json(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="tiny models, a 64 px artwork, 2 sampler steps")
    parser.add_argument("--artwork", type=int, default=0, help="artwork side in px (default 512; tiny 64)")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the CPU's)")
    parser.add_argument("--size", default=None, help="working size, long side (default: the CPU's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    side = args.artwork or (64 if args.tiny else 512)
    steps = args.steps if args.steps is not None else (2 if args.tiny else None)
    size = args.size if args.size is not None else ("64" if args.tiny else None)
    result = run(args.tiny, side, steps, size)
    print(
        f"hybrid: {result['total_s']} s wall, {result['total_cpu_s']} s CPU; "
        f"{result['keyframes']} keyframes x {result['sampler_steps']} steps at {result['working_size']}; "
        f"stages {result['stages_s']}; peak RSS {result['peak_rss_gb']} GB"
    )
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
