"""GUI entry point: `python -m app [--open IMAGE|PROJECT] [--step N] [--compare SEED,SEED] [--lang zh_CN]
[--screenshot OUT.png]`. `app/__main__.py` and the `undo-studio` script call `main(argv)` when no CLI
subcommand is given.

With `--screenshot` the app waits (on the qasync event loop) until the frames on screen are exact or
interpolated, saves the window as PNG and quits; it works with QT_QPA_PLATFORM=offscreen.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

import app
from app.core.branch import BranchSpec
from app.core.gc_pauses import freeze_start_up_objects
from app.ui.screen_fit import fit_to_screen


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="undo-studio", description="Undo Studio desktop app")
    p.add_argument("--open", type=Path, help="artwork image or .undoproj project to open")
    p.add_argument("--step", type=int, help="undo step to show (0 = finished, 999 = first stroke)")
    p.add_argument("--compare", help="comma-separated seeds to compare side by side, e.g. 0,7")
    p.add_argument(
        "--compare-mode", choices=["side", "wipe", "onion"], default="side", help="how --compare shows"
    )
    p.add_argument(
        "--recording", type=Path, help="a real time-lapse of the artwork to add as a Recorded branch"
    )
    p.add_argument("--score", action="store_true", help="score the branches against --recording")
    p.add_argument("--lang", help="user interface language: en or zh_CN (default: system / setting)")
    p.add_argument("--screenshot", type=Path, help="save a screenshot of the window when ready, then quit")
    p.add_argument("--dialog", choices=["export"], help="open a dialog (for screenshots)")
    p.add_argument("--size", default="1440x900", help="window size WxH")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds --screenshot waits for frames")
    return p.parse_args(argv)


def make_application() -> QApplication:
    from app.ui.refcount_guard import make_singletons_immortal

    make_singletons_immortal()  # PySide6 6.12 + Python 3.11 refcount bug, see the module
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setOrganizationName("UndoStudio")
    qapp.setApplicationName("Undo Studio")
    qapp.setApplicationVersion(app.__version__)
    return qapp  # type: ignore[return-value]


async def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    """Poll `predicate` on the Qt/asyncio loop (the UI keeps running) until true or `timeout` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(poll)
    return predicate()


def setup_window(args: argparse.Namespace, engine_factory=None, probe_system: bool = True):
    """Build and show the window at the requested size; `apply_args` then opens what was asked."""
    from app.ui.main_window import MainWindow

    window = MainWindow(engine_factory=engine_factory, probe_system=probe_system)
    try:
        w, h = (int(x) for x in args.size.lower().split("x"))
        window.resize(w, h)
    except ValueError:
        pass
    fit_to_screen(window)
    window.show()
    return window


async def apply_args(window, args: argparse.Namespace) -> None:
    """Open `--open` (read on the worker, awaited here), then compare, step and dialog as asked."""
    ctrl = window.controller
    if args.open is not None:
        await ctrl.files.open_path(args.open)
        doc = window.document
        base = doc.active  # simulated: --compare varies its seed (the recording is added after it)
        recorded = None
        if args.recording is not None and doc.artwork is not None:
            recorded = window.branches.add_recording(args.recording)
            if recorded is not None:
                window.score_dock.show()
        if args.compare and doc.artwork is not None:
            seeds = [int(s) for s in args.compare.split(",") if s.strip()]
            ids = []
            for seed in seeds:
                existing = next((b for b in doc.branches if b is not recorded and b.spec.seed == seed), None)
                if existing is None:
                    spec = base.spec.with_changes(seed=seed) if base else BranchSpec.make("procedural", seed)
                    existing = doc.add_branch(spec, activate=False)
                ids.append(existing.id)
            if recorded is not None:
                ids = [recorded.id, *ids][:4]
            ctrl.compare_export.compare_branches(ids)
            modes = window.compare.mode
            modes.setCurrentIndex(max(0, modes.findData(args.compare_mode)))
        if args.step is not None:
            window.playback.set_step(args.step)
    if args.dialog == "export":
        ctrl.modal_errors = False
        ctrl.compare_export.open_export()


def frames_ready(window) -> bool:
    doc = window.document
    if doc.artwork is None:
        return window.worker.queue_length() == 0 or not window.controller.start.probing
    return window.viewer.all_exact()


async def _screenshot_flow(window, args: argparse.Namespace) -> int:
    window.controller.compare_export.open_folder_after_export = False
    window.controller.files.confirm_close = lambda: "discard"
    await apply_args(window, args)
    ok = await wait_until(lambda: frames_ready(window), args.timeout)
    if args.score:
        ok = await window.scores.score() is not None and ok
    await asyncio.sleep(0.3)  # let the track's throttled redraw and the layout settle
    dialog = window.controller.compare_export.export_dialog
    target = dialog if dialog is not None else window
    out: Path = args.screenshot
    out.parent.mkdir(parents=True, exist_ok=True)
    target.grab().save(str(out))
    print(f"screenshot saved: {out}" + ("" if ok else " (frames were not all ready)"))
    window.close()
    return 0 if ok else 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    qapp = make_application()
    from app.ui.i18n import choose_language, install_translator
    from app.ui.theme import apply_theme

    translator = install_translator(choose_language(args.lang))  # noqa: F841 - keep a reference
    apply_theme(qapp)
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    window = setup_window(args)
    freeze_start_up_objects()  # short collector pauses while scrubbing (app/core/gc_pauses.py)
    if args.screenshot is not None:
        with loop:
            return loop.run_until_complete(_screenshot_flow(window, args))
    with loop:
        closed = asyncio.Event()
        qapp.aboutToQuit.connect(closed.set)
        opening = loop.create_task(apply_args(window, args))
        loop.run_until_complete(closed.wait())
        opening.cancel()  # quit while still opening
    return 0


if __name__ == "__main__":
    sys.exit(main())
