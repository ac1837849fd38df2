"""The sketch-and-wash way of working: a loose drawing, washes that bleed past it, then definition.

How watercolours (and ink-and-wash works) are made: a light, loose pencil drawing of the main shapes;
pale washes over large areas, light to dark, each spreading from where the brush touched down and
bleeding past the pencil lines; darker glazes region by region; finally the definition: edges, darks
and small details, strongest edges first.

Stages and their layers (planned at `BRUSH_SIDE` and scaled up, like painterly.py):
- drawing: pencil along the artwork's main edges (Canny on a blurred copy, plus any dark line art),
  displaced by a smooth random field so the drawing is loose, stroke by stroke from a start point;
- washes: each colour mass' median colour, paler, blurred across mass edges (the bleed), under the
  pencil; masses light to dark, each growing from a seeded touch-down point with a ragged front, and
  an early wash runs over the edge of its not-yet-washed neighbours;
- glazes: the analysis' flats and soft shading, pencil fading; regions light to dark;
- definition: the artwork itself in small strokes, along the strongest edges first.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.inference.procedural.analysis import Analysis, median_colours
from app.inference.procedural.brushwork import (
    brush_scale,
    brush_strokes,
    masses,
    soft,
    stroke_angles,
    stroke_times,
    to_size,
)
from app.inference.procedural.painterly import depth_keys, jittered_windows, to_ticks
from app.inference.procedural.schedule import stroke_order_times
from app.inference.procedural.strokes import segment_strokes, smooth_noise, warp
from app.inference.procedural.ways import WayPlan

STAGES = ("drawing", "washes", "glazes", "definition")
WINDOWS = ((0.0, 0.2), (0.18, 0.5), (0.48, 0.78), (0.76, 1.0))
PENCIL = np.array((110, 108, 118), np.float32)
LUM = np.array([0.299, 0.587, 0.114], np.float32)


def _drawing(small: np.ndarray, lines: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pencil alpha (H, W) float32 of a loose drawing of the main edges."""
    long = max(small.shape[:2])
    lum = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), max(1.0, long / 300)), cv2.COLOR_RGB2GRAY)
    mag = np.abs(cv2.Sobel(lum, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(lum, cv2.CV_32F, 0, 1))
    high = max(float(np.percentile(mag, 93)), 8.0)  # the picture's own strongest edges, however soft
    edges = cv2.Canny(lum, 0.5 * high, high).astype(np.float32) / 255.0
    base = np.maximum(edges * 0.8, lines)
    alpha: np.ndarray = warp(base, rng, amplitude=long / 180.0, cells=7) * 0.6
    alpha = np.maximum(alpha, warp(base, rng, amplitude=long / 110.0, cells=9) * 0.25)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.6)
    alpha[alpha < 0.05] = 0.0
    return alpha


def _grow_times(
    labels: np.ndarray, key: np.ndarray, rng: np.random.Generator, area: np.ndarray
) -> np.ndarray:
    """(H, W) 0..1: labels in `key` order (each over a share growing with its size), each growing from a
    seeded point inside it with a ragged front."""
    h, w = labels.shape
    count = key.shape[0]
    order = np.argsort(key, kind="stable")
    span = np.sqrt(area[order])
    span = span / max(span.sum(), 1e-9)
    start = np.empty(count)
    start[order] = np.concatenate([[0.0], np.cumsum(span)[:-1]])
    length = np.empty(count)
    length[order] = span * 1.5
    flat = labels.ravel()
    ys, xs = np.indices((h, w), dtype=np.float32)
    # a touch-down point per label: one of its own pixels, picked by the seed
    pick = rng.random(flat.shape[0]).astype(np.float32)
    best = np.full(count, -1.0, np.float32)
    np.maximum.at(best, flat, pick)
    first = np.zeros(count, np.int64)
    first[flat[pick == best[flat]]] = np.nonzero(pick == best[flat])[0]
    px, py = xs.ravel()[first], ys.ravel()[first]
    ragged = smooth_noise(rng, (h, w), 18) * (0.06 * max(h, w))
    dist = np.hypot(xs - px[labels], ys - py[labels]) + ragged
    lo = np.full(count, np.inf)
    hi = np.full(count, -np.inf)
    np.minimum.at(lo, flat, dist.ravel())
    np.maximum.at(hi, flat, dist.ravel())
    frac = (dist - lo[labels]) / np.maximum(hi - lo, 1e-6)[labels]
    t = start[labels] + length[labels] * np.clip(frac, 0, 1)
    out: np.ndarray = (t / max(float(t.max()), 1e-9)).astype(np.float32)
    return out


