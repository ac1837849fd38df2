"""Drawing helpers for `make_samples.py`: a supersampled Pillow canvas with fills, gradients, soft
shading and ink outlines, so the sample scenes read like a digital illustration (line art, flats,
shading) rather than clip art. Drawing happens at 2x and is downsampled for anti-aliasing."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

SS = 2  # supersampling factor
INK = (38, 30, 36)
Point = tuple[float, float]


def catmull(points: Sequence[Point], closed: bool = True, samples: int = 12) -> list[Point]:
    """A smooth curve through `points` (Catmull-Rom), for organic shapes."""
    pts = list(points)
    n = len(pts)
    out: list[Point] = []
    segs = n if closed else n - 1
    for i in range(segs):
        p0 = pts[(i - 1) % n] if closed or i > 0 else pts[0]
        p1, p2 = pts[i], pts[(i + 1) % n]
        p3 = pts[(i + 2) % n] if closed or i + 2 < n else pts[-1]
        for j in range(samples):
            t = j / samples
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[k]
                        + (-p0[k] + p2[k]) * t
                        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                        + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3
                    )
                    for k in range(2)
                )
            )
    if not closed:
        out.append(pts[-1])
    return out


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, samples: int = 32) -> list[Point]:
    out = []
    for i in range(samples + 1):
        t = i / samples
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


def ellipse_pts(cx: float, cy: float, rx: float, ry: float, n: int = 72, rot: float = 0.0) -> list[Point]:
    c, s = math.cos(rot), math.sin(rot)
    out = []
    for i in range(n):
        a = 2 * math.pi * i / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        out.append((cx + x * c - y * s, cy + x * s + y * c))
    return out


class Canvas:
    """A supersampled RGB canvas with fill/shade/outline helpers. Coordinates are in output pixels."""

    def __init__(self, width: int, height: int, color=(255, 255, 255)) -> None:
        self.w, self.h = width, height
        self.img = Image.new("RGB", (width * SS, height * SS), color)

    def _s(self, pts: Sequence[Point]) -> list[Point]:
        return [(x * SS, y * SS) for x, y in pts]

    def mask(self, pts: Sequence[Point]) -> Image.Image:
        m = Image.new("L", self.img.size, 0)
        ImageDraw.Draw(m).polygon(self._s(pts), fill=255)
        return m

    def fill(self, mask: Image.Image, color) -> None:
        self.img.paste(color, mask=mask)

    def gradient(self, mask: Image.Image, c1, c2, p1: Point, p2: Point) -> None:
        """Linear gradient from c1 at p1 to c2 at p2 inside mask."""
        bbox = mask.getbbox()
        if not bbox:
            return
        x0, y0, x1, y1 = bbox
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32) / SS
        dx, dy = p2[0] - p1[0], p2[1] - p1[1]
        t = ((xs - p1[0]) * dx + (ys - p1[1]) * dy) / max(dx * dx + dy * dy, 1e-6)
        t = np.clip(t, 0, 1)[..., None]
        rgb = np.asarray(c1, np.float32) * (1 - t) + np.asarray(c2, np.float32) * t
        tile = Image.fromarray(rgb.astype(np.uint8), "RGB")
        self.img.paste(tile, (x0, y0), mask.crop(bbox))

    def shade(self, mask: Image.Image, offset: Point, color, alpha: float, blur: float) -> None:
        """Soft shadow (or highlight) on the side of `mask` away from `offset`'s direction: the part
        of the shape not covered by itself shifted by `offset`, blurred and clipped to the shape."""
        shifted = ImageChops.offset(mask, int(offset[0] * SS), int(offset[1] * SS))
        region = ImageChops.subtract(mask, shifted)
        region = region.filter(ImageFilter.GaussianBlur(blur * SS))
        region = ImageChops.multiply(region, mask)
        region = region.point(lambda v: int(v * alpha))
        self.img.paste(color, mask=region)

    def glow(
        self, mask: Image.Image, color, alpha: float, blur: float, clip: Image.Image | None = None
    ) -> None:
        region = mask.filter(ImageFilter.GaussianBlur(blur * SS))
        if clip is not None:
            region = ImageChops.multiply(region, clip)
        region = region.point(lambda v: int(v * alpha))
        self.img.paste(color, mask=region)

    def line(self, pts: Sequence[Point], width: float = 3.0, color=INK, closed: bool = False) -> None:
        p = self._s(pts)
        if closed:
            p = p + [p[0]]
        d = ImageDraw.Draw(self.img)
        w = max(1, int(round(width * SS)))
        d.line(p, fill=color, width=w, joint="curve")
        r = w / 2
        for x, y in (p[0], p[-1]):
            d.ellipse((x - r, y - r, x + r, y + r), fill=color)

    def tapered(self, pts: Sequence[Point], width: float = 3.0, color=INK) -> None:
        """A stroke that is thin at both ends and full width in the middle, like a pen stroke."""
        p = self._s(pts)
        n = len(p)
        d = ImageDraw.Draw(self.img)
        for i in range(n - 1):
            t = i / max(n - 2, 1)
            w = width * SS * (0.35 + 0.65 * math.sin(math.pi * t))
            d.line([p[i], p[i + 1]], fill=color, width=max(1, int(round(w))))
            r = w / 2
            d.ellipse((p[i + 1][0] - r, p[i + 1][1] - r, p[i + 1][0] + r, p[i + 1][1] + r), fill=color)

    def shape(self, pts: Sequence[Point], color, width: float = 3.0, outline: bool = True) -> Image.Image:
        m = self.mask(pts)
        self.fill(m, color)
        if outline:
            self.line(pts, width, closed=True)
        return m

    def grain(self, amount: float, seed: int) -> None:
        """A faint paper grain, so flat areas are not perfectly flat (as in real digital paintings)."""
        rng = np.random.default_rng(seed)
        a = np.asarray(self.img, np.float32)
        noise = rng.normal(0, amount, a.shape[:2]).astype(np.float32)[..., None]
        self.img = Image.fromarray(np.clip(a + noise, 0, 255).astype(np.uint8), "RGB")

    def result(self) -> Image.Image:
        return self.img.resize((self.w, self.h), Image.Resampling.LANCZOS)
