"""`undo-studio render`: command-line options -> `RenderRequest` -> app/inference/render_job.py.

The render itself (engine session, frames, exporter, contact sheet) lives in render_job.py, shared with
`undo-studio batch`, so a batch item and a single render of the same artwork write the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.cli.progress import TerminalProgress
from app.core.artwork import Artwork
from app.core.cancel import CancelToken
from app.core.export import ExportOptions
from app.errors import EngineError, ExportError, RecordingError
from app.inference.frame_source import ProcessFrames
from app.inference.paints_undo.estimate import RunEstimate
from app.inference.render_job import (
    FrameFn,
    RenderRequest,
    check_outputs,
    load_input,
    parse_keyframes,
    prepare_engine,
    render_artwork,
)

VIDEO_SUFFIXES = {".mp4", ".webm", ".gif", ".webp"}
RECORDING_SIDE = 640  # the recording's pane: sampled at up to this size (300 samples: ~200 MB at 16:9)


def export_options(args: argparse.Namespace) -> ExportOptions:
    """The video options shared by `render` and `batch`."""
    return ExportOptions(
        fps=args.fps,
        length=args.length,
        max_size=args.size,
        show_final_first=args.show_final_first,
        hold_last_s=args.hold_last,
        label=not args.no_label,
    )


def render_request(args: argparse.Namespace) -> RenderRequest:
    """The request of `render` or `batch` options (--keyframe images are checked here: they must exist)."""
    keyframes = parse_keyframes(getattr(args, "keyframe", []))
    return RenderRequest(
        engine=args.engine,
        seed=args.seed,
        settings=tuple(args.setting),
        prompt=args.prompt,
        frames=args.frames,
        steps=tuple(args.steps) if args.steps else None,
        keyframes=tuple((step, str(path)) for step, path in keyframes.items()),
        layer_keyframes=bool(getattr(args, "keyframes_from_layers", False)),
        export=export_options(args),
        models=str(args.models) if args.models else None,
        device=args.device,
    )


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def _announce(estimate: RunEstimate) -> None:
    """A neural run's time and memory, said before the wait (with what to do when it is long)."""
    print(estimate.summary(), file=sys.stderr)
    for text in estimate.warnings():
        _warn(text)


def _beside_recording(
    args: argparse.Namespace, cancel: CancelToken
) -> Callable[[ProcessFrames, Artwork, FrameFn], FrameFn]:
    """--recording: each exported step beside the real recording at the same progress (app/analysis)."""

    def beside(source: ProcessFrames, artwork: Artwork, frame_for: FrameFn) -> FrameFn:
        from app.analysis.align import align
        from app.analysis.sources import load_recording
        from app.core.imaging import side_by_side

        if not source.random_access and not (args.steps or args.frames):
            raise EngineError(
                "--recording shows undo steps side by side; this engine's whole-chain video has none.",
                "Add --frames N (e.g. --frames 300) or --steps.",
            )
        bar = TerminalProgress("recording")
        recording = load_recording(
            args.recording, max_side=RECORDING_SIDE, max_samples=300, cancel=cancel, progress=bar
        )
        aligned = align(recording, artwork.pixels, cancel=cancel, progress=bar)
        bar.done()
        if not aligned.alignment.matches:
            raise RecordingError(
                aligned.alignment.verdict, "Check that --recording is the time-lapse of IMAGE."
            )
        labels = [f"Simulated (seed {args.seed})", "Recorded"]

        def frame(step: int) -> np.ndarray:
            return side_by_side([frame_for(step), aligned.picture_for_step(step)], labels)

        return frame

    return beside


def render_command(args: argparse.Namespace, cancel: CancelToken) -> int:
    out: Path = args.out
    if out.suffix and out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ExportError(
            f"Cannot write '{out.name}': unknown output type '{out.suffix}'.",
            "Use a folder for PNG frames, or a .mp4, .webm, .gif or .webp file.",
        )
    request = render_request(args)
    # Everything that can be checked without the artwork is checked before the (slow) analysis.
    check_outputs(out, request.export, args.contact_sheet)
    artwork, load_s = load_input(args.image, request, cancel)
    stack = artwork.layers
    if stack is not None and (stack.approximated or stack.notes):
        # the user learns which layers are in the file's merged image only (step 0 still shows them)
        said = list(stack.notes)
        if stack.approximated:
            said.append(f"approximated (in the merged image only): {', '.join(stack.approximated)}")
        print(f"Note: {args.image.name}: " + "; ".join(said), file=sys.stderr)
    prepared = prepare_engine(request)
    report = render_artwork(
        prepared,
        artwork,
        args.image,
        out,
        request,
        cancel,
        contact_sheet=args.contact_sheet,
        load_s=load_s,
        stage=TerminalProgress,
        warn=_warn,
        beside=_beside_recording(args, cancel) if args.recording is not None else None,
        on_estimate=_announce,
    )
    seconds = sum(report.timings.values())
    print(f"Wrote {out} ({report.frame_count} frames, {seconds:.1f} s)", file=sys.stderr)
    if args.json:
        summary = {
            "out": str(out),
            "frames": report.frame_count,
            "output_size": list(report.output_size),
            "timings": {k: round(v, 3) for k, v in report.timings.items()},
            "estimate": report.estimate,
        }
        print(json.dumps(summary))
    return 0
