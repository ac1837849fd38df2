"""Frame keys and frames (design §3).

A frame key is artwork hash + branch spec hash + which part of the process it is, so changing one
setting invalidates only what depends on it. Undo step 0 is the finished artwork, 999 the first stroke.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

MIN_STEP = 0
MAX_STEP = 999


class FrameKind(Enum):
    """How a frame was obtained, best first."""

    EXACT = "exact"  # the engine rendered this undo step
    INTERPOLATED = "interpolated"  # a multi-frame segment frame assigned to this step
    PREVIEW = "preview"  # a cheap blend of the nearest frames that exist

    @property
    def rank(self) -> int:
        """Lower is better; used to decide whether a new frame replaces a cached one."""
        return {FrameKind.EXACT: 0, FrameKind.INTERPOLATED: 1, FrameKind.PREVIEW: 2}[self]


@dataclass(frozen=True, slots=True)
class Keyframe:
    """The engine renders undo step `step` directly."""

    step: int


@dataclass(frozen=True, slots=True)
class Segment:
    """Frame `index` of the interpolation between keyframe steps `a` and `b` (a < b)."""

    a: int
    b: int
    index: int


FramePart = Keyframe | Segment


@dataclass(frozen=True, slots=True)
class FrameKey:
    artwork_hash: str
    branch_hash: str
    part: FramePart

    def as_text(self) -> str:
        """Stable text form, used as a database key in project files."""
        if isinstance(self.part, Keyframe):
            part = f"k{self.part.step}"
        else:
            part = f"s{self.part.a}-{self.part.b}-{self.part.index}"
        return f"{self.artwork_hash}:{self.branch_hash}:{part}"

    @staticmethod
    def from_text(text: str) -> FrameKey:
        artwork_hash, branch_hash, part = text.split(":")
        if part.startswith("k"):
            return FrameKey(artwork_hash, branch_hash, Keyframe(int(part[1:])))
        a, b, i = (int(x) for x in part[1:].split("-"))
        return FrameKey(artwork_hash, branch_hash, Segment(a, b, i))


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """An RGB uint8 image (H, W, 3) for one undo step."""

    pixels: np.ndarray
    step: int
    kind: FrameKind
    # A PREVIEW shows other steps' pixels (the nearest frame, or a blend of the two around it): which
    # ones, so the label can say what the picture is (issue 10.2: "Step 0 · preview" over a half-painted
    # frame of step 480). Empty for exact and interpolated frames: they are of `step` itself.
    shows: tuple[int, ...] = ()

    @property
    def nbytes(self) -> int:
        return int(self.pixels.nbytes)


def clamp_step(step: int) -> int:
    return MIN_STEP if step < MIN_STEP else MAX_STEP if step > MAX_STEP else int(step)


def progress_percent(step: int) -> float:
    """The friendly label: 0 % at the blank canvas (step 999), 100 % at the finished artwork (step 0)."""
    return (MAX_STEP - clamp_step(step)) * 100.0 / MAX_STEP
