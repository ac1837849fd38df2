"""The painting order: per-pixel times T_k(p) for each stage, as integer ticks 0..999.

Tick t = 999 - undo step, so tick 0 is the first stroke and tick 999 the finished artwork. A pixel shows
stage k's layer from tick T_k(p) on. Times are made non-decreasing over stages per pixel (a pixel is
sketched before it is inked before it is coloured ...), which is what lets the compositor overwrite
layers in stage order and skip whole stages by their min/max time.

Each stage has a window on the 0..1 progress axis (a timing preset, jittered by the seed) and an order
inside the window:
- sketch: strokes ordered by distance from a seeded start point near the subject, big strokes first,
  noise; each stroke is drawn from one end to the other; the first couple are there at step 999, and
  a sparse sketch (low density) leaves out some small strokes;
- ink: the line art in longer strokes, the same sweep as the sketch with less noise (it follows it);
- flats: regions one after another (background first or subject first, a seeded top-to-bottom bias,
  noise), bigger regions take longer, each filled with a ragged brush-like sweep;
- shading: region by region again, in a reshuffled order, swept along the light direction;
- details: a coarse wobbly grid of patches, starting at the subject's focus and spreading out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.inference.procedural.analysis import Analysis
from app.inference.procedural.strokes import Strokes, segment_strokes, smooth_noise, sweep_fraction

STAGES = ("sketch", "ink", "flats", "shading", "details")
TICKS = 1000

# (start, end) of each stage on the 0..1 painting-progress axis. Windows overlap a little, as real
# artists start colouring one part while inking another; the sketch always ends before flats begin.
TIMING_PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    "balanced": ((0.0, 0.17), (0.15, 0.36), (0.36, 0.63), (0.61, 0.84), (0.82, 1.0)),
    "long-sketch": ((0.0, 0.28), (0.26, 0.46), (0.46, 0.68), (0.66, 0.86), (0.84, 1.0)),
    "quick-sketch": ((0.0, 0.08), (0.07, 0.23), (0.23, 0.56), (0.54, 0.82), (0.80, 1.0)),
    "detailed-finish": ((0.0, 0.12), (0.11, 0.28), (0.28, 0.49), (0.47, 0.69), (0.67, 1.0)),
}
ORDERS = ("auto", "background-first", "subject-first")


@dataclass(frozen=True, eq=False)
class Plan:
    windows: tuple[tuple[float, float], ...]  # per stage, after seed jitter
    background_first: bool
    times: tuple[np.ndarray, ...]  # 5 x (H, W) uint16 ticks, non-decreasing over stages per pixel
    sketch: np.ndarray  # the pencil alpha actually drawn (small strokes dropped at low density)


def stage_windows(preset: str, rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    base = TIMING_PRESETS[preset]
    cuts = [base[0][1], base[1][0], base[1][1], base[2][0], base[2][1], base[3][0], base[3][1], base[4][0]]
    shift = rng.uniform(-0.025, 0.025, size=4)
    jittered = [c + shift[i // 2] for i, c in enumerate(cuts)]
    s_end, i0, i1, f0, f1, h0, h1, d0 = jittered
    i0 = min(i0, s_end)
    f0 = max(f0, s_end + 0.02)  # the sketch is finished before any colour goes down
    return ((0.0, s_end), (i0, i1), (f0, f1), (h0, h1), (d0, 1.0))


def stroke_order_times(
    strokes: Strokes,
    start: np.ndarray,
    diag: float,
    noise: float,
    big_first: float,
    rng: np.random.Generator,
    last: np.ndarray | None = None,
    mass: np.ndarray | None = None,
) -> np.ndarray:
    """0..1 time per stroke pixel: strokes in order of distance from `start` (+noise, big first),
    each drawn along a random direction over about two strokes' time. Strokes flagged in `last`
    (invisible ones) go to the end, so they do not leave pauses early on. `mass` (default: pixel
    count) is how prominent a stroke is for "big first"."""
    n = strokes.count
    if n == 0:
        return np.zeros(0, np.float64)
    dist = np.hypot(*(strokes.centroid - start).T) / diag
    weight = strokes.size if mass is None else mass
    size_rank = weight / max(float(weight.max()), 1e-9)
    key = dist + rng.normal(0, noise, n) - big_first * np.sqrt(size_rank)
    if last is not None:
        key = key + 100.0 * last
    rank = np.empty(n, np.float64)
    rank[np.argsort(key, kind="stable")] = np.arange(n)
    angle = rng.uniform(0, 2 * np.pi, n)[strokes.stroke]
    proj = strokes.xs * np.cos(angle) + strokes.ys * np.sin(angle)
    frac = sweep_fraction(proj, strokes.stroke, n)
    overlap = 2.0
    visible = n - (int(last.sum()) if last is not None else 0)
    return np.minimum((rank[strokes.stroke] + overlap * frac) / (visible + overlap), 1.0)


def _region_times(an: Analysis, key: np.ndarray, angle: float, rng: np.random.Generator) -> np.ndarray:
    """0..1 time per pixel: regions in `key` order, each over a span growing with its size, filled by
    a ragged sweep along `angle`."""
    r = an.region_count
    order = np.argsort(key, kind="stable")
    span = np.sqrt(an.region_area[order])
    span = span / span.sum()
    starts = np.empty(r)
    starts[order] = np.concatenate([[0.0], np.cumsum(span)[:-1]])
    length = np.empty(r)
    length[order] = span * 1.6  # neighbours in the order overlap a little
    h, w = an.height, an.width
    ys, xs = np.indices((h, w), dtype=np.float32)
    ragged = smooth_noise(rng, (h, w), 24) * (0.08 * max(h, w))
    proj = (xs * np.cos(angle) + ys * np.sin(angle) + ragged).ravel()
    reg = an.regions.ravel()
    frac = sweep_fraction(proj, reg, r)
    t = starts[reg] + length[reg] * frac
    return (t / max(float(t.max()), 1e-9)).reshape(h, w)


def _to_ticks(t: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    start, end = window
    return np.clip(np.rint((start + (end - start) * t) * (TICKS - 1)), 0, TICKS - 1).astype(np.uint16)


def make_plan(
    an: Analysis, sketch: np.ndarray, preset: str, order: str, density: float, rng: np.random.Generator
) -> Plan:
    h, w = an.height, an.width
    diag = float(np.hypot(h, w))
    windows = stage_windows(preset, rng)
    background_first = order == "background-first" or (order == "auto" and rng.random() < 0.5)
    bgness = 0.65 * np.clip(an.region_border * 5.0, 0, 1) + 0.35 * an.region_area / an.region_area.max()
    subject = bgness < 0.5
    weights = an.region_area * subject
    focus = (
        (an.region_centroid * weights[:, None]).sum(0) / weights.sum()
        if weights.sum() > 0
        else np.array([w / 2, h / 2])
    )
    start = focus + rng.normal(0, 0.12, 2) * np.array([w, h])
    if rng.random() < 0.3:  # some artists block in from the top left instead
        start = np.array([w * rng.uniform(0.1, 0.4), h * rng.uniform(0.05, 0.3)])

    times = []
    # sketch
    sk_strokes = segment_strokes(sketch > 0, rng, max(h, w) / (9 + 8 * density))
    sketch = sketch.copy()
    gone = np.zeros(sk_strokes.count, bool)
    if sk_strokes.count:  # a sparse sketch leaves out small strokes (the ink adds them later)
        drop_share = (1.0 - density) * 0.35
        size_key = sk_strokes.size * rng.uniform(0.7, 1.3, sk_strokes.count)
        gone[np.argsort(size_key, kind="stable")[: int(drop_share * sk_strokes.count)]] = True
        px = gone[sk_strokes.stroke]
        sketch[sk_strokes.ys[px], sk_strokes.xs[px]] = 0.0
    t_sk = np.zeros((h, w), np.float64)
    ink_mass = np.bincount(
        sk_strokes.stroke, weights=sketch[sk_strokes.ys, sk_strokes.xs], minlength=sk_strokes.count
    )
    t_first = stroke_order_times(sk_strokes, start, diag, 0.12, 0.35, rng, last=gone, mass=ink_mass)
    drawn = max(int((~gone).sum()), 1)
    head = min(0.05, 2.5 / drawn)  # the first couple of strokes are there at step 999
    t_sk[sk_strokes.ys, sk_strokes.xs] = np.clip((t_first - head) / (1.0 - head), 0.0, 1.0)
    times.append(_to_ticks(t_sk, windows[0]))
    # ink
    ink_strokes = segment_strokes(an.line_alpha > 0, rng, max(h, w) / 7)
    t_ink = np.zeros((h, w), np.float64)
    t_ink[ink_strokes.ys, ink_strokes.xs] = stroke_order_times(ink_strokes, start, diag, 0.05, 0.1, rng)
    times.append(_to_ticks(t_ink, windows[1]))
    # flats
    cy = an.region_centroid[:, 1] / h
    sign = -1.0 if background_first else 1.0
    key = sign * bgness + rng.uniform(0.0, 0.6) * cy + rng.normal(0, 0.15, an.region_count)
    times.append(_to_ticks(_region_times(an, key, rng.uniform(0.2, 0.8) * np.pi, rng), windows[2]))
    # shading: roughly the same order, reshuffled, swept along a light direction
    key = key + rng.normal(0, 0.3, an.region_count)
    times.append(_to_ticks(_region_times(an, key, rng.uniform(0, 2 * np.pi), rng), windows[3]))
    # details: patches from the focus outwards
    patches = segment_strokes(np.ones((h, w), bool), rng, max(h, w) / 6)
    t_det = np.zeros((h, w), np.float64)
    t_det[patches.ys, patches.xs] = stroke_order_times(patches, focus, diag, 0.08, 0.0, rng)
    times.append(_to_ticks(t_det, windows[4]))
    for k in range(1, len(times)):
        np.maximum(times[k], times[k - 1], out=times[k])
    return Plan(windows=windows, background_first=background_first, times=tuple(times), sketch=sketch)
