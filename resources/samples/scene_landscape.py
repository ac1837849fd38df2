"""A painterly landscape (our own work, drawn entirely by this script): no line art, soft colour masses,
atmospheric perspective and visible brush texture, like an oil or digital painting. It is the sample
the procedural engine paints in its painterly way (masses back to front, then brushwork).

Pillow + numpy only, deterministic (fixed seed). 1024x768.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

W, H = 1024, 768


def _blur(mask: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur of a 0..1 mask (H, W) through Pillow (8-bit is plenty for soft edges)."""
    img = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def _mask(draw_fn) -> np.ndarray:  # type: ignore[no-untyped-def]
    img = Image.new("L", (W, H), 0)
    draw_fn(ImageDraw.Draw(img))
    return np.asarray(img, np.float32) / 255.0


def _ridge(rng: np.random.Generator, base: float, amp: float, waves: int) -> list[tuple[float, float]]:
    xs = np.linspace(-10, W + 10, 160)
    y = np.full_like(xs, base * H)
    for k in range(1, waves + 1):
        y += amp * H / k * np.sin(xs / W * math.pi * (k + 0.7) + rng.uniform(0, 2 * math.pi))
    return [(float(x), float(v)) for x, v in zip(xs, y, strict=True)] + [(W + 10, H + 10), (-10, H + 10)]


def _paint(canvas: np.ndarray, mask: np.ndarray, colour: np.ndarray, soft: float = 1.5) -> np.ndarray:
    m = _blur(mask, soft)[..., None]
    return canvas * (1 - m) + colour * m


def draw_landscape(seed: int = 11) -> Image.Image:
    rng = np.random.default_rng(seed)
    ys, xs = np.indices((H, W), dtype=np.float32)
    v = ys / H
    # sky: deep blue at the top to a warm glow at the horizon, a sun glow on the right
    top, low = np.array([58, 92, 168], np.float32), np.array([246, 200, 150], np.float32)
    sky = top + (low - top) * np.clip(v / 0.5, 0, 1)[..., None] ** 1.3
    glow = np.exp(-(((xs - 0.72 * W) / 210) ** 2 + ((ys - 0.36 * H) / 150) ** 2))[..., None]
    canvas = sky + glow * (np.array([255, 236, 190], np.float32) - sky) * 0.8
    # clouds: soft warm-grey blobs
    clouds = np.zeros((H, W), np.float32)
    for _ in range(9):
        cx, cy = rng.uniform(0, W), rng.uniform(0.06, 0.3) * H
        for _ in range(6):
            ex, ey = cx + rng.normal(0, 60), cy + rng.normal(0, 12)
            rx, ry = rng.uniform(40, 110), rng.uniform(12, 26)
            clouds = np.maximum(
                clouds,
                _mask(
                    lambda d, ex=ex, ey=ey, rx=rx, ry=ry: d.ellipse(
                        (ex - rx, ey - ry, ex + rx, ey + ry), fill=255
                    )
                ),
            )
    canvas = _paint(canvas, clouds * 0.75, np.array([236, 222, 214], np.float32), 14)
    # far mountains (blue, hazy), middle hills (blue-green), near hills (green), meadow (yellow-green)
    ridges = [
        (0.42, 0.05, 3, (128, 140, 186), (150, 160, 196)),
        (0.52, 0.035, 4, (92, 124, 128), (110, 138, 132)),
        (0.62, 0.03, 3, (70, 116, 62), (56, 96, 48)),
        (0.76, 0.02, 2, (150, 160, 70), (118, 124, 52)),
    ]
    for base, amp, waves, c0, c1 in ridges:
        pts = _ridge(rng, base, amp, waves)
        m = _mask(lambda d, pts=pts: d.polygon(pts, fill=255))
        shade = np.clip((v - base + 0.06) / 0.35, 0, 1)[..., None]
        colour = (
            np.asarray(c0, np.float32) + (np.asarray(c1, np.float32) - np.asarray(c0, np.float32)) * shade
        )
        canvas = _paint(canvas, m, colour, 2.0)
    # a lake reflecting the sky in the middle ground
    lake = _mask(lambda d: d.ellipse((140, 0.6 * H, 620, 0.71 * H), fill=255))
    reflect = np.array([176, 190, 214], np.float32) + 30 * np.sin(ys / 3.0)[..., None] * 0.3
    canvas = _paint(canvas, lake, reflect, 3)
    # trees: dark rounded crowns on trunks, on the near hill
    for _ in range(7):
        tx, ty = rng.uniform(640, 980), rng.uniform(0.6, 0.7) * H
        r = rng.uniform(22, 42)
        trunk = _mask(lambda d, tx=tx, ty=ty, r=r: d.rectangle((tx - 4, ty, tx + 4, ty + r * 1.6), fill=255))
        canvas = _paint(canvas, trunk, np.array([70, 52, 40], np.float32), 1)
        crown = _mask(
            lambda d, tx=tx, ty=ty, r=r: d.ellipse((tx - r, ty - 1.4 * r, tx + r, ty + 0.5 * r), fill=255)
        )
        light = np.clip((tx + 0.6 * r - xs) / (2 * r), 0, 1)[..., None]
        colour = np.array([34, 70, 40], np.float32) + light * np.array([40, 50, 16], np.float32)
        canvas = _paint(canvas, crown, colour, 2)
    # the subject: a small house with a red roof
    wall = _mask(lambda d: d.rectangle((420, 0.7 * H, 520, 0.79 * H), fill=255))
    canvas = _paint(canvas, wall, np.array([232, 214, 180], np.float32), 1)
    roof = _mask(lambda d: d.polygon([(408, 0.705 * H), (470, 0.64 * H), (532, 0.705 * H)], fill=255))
    canvas = _paint(canvas, roof, np.array([176, 58, 44], np.float32), 1)
    door = _mask(lambda d: d.rectangle((458, 0.74 * H, 478, 0.79 * H), fill=255))
    canvas = _paint(canvas, door, np.array([90, 60, 46], np.float32), 0.8)
    # foreground flowers: small warm dabs
    for _ in range(140):
        fx, fy = rng.uniform(0, W), rng.uniform(0.82, 0.99) * H
        c = np.array([rng.choice([240, 250, 200]), rng.uniform(120, 220), rng.uniform(60, 120)], np.float32)
        dab = _mask(lambda d, fx=fx, fy=fy: d.ellipse((fx - 4, fy - 3, fx + 4, fy + 3), fill=255))
        canvas = _paint(canvas, dab, c, 0.8)
    # brush texture: directional noise, stronger in the foreground
    noise = rng.normal(0, 1, (H, W)).astype(np.float32)
    streak = np.asarray(
        Image.fromarray(noise, mode="F").resize((W // 6, H), Image.BILINEAR).resize((W, H), Image.BILINEAR),
        np.float32,
    )
    grain = _blur(noise * 0.15 + 0.5, 0.8) * 6.7 - 3.3
    texture = (streak * 7 + grain * 5) * (0.5 + v)
    canvas = canvas + texture[..., None]
    return Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8), "RGB")
