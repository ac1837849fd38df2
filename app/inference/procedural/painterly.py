"""The painterly way of working: block-in of colour masses back to front, then coarse-to-fine brushwork.

How oil, acrylic and painterly digital works are made: no line art; the large masses of colour go down
first in depth order (sky and background, then far to near; the subject last, or first when the seed
says this painter starts with it), then passes with smaller and smaller brushes whose strokes follow
the forms, then details and the highlights last.

Stages and their layers (brushwork.py):
- block-in: big strokes coloured from a heavily blurred artwork, never crossing a mass edge; masses in
  depth order, each filled stroke by stroke in a seeded sweep;
- forms: medium strokes from a less blurred artwork, split by the analysis regions, loosely back to front;
- refinement: small strokes from a slightly blurred artwork, from the focus outwards;
- details: the artwork itself in the smallest strokes, from the focus outwards, highlights last.
Depth: masses touching the top edge in the upper half are sky (first); the others go far to near by
their height in the picture (higher is farther, as in most landscapes and interiors); compact masses
clear of the picture's edges are the subject.
"""

from __future__ import annotations

import numpy as np

from app.inference.procedural.analysis import Analysis
from app.inference.procedural.brushwork import (
    brush_scale,
    brush_strokes,
    masses,
    mosaic,
    soft,
    stroke_angles,
    stroke_times,
    to_size,
)
from app.inference.procedural.schedule import TICKS
from app.inference.procedural.ways import WayPlan

STAGES = ("block-in", "forms", "refinement", "details")
WINDOWS = ((0.0, 0.3), (0.27, 0.56), (0.53, 0.8), (0.77, 1.0))


def jittered_windows(
    base: tuple[tuple[float, float], ...], rng: np.random.Generator
) -> tuple[tuple[float, float], ...]:
    """Each boundary between stages moved by the seed a little; the first starts at 0, the last ends at 1."""
    shift = rng.uniform(-0.025, 0.025, size=len(base) - 1)
    out = []
    for k, (a, b) in enumerate(base):
        start = 0.0 if k == 0 else a + shift[k - 1]
        end = 1.0 if k == len(base) - 1 else b + shift[k]
        out.append((start, end))
    return tuple(out)


