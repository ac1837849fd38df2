"""Behaviours real painting processes show, each optional and seeded (design §9).

- **Canvas flip**: artists mirror the canvas to see proportions afresh; for a stretch of steps the frame
  is shown mirrored, as the artist saw it.
- **Late colour adjustment**: near the end an adjustment over everything (levels, a colour cast,
  saturation) moves the picture to its final grade; before it the canvas shows the ungraded colours.
- **Repainted region**: one region is roughed in in other colours, then repainted correctly later.
- **Replaced background**: the background is painted early as something else, then replaced.

The first two happen at render time (`Effects.apply`, a flip and one 3x4 colour transform: about 2 ms
at 1024x1024), so they cost nothing to plan and keep every step random-access. The other two change the
plan's colour-stage layer and the next stage's ticks in a region (`apply_to_plan`): the compositor stays
as it is. Each behaviour draws from its own random stream (seed, behaviour), so switching one off never
changes the others. An early colour is never farther from the final than what it covers (its
difference is capped), so the distance to the final keeps shrinking through a rough-in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from app.inference.procedural.analysis import Analysis
from app.inference.procedural.schedule import TICKS
from app.inference.procedural.ways import WayPlan

LAST_TICK = TICKS - 1
BEHAVIOURS = ("flip", "grade", "repaint", "background")
DEFAULT_CHANCES = {"flip": 0.5, "grade": 0.4, "repaint": 0.35, "background": 0.25}
VISIBLE = 12.0  # a rough-in or early backdrop that changes less than this (mean levels) is left out
CAP = 0.85  # an early colour is at most this share of the covered colour's distance from the final


def behaviour_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0xBE4A, BEHAVIOURS.index(name)])


@dataclass(frozen=True)
class Grade:
    """Before tick `start` frames show `matrix` (3x4, row-major, white stays white) applied to the
    canvas; from `start` to `end` it eases to the identity; from `end` on the canvas is as painted."""

    start: int
    end: int
    matrix: tuple[float, ...]

    def transform(self, tick: int) -> np.ndarray | None:
        if tick >= self.end:
            return None
        s = 0.0 if tick < self.start else (tick - self.start) / max(self.end - self.start, 1)
        identity = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], np.float64)
        m = np.asarray(self.matrix, np.float64).reshape(3, 4)
        return ((1.0 - s) * m + s * identity).astype(np.float32)


@dataclass(frozen=True)
class Effects:
    """The render-time behaviours of a branch and what the plan-time ones did (ticks, for the record)."""

    flips: tuple[tuple[int, int], ...] = ()  # inclusive tick ranges shown mirrored
    grade: Grade | None = None
    repaint: tuple[int, int] | None = None  # (tick roughed in, tick repainted)
    background: tuple[int, int] | None = None  # (tick first painted, tick replaced)

    def flipped(self, tick: int) -> bool:
        return any(a <= tick <= b for a, b in self.flips)

    def apply(self, tick: int, out: np.ndarray) -> np.ndarray:
        """`out` (the composite at `tick`) as the artist saw it: graded as then, mirrored if flipped."""
        if self.grade is not None:
            m = self.grade.transform(tick)
            if m is not None:
                cv2.transform(out, m, dst=out)
        if self.flipped(tick):
            cv2.flip(out, 1, dst=out)
        return out

    def to_meta(self) -> dict[str, object]:
        return {
            "flips": [list(f) for f in self.flips],
            "grade": None
            if self.grade is None
            else {"start": self.grade.start, "end": self.grade.end, "matrix": list(self.grade.matrix)},
            "repaint": None if self.repaint is None else list(self.repaint),
            "background": None if self.background is None else list(self.background),
        }

    @staticmethod
    def from_meta(meta: object) -> Effects | None:
        """The effects stored by `to_meta`, None when unreadable (a damaged recipe)."""
        try:
            assert isinstance(meta, dict)
            flips = tuple((_tick(a), _tick(b)) for a, b in meta["flips"])
            g = meta["grade"]
            grade = None
            if g is not None:
                matrix = tuple(float(x) for x in g["matrix"])
                if len(matrix) != 12 or not np.isfinite(matrix).all():
                    return None
                grade = Grade(_tick(g["start"]), _tick(g["end"]), matrix)
            pair = {
                k: None if meta[k] is None else (_tick(meta[k][0]), _tick(meta[k][1]))
                for k in ("repaint", "background")
            }
            return Effects(flips, grade, pair["repaint"], pair["background"])
        except (AssertionError, KeyError, TypeError, ValueError):
            return None


def _tick(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= LAST_TICK:
        raise ValueError(f"not a tick: {value!r}")
    return value


def _flips(rng: np.random.Generator, chance: float) -> tuple[tuple[int, int], ...]:
    if rng.random() >= chance:
        return ()
    out = []
    start = int(rng.uniform(0.3, 0.62) * LAST_TICK)
    out.append((start, start + int(rng.integers(25, 60))))
    if rng.random() < 0.35:  # some artists check twice
        again = int(rng.uniform(0.7, 0.85) * LAST_TICK)
        out.append((again, again + int(rng.integers(15, 35))))
    return tuple(out)


def _grade(rng: np.random.Generator, chance: float) -> Grade | None:
    if rng.random() >= chance:
        return None
    start = int(rng.uniform(0.8, 0.9) * LAST_TICK)
    end = min(start + int(rng.integers(12, 40)), LAST_TICK - 5)
    sat = rng.uniform(0.55, 0.8) if rng.random() < 0.6 else rng.uniform(1.2, 1.35)
    luma = np.array([0.299, 0.587, 0.114])
    saturation = sat * np.eye(3) + (1 - sat) * np.tile(luma, (3, 1))
    cast = np.eye(3)
    warm = rng.uniform(-0.08, 0.08)  # a warm or cool cast: red and blue trade places a little
    cast[0] += [-abs(warm), 0, abs(warm)] if warm < 0 else [0, 0, 0]
    cast[2] += [abs(warm), 0, -abs(warm)] if warm >= 0 else [0, 0, 0]
    contrast = rng.uniform(0.82, 0.95)  # flatter and lighter before the final levels
    m = contrast * (saturation @ cast)
    offset = 255.0 * (1.0 - m.sum(axis=1))  # white stays white
    return Grade(start, end, tuple(float(x) for x in np.hstack([m, offset[:, None]]).ravel()))


def _capped(new: np.ndarray, under: np.ndarray, final: np.ndarray) -> np.ndarray:
    """`new` moved towards `final` so it is at most CAP times as far from it as `under` is. (N, 3) float32."""
    d_new = np.sqrt(np.square(new - final).sum(axis=1, keepdims=True))
    d_under = np.sqrt(np.square(under - final).sum(axis=1, keepdims=True))
    scale = np.minimum(np.float32(1.0), np.float32(CAP) * d_under / np.maximum(d_new, np.float32(1e-6)))
    out: np.ndarray = final + (new - final) * scale
    return out


def _hue_turn(rgb: np.ndarray, degrees: float, lift: float) -> np.ndarray:
    """(N, 3) colours turned around the grey axis (YCrCb) by `degrees` and lightened by `lift` levels."""
    a = np.deg2rad(degrees)
    boost = 1.3  # a rough-in is bolder than the final
    # RGB -> (Y, Cr, Cb), rotate (Cr, Cb), back to RGB: one 3x3 matrix and an offset
    to_ycc = np.array([[0.299, 0.587, 0.114], [0.5, -0.4187, -0.0813], [-0.1687, -0.3313, 0.5]])
    turn = np.array(
        [[1, 0, 0], [0, np.cos(a) * boost, -np.sin(a) * boost], [0, np.sin(a) * boost, np.cos(a) * boost]]
    )
    m = (np.linalg.inv(to_ycc) @ turn @ to_ycc).astype(np.float32)
    out: np.ndarray = np.clip(rgb @ m.T + np.float32(lift), 0, 255)
    return out


def _retime(
    times: list[np.ndarray], stage: int, idx: np.ndarray, tick: int, span: int, rng: np.random.Generator
) -> None:
    """Stage `stage` of the pixels `idx` (flat indices) done in a sweep from `tick` over `span` ticks."""
    w = times[stage].shape[1]
    ys, xs = np.divmod(idx, w)
    angle = rng.uniform(0, 2 * np.pi)
    proj = xs * np.cos(angle) + ys * np.sin(angle)
    frac = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    times[stage].reshape(-1)[idx] = np.clip(tick + np.rint(frac * span), 0, LAST_TICK).astype(np.uint16)


def _label_areas(plan: WayPlan) -> np.ndarray:
    return np.bincount(plan.labels.ravel(), minlength=plan.backdrop.shape[0]).astype(np.float64)


def _paint_early(
    an: Analysis,
    layers: list[np.ndarray],
    times: list[np.ndarray],
    k: int,
    idx: np.ndarray,
    early: np.ndarray,
) -> tuple[int, int] | None:
    """Stage k paints `early` (capped, N x 3) at the pixels `idx` instead of its own colours (ink lines
    kept); returns (first tick, last tick) of stage k there, or None when the change would not show."""
    layer = layers[k + 1].copy()
    flat_layer = layer.reshape(-1, 3)
    own = flat_layer[idx].astype(np.float32)
    under = layers[k].reshape(-1, 3)[idx].astype(np.float32)
    final = an.image.reshape(-1, 3)[idx].astype(np.float32)
    line = an.line_alpha.reshape(-1)[idx][:, None]
    new = _capped(early, under, final) * (1 - line) + own * line
    if np.abs(new - own).max(axis=1).mean() < VISIBLE:
        return None
    flat_layer[idx] = np.clip(new + 0.5, 0, 255).astype(np.uint8)
    layers[k + 1] = layer
    ticks = times[k].reshape(-1)[idx]
    return int(ticks.min()), int(ticks.max())


def _repaint(
    plan: WayPlan, an: Analysis, layers: list[np.ndarray], times: list[np.ndarray], rng: np.random.Generator
) -> tuple[int, int] | None:
    k = plan.colour_stage
    if k + 1 >= len(plan.stages):
        return None
    h, w = plan.labels.shape
    area = _label_areas(plan)
    ok = ~plan.backdrop & (area >= 0.003 * h * w) & (area <= 0.25 * h * w)
    pool = np.nonzero(plan.subject & ok)[0]
    if pool.size == 0:
        pool = np.nonzero(ok)[0]
    if pool.size == 0:
        return None
    # the regions whose colour is far from paper show a rough-in best; the seed picks among them
    ink = 765 - an.image.sum(axis=2, dtype=np.int32)
    far = np.bincount(plan.labels.ravel(), weights=ink.ravel(), minlength=area.shape[0])
    pool = pool[np.argsort(-far[pool] / area[pool], kind="stable")][:4]
    idx = np.flatnonzero(plan.labels == int(rng.choice(pool)))
    own = layers[k + 1].reshape(-1, 3)[idx].astype(np.float32)
    rough = _hue_turn(own, rng.choice([-1, 1]) * rng.uniform(60, 140), rng.uniform(-25, 25))
    span = _paint_early(an, layers, times, k, idx, rough)
    if span is None:
        return None  # a region too pale to show a rough-in
    tick = max(min(span[1] + int(rng.integers(40, 140)), LAST_TICK - 80), span[1] + 1)
    _retime(times, k + 1, idx, tick, int(rng.integers(12, 30)), rng)
    return span[0], tick


def _background(
    plan: WayPlan, an: Analysis, layers: list[np.ndarray], times: list[np.ndarray], rng: np.random.Generator
) -> tuple[int, int] | None:
    k = plan.colour_stage
    if k + 1 >= len(plan.stages):
        return None
    idx = np.flatnonzero(plan.backdrop[plan.labels])
    h, w = plan.labels.shape
    if idx.size < 0.05 * h * w:
        return None
    mean = layers[k + 1].reshape(-1, 3)[idx].mean(axis=0, dtype=np.float64).astype(np.float32)
    other = _hue_turn(mean[None], rng.uniform(90, 200), 0.0)[0]
    v = (idx // w).astype(np.float32)[:, None] / np.float32(max(h - 1, 1))
    top, bottom = np.clip(other + 35, 0, 255), np.clip(other - 35, 0, 255)
    alt = top + (bottom - top) * v  # a plain gradient: the first idea of a backdrop
    span = _paint_early(an, layers, times, k, idx, alt.astype(np.float32))
    if span is None:
        return None  # a backdrop of bare paper: there is no colour to change
    tick = max(min(span[1] + int(rng.integers(30, 110)), LAST_TICK - 120), span[1] + 1)
    _retime(times, k + 1, idx, tick, int(rng.integers(30, 70)), rng)
    return span[0], tick


def apply_to_plan(
    plan: WayPlan, an: Analysis, seed: int, chances: dict[str, float]
) -> tuple[WayPlan, Effects]:
    """The plan with the plan-time behaviours done, and the effects of all four (module docstring)."""
    layers = list(plan.layers)
    times = [t.copy() for t in plan.times]
    repaint = background = None
    rng = behaviour_rng(seed, "repaint")
    if rng.random() < chances["repaint"]:
        repaint = _repaint(plan, an, layers, times, rng)
    rng = behaviour_rng(seed, "background")
    if rng.random() < chances["background"]:
        background = _background(plan, an, layers, times, rng)
    for k in range(1, len(times)):
        np.maximum(times[k], times[k - 1], out=times[k])
    effects = Effects(
        flips=_flips(behaviour_rng(seed, "flip"), chances["flip"]),
        grade=_grade(behaviour_rng(seed, "grade"), chances["grade"]),
        repaint=repaint,
        background=background,
    )
    return replace(plan, layers=tuple(layers), times=tuple(times)), effects


def forked_effects(parent: Effects, own: Effects, fork_tick: int) -> Effects:
    """A fork's effects: the parent's up to the fork tick (its frames there are the parent's), its own
    after. The parent's grade stays whole: its ungraded colours are already on the kept canvas."""
    flips = tuple(f for f in parent.flips if f[0] <= fork_tick)
    last = max((b for _, b in flips), default=-1)
    flips += tuple(f for f in own.flips if f[0] > max(fork_tick, last))

    def pick(p: tuple[int, int] | None, o: tuple[int, int] | None) -> tuple[int, int] | None:
        if p is not None and p[0] <= fork_tick:
            return p
        return o if o is not None and o[0] > fork_tick else None

    return Effects(
        flips, parent.grade, pick(parent.repaint, own.repaint), pick(parent.background, own.background)
    )
