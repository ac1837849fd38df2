"""`undo-studio` / `python -m app`: the headless commands and the GUI entry (design §1).

Without a subcommand the desktop app starts (options such as --open/--screenshot go to it); with one
of `render`, `score`, `batch`, `batch-status`, `tag`, `models` the same engines and core run headless.
Every failure we expect is an `UndoStudioError`: one line on stderr and a non-zero exit, no traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.core.cancel import CancelToken
from app.errors import CancelledError, UndoStudioError

SUBCOMMANDS = ("render", "score", "batch", "batch-status", "tag", "models")
EXIT_ERROR = 1
EXIT_CANCELLED = 130


def _parse_steps(text: str) -> list[int]:
    """Comma-separated undo steps, repeats dropped (first kept): a repeated step renders nothing new,
    and in a PNG sequence it would overwrite its own file."""
    try:
        steps = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--steps takes comma-separated integers, got {text!r}") from exc
    bad = [s for s in steps if not 0 <= s <= 999]
    if not steps or bad:
        raise argparse.ArgumentTypeError("--steps takes undo steps between 0 and 999, e.g. 999,900,500,0")
    return list(dict.fromkeys(steps))


def _positive(text: str) -> int:
    """A positive integer; argparse would otherwise print "invalid _positive value" for '1.5' or 'abc'."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_render_options(p: argparse.ArgumentParser) -> None:
    """The options of how to render, the same for `render` and `batch`."""
    _add_engine_options(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the process variation (default 0)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--frames",
        type=_positive,
        default=None,
        help="number of evenly spaced undo steps from 999 down to 0 (default 300; paints-undo: its keyframes and segments)",
    )
    which.add_argument(
        "--steps", type=_parse_steps, default=None, help="explicit undo steps, e.g. 999,900,500,0"
    )
    p.add_argument(
        "--size", type=_positive, default=None, metavar="MAXPX", help="limit the long side of frames to MAXPX"
    )
    p.add_argument("--fps", type=_positive, default=30, help="video frame rate (default 30)")
    p.add_argument(
        "--length", choices=("full", "15s", "30s", "60s"), default="full", help="video length preset"
    )
    p.add_argument(
        "--hold-last", type=float, default=1.0, metavar="SECONDS", help="hold the finished artwork at the end"
    )
    p.add_argument(
        "--show-final-first", action="store_true", help="show the finished artwork for a moment first"
    )
    p.add_argument(
        "--no-label", action="store_true", help="leave out the 'AI-simulated process' caption and metadata"
    )
    p.add_argument("--prompt", default=None, help="paints-undo: prompt (default: tagged with WD14)")


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    """--engine, --setting, --models, --device: what render, batch and score need to make an engine's
    frames."""
    p.add_argument(
        "--engine",
        default="procedural",
        help="engine id: procedural (default), paints-undo, or layers (PSD/PSB, .ora, .kra)",
    )
    p.add_argument(
        "--setting", action="append", default=[], metavar="NAME=VALUE", help="engine setting (repeatable)"
    )
    p.add_argument(
        "--models", type=Path, default=None, help="models folder (default: ./models or $UNDO_STUDIO_MODELS)"
    )
    p.add_argument(
        "--device", default=None, help="compute device: cpu, cuda, cuda:1, mps (default: best available)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="undo-studio",
        description="Undo Studio reconstructs a plausible drawing process for a finished artwork. "
        "Without a command it opens the desktop app; the commands below run headless.",
    )
    parser.add_argument("--version", action="version", version=f"undo-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "render",
        help="render a painting process to PNG frames or a video",
        description="Render the reconstructed painting process of IMAGE. OUT is a folder (PNG frames "
        "frame_00000.png ... one per video frame, and a process.json manifest) or a .mp4/.webm/.gif/.webp file.",
    )
    r.add_argument(
        "image", type=Path, help="artwork to reconstruct (PNG, JPEG, WebP, BMP, TIFF, PSD/PSB, ORA, KRA)"
    )
    r.add_argument("--out", type=Path, required=True, help="output folder, or a .mp4/.webm/.gif/.webp file")
    _add_render_options(r)
    r.add_argument(
        "--recording",
        type=Path,
        default=None,
        metavar="PATH",
        help="show each frame beside this real time-lapse of the artwork (video, frame folder, .procreate)",
    )
    r.add_argument(
        "--contact-sheet",
        type=Path,
        default=None,
        metavar="PNG",
        help="also write a contact sheet of steps 999, 900, 700, 500, 300, 100, 0",
    )
    r.add_argument(
        "--keyframe",
        action="append",
        default=[],
        metavar="STEP=IMAGE",
        help="paints-undo: use your own image (a sketch, an earlier version) as the keyframe at STEP (repeatable)",
    )
    r.add_argument(
        "--keyframes-from-layers",
        action="store_true",
        help="paints-undo: a layered artwork's own stages (PSD/ORA/KRA groups and layers) as its keyframes",
    )
    r.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object at the end: output, frames, timings and paints-undo's time/memory estimate",
    )

    sc = sub.add_parser(
        "score",
        help="score branches against a real recording of the artwork",
        description="Align RECORDING (a time-lapse video, a folder of numbered frames or a .procreate "
        "file) to ARTWORK and score the process of each --seed against it: distance-to-final profiles, "
        "frame distance after time warping, and order-of-work agreement. Higher scores are closer.",
    )
    sc.add_argument("image", type=Path, metavar="ARTWORK", help="the finished artwork")
    sc.add_argument("recording", type=Path, metavar="RECORDING", help="video, folder of frames or .procreate")
    _add_engine_options(sc)
    sc.add_argument(
        "--seed",
        type=int,
        nargs="+",
        action="extend",
        default=None,
        metavar="N",
        help="seeds to score, e.g. --seed 0 1 2 (default 0)",
    )
    sc.add_argument(
        "--size", type=_positive, default=None, metavar="MAXPX", help="limit the artwork's long side to MAXPX"
    )
    sc.add_argument(
        "--samples", type=_positive, default=41, help="progress values compared from 0 to 1 (default 41)"
    )
    sc.add_argument(
        "--start",
        type=float,
        default=None,
        metavar="POS",
        help="where painting starts in RECORDING (seconds, or frame number for a folder), if not as found",
    )
    sc.add_argument("--end", type=float, default=None, metavar="POS", help="where painting ends, likewise")
    sc.add_argument(
        "--fit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="also search seeds and settings for the closest process for this long, and score the winner",
    )
    sc.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    from app.cli.batch import add_batch_parsers

    add_batch_parsers(sub, _add_render_options)

    t = sub.add_parser(
        "tag",
        help="print the WD14 prompt for an image",
        description="Print the WD14 tagger's prompt for IMAGE.",
    )
    t.add_argument("image", type=Path)
    t.add_argument("--exclude", default="", help="comma-separated tags to leave out")
    t.add_argument("--models", type=Path, default=None)

    m = sub.add_parser(
        "models",
        help="show which model weights are present",
        description="List every model component: found, size, dtype, verified against the expected shapes.",
    )
    m.add_argument("--models", type=Path, default=None)
    m.add_argument(
        "--download",
        action="store_true",
        help="download missing weights with huggingface_hub (needs internet)",
    )
    return parser


