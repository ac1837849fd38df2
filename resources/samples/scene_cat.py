"""The cat-in-a-window sample (1024x1024): wall, window with sky and hills, curtains, a sill with a
yarn ball, a potted plant and a ginger cat. Drawn by `make_samples.py`."""

from __future__ import annotations

import math

import numpy as np
from sample_canvas import INK, Canvas, bezier, catmull, ellipse_pts

LIGHT_SHADOW = (-14, -12)  # light from the upper left: shadows fall on the lower right rims
HIGHLIGHT = (10, 10)


def _leaf(base, angle: float, length: float, width: float):
    """Closed leaf outline from base along angle, plus its midrib."""
    ca, sa = math.cos(angle), math.sin(angle)

    def rot(u: float, v: float):
        return (base[0] + u * ca - v * sa, base[1] + u * sa + v * ca)

    side1 = bezier(rot(0, 0), rot(length * 0.3, width), rot(length * 0.75, width * 0.9), rot(length, 0), 20)
    side2 = bezier(rot(length, 0), rot(length * 0.75, -width * 0.9), rot(length * 0.3, -width), rot(0, 0), 20)
    rib = bezier(
        rot(0, 0), rot(length * 0.35, width * 0.1), rot(length * 0.7, width * 0.05), rot(length * 0.93, 0)
    )
    return side1 + side2[1:], rib