def to_ticks(t: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    start, end = window
    return np.clip(np.rint((start + (end - start) * t) * (TICKS - 1)), 0, TICKS - 1).astype(np.uint16)


def mass_facts(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per label: area, centroid (x, y), share of its pixels on the image border, and whether it is sky
    (touches the top edge and lies in the upper half)."""
    h, w = labels.shape
    count = int(labels.max()) + 1
    flat = labels.ravel()
    area = np.bincount(flat, minlength=count).astype(np.float64)
    ys, xs = np.indices((h, w), dtype=np.float32)
    cx = np.bincount(flat, weights=xs.ravel(), minlength=count) / np.maximum(area, 1)
    cy = np.bincount(flat, weights=ys.ravel(), minlength=count) / np.maximum(area, 1)
    band = max(2, int(max(h, w) * 0.01))
    border = np.zeros((h, w), bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    on_border = np.bincount(labels[border], minlength=count) / np.maximum(area, 1)
    top = np.bincount(labels[:band].ravel(), minlength=count) > 0
    sky = top & (cy < 0.5 * h)
    return area, np.stack([cx, cy], 1), on_border, sky


def depth_keys(
    labels: np.ndarray, subject_last: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order key per mass: smaller is painted earlier, backdrop flags, subject flags)."""
    h, w = labels.shape
    area, centroid, on_border, sky = mass_facts(labels)
    # a subject stands free of the picture's edges (bands of ground or hills run into them)
    subject = (on_border < 0.003) & (area >= 0.004 * h * w) & (area <= 0.15 * h * w)
    key = 0.15 + 0.7 * centroid[:, 1] / h + rng.normal(0, 0.03, area.shape[0])
    key[sky] = rng.uniform(0, 0.05, int(sky.sum()))
    key[subject] += 2.0 if subject_last else -2.0
    backdrop = sky | (on_border > 0.05)
    backdrop &= ~subject
    return key, backdrop, subject


def _rank01(key: np.ndarray) -> np.ndarray:
    rank = np.empty(key.shape[0], np.float64)
    rank[np.argsort(key, kind="stable")] = np.arange(key.shape[0])
    out: np.ndarray = rank / max(key.shape[0] - 1, 1)
    return out


def _block_in_times(
    strokes_label: np.ndarray,
    strokes_centroid: np.ndarray,
    mass_key: np.ndarray,
    mass_area: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per stroke 0..1 order key: masses one after another in `mass_key` order (each over a share of time
    growing with its size), inside a mass a seeded sweep with a little noise."""
    order = np.argsort(mass_key, kind="stable")
    span = np.sqrt(mass_area[order])
    span = span / max(span.sum(), 1e-9)
    start = np.empty(mass_key.shape[0])
    start[order] = np.concatenate([[0.0], np.cumsum(span)[:-1]])
    length = np.empty(mass_key.shape[0])
    length[order] = span
    angle = np.asarray(rng.uniform(0, 2 * np.pi, mass_key.shape[0]))[strokes_label]
    proj = strokes_centroid[:, 0] * np.cos(angle) + strokes_centroid[:, 1] * np.sin(angle)
    lo = np.full(mass_key.shape[0], np.inf)
    hi = np.full(mass_key.shape[0], -np.inf)
    np.minimum.at(lo, strokes_label, proj)
    np.maximum.at(hi, strokes_label, proj)
    frac = (proj - lo[strokes_label]) / np.maximum(hi - lo, 1e-6)[strokes_label]
    frac = np.clip(frac + rng.normal(0, 0.08, frac.shape[0]), 0, 1)
    key: np.ndarray = start[strokes_label] + length[strokes_label] * frac
    return key


def painterly_plan(an: Analysis, order: str, rng: np.random.Generator) -> WayPlan:
    """The painterly plan (module docstring), planned on a copy of at most `BRUSH_SIDE` pixels and scaled
    up: brush strokes are many pixels wide, so nothing is lost but time."""
    small = brush_scale(an.image)
    h, w = small.shape[:2]
    long = float(max(h, w))
    diag = float(np.hypot(h, w))
    regions = to_size(an.regions, small.shape, smooth=False)
    windows = jittered_windows(WINDOWS, rng)
    background_first = order == "background-first" or (order == "auto" and rng.random() < 0.5)
    labels = masses(small)
    key, backdrop, subject = depth_keys(labels, background_first, rng)
    area, _, _, _ = mass_facts(labels)
    angles = stroke_angles(small)
    img = small.astype(np.float32)
    sx = w / an.width
    focus_w = an.region_area * (an.region_border < 0.02)
    focus = (
        (an.region_centroid * sx * focus_w[:, None]).sum(0) / focus_w.sum()
        if focus_w.sum() > 0
        else np.array([w / 2, h / 2])
    ) + rng.normal(0, 0.08, 2) * np.array([w, h])

    layers = []
    times = []
    # block-in
    block = brush_strokes(angles, labels, long / 7, long / 24, rng)
    layers.append(mosaic(block, soft(img, long / 45), rng, 3.0))
    t = _block_in_times(block.label, block.centroid, key, area, rng)
    times.append(to_ticks(stroke_times(block, t, overlap=1.5), windows[0]))
    # forms: loosely back to front (the depth of a stroke is that of the mass under its centroid)
    depth_rank = _rank01(key)
    forms = brush_strokes(angles, regions, long / 14, long / 48, rng)
    layers.append(mosaic(forms, soft(img, long / 130), rng, 4.0))
    cx = np.clip(forms.centroid[:, 0].astype(np.int64), 0, w - 1)
    cy = np.clip(forms.centroid[:, 1].astype(np.int64), 0, h - 1)
    fkey = 0.7 * depth_rank[labels[cy, cx]] + rng.uniform(0, 0.3, forms.count)
    times.append(to_ticks(stroke_times(forms, fkey), windows[1]))
    # refinement, then details: from the focus outwards; highlights last
    refine = brush_strokes(angles, regions, long / 30, long / 110, rng)
    layers.append(mosaic(refine, soft(img, long / 450), rng, 3.0))
    rkey = np.hypot(*(refine.centroid - focus).T) / diag + rng.normal(0, 0.12, refine.count)
    times.append(to_ticks(stroke_times(refine, rkey), windows[2]))
    detail = brush_strokes(angles, regions, long / 60, long / 220, rng)
    lum = img @ np.array([0.299, 0.587, 0.114], np.float32)
    bright = np.bincount(detail.ids.ravel(), weights=lum.ravel(), minlength=detail.count) / detail.size
    dkey = np.hypot(*(detail.centroid - focus).T) / diag + rng.normal(0, 0.12, detail.count)
    dkey = dkey + 2.0 * (bright >= np.percentile(bright, 93))
    times.append(to_ticks(stroke_times(detail, dkey), windows[3]))

    shape = an.image.shape
    full_layers = [np.full(shape, 255, np.uint8), *(to_size(layer, shape, smooth=True) for layer in layers)]
    full_layers.append(an.image)
    full_times = [to_size(t, shape, smooth=False) for t in times]
    for k in range(1, len(full_times)):
        np.maximum(full_times[k], full_times[k - 1], out=full_times[k])
    return WayPlan(
        way="painterly",
        stages=STAGES,
        layers=tuple(full_layers),
        times=tuple(full_times),
        windows=windows,
        background_first=background_first,
        colour_stage=0,
        labels=to_size(labels, shape, smooth=False),
        backdrop=backdrop,
        subject=subject,
    )
