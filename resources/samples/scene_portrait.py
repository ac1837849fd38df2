"""The portrait sample (768x1024): a character with short dark hair, a red scarf and a mustard sweater in
front of a soft bokeh background. Drawn by `make_samples.py`."""

from __future__ import annotations

import numpy as np
from PIL import ImageChops
from sample_canvas import Canvas, bezier, catmull, ellipse_pts

SKIN = (250, 216, 192)
SKIN_SHADOW = (226, 170, 150)
HAIR = (92, 58, 48)
HAIR_SHADOW = (60, 36, 34)
HAIR_LIGHT = (150, 100, 78)
CX = 384


def _background(c: Canvas, rng: np.random.Generator) -> None:
    bg = c.mask([(0, 0), (c.w, 0), (c.w, c.h), (0, c.h)])
    c.gradient(bg, (132, 190, 196), (58, 104, 136), (0, 0), (c.w * 0.4, c.h))
    for _ in range(16):  # bokeh lights
        x, y, r = rng.uniform(0, c.w), rng.uniform(0, c.h * 0.75), rng.uniform(18, 60)
        col = (255, 236, 180) if rng.random() < 0.6 else (210, 240, 236)
        c.glow(c.mask(ellipse_pts(x, y, r, r, 40)), col, rng.uniform(0.25, 0.5), 4)


def _body(c: Canvas) -> None:
    sweater = catmull(
        [(40, 1060), (70, 900), (170, 820), (300, 790), (468, 790), (598, 820), (698, 900), (728, 1060)],
        samples=10,
    )
    m = c.shape(sweater, (222, 172, 72), 3.2)
    c.shade(m, (-24, -10), (176, 124, 46), 0.85, 14)
    c.shade(m, (14, 14), (246, 206, 120), 0.6, 8)
    for k in range(10):  # knit ribs
        x = 120 + k * 58
        c.tapered(
            catmull([(x, 900 + abs(k - 4.5) * 6), (x + 4, 960), (x + 2, 1024)], closed=False),
            2.0,
            (170, 120, 46),
        )
    neck = [(CX - 52, 640), (CX + 52, 640), (CX + 58, 800), (CX - 58, 800)]
    nm = c.shape(neck, SKIN, 3.0)
    c.glow(
        c.mask([(CX - 60, 640), (CX + 60, 640), (CX + 60, 700), (CX - 60, 700)]),
        SKIN_SHADOW,
        0.85,
        10,
        clip=nm,
    )
    c.line(neck, 3.0, closed=True)


def _scarf(c: Canvas) -> None:
    wrap = catmull(
        [(CX - 150, 770), (CX, 730), (CX + 150, 770), (CX + 160, 840), (CX, 870), (CX - 160, 840)], samples=10
    )
    m = c.shape(wrap, (196, 58, 62), 3.2)
    c.shade(m, (0, -16), (140, 34, 46), 0.85, 10)
    c.shade(m, (0, 12), (232, 110, 104), 0.6, 8)
    tail = catmull(
        [(CX + 40, 840), (CX + 110, 850), (CX + 130, 1024), (CX + 40, 1024), (CX + 30, 900)], samples=10
    )
    tm = c.shape(tail, (190, 54, 60), 3.2)
    c.shade(tm, (-14, 0), (140, 34, 46), 0.85, 8)
    for k in range(4):  # folds and stripes
        x = CX - 110 + k * 70
        c.tapered(
            bezier((x, 750 + abs(k - 1.5) * 6), (x + 20, 790), (x + 10, 820), (x + 30, 855), 16),
            2.4,
            (120, 28, 40),
        )
    for y in (930, 980):
        c.line([(CX + 38, y), (CX + 124, y + 6)], 6, (236, 214, 150))


