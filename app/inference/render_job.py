"""Render one artwork to its outputs: the one code path of `undo-studio render` and of every batch item.

Why one function for both: a batch must write exactly what `render` writes for the same artwork and
options (same steps, same frames, same encoder settings), and the only way to keep that true is to run
the same code. The work is split where a batch needs to split it: `prepare_engine` once per worker (an
engine keeps its models loaded across items), then `load_input` + `render_artwork` per item.

Random-access engines (procedural) render each exported step directly. Keyframe engines (Paints-UNDO)
render their keyframes in one batch, then the 16-frame segments between them, chained in painting order
like the reference's video (app/core/segments.py); app/inference/frame_source.py makes the frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.core.artwork import Artwork, fit_within, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, scaled_progress
from app.core.export import ExportOptions
from app.core.frames import MAX_STEP
from app.errors import EngineError
from app.inference.engine import ProcessEngine, require_ready
from app.inference.frame_source import ProcessFrames
from app.inference.paints_undo.estimate import RunEstimate
from app.inference.registry import DEFAULT_ENGINE, create_engine

CONTACT_SHEET_STEPS = (999, 900, 700, 500, 300, 100, 0)
DEFAULT_FRAMES = 300
FrameFn = Callable[[int], np.ndarray]


class StageProgress(Protocol):
    """A progress callback for one stage (analyse, render) that is told when the stage ends."""

    def __call__(self, fraction: float, message: str = "") -> None: ...

    def done(self) -> None: ...


class _Silent:
    def __call__(self, fraction: float, message: str = "") -> None:
        pass

    def done(self) -> None:
        pass


def silent_stage(label: str) -> StageProgress:
    """The stage progress of work nobody watches (batch workers report per item, not per frame)."""
    return _Silent()


def _ignore_warning(text: str) -> None:
    pass


@dataclass(frozen=True)
class RenderRequest:
    """Everything that decides what a render writes, except the artwork and the output paths.

    Plain, picklable values: a batch sends one to every worker process or Ray actor. `settings` are the
    NAME=VALUE pairs as typed (`parse_settings` checks them against the engine once it exists)."""

    engine: str = DEFAULT_ENGINE
    seed: int = 0
    settings: tuple[str, ...] = ()
    prompt: str | None = None
    frames: int | None = None
    steps: tuple[int, ...] | None = None
    keyframes: tuple[tuple[int, str], ...] = ()  # (undo step, image path): --keyframe of paints-undo
    layer_keyframes: bool = False  # paints-undo: a layered artwork's own stages as keyframes
    export: ExportOptions = field(default_factory=ExportOptions)
    models: str | None = None  # where weights are and which device runs them: no effect on the pixels
    device: str | None = None

    def identity(self) -> dict[str, object]:
        """What changes the output, for a batch's content hash (models folder and device do not)."""
        out = asdict(self)
        out.pop("models")
        out.pop("device")
        return out


@dataclass(frozen=True)
class PreparedEngine:
    """An engine built and checked once, with the branch spec every artwork of a request renders with."""

    engine: ProcessEngine
    spec: BranchSpec
    keyframes: dict[int, Path]


@dataclass(frozen=True)
class RenderReport:
    frame_count: int
    output_size: tuple[int, int]
    artwork_hash: str
    timings: dict[str, float]
    estimate: dict[str, Any] | None = None  # a neural engine's time/memory estimate (RunEstimate.to_json)


def evenly_spaced_steps(count: int) -> list[int]:
    """`count` undo steps from 999 down to 0, both ends included, no duplicates."""
    if count <= 1:
        return [0]
    raw = np.linspace(MAX_STEP, 0, min(count, MAX_STEP + 1))
    return list(dict.fromkeys(int(round(s)) for s in raw))


def parse_settings(pairs: Sequence[str], known: Sequence[str] = ()) -> dict[str, object]:
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


def parse_keyframes(pairs: Sequence[str]) -> dict[int, Path]:
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


def check_outputs(out: Path, options: ExportOptions, contact_sheet: Path | None) -> str:
    """Everything that can be checked without the artwork, before the (slow) analysis; the format."""
    from app.core.contact_sheet import contact_sheet_format
    from app.core.export import check_request

    fmt = check_request(out, options)
    if contact_sheet is not None:
        contact_sheet_format(contact_sheet)
    return fmt


def prepare_engine(request: RenderRequest) -> PreparedEngine:
    """Build the engine and check it can run `request` (weights present, settings known, keyframe images
    accepted). Models load lazily on the first render, and stay loaded for the engine's lifetime."""
    models = Path(request.models) if request.models else None
    engine = create_engine(request.engine, models_dir=models, device=request.device)
    require_ready(engine)
    settings = parse_settings(request.settings, [s.name for s in engine.settings()])
    if request.prompt is not None:
        settings["prompt"] = request.prompt
    keyframes = {step: Path(path) for step, path in request.keyframes}
    if (keyframes or request.layer_keyframes) and not hasattr(engine, "set_user_keyframe"):
        raise EngineError(
            f"The {engine.display_name} engine does not take keyframe images.", "Use --engine paints-undo."
        )
    return PreparedEngine(engine, BranchSpec.make(engine.name, request.seed, settings), keyframes)


