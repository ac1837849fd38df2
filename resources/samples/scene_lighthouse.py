"""The lighthouse sample (960x1280): a sunset sky gradient, clouds, sea with reflections, a cliff with
strata, the lighthouse and the keeper's house. Drawn by `make_samples.py`."""

from __future__ import annotations

import math

import numpy as np
from sample_canvas import Canvas, bezier, catmull, ellipse_pts


def draw_lighthouse() -> Canvas:
    w, h = 960, 1280
    c = Canvas(w, h)
    rng = np.random.default_rng(3)
    sky = c.mask([(0, 0), (w, 0), (w, 760), (0, 760)])
    c.gradient(sky, (62, 84, 158), (236, 150, 130), (0, 0), (0, 520))
    low = c.mask([(0, 520), (w, 520), (w, 760), (0, 760)])
    c.gradient(low, (236, 150, 130), (255, 214, 156), (0, 520), (0, 740))
    for _ in range(40):  # stars high up
        x, y = rng.uniform(0, w), rng.uniform(10, 240)
        c.fill(c.mask(ellipse_pts(x, y, 1.6, 1.6, 8)), (240, 236, 220))
    sun = c.mask(ellipse_pts(690, 700, 76, 76))
    c.glow(sun, (255, 236, 170), 0.9, 60, clip=sky)
    c.shape(ellipse_pts(690, 700, 76, 76), (255, 228, 150), 3.0)
    for cx, cy, s in ((230, 330, 1.3), (700, 420, 1.0), (520, 560, 0.8)):
        pts = catmull(
            [
                (cx - 160 * s, cy + 14 * s),
                (cx - 90 * s, cy - 20 * s),
                (cx - 20 * s, cy - 34 * s),
                (cx + 60 * s, cy - 22 * s),
                (cx + 170 * s, cy + 6 * s),
                (cx + 90 * s, cy + 22 * s),
                (cx - 60 * s, cy + 24 * s),
            ]
        )
        m = c.shape(pts, (246, 176, 168), 2.6)
        c.shade(m, (0, -10), (196, 120, 140), 0.85, 5)
        c.shade(m, (0, 8), (255, 214, 190), 0.7, 4)
    # sea
    sea = c.shape([(0, 760), (w, 760), (w, h), (0, h)], (60, 98, 150), 3.0)
    c.gradient(sea, (84, 118, 166), (28, 56, 104), (0, 760), (0, h))
    c.line([(0, 760), (w, 760)], 3.0)
    for k in range(14):  # sun reflection
        y = 776 + k * 22
        half = 70 - k * 4 + rng.uniform(-8, 8)
        c.tapered([(690 - half, y), (690, y + 1), (690 + half, y)], 5 - k * 0.25, (255, 210, 150))
    for _ in range(60):  # wave strokes
        x, y = rng.uniform(0, w), rng.uniform(800, h - 20)
        ln = rng.uniform(24, 60) * (0.6 + (y - 760) / 700)
        c.tapered(
            bezier((x, y), (x + ln * 0.3, y - 5), (x + ln * 0.7, y - 5), (x + ln, y), 10),
            2.4,
            (132, 170, 206),
        )
    # cliff
    cliff = [
        (0, 620),
        (120, 600),
        (260, 612),
        (420, 628),
        (560, 640),
        (600, 700),
        (590, 820),
        (640, 940),
        (610, 1080),
        (680, 1180),
        (720, h),
        (0, h),
    ]
    cm = c.shape(cliff, (128, 110, 104), 3.4)
    c.gradient(cm, (150, 128, 116), (92, 80, 84), (0, 640), (0, h))
    c.shade(cm, (-26, 0), (82, 68, 74), 0.85, 14)
    c.shade(cm, (18, 12), (186, 160, 140), 0.6, 10)
    for k in range(9):  # strata lines
        y = 700 + k * 62
        x1 = 540 + 20 * math.sin(k) + (y - 700) * 0.12
        c.tapered(
            catmull(
                [(20 + 30 * (k % 3), y), (x1 * 0.4, y - 14 + 6 * (k % 2)), (x1 * 0.75, y + 8), (x1, y - 6)],
                closed=False,
                samples=10,
            ),
            2.6,
            (70, 58, 62),
        )
    for k in range(6):  # cracks
        x = 80 + k * 80 + rng.uniform(-20, 20)
        y = 720 + rng.uniform(0, 380)
        c.tapered(
            catmull(
                [(x, y), (x + rng.uniform(-14, 14), y + 40), (x + rng.uniform(-20, 20), y + 90)],
                closed=False,
                samples=8,
            ),
            2.4,
            (70, 58, 62),
        )
    c.line(cliff, 3.4, closed=True)
    grass = catmull(
        [
            (0, 600),
            (130, 586),
            (270, 596),
            (430, 612),
            (572, 628),
            (560, 660),
            (420, 650),
            (260, 640),
            (120, 646),
            (0, 660),
        ],
        samples=10,
    )
    gm = c.shape(grass, (112, 164, 84), 3.0)
    c.shade(gm, (0, -10), (72, 122, 62), 0.8, 6)
    for _ in range(70):  # grass tufts
        x = rng.uniform(10, 550)
        y = 600 + (x / 560) * 28 + rng.uniform(-4, 30)
        c.tapered([(x, y), (x + rng.uniform(-6, 6), y - rng.uniform(10, 22))], 2.0, (60, 110, 56))
    path = catmull([(210, 650), (250, 630), (300, 622), (340, 618), (330, 628), (290, 634), (240, 648)])
    c.shape(path, (206, 182, 140), 2.0)
    # keeper's house
    house = c.shape([(400, 548), (520, 548), (520, 628), (400, 628)], (240, 236, 226), 3.0)
    c.shade(house, (-14, 0), (190, 182, 190), 0.8, 4)
    roof = c.shape([(386, 552), (460, 500), (534, 552)], (160, 58, 56), 3.0)
    c.shade(roof, (-10, 0), (110, 36, 44), 0.8, 4)
    c.shape([(428, 572), (452, 572), (452, 596), (428, 596)], (255, 214, 120), 2.2)
    c.shape([(474, 580), (498, 580), (498, 628), (474, 628)], (110, 70, 52), 2.2)
    draw_tower(c)
    # rocks in the sea with foam
    for cx, cy, s in ((800, 1060, 1.0), (880, 1120, 0.6), (740, 1180, 0.7)):
        pts = catmull(
            [
                (cx - 60 * s, cy + 20 * s),
                (cx - 40 * s, cy - 24 * s),
                (cx + 10 * s, cy - 40 * s),
                (cx + 56 * s, cy - 10 * s),
                (cx + 66 * s, cy + 20 * s),
            ]
        )
        m = c.shape(pts, (96, 88, 96), 3.0)
        c.shade(m, (-14, 0), (60, 54, 66), 0.85, 6)
        c.tapered(
            catmull(
                [(cx - 80 * s, cy + 24 * s), (cx, cy + 30 * s), (cx + 86 * s, cy + 22 * s)], closed=False
            ),
            6,
            (236, 244, 250),
        )
    for k in range(5):  # birds
        x, y = 560 + k * 52 + rng.uniform(-10, 10), 220 + rng.uniform(-40, 40) + k * 12
        sp = 16 + rng.uniform(-4, 4)
        c.tapered(bezier((x - sp, y - 4), (x - sp * 0.5, y - 10), (x - 4, y - 6), (x, y), 8), 2.4)
        c.tapered(bezier((x, y), (x + 4, y - 6), (x + sp * 0.5, y - 10), (x + sp, y - 4), 8), 2.4)
    c.grain(1.5, 5)
    return c