def _head(c: Canvas) -> None:
    back = catmull(
        [
            (CX - 190, 600),
            (CX - 210, 430),
            (CX - 150, 300),
            (CX, 250),
            (CX + 150, 300),
            (CX + 210, 430),
            (CX + 196, 610),
            (CX + 150, 690),
            (CX - 150, 690),
        ],
        samples=10,
    )
    bm = c.shape(back, HAIR, 3.4)
    c.shade(bm, (-16, -12), HAIR_SHADOW, 0.8, 10)
    for side in (-1, 1):  # ears
        ear = catmull(
            [(CX + side * 150, 500), (CX + side * 178, 490), (CX + side * 184, 540), (CX + side * 160, 580)],
            samples=8,
        )
        em = c.shape(ear, SKIN, 2.8)
        c.shade(em, (side * 8, 0), SKIN_SHADOW, 0.8, 4)
        c.shape(ellipse_pts(CX + side * 168, 592, 6, 6, 16), (240, 210, 110), 2.0)  # earrings
    face = catmull(
        [
            (CX, 330),
            (CX + 130, 370),
            (CX + 158, 480),
            (CX + 140, 580),
            (CX + 80, 660),
            (CX, 690),
            (CX - 80, 660),
            (CX - 140, 580),
            (CX - 158, 480),
            (CX - 130, 370),
        ],
        samples=10,
    )
    fm = c.shape(face, SKIN, 3.4)
    c.shade(fm, (-20, -6), SKIN_SHADOW, 0.75, 14)
    c.shade(fm, (10, 10), (255, 236, 220), 0.6, 10)
    for side in (-1, 1):  # blush
        c.glow(c.mask(ellipse_pts(CX + side * 88, 580, 34, 16, 32)), (240, 140, 140), 0.55, 8, clip=fm)
    c.line(face, 3.4, closed=True)
    _eyes(c)
    c.tapered(bezier((CX + 4, 560), (CX + 10, 580), (CX + 8, 596), (CX - 6, 600), 12), 2.4)  # nose
    mouth = catmull([(CX - 34, 634), (CX, 646), (CX + 34, 634), (CX, 660)], samples=8)
    c.shape(mouth, (206, 92, 102), 2.4)
    rng = np.random.default_rng(21)
    for _ in range(14):  # freckles
        side = 1 if rng.random() < 0.5 else -1
        x, y = CX + side * rng.uniform(50, 110), rng.uniform(566, 600)
        c.fill(c.mask(ellipse_pts(x, y, 2.2, 2.2, 10)), (196, 132, 108))
    _bangs(c)


def _eyes(c: Canvas) -> None:
    for side in (-1, 1):
        ex, ey = CX + side * 70, 520
        white = catmull(
            [(ex - 44, ey + 4), (ex - 8, ey - 30), (ex + 40, ey - 14), (ex + 34, ey + 22), (ex - 6, ey + 30)],
            samples=8,
        )
        wm = c.shape(white, (252, 252, 250), 2.0)
        c.shade(wm, (0, 10), (214, 214, 226), 0.8, 4)
        iris = c.mask(ellipse_pts(ex + side * 2, ey + 2, 24, 28))
        iris_clip = ImageChops.multiply(iris, wm)
        c.gradient(iris_clip, (40, 80, 140), (110, 170, 210), (0, ey - 26), (0, ey + 30))
        c.fill(ImageChops.multiply(c.mask(ellipse_pts(ex + side * 2, ey + 4, 11, 14)), wm), (24, 22, 40))
        c.fill(c.mask(ellipse_pts(ex - 8, ey - 8, 7, 7, 16)), (255, 255, 255))
        c.fill(c.mask(ellipse_pts(ex + 10, ey + 12, 3.5, 3.5, 12)), (255, 255, 255))
        c.line(white, 2.0, closed=True)
        lash = bezier((ex - 48, ey + 6), (ex - 20, ey - 38), (ex + 30, ey - 32), (ex + 48, ey - 10), 24)
        c.tapered(lash, 7)
        if side > 0:  # a flick at the outer corner
            c.tapered([(ex + 44, ey - 14), (ex + 56, ey - 24)], 3)
        else:
            c.tapered([(ex - 46, ey + 2), (ex - 58, ey - 8)], 3)
        brow = bezier((ex - 40, ey - 56), (ex - 10, ey - 72), (ex + 22, ey - 70), (ex + 44, ey - 58), 20)
        c.tapered(brow, 6, HAIR_SHADOW)


def _bangs(c: Canvas) -> None:
    pts = [
        (CX - 168, 480),
        (CX - 170, 360),
        (CX - 100, 280),
        (CX, 262),
        (CX + 110, 282),
        (CX + 172, 370),
        (CX + 166, 480),
        (CX + 136, 420),
        (CX + 92, 436),
        (CX + 56, 400),
        (CX + 10, 432),
        (CX - 34, 398),
        (CX - 80, 432),
        (CX - 120, 404),
        (CX - 146, 440),
    ]
    m = c.shape(catmull(pts, samples=8), HAIR, 3.4)
    c.shade(m, (0, -14), HAIR_SHADOW, 0.85, 8)
    shine = [(CX - 120, 330), (CX - 40, 300), (CX + 60, 300), (CX + 130, 334), (CX + 60, 318), (CX - 40, 318)]
    c.glow(c.mask(catmull(shine, samples=8)), HAIR_LIGHT, 0.9, 3, clip=m)
    for x0, x1 in ((CX - 120, CX - 100), (CX - 40, CX - 30), (CX + 40, CX + 50), (CX + 110, CX + 118)):
        c.tapered(bezier((x0, 290), (x0 + 6, 330), (x1 - 4, 370), (x1, 410), 16), 2.2, HAIR_SHADOW)


def draw_portrait() -> Canvas:
    c = Canvas(768, 1024)
    rng = np.random.default_rng(17)
    _background(c, rng)
    _body(c)
    _scarf(c)
    _head(c)
    c.grain(1.5, 19)
    return c
