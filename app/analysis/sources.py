"""Recording sources: a time-lapse as a bounded list of small sampled frames with their positions.

`load_recording(path)` reads any of:
- a video PyAV decodes (MP4/MOV/M4V/WebM/MKV/GIF/animated WebP...), streamed frame by frame;
- a folder of numbered images (Krita's recorder; natural sort; PNG/JPEG/WebP);
- a `.procreate` file: a zip whose time-lapse is `video/segments/segment-N.mp4`, N from 1, played in
  order of N (so segment-10 follows segment-9, not segment-1).

Why samples and not the whole recording: a 10-minute 1080p time-lapse is 18000 frames of 6 MB; the
aligner and the scorer need its *course*, so at most `max_samples` frames are kept, each downscaled on
decode (swscale does it for video, `Image.draft`/INTER_AREA for images) to `max_side`. A recording longer
than `max_decoded` frames is not decoded through: one keyframe is read after each of `max_samples` seeks,
so a 10-hour file costs as much as a short one.

A frame's *position* is its time stamp in seconds (video) or the number in its file name (folder), so a
dropped frame leaves a gap instead of shifting everything after it (progress is mapped from positions,
app/analysis/align.py). Without usable time stamps (0 fps, repeated stamps) positions are frame counts.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.analysis.recording import HINT_VIDEO, Recording, RecordingInfo, check_size, usable_positions
from app.analysis.video import load_videos
from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.core.imaging import fit_size, resize_to
from app.core.pixel_modes import to_rgb_array
from app.errors import RecordingError, UndoStudioError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})
DEFAULT_MAX_SIDE = 320
DEFAULT_MAX_SAMPLES = 600
DEFAULT_MAX_DECODED = 20_000  # beyond this (11 min at 30 fps) frames are sampled by seeking
MAX_SEGMENT_BYTES = 16 * 1024**3  # a declared segment size beyond this is a damaged or hostile zip
_SEGMENT = re.compile(r"(?:^|/)video/segments/segment-(\d+)\.mp4$", re.IGNORECASE)


def load_recording(
    path: Path,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    max_decoded: int = DEFAULT_MAX_DECODED,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
) -> Recording:
    """Sample a recording. Raises `RecordingError` (never a decoder's own error) or `CancelledError`."""
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"'{path}' does not exist.", "Check the file name and folder, then try again.")
    if max_samples < 2:
        raise ValueError("max_samples must be at least 2")
    try:
        if path.is_dir():
            return _load_folder(path, max_side, max_samples, cancel, progress)
        if not path.is_file():
            raise RecordingError(
                f"'{path}' is not a regular file.", "Choose a video, a folder or a .procreate file."
            )
        if path.stat().st_size == 0:
            raise RecordingError(f"'{path.name}' is empty (0 bytes).", HINT_VIDEO)
        if path.suffix.lower() == ".procreate" or (zipfile.is_zipfile(path) and _is_procreate(path)):
            return _load_procreate(path, max_side, max_samples, max_decoded, cancel, progress)
        if path.suffix.lower() == ".webp":  # FFmpeg decodes still WebP only; Pillow decodes animated ones
            return _load_animated(path, max_side, max_samples, max_decoded, cancel, progress)
        return load_videos(path, [path], "video", max_side, max_samples, max_decoded, cancel, progress)
    except UndoStudioError:
        raise
    except MemoryError as exc:
        raise RecordingError(f"Not enough memory to read '{path.name}'.", "Close other apps.") from exc
    except PermissionError as exc:
        raise RecordingError(f"No permission to read '{path.name}'.", "Check its permissions.") from exc


ANIMATION_SUFFIXES = frozenset({".gif", ".webp"})  # both a still artwork and a time-lapse


def is_animation(path: Path) -> bool:
    """A GIF or WebP of more than one frame: it may be a time-lapse as well as an artwork. Pillow's
    `is_animated` reads the header (WebP) or looks for a second frame (GIF) without decoding them; an
    unreadable file is no animation (opening it says why)."""
    if Path(path).suffix.lower() not in ANIMATION_SUFFIXES:
        return False
    try:
        with Image.open(path) as im:
            return bool(getattr(im, "is_animated", False))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return False


# -------------------------------------------------------------------------------------- .procreate