def _install_sigint(cancel: CancelToken) -> None:
    """First Ctrl+C cancels cleanly (temp files removed); a second one aborts at once (temp files are
    still removed on the way out). SIGTERM, what `timeout`, batch schedulers and `kill` send, is treated
    the same: by default it ends the process on the spot and leaves a half-written video behind."""

    def handler(signum, frame):  # noqa: ARG001
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print("\nCancelling… (Ctrl+C again to abort)", file=sys.stderr)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run_command(args: argparse.Namespace) -> int:
    cancel = CancelToken()
    if args.command == "render":
        from app.cli.render import render_command

        _install_sigint(cancel)
        return render_command(args, cancel)
    if args.command == "score":
        from app.cli.score import score_command

        _install_sigint(cancel)
        return score_command(args, cancel)
    if args.command == "batch":
        from app.cli.batch import batch_command

        _install_sigint(cancel)
        return batch_command(args, cancel)
    if args.command == "batch-status":
        from app.cli.batch import status_command

        return status_command(args)
    if args.command == "tag":
        from app.cli.tools import tag_command

        return tag_command(args)
    if args.command == "models":
        from app.cli.tools import models_command

        return models_command(args)
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_cli = bool(argv) and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version"))
    if not wants_cli:
        from app.ui.launch import main as gui_main

        return gui_main(argv)
    args = build_parser().parse_args(argv)
    try:
        return run_command(args)
    except CancelledError:
        print("Cancelled.", file=sys.stderr)
        return EXIT_CANCELLED
    except UndoStudioError as err:
        print(f"error: {err.user_text()}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Aborted.", file=sys.stderr)
        return EXIT_CANCELLED
