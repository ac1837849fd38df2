"""Code-drawn test pictures, one per way of working, small enough for fast tests.

- `flat_line_art`: flat colour shapes with dark outlines on white paper (a colouring-book illustration);
- `painterly_landscape`: a gradient sky, far bluish hills, green middle ground, a textured near field
  and a tree, no outlines anywhere (an oil or digital painting);
- `watercolour_wash`: white paper with pale, soft-edged colour blobs and faint pencil lines.
"""

from __future__ import annotations

import cv2
import numpy as np


def flat_line_art(size: int = 160) -> np.ndarray:
    s = size / 160
    img = np.full((size, size, 3), 250, np.uint8)
    ink = (25, 22, 30)
    th = max(1, int(round(s)))
    shapes = [
        ((50, 60), 34, (220, 90, 70)),
        ((112, 58), 26, (80, 150, 220)),
        ((80, 118), 30, (240, 200, 60)),
    ]
    for (x, y), r, colour in shapes:
        centre = (int(x * s), int(y * s))
        cv2.circle(img, centre, int(r * s), colour, -1, cv2.LINE_AA)
        cv2.circle(img, centre, int(r * s), ink, th, cv2.LINE_AA)
    cv2.rectangle(img, (int(10 * s), int(140 * s)), (int(150 * s), int(152 * s)), (120, 200, 110), -1)
    cv2.rectangle(img, (int(10 * s), int(140 * s)), (int(150 * s), int(152 * s)), ink, th, cv2.LINE_AA)
    return img


def painterly_landscape(size: int = 160, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = w = size
    ys, xs = np.indices((h, w), dtype=np.float32)
    v = ys / h
    sky_top, sky_low = np.array([70, 110, 190], np.float32), np.array([235, 190, 160], np.float32)
    img = sky_top + (sky_low - sky_top) * (v[..., None] / 0.55).clip(0, 1)
    far = 0.45 + 0.05 * np.sin(xs / w * 7.0 + 1.0) + 0.03 * np.sin(xs / w * 17.0)
    mid = 0.62 + 0.06 * np.sin(xs / w * 4.0 + 2.5)
    near = 0.8 + 0.03 * np.sin(xs / w * 9.0)
    layers = [
        (far, np.array([110, 120, 170], np.float32), np.array([140, 150, 185], np.float32)),
        (mid, np.array([70, 120, 60], np.float32), np.array([40, 90, 40], np.float32)),
        (near, np.array([120, 90, 50], np.float32), np.array([80, 60, 35], np.float32)),
    ]
    for top, c0, c1 in layers:
        mask = (v >= top)[..., None]
        depth = ((v - top) / 0.3).clip(0, 1)[..., None]
        img = np.where(mask, c0 + (c1 - c0) * depth, img)
    tree = ((xs - 0.7 * w) / (0.09 * w)) ** 2 + ((ys - 0.56 * h) / (0.16 * h)) ** 2 < 1.0
    img[tree] = np.array([35, 75, 40], np.float32) + 25 * (xs[tree, None] / w)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 1.2) * 26
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.0) + noise * (0.4 + v[..., None])
    return np.clip(img, 0, 255).astype(np.uint8)


def watercolour_wash(size: int = 160, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = w = size
    img = np.full((h, w, 3), 248, np.float32)
    blobs = [
        ((0.3, 0.35), 0.2, (120, 170, 230)),
        ((0.65, 0.4), 0.17, (240, 150, 150)),
        ((0.5, 0.72), 0.22, (150, 210, 140)),
    ]
    for (cx, cy), r, colour in blobs:
        mask = np.zeros((h, w), np.float32)
        cv2.circle(mask, (int(cx * w), int(cy * h)), int(r * w), 1.0, -1)
        wobble = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), size / 30)
        mask = cv2.GaussianBlur(np.clip(mask + 0.6 * wobble, 0, 1), (0, 0), size / 60)
        edge = np.clip(mask * (1 - mask) * 4, 0, 1) * 0.35  # pigment pooling at the wet edge
        tint = 0.45 * mask + edge
        img = img * (1 - tint[..., None]) + np.asarray(colour, np.float32) * tint[..., None]
    pencil = np.zeros((h, w), np.float32)
    for (cx, cy), r, _ in blobs:
        cv2.ellipse(
            pencil,
            (int(cx * w), int(cy * h)),
            (int(r * w * 0.9), int(r * h * 0.8)),
            10,
            20,
            300,
            1.0,
            1,
            cv2.LINE_AA,
        )
    img = img * (1 - 0.35 * pencil[..., None]) + 110 * 0.35 * pencil[..., None]
    grain = rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)
    return np.clip(img + grain, 0, 255).astype(np.uint8)