def draw_cat_window() -> Canvas:
    c = Canvas(1024, 1024)
    rng = np.random.default_rng(7)
    wall = c.mask([(0, 0), (1024, 0), (1024, 1024), (0, 1024)])
    c.gradient(wall, (240, 226, 200), (205, 184, 160), (0, 0), (0, 1024))
    # wallpaper dots
    for y in range(40, 1024, 80):
        for x in range(40 + (y // 80 % 2) * 40, 1024, 80):
            c.fill(c.mask(ellipse_pts(x, y, 5, 5, 16)), (222, 200, 172))
    # window: frame, sky, hills, clouds
    frame = c.shape([(170, 90), (854, 90), (854, 650), (170, 650)], (146, 96, 62))
    c.shade(frame, LIGHT_SHADOW, (104, 64, 40), 0.8, 6)
    glass_pts = [(206, 126), (818, 126), (818, 614), (206, 614)]
    glass = c.mask(glass_pts)
    c.gradient(glass, (118, 178, 230), (236, 242, 232), (0, 126), (0, 560))
    sun = c.mask(ellipse_pts(300, 220, 46, 46))
    c.glow(sun, (255, 250, 215), 0.9, 40, clip=glass)
    c.fill(sun, (255, 246, 200))
    far = c.mask(
        catmull([(190, 470), (330, 420), (480, 455), (640, 400), (840, 450), (840, 640), (190, 640)])
    )
    c.fill(far, (140, 184, 128))
    near = c.mask(
        catmull([(190, 540), (360, 500), (560, 545), (700, 515), (840, 540), (840, 640), (190, 640)])
    )
    c.fill(near, (96, 150, 90))
    c.shade(near, (0, 14), (120, 176, 108), 0.8, 6)
    for cx, cy, s in ((560, 200, 1.0), (720, 290, 0.7), (380, 330, 0.55)):
        blob = [
            (cx - 90 * s, cy + 20 * s),
            (cx - 60 * s, cy - 25 * s),
            (cx - 10 * s, cy - 45 * s),
            (cx + 45 * s, cy - 30 * s),
            (cx + 95 * s, cy + 5 * s),
            (cx + 70 * s, cy + 30 * s),
            (cx - 40 * s, cy + 35 * s),
        ]
        pts = catmull(blob)
        m = c.shape(pts, (252, 252, 250), 2.2)
        c.shade(m, (-6, -10), (206, 218, 236), 0.9, 5)
    c.line(glass_pts, 3.0, closed=True)
    c.line([(206, 126), (818, 126), (818, 614), (206, 614)], 3.0, closed=True)
    # mullions with shading
    for pts in (
        [(500, 126), (524, 126), (524, 614), (500, 614)],
        [(206, 356), (818, 356), (818, 378), (206, 378)],
    ):
        m = c.shape(pts, (158, 106, 70), 2.6)
        c.shade(m, (-6, -6), (110, 70, 44), 0.7, 3)
    c.line([(170, 90), (854, 90), (854, 650), (170, 650)], 3.4, closed=True)
    # curtains and rod
    for side in (-1, 1):
        x0 = 512 + side * 420
        xi = 512 + side * 300
        pts = [(x0, 62), (xi, 62)]
        pts += catmull(
            [
                (xi, 62),
                (xi + side * 20, 250),
                (xi - side * 10, 430),
                (xi + side * 40, 600),
                (xi + side * 70, 720),
            ],
            closed=False,
            samples=10,
        )[1:]
        pts += [(x0, 720)]
        m = c.shape(pts, (192, 78, 92), 3.0)
        c.shade(m, (side * 18, 0), (140, 44, 64), 0.85, 8)
        c.shade(m, (-side * 10, 0), (226, 130, 136), 0.6, 6)
        for k in range(1, 3):
            fx = xi + side * 28 * k
            c.tapered(
                catmull(
                    [(fx, 70), (fx + side * 12, 300), (fx + side * 4, 500), (fx + side * 46, 700)],
                    closed=False,
                    samples=10,
                ),
                2.4,
                (118, 40, 58),
            )
        # tie-back band
        band = c.shape(
            catmull([(x0, 470), (xi + side * 30, 455), (xi + side * 34, 490), (x0, 505)]), (236, 196, 96), 2.4
        )
        c.shade(band, (0, -6), (190, 140, 60), 0.8, 3)
    rod = c.shape([(60, 52), (964, 52), (964, 66), (60, 66)], (92, 60, 40), 2.6)
    c.shade(rod, (0, -5), (60, 36, 24), 0.6, 2)
    for x in (60, 964):
        m = c.shape(ellipse_pts(x, 59, 16, 16), (200, 150, 70), 2.6)
        c.shade(m, LIGHT_SHADOW, (150, 100, 40), 0.8, 4)
    # sill
    top = c.shape([(120, 640), (904, 640), (930, 690), (94, 690)], (200, 146, 98), 3.0)
    c.shade(top, (0, 8), (232, 186, 136), 0.7, 4)
    front = c.shape([(94, 690), (930, 690), (930, 730), (94, 730)], (150, 98, 64), 3.0)
    c.shade(front, (0, -10), (112, 70, 44), 0.8, 5)
    shadow = c.mask([(94, 730), (930, 730), (900, 790), (124, 790)])
    c.glow(shadow, (160, 132, 108), 0.6, 14, clip=wall)
    c.line([(94, 730), (930, 730)], 3.0)
    # yarn ball on the sill
    yarn = c.shape(ellipse_pts(200, 632, 44, 40), (90, 130, 200), 3.0)
    c.shade(yarn, LIGHT_SHADOW, (54, 82, 150), 0.9, 6)
    for k in range(6):
        a0 = -0.9 + k * 0.35
        arc = [
            (200 + 40 * math.cos(a0 + t) * (0.4 + 0.1 * k), 632 + 36 * math.sin(a0 * 2 + t) * 0.9)
            for t in np.linspace(-1.2, 1.2, 12)
        ]
        c.tapered(arc, 1.8, (40, 60, 120))
    c.tapered(catmull([(236, 655), (300, 676), (360, 668), (420, 680)], closed=False), 2.2, (70, 110, 190))
    # plant pot and leaves
    for k, (ang, ln, wd) in enumerate(
        (
            (-2.0, 150, 34),
            (-1.6, 190, 38),
            (-1.15, 170, 36),
            (-2.5, 120, 30),
            (-0.7, 130, 30),
            (-1.85, 120, 26),
            (-1.35, 135, 28),
        )
    ):
        outline, rib = _leaf((700, 540), ang, ln, wd)
        col = (76 + 10 * (k % 3), 146 + 8 * (k % 2), 78)
        m = c.shape(outline, col, 2.6)
        c.shade(m, LIGHT_SHADOW, (46, 104, 60), 0.85, 6)
        c.shade(m, HIGHLIGHT, (150, 204, 120), 0.6, 4)
        c.tapered(rib, 2.0, (40, 90, 48))
    pot = c.shape([(632, 540), (768, 540), (748, 648), (652, 648)], (198, 104, 70), 3.0)
    c.shade(pot, (-20, 0), (150, 70, 46), 0.85, 8)
    c.shade(pot, (12, 0), (232, 150, 110), 0.6, 6)
    rim = c.shape([(620, 522), (780, 522), (780, 556), (620, 556)], (210, 118, 80), 3.0)
    c.shade(rim, (0, -8), (160, 80, 52), 0.8, 4)
    draw_cat(c, rng)
    c.grain(1.5, 11)
    return c


def draw_cat(c: Canvas, rng: np.random.Generator) -> None:
    orange, dark, cream = (238, 152, 72), (196, 104, 44), (250, 230, 196)
    tail = catmull(
        [
            (520, 640),
            (590, 650),
            (630, 622),
            (628, 590),
            (610, 570),
            (596, 590),
            (606, 610),
            (588, 626),
            (540, 622),
            (500, 616),
        ],
        samples=10,
    )
    m = c.shape(tail, orange, 3.0)
    c.shade(m, (0, -8), (190, 100, 44), 0.8, 4)
    body = catmull([(330, 646), (318, 560), (350, 470), (430, 440), (510, 470), (548, 560), (540, 646)])
    bm = c.shape(body, orange, 3.4)
    c.shade(bm, LIGHT_SHADOW, (178, 92, 40), 0.9, 12)
    c.shade(bm, HIGHLIGHT, (252, 196, 130), 0.6, 8)
    chest = catmull([(390, 520), (430, 490), (472, 520), (468, 600), (430, 630), (396, 600)])
    cm = c.shape(chest, cream, 2.2)
    c.shade(cm, (-8, -8), (226, 196, 160), 0.8, 6)
    for k in range(4):  # body stripes
        y = 500 + k * 30
        c.tapered(catmull([(520 - k * 4, y), (500, y + 8), (482, y + 20)], closed=False, samples=8), 6, dark)
        c.tapered(
            catmull([(338 + k * 2, y + 6), (356, y + 12), (372, y + 24)], closed=False, samples=8), 6, dark
        )
    # paws
    for x in (388, 470):
        pm = c.shape(ellipse_pts(x, 640, 30, 16), cream, 2.6)
        c.shade(pm, (0, -6), (220, 190, 150), 0.8, 3)
        for d in (-9, 9):
            c.line([(x + d, 646), (x + d, 654)], 1.8)
    # ears
    for side in (-1, 1):
        ear = [(430 + side * 40, 330), (430 + side * 92, 252), (430 + side * 96, 356)]
        em = c.shape(catmull(ear, samples=6), orange, 3.0)
        c.shade(em, LIGHT_SHADOW, (180, 96, 40), 0.8, 5)
        inner = [(430 + side * 55, 330), (430 + side * 86, 276), (430 + side * 86, 346)]
        c.shape(catmull(inner, samples=6), (240, 170, 170), 1.8)
    head = catmull(
        [(430, 300), (500, 318), (530, 380), (506, 440), (430, 462), (354, 440), (330, 380), (360, 318)]
    )
    hm = c.shape(head, orange, 3.4)
    c.shade(hm, LIGHT_SHADOW, (182, 96, 40), 0.85, 10)
    c.shade(hm, HIGHLIGHT, (252, 200, 136), 0.6, 8)
    for k in (-1, 0, 1):  # forehead stripes
        c.tapered(
            catmull([(430 + k * 20, 308), (430 + k * 18, 330), (430 + k * 14, 350)], closed=False), 6, dark
        )
    for side in (-1, 1):
        c.tapered(
            catmull([(430 + side * 96, 370), (430 + side * 80, 378), (430 + side * 66, 384)], closed=False),
            5,
            dark,
        )
    muzzle = catmull(
        [(430, 392), (470, 402), (482, 430), (452, 452), (430, 448), (408, 452), (378, 430), (390, 402)]
    )
    mm = c.shape(muzzle, cream, 2.2)
    c.shade(mm, (-6, -6), (228, 200, 166), 0.8, 5)
    # eyes
    for side in (-1, 1):
        ex = 430 + side * 44
        eye = catmull([(ex - 24, 378), (ex, 360), (ex + 24, 378), (ex, 392)], samples=8)
        em = c.shape(eye, (150, 196, 84), 3.0)
        c.shade(em, (0, 8), (90, 140, 60), 0.8, 4)
        c.fill(c.mask(catmull([(ex, 362), (ex + 5, 377), (ex, 391), (ex - 5, 377)], samples=6)), INK)
        c.fill(c.mask(ellipse_pts(ex - 7, 372, 4, 4, 16)), (255, 255, 255))
    nose = catmull([(418, 408), (442, 408), (430, 422)], samples=6)
    c.shape(nose, (228, 120, 130), 2.0)
    c.tapered([(430, 422), (430, 430), (420, 438), (410, 436)], 2.2)
    c.tapered([(430, 430), (440, 438), (450, 436)], 2.2)
    for side in (-1, 1):  # whiskers
        for k in range(3):
            y0 = 420 + k * 9
            c.tapered(
                bezier(
                    (430 + side * 40, y0),
                    (430 + side * 90, y0 - 10 + k * 5),
                    (430 + side * 130, y0 - 4 + k * 10),
                    (430 + side * 160, y0 + k * 14),
                    20,
                ),
                1.8,
                (70, 56, 52),
            )
