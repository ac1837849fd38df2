"""Artwork: the finished image a process is reconstructed for.

STUB by the lead: the dataclass below is the agreed interface. The core helper adds `load_artwork`
(formats, EXIF orientation, alpha onto white, pixel limits, clear `ArtworkError`s).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True, eq=False)
class Artwork:
    """An RGB uint8 image (H, W, 3), C-contiguous, read-only, plus where it came from."""

    pixels: np.ndarray
    source: Path | None = None
    layer_names: tuple[str, ...] = ()  # bottom-to-top layer order of layered files, a process hint
    content_hash: str = field(default="")

    def __post_init__(self) -> None:
        px = np.ascontiguousarray(self.pixels, dtype=np.uint8)
        if px.ndim != 3 or px.shape[2] != 3:
            raise ValueError(f"artwork pixels must be (H, W, 3), got {px.shape}")
        px.setflags(write=False)
        object.__setattr__(self, "pixels", px)
        if not self.content_hash:
            h = hashlib.sha256(f"{px.shape}".encode())
            h.update(px.tobytes())
            object.__setattr__(self, "content_hash", h.hexdigest()[:16])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @staticmethod
    def from_array(pixels: np.ndarray, source: Path | None = None) -> Artwork:
        return Artwork(pixels=pixels, source=source)