def load_input(image: Path, request: RenderRequest, cancel: CancelToken) -> tuple[Artwork, float]:
    """The artwork at the size the request renders at, and the seconds it took."""
    t0 = time.perf_counter()
    artwork = load_artwork(image, cancel=cancel)  # SIGTERM/Ctrl+C stop a long layer stack
    if request.export.max_size:
        artwork = fit_within(artwork, request.export.max_size)
    return artwork, time.perf_counter() - t0


def _frame_source(source: ProcessFrames, request: RenderRequest) -> tuple[list[int], FrameFn, FrameFn]:
    """The exported sequence (in painting order), the frame for each of its entries, and the frame
    for an undo step (for the contact sheet)."""
    explicit = list(request.steps or ()) or (evenly_spaced_steps(request.frames) if request.frames else None)
    if source.random_access:
        steps = sorted(explicit or evenly_spaced_steps(DEFAULT_FRAMES), reverse=True)
        return steps, source.frame_for_step, source.frame_for_step
    if explicit:
        return sorted(explicit, reverse=True), source.frame_for_step, source.frame_for_step
    order = source.video_parts()
    # Video of the whole chain: entries are positions in the chain, white canvas first.
    return list(range(len(order))), lambda i: source.frame_for_part(order[i]), source.frame_for_step


def _layer_stages(
    artwork: Artwork, seed: int, cancel: CancelToken, warn: Callable[[str], None]
) -> dict[int, np.ndarray]:
    """--keyframes-from-layers: the artwork's layer stages (app/inference/layers/stages.py); a flat
    artwork has none, said as a warning (a batch may mix flat and layered files)."""
    if not artwork.layered:
        warn("the artwork has no layers: --keyframes-from-layers is ignored for it")
        return {}
    from app.inference.layers.stages import stage_frames

    return stage_frames(artwork, seed, cancel)


def render_artwork(
    prepared: PreparedEngine,
    artwork: Artwork,
    image: Path,
    out: Path,
    request: RenderRequest,
    cancel: CancelToken,
    *,
    contact_sheet: Path | None = None,
    load_s: float = 0.0,
    stage: Callable[[str], StageProgress] = silent_stage,
    warn: Callable[[str], None] = _ignore_warning,
    beside: Callable[[ProcessFrames, Artwork, FrameFn], FrameFn] | None = None,
    on_estimate: Callable[[RunEstimate], None] | None = None,
) -> RenderReport:
    """Analyse `artwork` (loaded from `image`), render its process and write it to `out` (a folder of
    PNGs or a video file, written atomically by app/core/export.py), then the optional contact sheet.
    `load_s`: how long loading took (`load_input`), for the timings of `process.json`. `beside` turns
    the exported frames into others (render's --recording: each step beside the real recording).
    `on_estimate` is told a neural engine's time and memory estimate before anything is rendered."""
    from app.core.contact_sheet import contact_sheet as make_sheet
    from app.core.contact_sheet import save_contact_sheet
    from app.core.export import GIF_WARN_BYTES, estimate_gif_bytes, export_format, export_process
    from app.core.export_files import source_fields

    engine, spec, options = prepared.engine, prepared.spec, request.export
    timings: dict[str, float] = {"load_s": load_s}
    bar = stage("analyse")
    t0 = time.perf_counter()
    session = engine.prepare(artwork, spec, cancel, bar)
    user = _layer_stages(artwork, spec.seed, cancel, warn) if request.layer_keyframes else {}
    user |= {step: load_artwork(path, cancel=cancel).pixels for step, path in prepared.keyframes.items()}
    for step, pixels in user.items():  # an image of the user's own wins over a layer stage
        engine.set_user_keyframe(session, step, np.asarray(pixels))  # type: ignore[attr-defined]
    bar.done()
    timings["prepare_s"] = time.perf_counter() - t0
    run_estimate = session.extra.get("estimate")
    if not isinstance(run_estimate, RunEstimate):
        run_estimate = None
    elif on_estimate is not None:
        on_estimate(run_estimate)

    bar = stage("render")
    t0 = time.perf_counter()
    source = ProcessFrames(
        engine, artwork, spec, cancel, session=session, progress=scaled_progress(bar, 0.0, 0.3)
    )
    steps, frame_for, frame_at_step = _frame_source(source, request)
    if beside is not None:
        frame_for = beside(source, artwork, frame_for)
    if export_format(out) == "gif":
        estimate = estimate_gif_bytes(steps, options, *session.output_size)
        if estimate > GIF_WARN_BYTES:
            warn(
                f"this GIF will be about {estimate / 1e6:.0f} MB; for a smaller file use a shorter "
                "--length, a smaller --size, or .mp4/.webp."
            )
    # The manifest (PNG sequences) is written with the frames; the export's own time is reported apart.
    manifest = source_fields(image, artwork.content_hash, [("", spec)], session.output_size)
    manifest["timings"] = {k: round(v, 4) for k, v in timings.items()}
    result = export_process(
        steps, frame_for, out, options, cancel, scaled_progress(bar, 0.3, 1.0), manifest=manifest
    )
    bar.done()
    timings["render_and_export_s"] = time.perf_counter() - t0

    if contact_sheet is not None:
        t0 = time.perf_counter()
        sheet = make_sheet([(s, frame_at_step(s)) for s in CONTACT_SHEET_STEPS])
        save_contact_sheet(sheet, contact_sheet)
        timings["contact_sheet_s"] = time.perf_counter() - t0
    return RenderReport(
        result.frame_count,
        session.output_size,
        artwork.content_hash,
        timings,
        None if run_estimate is None else run_estimate.to_json(),
    )
