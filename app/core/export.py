"""Export a reconstructed process: PNG sequence, MP4 (H.264), WebM (VP9), animated GIF/WebP, comparisons.

Frames are rendered lazily, one at a time, through `frame_for_step` (1000 frames of 1024² never sit in
memory together). The output format comes from the output path: no suffix = a folder of PNGs. Every
write is atomic: the file (or folder) is written under a temporary name beside the target and renamed on
success; on cancel or error the temporary is removed and an existing target is left untouched
(export_files.py: also what a killed export left behind is cleaned on the next export there).

Every format lasts as long for the same options (`plan_shots`): a video repeats a held picture, GIF and
WebP give it a longer delay, a PNG sequence writes one file per video frame (`frame_00000.png`, ... in
playback order, so an editor importing the folder at the export's frame rate plays the same length) and
a `process.json` saying which step each file shows.

The "AI-simulated process" caption and metadata are on by default (design §1.5): people must not mistake
a simulation for a real time-lapse.

H.264 settings: libx264, preset "veryfast", CRF 20, yuv420p, BT.709 tagged, +faststart. On a 2-core
machine this encodes 1000 frames of 512² well within 10 s (bench/export.py) at visually clean quality;
"medium" would be ~2-3x slower for a few percent smaller files.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from app import __version__
from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.core.compare_layout import compare_grid
from app.core.export_files import (
    MANIFEST_NAME,
    check_target,
    clean_stale_partials,
    commit,
    held_partial,
    remove,
    temp_beside,
    write_manifest,
)
from app.core.export_files import replace_atomically as replace_atomically  # its home before the split
from app.core.imaging import DEFAULT_LABEL, even_size, fit_size, label_stamp, resize_to
from app.errors import CancelledError, ExportError

LengthPreset = Literal["full", "15s", "30s", "60s"]
LENGTH_SECONDS: dict[str, float] = {"15s": 15.0, "30s": 30.0, "60s": 60.0}
FORMATS = ("png", "mp4", "webm", "gif", "webp")
GIF_MAX_FPS = 50  # GIF delays are in 1/100 s and viewers treat delays < 2/100 s as 1/10 s
# The export dialog's range; more only multiplies hold frames (1 s at 100000 fps = 100000 frames).
MAX_FPS = 120
MAX_HOLD_S = 60.0  # final-first / hold-last: longer is a typo, and each second is `fps` encoded frames
# Largest side each format can store: WebP's VP8 bitstream has 14-bit sizes, GIF 16-bit ones.
MAX_SIDE = {"webp": 16383, "gif": 65535}
GIF_WARN_BYTES = 50 * 1024 * 1024  # above this an export asks first (GUI) or warns (CLI)
# Bytes per pixel of one GIF frame as write_gif makes it (own 256-colour palette, LZW). See
# estimate_gif_bytes for how it was measured.
GIF_BYTES_PER_PIXEL = 0.25
FrameSource = Callable[[int], np.ndarray]


@dataclass(frozen=True)
class ExportOptions:
    fps: int = 30
    length: LengthPreset = "full"
    max_size: int | None = None  # long side in pixels; never upscales
    show_final_first: bool = False  # open with the finished artwork for `final_first_s`
    final_first_s: float = 1.0
    hold_last_s: float = 1.0  # keep the last frame on screen this long (videos and animations)
    label: bool = True  # caption + metadata "AI-simulated process"
    label_text: str = DEFAULT_LABEL
    crf: int = 20  # H.264 constant rate factor (lower = better, 18-23 is visually clean)
    preset: str = "veryfast"  # x264 speed/size trade-off
    webm_crf: int = 32  # VP9 CRF (0-63)
    webp_quality: int = 85
    png_compress_level: int = 3  # 0-9; 3 is ~3x faster than the default 6 for ~10 % larger files


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str  # one of FORMATS
    steps: tuple[int, ...]  # the undo steps shown, in playback order
    frame_count: int  # frames in the output (video frames incl. holds; images for GIF/WebP/PNG)
    width: int
    height: int
    duration_s: float


@dataclass(frozen=True)
class _Shot:
    """One rendered picture and how long it stays on screen, in video frames."""

    step: int
    frames: int


def export_format(out: Path) -> str:
    """'png' (a folder: no suffix), 'mp4', 'webm', 'gif' or 'webp'; ExportError otherwise."""
    suffix = Path(out).suffix.lower()
    if suffix == "":
        return "png"
    if suffix[1:] in FORMATS[1:]:
        return suffix[1:]
    raise ExportError(
        f"'{Path(out).name}' has an unsupported extension '{suffix}'.",
        "Use .mp4, .webm, .gif or .webp, or a folder name without an extension for a PNG sequence.",
    )


def check_request(out: Path, options: ExportOptions) -> str:
    """Validate an export before any frame is rendered; returns the format. Callers with slow work ahead
    (the CLI analyses the artwork first) call it up front so a typo fails in a second, not after minutes.

    Refuses what would produce a wrong, absurd or unwritable result: a frame rate outside 1..MAX_FPS or
    not a whole number (the video's rate is an integer, so 2.5 would silently change the length), hold
    times that are not finite or longer than MAX_HOLD_S (1e9 s would encode forever), a negative size,
    and a target that is a folder where a file is wanted or a file where a folder is wanted."""
    out = Path(out)
    fmt = export_format(out)
    fps = options.fps
    whole = isinstance(fps, numbers.Real) and float(fps).is_integer()  # NaN and inf are not
    if not whole or not 1 <= fps <= MAX_FPS:
        raise ExportError(
            f"Frame rate must be a whole number from 1 to {MAX_FPS}, got {fps}.", "Use e.g. 30 fps."
        )
    for what, seconds in (
        ("Hold last frame", options.hold_last_s),
        ("Show final first", options.final_first_s),
    ):
        if not math.isfinite(seconds) or seconds > MAX_HOLD_S:
            raise ExportError(
                f"{what} must be between 0 and {MAX_HOLD_S:.0f} seconds, got {seconds}.", "Use e.g. 1 second."
            )
    if options.max_size is not None and options.max_size < 0:
        raise ExportError(
            f"Size must be a positive number of pixels, got {options.max_size}.",
            "Use e.g. 1024, or leave it out to keep the artwork's size.",
        )
    check_target(out, fmt)
    return fmt


def select_steps(steps: Sequence[int], options: ExportOptions) -> tuple[int, ...]:
    """Evenly spaced subset of `steps` (first and last kept) so the video lasts the preset's length."""
    steps = tuple(int(s) for s in steps)
    if options.length == "full":
        return steps
    if options.length not in LENGTH_SECONDS:
        raise ExportError(f"Unknown length preset '{options.length}'.", "Use full, 15s, 30s or 60s.")
    extra = _frames_for(options.hold_last_s, options.fps)
    if options.show_final_first:
        extra += _frames_for(options.final_first_s, options.fps)
    wanted = max(2, round(LENGTH_SECONDS[options.length] * options.fps) - extra)
    if len(steps) <= wanted:
        return steps
    indices = np.round(np.linspace(0, len(steps) - 1, wanted)).astype(int)
    return tuple(steps[i] for i in indices)


def _frames_for(seconds: float, fps: int) -> int:
    return max(0, round(seconds * fps))


def plan_shots(steps: Sequence[int], options: ExportOptions, fmt: str) -> list[_Shot]:
    """The pictures to render and how many video frames (at `options.fps`) each stays on screen. The same
    for every format, so every format lasts `sum(frames) / fps`; only a GIF above GIF_MAX_FPS is retimed
    to GIF_MAX_FPS (fewer pictures, same length)."""
    shown = select_steps(steps, options)
    shots = [_Shot(s, 1) for s in shown]
    shots[-1] = _Shot(shown[-1], 1 + _frames_for(options.hold_last_s, options.fps))
    if options.show_final_first:
        shots.insert(0, _Shot(shown[-1], max(1, _frames_for(options.final_first_s, options.fps))))
    if fmt == "gif" and options.fps > GIF_MAX_FPS:
        shots = retime(shots, options.fps, GIF_MAX_FPS)
    return shots


def retime(shots: Sequence[_Shot], fps: int, new_fps: int) -> list[_Shot]:
    """The same timeline at `new_fps`: each shot ends at its original time, rounded to the new frame
    grid; a shot that rounds to no frame is dropped (its neighbours cover its moment), the last one is
    kept. The total length changes by less than one new frame."""
    out: list[_Shot] = []
    elapsed = ended = 0
    for i, shot in enumerate(shots):
        elapsed += shot.frames
        end = max(ended + (i == len(shots) - 1), round(elapsed * new_fps / fps))
        if end > ended:
            out.append(_Shot(shot.step, end - ended))
            ended = end
    return out


def estimate_gif_bytes(steps: Sequence[int], options: ExportOptions, width: int, height: int) -> int:
    """About how large a GIF of `steps` from frames of width×height will be, before rendering anything:
    pictures in the GIF (`plan_shots`: a hold is one picture with a long delay) × output pixels
    (`options.max_size` applied) × GIF_BYTES_PER_PIXEL, plus each frame's 768-byte palette and headers.

    GIF_BYTES_PER_PIXEL = 0.25 comes from this writer's output for whole procedural processes (60 frames,
    `undo-studio render --out x.gif`): the bundled illustrations gave 0.08-0.12 bytes per pixel, a
    detailed gradient with noise 0.15 (early, sparse frames compress far better than the finished
    picture), a noisy photograph-like image 0.56. 0.25 is above every illustration, so the warning comes
    rather early than late for artwork; a noisy photograph can be about twice the estimate. Compare the
    result with GIF_WARN_BYTES."""
    pictures = len(plan_shots(steps, options, "gif")) if steps else 0
    w, h = fit_size(width, height, options.max_size)
    return int(pictures * (w * h * GIF_BYTES_PER_PIXEL + 800) + 1024)


def process_manifest(
    fields: Mapping[str, object] | None, options: ExportOptions, shots: Sequence[_Shot]
) -> dict[str, object]:
    """`process.json` of a PNG sequence: what the caller knows (artwork, engine, seed, settings...) plus
    what the export decided: the steps shown, the frame rate, and the step each `frame_*.png` shows."""
    files = [s.step for s in shots for _ in range(s.frames)]
    body = shots[1:] if options.show_final_first else shots
    return {
        "app": f"undo-studio {__version__}",
        "ai_simulated_process": True,
        **(fields or {}),
        "steps": list(dict.fromkeys(s.step for s in body)),
        "fps": options.fps,
        "duration_s": round(len(files) / options.fps, 4),
        "frames": files,
    }


def export_process(
    steps: Sequence[int],
    frame_for_step: FrameSource,
    out: Path,
    options: ExportOptions | None = None,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
    manifest: Mapping[str, object] | None = None,
) -> ExportResult:
    """Render `steps` (playback order, e.g. 999 -> 0) lazily and write them to `out`. A PNG sequence
    gets a `process.json`: `manifest` (what the caller knows: artwork, engine, seed...) plus the export's
    own fields (`process_manifest`), written inside the sequence's temp folder so it commits with it.

    Raises ExportError (bad path/format/encoder, disk errors) or CancelledError (nothing left behind).
    """
    options = options or ExportOptions()
    out = Path(out)
    fmt = check_request(out, options)
    if not steps:
        raise ExportError("There is nothing to export (no steps).", "Generate the process first.")
    if fmt == "webm":
        _require_codec("libvpx-vp9", "WebM (VP9)")
    shots = plan_shots(steps, options, fmt)
    if fmt == "gif" and options.fps > GIF_MAX_FPS:
        options = replace(options, fps=GIF_MAX_FPS)  # browsers slow delays under 20 ms down to 100 ms
    renderer = _Renderer(frame_for_step, options, fmt, shots, cancel, progress)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"Cannot create the folder '{out.parent}' ({exc}).", "Choose another location."
        ) from exc
    clean_stale_partials(out)
    tmp = temp_beside(out)
    try:
        from app.core import export_writers

        with held_partial(tmp, is_folder=fmt == "png"):
            export_writers.WRITERS[fmt](tmp, shots, renderer.render, options)
            cancel.raise_if_cancelled()
            if fmt == "png":
                write_manifest(tmp / MANIFEST_NAME, process_manifest(manifest, options, shots))
            commit(tmp, out, fmt)
    except (CancelledError, ExportError):
        remove(tmp)
        raise
    except Exception as exc:  # noqa: BLE001 - encoders and the OS raise anything; one clear error
        remove(tmp)
        raise ExportError(
            f"Writing '{out.name}' failed ({exc}).", "Check free disk space and that the folder is writable."
        ) from exc
    except BaseException:  # KeyboardInterrupt (a second Ctrl+C), SystemExit: no half-written file left
        remove(tmp)
        raise
    progress(1.0, "Export finished")
    total = sum(s.frames for s in shots)
    width, height = renderer.size or (0, 0)
    count = len(shots) if fmt in {"gif", "webp"} else total
    return ExportResult(out, fmt, tuple(s.step for s in shots), count, width, height, total / options.fps)


