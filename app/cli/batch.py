"""`undo-studio batch INPUTS… --out DIR` and `undo-studio batch-status DIR` (issue 15).

Thin: the options become an `app.batch.run` call (the scripting API does the work), and the progress
reports become a line on the terminal: a live bar on a TTY, one line per finished item otherwise (logs
of a cluster job stay readable). Exit status: 0 when every item is done, 1 when some failed (each one
is in the manifest with its error), 130 when cancelled (a rerun resumes).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.cli import _positive
from app.core.cancel import CancelToken

FORMAT_CHOICES = ("mp4", "webm", "gif", "webp", "png")


def add_batch_parsers(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_render_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    b = sub.add_parser(
        "batch",
        help="render many artworks, resumably (locally or on a Ray cluster)",
        description="Render every artwork in INPUTS into DIR: NAME.mp4 (or --format), NAME.json (engine, "
        "settings, seed, timings, input hash) and with --contact-sheet NAME.sheet.png. A manifest "
        "(DIR/batch.sqlite) makes a rerun resume: done items are skipped, failed ones retried, "
        "identical artworks rendered once.",
    )
    b.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image files, folders, glob patterns, or .txt/.csv lists"
    )
    b.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder (holds the manifest)"
    )
    b.add_argument(
        "--format", choices=FORMAT_CHOICES, default="mp4", help="video format (png: a folder of frames)"
    )
    b.add_argument("--contact-sheet", action="store_true", help="also write NAME.sheet.png of each artwork")
    add_render_options(b)
    b.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes or Ray actors (default: one per core; neural engines: one per GPU)",
    )
    b.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="further attempts for a failed item (on a rerun) or a lost worker (default 2)",
    )
    b.add_argument(
        "--ray",
        default=None,
        metavar="auto|ADDRESS",
        help="run on Ray: 'auto' (the running cluster, or a local one) or a cluster address; "
        "needs pip install 'undo-studio[cluster]'",
    )
    b.add_argument("--json", action="store_true", help="print a summary as JSON on stdout at the end")

    s = sub.add_parser(
        "batch-status",
        help="show the state of a batch's manifest",
        description="Print how many items of the batch in DIR are done, failed, pending.",
    )
    s.add_argument("out", type=Path, metavar="DIR")
    s.add_argument("--json", action="store_true", help="print the state as JSON")  # fmt: skip


class BatchBar:
    """Progress of a batch on stderr: items, items/min, ETA, failures."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, p: object) -> None:
        from app.batch import BatchProgress

        assert isinstance(p, BatchProgress)
        eta = "" if p.eta_s is None else f"  ETA {_duration(p.eta_s)}"
        head = f"{p.finished}/{p.total} items  {p.items_per_min:.1f}/min{eta}  {p.failed} failed"
        if self.tty:
            self.stream.write(f"\r{head}  {p.running} running  {p.last[:50]:<50}")
        elif p.last:
            self.stream.write(f"[{head}] {p.last}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def batch_command(args: argparse.Namespace, cancel: CancelToken) -> int:
    from app.batch import run
    from app.cli.render import render_request

    bar = BatchBar()
    try:
        summary = run(
            args.inputs,
            args.out,
            render_request(args),
            fmt=args.format,
            contact_sheet=args.contact_sheet,
            workers=args.workers,
            retries=args.retries,
            ray=args.ray,
            cancel=cancel,
            progress=bar,
        )
    finally:
        bar.done()
    print(
        f"{summary.rendered} rendered, {summary.skipped} already done, {summary.failed} failed, "
        f"{summary.duplicates} duplicates, {summary.pending} pending ({summary.seconds:.1f} s) -> {summary.out}",
        file=sys.stderr,
    )
    for failure in summary.failures[:20]:
        print(f"  failed: {failure['input']}: {failure['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_json()))
    if summary.cancelled:
        print("Cancelled: run the same command again to resume.", file=sys.stderr)
        return 130
    return 1 if summary.failed else 0


def status_command(args: argparse.Namespace) -> int:
    from app.batch.manifest import Manifest

    manifest = Manifest(args.out, writer=False)
    try:
        counts, jobs, inputs = manifest.counts(), manifest.jobs(), manifest.inputs()
    finally:
        manifest.close()
    failed = [j for j in jobs if j.state == "failed"]
    duplicates = len(inputs) - len({key for _, key in inputs})
    if args.json:
        state: dict[str, object] = {
            "out": str(args.out),
            "inputs": len(inputs),
            "jobs": len(jobs),
            "duplicates": duplicates,
            **counts,
            "failures": [{"input": j.input, "error": j.error or "", "attempts": j.attempts} for j in failed],
        }
        print(json.dumps(state))
        return 0
    print(
        f"{args.out}: {len(inputs)} inputs, {len(jobs)} items ({duplicates} duplicates): "
        + ", ".join(f"{counts[s]} {s}" for s in ("done", "failed", "running", "pending"))
    )
    for job in failed:
        print(f"  failed ({job.attempts}x): {job.input}: {job.error}")
    return 0
