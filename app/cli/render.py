"""`undo-studio render`: artwork -> engine session -> frames -> exporter.

Random-access engines (procedural) render each exported step directly. Keyframe engines (Paints-UNDO)
render their keyframes in one batch, then the 16-frame segments between them, chained in painting order
like the reference's video (app/core/segments.py); app/inference/frame_source.py makes the frames.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.cli.progress import TerminalProgress
from app.core.artwork import fit_within, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, scaled_progress
from app.core.frames import MAX_STEP
from app.errors import EngineError, ExportError
from app.inference.frame_source import ProcessFrames
from app.inference.registry import create_engine

CONTACT_SHEET_STEPS = (999, 900, 700, 500, 300, 100, 0)
DEFAULT_FRAMES = 300
VIDEO_SUFFIXES = {".mp4", ".webm", ".gif", ".webp"}


def evenly_spaced_steps(count: int) -> list[int]:
    """`count` undo steps from 999 down to 0, both ends included, no duplicates."""
    if count <= 1:
        return [0]
    raw = np.linspace(MAX_STEP, 0, min(count, MAX_STEP + 1))
    return list(dict.fromkeys(int(round(s)) for s in raw))


def parse_settings(pairs: list[str], known: Sequence[str] = ()) -> dict[str, object]:
    """NAME=VALUE pairs; values that read as int/float stay numbers. With `known`, a name the engine
    does not have is an error: a typo must not silently render with the default instead."""
    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise EngineError(
                f"Setting {pair!r} is not NAME=VALUE.", "Example: --setting order=subject-first"
            )
        if known and name not in known:
            raise EngineError(f"This engine has no setting {name!r}.", f"Its settings: {', '.join(known)}.")
        for cast in (int, float):
            try:
                out[name] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[name] = value
    return out


def parse_keyframes(pairs: list[str]) -> dict[int, Path]:
    """STEP=IMAGE pairs of --keyframe; the images must exist (they are read after the engine is ready)."""
    out: dict[int, Path] = {}
    for pair in pairs:
        step, sep, path = pair.partition("=")
        if not sep or not step.strip().isdigit() or not 0 < int(step) <= MAX_STEP:
            raise EngineError(
                f"--keyframe {pair!r} is not STEP=IMAGE.", "Example: --keyframe 800=my_sketch.png"
            )
        if not Path(path).is_file():
            raise EngineError(f"The keyframe image {path} does not exist.", "Check the path after '='.")
        out[int(step)] = Path(path)
    return out


FrameFn = Callable[[int], np.ndarray]


def _frame_source(source: ProcessFrames, args: argparse.Namespace) -> tuple[list[int], FrameFn, FrameFn]:
    """The exported sequence (in painting order), the frame for each of its entries, and the frame
    for an undo step (for the contact sheet)."""
    explicit = args.steps or (evenly_spaced_steps(args.frames) if args.frames else None)
    if source.random_access:
        steps = sorted(explicit or evenly_spaced_steps(DEFAULT_FRAMES), reverse=True)
        return steps, source.frame_for_step, source.frame_for_step
    if explicit:
        return sorted(explicit, reverse=True), source.frame_for_step, source.frame_for_step
    order = source.video_parts()
    # Video of the whole chain: entries are positions in the chain, white canvas first.
    return list(range(len(order))), lambda i: source.frame_for_part(order[i]), source.frame_for_step


def render_command(args: argparse.Namespace, cancel: CancelToken) -> int:
    from app.core.contact_sheet import contact_sheet, contact_sheet_format, save_contact_sheet
    from app.core.export import (
        GIF_WARN_BYTES,
        ExportOptions,
        check_request,
        estimate_gif_bytes,
        export_format,
        export_process,
    )
    from app.core.export_files import source_fields

    out: Path = args.out
    if out.suffix and out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ExportError(
            f"Cannot write '{out.name}': unknown output type '{out.suffix}'.",
            "Use a folder for PNG frames, or a .mp4, .webm, .gif or .webp file.",
        )
    options = ExportOptions(
        fps=args.fps,
        length=args.length,
        max_size=args.size,
        show_final_first=args.show_final_first,
        hold_last_s=args.hold_last,
        label=not args.no_label,
    )
    # Everything that can be checked without the artwork is checked before the (slow) analysis.
    check_request(out, options)
    if args.contact_sheet:
        contact_sheet_format(args.contact_sheet)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    artwork = load_artwork(args.image, cancel=cancel)  # SIGTERM/Ctrl+C stop a long layer stack
    if args.size:
        artwork = fit_within(artwork, args.size)
    timings["load_s"] = time.perf_counter() - t0
    stack = artwork.layers
    if stack is not None and (stack.approximated or stack.notes):
        # the user learns which layers are in the file's merged image only (step 0 still shows them)
        said = list(stack.notes)
        if stack.approximated:
            said.append(f"approximated (in the merged image only): {', '.join(stack.approximated)}")
        print(f"Note: {args.image.name}: " + "; ".join(said), file=sys.stderr)

    engine = create_engine(args.engine, models_dir=args.models, device=args.device)
    availability = engine.availability()
    if not availability.ready:
        raise EngineError(f"The {engine.display_name} engine is not ready: {availability.reason}")
    settings = parse_settings(args.setting, [s.name for s in engine.settings()])
    if args.prompt is not None:
        settings["prompt"] = args.prompt
    spec = BranchSpec.make(engine.name, args.seed, settings)

    user_keyframes = parse_keyframes(args.keyframe)
    if user_keyframes and not hasattr(engine, "set_user_keyframe"):
        raise EngineError(
            f"The {engine.display_name} engine does not take keyframe images.", "Use --engine paints-undo."
        )
    bar = TerminalProgress("analyse")
    t0 = time.perf_counter()
    session = engine.prepare(artwork, spec, cancel, bar)
    for step, path in user_keyframes.items():
        pixels = load_artwork(path, cancel=cancel).pixels
        engine.set_user_keyframe(session, step, np.asarray(pixels))  # type: ignore[attr-defined]
    bar.done()
    timings["prepare_s"] = time.perf_counter() - t0

    bar = TerminalProgress("render")
    t0 = time.perf_counter()
    source = ProcessFrames(
        engine, artwork, spec, cancel, session=session, progress=scaled_progress(bar, 0.0, 0.3)
    )
    steps, frame_for, frame_at_step = _frame_source(source, args)
    if export_format(out) == "gif":
        estimate = estimate_gif_bytes(steps, options, *session.output_size)
        if estimate > GIF_WARN_BYTES:
            print(
                f"warning: this GIF will be about {estimate / 1e6:.0f} MB; for a smaller file use a shorter "
                "--length, a smaller --size, or .mp4/.webp.",
                file=sys.stderr,
            )
    # The manifest (PNG sequences) is written with the frames; the export's own time is printed below.
    manifest = source_fields(args.image, artwork.content_hash, [("", spec)], session.output_size)
    manifest["timings"] = {k: round(v, 4) for k, v in timings.items()}
    result = export_process(
        steps, frame_for, out, options, cancel, scaled_progress(bar, 0.3, 1.0), manifest=manifest
    )
    bar.done()
    timings["render_and_export_s"] = time.perf_counter() - t0

    if args.contact_sheet:
        sheet = contact_sheet([(s, frame_at_step(s)) for s in CONTACT_SHEET_STEPS])
        save_contact_sheet(sheet, args.contact_sheet)

    print(f"Wrote {out} ({result.frame_count} frames, {sum(timings.values()):.1f} s)", file=sys.stderr)
    return 0