def export_comparison(
    panes: Sequence[tuple[str, FrameSource]],
    steps: Sequence[int],
    out: Path,
    options: ExportOptions | None = None,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
    manifest: Mapping[str, object] | None = None,
) -> ExportResult:
    """A video of 2-4 branches in the compare view's layout (`compare_grid`: a row, or 2×2 for four),
    `panes` = [(label, frame_for_step), ...], one slider for all."""
    if not 2 <= len(panes) <= 4:
        raise ExportError(
            f"A comparison needs 2 to 4 branches, got {len(panes)}.", "Pick 2, 3 or 4 branches."
        )
    labels = [label for label, _ in panes]

    def composite(step: int) -> np.ndarray:
        return compare_grid([source(step) for _, source in panes], labels)

    return export_process(steps, composite, out, options, cancel, progress, manifest)


class _Renderer:
    """Renders shot i: fetch, fit to the output size (fixed by the first frame), caption, progress."""

    def __init__(
        self,
        source: FrameSource,
        options: ExportOptions,
        fmt: str,
        shots: list[_Shot],
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> None:
        self._source, self._options, self._fmt, self._shots = source, options, fmt, shots
        self._cancel, self._progress = cancel, progress
        self.size: tuple[int, int] | None = None

    def render(self, index: int) -> np.ndarray:
        self._cancel.raise_if_cancelled()
        step = self._shots[index].step
        pixels = np.asarray(self._source(step))
        if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
            raise ExportError(f"The frame for step {step} has shape {pixels.shape}, not (H, W, 3).", "")
        if self.size is None:
            w, h = fit_size(pixels.shape[1], pixels.shape[0], self._options.max_size)
            if self._fmt in {"mp4", "webm"}:
                w, h = even_size(w, h)  # yuv420p
            limit = MAX_SIDE.get(self._fmt)
            if limit is not None and max(w, h) > limit:
                raise ExportError(
                    f"Frames of {w}x{h} pixels are too large for {self._fmt.upper()} (at most {limit} "
                    "pixels a side).",
                    "Choose a smaller export size, or export as MP4.",
                )
            self.size = (w, h)
        frame = resize_to(pixels[:, :, :3], *self.size)
        if self._options.label:
            frame = label_stamp(self.size[0], self.size[1], self._options.label_text).apply(frame)
        self._cancel.raise_if_cancelled()
        n = len(self._shots)
        self._progress((index + 1) / (n + 1), f"Frame {index + 1} of {n}")
        return frame


def _require_codec(name: str, what: str) -> None:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception as exc:  # noqa: BLE001 - PyAV raises different errors per version
        raise ExportError(
            f"{what} export is not available: this PyAV/FFmpeg build has no '{name}' encoder.",
            "Export as MP4 instead, or install a PyAV build with libvpx.",
        ) from exc
