"""`undo-studio score ARTWORK RECORDING`: align a real recording to the artwork and score each seed's
process against it (app/analysis). The frames of each branch come from the same `ProcessFrames` as
`render`, so a score is about exactly the frames a render would export."""

from __future__ import annotations

import argparse
import json
import sys
import time

from app.analysis.align import align
from app.analysis.score import score_branches
from app.analysis.sources import load_recording
from app.cli.progress import TerminalProgress
from app.core.artwork import fit_within, load_artwork
from app.core.cancel import CancelToken, no_progress
from app.errors import RecordingError
from app.inference.frame_source import ProcessFrames
from app.inference.render_job import FrameFn, RenderRequest, prepare_engine


def score_command(args: argparse.Namespace, cancel: CancelToken) -> int:
    seeds = list(dict.fromkeys(args.seed or [0]))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    artwork = load_artwork(args.image, cancel=cancel)
    if args.size:
        artwork = fit_within(artwork, args.size)
    request = RenderRequest(
        engine=args.engine,
        settings=tuple(args.setting),
        models=str(args.models) if args.models else None,
        device=args.device,
    )
    prepared = prepare_engine(request)  # a typo in --setting fails before the recording is read
    engine, settings = prepared.engine, prepared.spec.settings_dict()

    bar = TerminalProgress("recording")
    recording = load_recording(args.recording, cancel=cancel, progress=bar)
    aligned = align(recording, artwork.pixels, cancel=cancel, progress=bar)
    if args.start is not None or args.end is not None:  # corrected by hand
        aligned = aligned.with_bounds(args.start, args.end)
    bar.done()
    timings["import_align_s"] = time.perf_counter() - t0
    if not aligned.alignment.matches:
        raise RecordingError(aligned.alignment.verdict, "Check that RECORDING is the time-lapse of ARTWORK.")

    t0 = time.perf_counter()
    bar = TerminalProgress("score")
    branches: dict[str, FrameFn] = {}
    for seed in seeds:
        spec = prepared.spec.with_changes(seed=seed)
        session = engine.prepare(artwork, spec, cancel, no_progress)
        branches[f"{engine.name} seed {seed}"] = ProcessFrames(
            engine, artwork, spec, cancel, session=session
        ).frame_for_step
    fit = None
    if args.fit is not None:
        from app.inference.fit import fit_to_recording

        fit = fit_to_recording(
            engine,
            artwork,
            aligned,
            budget_s=max(args.fit, 0.0),
            cancel=cancel,
            progress=TerminalProgress("fit"),
        )
        name = f"{engine.name} seed {fit.best.seed} (fitted)"
        session = engine.prepare(artwork, fit.best, cancel, no_progress)
        branches[name] = ProcessFrames(engine, artwork, fit.best, cancel, session=session).frame_for_step
    report = score_branches(aligned, branches, samples=args.samples, cancel=cancel, progress=bar)
    bar.done()
    timings["score_s"] = time.perf_counter() - t0

    info = recording.info
    if args.json:
        out = {
            "artwork": str(args.image),
            "recording": {
                "path": str(info.path),
                "kind": info.kind,
                "width": info.width,
                "height": info.height,
                "frames": info.frame_count,
                "duration_s": info.duration_s,
                "samples": len(recording.frames),
                "skipped": list(recording.skipped),
            },
            "alignment": aligned.alignment.to_dict(),
            "engine": engine.name,
            "settings": settings,
            **report.to_dict(),
            "fit": None
            if fit is None
            else {
                "seed": fit.best.seed,
                "settings": dict(fit.best.settings),
                "tried": len(fit.tried),
                "budget_spent": fit.budget_spent,
            },
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        print(json.dumps(out))
        return 0
    geometry = aligned.alignment.geometry
    print(
        f"{aligned.alignment.verdict} Mirrored: {'yes' if geometry.flip else 'no'}. "
        f"Turned: {geometry.rotation}° clockwise."
    )
    unit = "s" if aligned.alignment.position_unit == "s" else "(frame numbers)"
    for first, last in aligned.alignment.flipped_ranges:
        print(f"Canvas flipped from {first:g} to {last:g} {unit}.")
    print(f"{'branch':<28} {'score':>6} {'dtw':>6} {'area':>6} {'order':>6}")
    for branch in sorted(report.branches, key=lambda b: -b.score):
        order = "-" if branch.order_agreement is None else f"{branch.order_agreement:+.2f}"
        print(
            f"{branch.name:<28} {branch.score:6.3f} {branch.dtw_distance:6.3f} "
            f"{branch.profile_area:6.3f} {order:>6}"
        )
    if fit is not None:
        settings_text = ", ".join(f"{k}={v}" for k, v in fit.best.settings)
        print(f"Closest of {len(fit.tried)} processes tried: seed {fit.best.seed} ({settings_text})")
    print(f"Scored {len(branches)} branch(es) in {sum(timings.values()):.1f} s", file=sys.stderr)
    return 0