def _is_procreate(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(_SEGMENT.search(n) for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _load_procreate(
    path: Path,
    max_side: int,
    max_samples: int,
    max_decoded: int,
    cancel: CancelToken,
    progress: ProgressCallback,
) -> Recording:
    """Each segment is copied out of the zip (streamed, its declared size checked first) into a temporary
    folder, then all are sampled as one recording; the folder is removed however this ends."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise RecordingError(
            f"'{path.name}' is not a valid .procreate file (damaged zip).", HINT_VIDEO
        ) from exc
    with archive, tempfile.TemporaryDirectory(prefix="undo-studio-procreate-") as folder:
        segments = sorted(
            ((int(m.group(1)), info) for info in archive.infolist() if (m := _SEGMENT.search(info.filename))),
            key=lambda item: item[0],
        )
        if not segments:
            raise RecordingError(
                f"'{path.name}' has no time-lapse in it.",
                "Procreate keeps one only while Time-lapse Recording is on (Actions > Video); "
                "or export the time-lapse from Procreate as MP4.",
            )
        paths = []
        for number, info in segments:
            cancel.raise_if_cancelled()
            if info.file_size > MAX_SEGMENT_BYTES:
                raise RecordingError(
                    f"Segment {number} inside '{path.name}' claims {info.file_size / 1e9:.0f} GB "
                    "(the file is damaged).",
                    HINT_VIDEO,
                )
            target = Path(folder) / f"segment-{number:06d}.mp4"
            try:
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise RecordingError(
                    f"Segment {number} inside '{path.name}' is damaged ({exc}).", HINT_VIDEO
                ) from exc
            if target.stat().st_size:
                paths.append(target)
        if not paths:
            raise RecordingError(f"The time-lapse inside '{path.name}' is empty.", HINT_VIDEO)
        rec = load_videos(path, paths, "procreate", max_side, max_samples, max_decoded, cancel, progress)
    return rec


# ---------------------------------------------------------------------------------- animated WebP


def _load_animated(
    path: Path,
    max_side: int,
    max_samples: int,
    max_decoded: int,
    cancel: CancelToken,
    progress: ProgressCallback,
) -> Recording:
    """An animated WebP through Pillow: positions from the frames' delays (all 0: frame counts)."""
    try:
        with Image.open(path) as im:
            check_size(path.name, im.width, im.height)
            count = int(getattr(im, "n_frames", 1))
            size = fit_size(im.width, im.height, max_side)
            chosen = set(np.round(np.linspace(0, count - 1, min(count, max_samples))).astype(int).tolist())
            timed = count <= max_decoded  # the delays need every frame visited
            frames: list[np.ndarray] = []
            positions: list[float] = []
            elapsed = 0.0
            for i in range(count) if timed else sorted(chosen):
                cancel.raise_if_cancelled()
                im.seek(i)
                if i in chosen:
                    progress(len(frames) / len(chosen), "Reading the frames")
                    frames.append(resize_to(to_rgb_array(im), *size))
                    positions.append(elapsed if timed else float(i))
                elapsed += float(im.info.get("duration", 0) or 0) / 1000.0
    except RecordingError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
    ) as exc:
        raise RecordingError(f"'{path.name}' could not be read as an animation ({exc}).", HINT_VIDEO) from exc
    pos, unit = usable_positions(positions, "s")
    info = RecordingInfo(path, "video", im.width, im.height, count, elapsed or None, unit)
    return Recording(info, tuple(frames), pos, len(frames) if not timed else count, not timed)


# ------------------------------------------------------------------------------------------ folders


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """'frame2' < 'frame10': digit runs compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", name))


def _number(stem: str) -> int | None:
    found = re.findall(r"\d+", stem)
    return int(found[-1]) if found else None


def _load_folder(
    folder: Path, max_side: int, max_samples: int, cancel: CancelToken, progress: ProgressCallback
) -> Recording:
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if not files:
        raise RecordingError(
            f"'{folder.name}' has no PNG, JPEG or WebP images in it.",
            "Choose the folder your recorder wrote its numbered frames into.",
        )
    numbers = [_number(p.stem) for p in files]
    numbered = all(n is not None for n in numbers) and len(set(numbers)) == len(numbers)
    chosen = np.unique(np.round(np.linspace(0, len(files) - 1, min(max_samples, len(files)))).astype(int))
    frames: list[np.ndarray] = []
    positions: list[float] = []
    skipped: list[str] = []
    size: tuple[int, int] | None = None
    full: tuple[int, int] = (0, 0)
    for k, i in enumerate(chosen):
        cancel.raise_if_cancelled()
        progress(k / len(chosen), "Reading the frames")
        try:
            pixels, full_size = _read_image(files[i], max_side)
        except RecordingError:
            skipped.append(files[i].name)  # one damaged frame of thousands costs that frame only
            continue
        if size is None:
            size, full = (int(pixels.shape[1]), int(pixels.shape[0])), full_size
        frames.append(resize_to(pixels, *size))
        positions.append(float(numbers[i] or 0) if numbered else float(i))
    if not frames:
        raise RecordingError(
            f"None of the images in '{folder.name}' could be read.", "Export the frames again."
        )
    info = RecordingInfo(folder, "images", full[0], full[1], len(files), None, "frame")
    pos, _ = usable_positions(positions, "frame")
    return Recording(info, tuple(frames), pos, len(frames), False, tuple(skipped))


def _read_image(path: Path, max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    """One frame, downscaled while decoding where the format allows (JPEG draft mode)."""
    try:
        with Image.open(path) as im:
            check_size(path.name, im.width, im.height)
            full = (im.width, im.height)
            if im.format == "JPEG":
                im.draft("RGB", fit_size(im.width, im.height, max_side))
            im.load()
            pixels = to_rgb_array(im)
    except RecordingError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
    ) as exc:
        raise RecordingError(
            f"'{path.name}' could not be read as an image ({exc}).", "Export the frames again."
        ) from exc
    return resize_to(pixels, *fit_size(pixels.shape[1], pixels.shape[0], max_side)), full