def wash_plan(an: Analysis, order: str, rng: np.random.Generator) -> WayPlan:
    small = brush_scale(an.image)
    h, w = small.shape[:2]
    long = float(max(h, w))
    diag = float(np.hypot(h, w))
    windows = jittered_windows(WINDOWS, rng)
    background_first = order == "background-first" or (order == "auto" and rng.random() < 0.5)
    img = small.astype(np.float32)
    regions = to_size(an.regions, small.shape, smooth=False)
    lines = to_size(an.line_alpha, small.shape, smooth=True)
    labels = masses(small)
    _, backdrop, subject = depth_keys(labels, background_first, rng)
    count = int(labels.max()) + 1
    area = np.bincount(labels.ravel(), minlength=count).astype(np.float64)

    times = []
    # drawing
    pencil = _drawing(small, lines, rng)
    start = np.array([w * rng.uniform(0.3, 0.7), h * rng.uniform(0.2, 0.6)])
    strokes = segment_strokes(pencil > 0, rng, long / 10)
    t_draw = np.zeros((h, w), np.float64)
    t_draw[strokes.ys, strokes.xs] = stroke_order_times(strokes, start, diag, 0.1, 0.3, rng)
    times.append(to_ticks(t_draw, windows[0]))
    white = np.full_like(img, 255.0)
    drawing = white + (PENCIL - white) * pencil[..., None]
    # washes: pale mass colours bled across edges, light to dark
    colours = median_colours(small, labels, np.ones((h, w), bool), count).astype(np.float32)
    wash = soft(255.0 + (colours[labels] - 255.0) * 0.8, long / 70)
    washes = wash + (PENCIL - wash) * (0.8 * pencil)[..., None]
    wkey = -(colours @ LUM) / 255.0 + rng.normal(0, 0.15, count)
    t_wash = _grow_times(labels, wkey, rng, area)
    reach = max(3, int(long / 45)) | 1
    t_wash = cv2.erode(t_wash, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    times.append(to_ticks(t_wash, windows[1]))
    # glazes: flats and soft shading, region by region light to dark
    shade = to_size(an.shade, small.shape, smooth=True).astype(np.float32)
    glazes = shade + (PENCIL - shade) * (0.35 * pencil)[..., None]
    rcount = int(regions.max()) + 1
    rcol = median_colours(small, regions, np.ones((h, w), bool), rcount).astype(np.float32)
    rarea = np.bincount(regions.ravel(), minlength=rcount).astype(np.float64)
    gkey = -(rcol @ LUM) / 255.0 + rng.normal(0, 0.15, rcount)
    times.append(to_ticks(_grow_times(regions, gkey, rng, rarea), windows[2]))
    # definition: strongest edges first
    angles = stroke_angles(small)
    detail = brush_strokes(angles, regions, long / 50, long / 160, rng)
    lum = img @ LUM
    grad = cv2.magnitude(cv2.Sobel(lum, cv2.CV_32F, 1, 0), cv2.Sobel(lum, cv2.CV_32F, 0, 1))
    edge = np.bincount(detail.ids.ravel(), weights=grad.ravel(), minlength=detail.count) / detail.size
    dkey = -edge / max(float(edge.max()), 1e-6) + rng.normal(0, 0.15, detail.count)
    times.append(to_ticks(stroke_times(detail, dkey), windows[3]))

    shape = an.image.shape
    layers = [np.full(shape, 255, np.uint8)]
    for layer in (drawing, washes, glazes):
        layers.append(to_size(np.clip(layer + 0.5, 0, 255).astype(np.uint8), shape, smooth=True))
    layers.append(an.image)
    full_times = [to_size(t, shape, smooth=False) for t in times]
    for k in range(1, len(full_times)):
        np.maximum(full_times[k], full_times[k - 1], out=full_times[k])
    return WayPlan(
        way="sketch-wash",
        stages=STAGES,
        layers=tuple(layers),
        times=tuple(full_times),
        windows=windows,
        background_first=background_first,
        colour_stage=1,
        labels=to_size(labels, shape, smooth=False),
        backdrop=backdrop,
        subject=subject,
    )
