"""A sampled recording (what sources.py and video.py produce) and the checks every source shares."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.errors import RecordingError

MIN_SIDE = 16  # smaller frames hold no picture to register
MAX_PIXELS = 100_000_000  # per frame, checked from the header before decoding (as for artworks)
HINT_VIDEO = "Export the time-lapse again (MP4, H.264), or use a folder of numbered frames."


@dataclass(frozen=True)
class RecordingInfo:
    """What the recording is: its source kind and its full-size frame size, as far as it is known."""

    path: Path
    kind: str  # "video" | "images" | "procreate"
    width: int
    height: int
    frame_count: int  # frames in the source (estimated for videos)
    duration_s: float | None  # None for image folders
    position_unit: str  # "s" (time stamps) or "frame" (file numbers or frame counts)


@dataclass(frozen=True, eq=False)
class Recording:
    """The sampled frames (RGB uint8, long side <= max_side, all the same size) in recording order."""

    info: RecordingInfo
    frames: tuple[np.ndarray, ...]
    positions: np.ndarray  # float64, strictly increasing, one per frame
    decoded: int  # frames decoded to get these (the cost, and what the 10-hour guard bounds)
    sampled_by_seeking: bool
    skipped: tuple[str, ...] = ()  # unreadable images of a folder, left out

    @property
    def sample_size(self) -> tuple[int, int]:
        """(width, height) of the sampled frames."""
        return int(self.frames[0].shape[1]), int(self.frames[0].shape[0])


def check_size(label: str, width: int, height: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise RecordingError(
            f"'{label}' is {width}x{height} pixels, too small to compare with an artwork "
            f"(at least {MIN_SIDE} pixels a side).",
            "Use the full-size time-lapse.",
        )
    if width * height > MAX_PIXELS:
        raise RecordingError(
            f"'{label}' is {width}x{height} pixels, more than {MAX_PIXELS / 1e6:.0f} megapixels a frame.",
            "Export the time-lapse at a smaller size (1080p is plenty).",
        )


def usable_positions(positions: list[float], unit: str) -> tuple[np.ndarray, str]:
    """Positions as given when strictly increasing and finite; otherwise frame counts (0 fps, a GIF whose
    delays are all 0, repeated time stamps): order is then the only record of progress there is."""
    pos = np.asarray(positions, dtype=np.float64)
    if len(pos) and np.all(np.isfinite(pos)) and np.all(np.diff(pos) > 0):
        return pos, unit
    return np.arange(len(pos), dtype=np.float64), "frame"


def with_unit(info: RecordingInfo, unit: str) -> RecordingInfo:
    return info if info.position_unit == unit else replace(info, position_unit=unit)
