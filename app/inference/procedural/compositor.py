"""Stage layers and the per-step composite (the hot path: a handful of compares and masked copies).

Layers, each the whole canvas as it looks once that stage is done everywhere:
0 white paper, 1 pencil sketch, 2 ink over the sketch, 3 flats under the ink, 4 shading under the ink,
5 the artwork. A frame at tick t starts from the highest layer that is complete everywhere by t and
overwrites it, stage by stage, with each later layer where T_k(p) <= t, stopping at the first stage
that has not started anywhere. `cv2.copyTo` with a mask is a SIMD masked copy, so a 1024x1024 frame
costs about as much as copying the image a few times.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.inference.procedural.analysis import Analysis

PENCILS = ((96, 112, 150), (104, 104, 112), (120, 110, 130))  # blue-grey, graphite, warm grey


def _lerp(under: np.ndarray, over: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """under + (over - under) * alpha, rounded to uint8; in place in one float32 buffer (the textbook
    under * (1 - a) + over * a made four full-size temporaries: 86 ms per 1024² layer, now ~35 ms)."""
    out = np.subtract(over, under, dtype=np.float32)
    out *= alpha[..., None]
    out += under
    out += 0.5
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def build_layers(an: Analysis, sketch: np.ndarray, pencil: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    h, w = an.height, an.width
    img = an.image.astype(np.float32)
    a = an.line_alpha
    white = np.full((h, w, 3), 255, np.uint8)
    pencil_rgb = np.broadcast_to(np.asarray(pencil, np.float32), (h, w, 3))
    sketch_layer = _lerp(white.astype(np.float32), pencil_rgb, sketch)
    ink_layer = _lerp(sketch_layer.astype(np.float32), img, a)
    flats_layer = _lerp(an.flat.astype(np.float32), img, a)
    shade_layer = _lerp(an.shade.astype(np.float32), img, a)
    return (white, sketch_layer, ink_layer, flats_layer, shade_layer, an.image)


@dataclass(eq=False)
class Compositor:
    layers: tuple[np.ndarray, ...]  # 6 x (H, W, 3) uint8, C-contiguous
    times: tuple[np.ndarray, ...]  # 5 x (H, W) uint16, non-decreasing over stages per pixel

    def __post_init__(self) -> None:
        self.t_min = [int(t.min()) for t in self.times]
        self.t_max = [int(t.max()) for t in self.times]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.layers[0].shape  # type: ignore[return-value]

    def render_tick(self, tick: int, out: np.ndarray | None = None) -> np.ndarray:
        """The canvas at painting tick `tick` (0..999), written into `out` if given."""
        if out is None:
            out = np.empty(self.shape, np.uint8)
        base = 0
        for k in range(len(self.times)):
            if self.t_max[k] <= tick:
                base = k + 1
        np.copyto(out, self.layers[base])
        for k in range(base, len(self.times)):
            if self.t_min[k] > tick:
                break  # times are non-decreasing over stages, so no later stage has started either
            mask = (self.times[k] <= tick).view(np.uint8)
            cv2.copyTo(self.layers[k + 1], mask, out)
        return out

    def change_per_tick(self) -> np.ndarray:
        """(1000,) mean absolute change per pixel and channel (0..1) when going from tick t-1 to t."""
        # Every other row and column: an estimate for a plot, at a quarter of the cost.
        curve = np.zeros(1000, np.float64)
        pixels = 0
        for k, t in enumerate(self.times):
            diff = cv2.absdiff(self.layers[k + 1][::2, ::2], self.layers[k][::2, ::2]).sum(
                axis=2, dtype=np.uint16
            )
            ticks = t[::2, ::2]
            pixels = ticks.size
            curve += np.bincount(ticks.ravel(), weights=diff.ravel(), minlength=1000)[:1000]
        return curve / (max(pixels, 1) * 3 * 255.0)