def draw_tower(c: Canvas) -> None:
    cx, base, top = 290, 640, 300
    beams = c.mask([(cx, 250), (960, 120), (960, 330)])
    c.glow(beams, (255, 240, 190), 0.35, 18)
    beams2 = c.mask([(cx, 250), (0, 170), (0, 300)])
    c.glow(beams2, (255, 240, 190), 0.25, 18)
    tower = [(cx - 62, base), (cx - 40, top), (cx + 40, top), (cx + 62, base)]
    tm = c.shape(tower, (244, 240, 232), 3.2)
    for k in range(3):  # red bands
        y0 = top + 40 + k * 100
        y1 = y0 + 50

        def half(y: float) -> float:
            return 40 + 22 * (y - top) / (base - top)

        band = [(cx - half(y0), y0), (cx + half(y0), y0), (cx + half(y1), y1), (cx - half(y1), y1)]
        c.shape(band, (204, 62, 60), 2.6)
    c.shade(tm, (-22, 0), (120, 96, 130), 0.55, 10)
    c.shade(tm, (14, 0), (255, 255, 250), 0.7, 6)
    c.line(tower, 3.2, closed=True)
    c.shape([(cx - 16, base - 56), (cx + 16, base - 56), (cx + 16, base), (cx - 16, base)], (96, 64, 50), 2.6)
    for y in (top + 120, top + 220):
        c.shape([(cx - 8, y), (cx + 8, y), (cx + 8, y + 22), (cx - 8, y + 22)], (60, 70, 96), 2.2)
    gallery = c.shape(
        [(cx - 64, top - 14), (cx + 64, top - 14), (cx + 64, top + 4), (cx - 64, top + 4)], (60, 56, 64), 2.6
    )
    c.shade(gallery, (0, -6), (30, 28, 34), 0.6, 2)
    for k in range(9):
        x = cx - 56 + k * 14
        c.line([(x, top - 34), (x, top - 14)], 2.0)
    c.line([(cx - 62, top - 34), (cx + 62, top - 34)], 2.6)
    lantern = c.mask([(cx - 34, top - 80), (cx + 34, top - 80), (cx + 34, top - 14), (cx - 34, top - 14)])
    c.glow(lantern, (255, 244, 190), 0.9, 24)
    c.shape(
        [(cx - 34, top - 80), (cx + 34, top - 80), (cx + 34, top - 14), (cx - 34, top - 14)],
        (255, 230, 140),
        3.0,
    )
    for x in (cx - 12, cx + 12):
        c.line([(x, top - 80), (x, top - 14)], 2.2)
    dome = catmull(
        [
            (cx - 42, top - 80),
            (cx - 30, top - 104),
            (cx, top - 116),
            (cx + 30, top - 104),
            (cx + 42, top - 80),
        ],
        samples=8,
    )
    dm = c.shape(dome, (190, 54, 56), 3.0)
    c.shade(dm, (-10, 0), (120, 30, 40), 0.8, 4)
    c.line([(cx, top - 116), (cx, top - 140)], 3.0)
    c.shape(ellipse_pts(cx, top - 142, 6, 6, 16), (60, 56, 64), 2.0)
