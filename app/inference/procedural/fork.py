"""A fork continues its parent's canvas: what is painted at the fork step stays, the rest is re-planned.

A procedural frame at tick t shows, per pixel, the layer of the last stage k whose time T_k(p) <= t
(compositor.py). So "the canvas at the fork tick t_f" is exactly the set of (pixel, stage) entries with
parent T_k(p) <= t_f, drawn with the parent's layers. A fork keeps those entries, times and layers as
they are, which makes every frame at or above the fork step bit-identical to the parent's. The other
entries take the fork's own plan (its seed and settings: order, sweep directions, sketch) and its own
layers, with the fork's times mapped into the remaining ticks t_f+1..999.

The new times keep the fork's *order* and take the parent's *pace*. The remaining entries are sorted
in the fork's order; each one is done when the share of the remaining visible work (how much an entry
changes its pixel) done up to it in that order is reached by the parent's own remaining work curve over
ticks t_f+1..999 (quantile matching, entry by entry). The remaining entries are the same in both, so the
fork changes the canvas about as much per step as the parent did at that step: no pause through stages
the parent has already finished, no burst that crams the rest into less time, and no lump where the
fork's plan put many entries on one tick (they spread over the next ticks in raster order).

Per pixel the kept entries are a prefix of the stages (the parent's times are non-decreasing over
stages), every re-planned time is > t_f, and the fork's order puts a pixel's stages in stage order, so
the combined times are non-decreasing over stages too: the compositor's contract holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.inference.procedural.schedule import TICKS

LAST_TICK = TICKS - 1


@dataclass(frozen=True, eq=False)
class ForkedPlan:
    layers: tuple[np.ndarray, ...]  # 6 x (H, W, 3) uint8, as the compositor takes them
    times: tuple[np.ndarray, ...]  # 5 x (H, W) uint16 ticks
    windows: tuple[tuple[float, float], ...]  # per stage on the 0..1 progress axis, for the timeline


def _work(layers: tuple[np.ndarray, ...] | list[np.ndarray], k: int) -> np.ndarray:
    """How much stage k changes each pixel (H, W): the visible work of that entry. Channel by channel:
    numpy's reduction over a last axis of three is several times slower than two adds."""
    diff = cv2.absdiff(layers[k + 1], layers[k])
    work = np.add(diff[..., 0], diff[..., 1], dtype=np.uint16)
    work += diff[..., 2]
    return work


def _parent_share(
    parent_times: tuple[np.ndarray, ...],
    parent_work: list[np.ndarray],
    remaining: list[np.ndarray],
    fork_tick: int,
) -> np.ndarray:
    """(1000,) share of the parent's remaining work done by each tick; an even pace over the remaining
    ticks when none of it is visible (a blank artwork)."""
    per_tick = np.zeros(TICKS, np.float64)
    for k, rest in enumerate(remaining):
        per_tick += np.bincount(parent_times[k][rest], weights=parent_work[k][rest], minlength=TICKS)[:TICKS]
    if per_tick.sum() <= 0:
        per_tick[fork_tick + 1 :] = 1.0
    share: np.ndarray = np.cumsum(per_tick) / per_tick.sum()
    return share


def _retimed(
    own_times: tuple[np.ndarray, ...],
    own_work: list[np.ndarray],
    share_by_tick: np.ndarray,
    remaining: list[np.ndarray],
    fork_tick: int,
) -> list[np.ndarray]:
    """The remaining entries' new ticks, per stage in raster order (module docstring).

    Entries are put in the fork's order: its tick, then the stage (so a pixel's stages stay in order),
    then raster order, which spreads a lump of entries that share one tick over the following ticks
    like a sweep. A stable sort of a small integer key is a radix sort in numpy: linear time."""
    stages = len(own_times)
    key = np.concatenate(
        [own_times[k][rest] * np.uint16(stages) + np.uint16(k) for k, rest in enumerate(remaining)]
    )
    order = np.argsort(key, kind="stable")
    del key
    weight = np.concatenate([own_work[k][rest] for k, rest in enumerate(remaining)]).astype(np.float64)
    if weight.sum() <= 0:
        weight[:] = 1.0
    done = np.cumsum(weight[order])
    done /= done[-1]
    # the tick of each entry in that order: the first tick whose parent share reaches the entry's share
    # (1000 searches in the sorted shares rather than millions in the 1000 ticks)
    upto = np.searchsorted(done, share_by_tick + 1e-9, side="right")
    upto[-1] = done.size
    ticks = np.repeat(np.arange(TICKS, dtype=np.uint16), np.diff(upto, prepend=0))
    new = np.empty(order.size, np.uint16)
    new[order] = np.clip(ticks, fork_tick + 1, LAST_TICK)
    counts = np.cumsum([int(rest.sum()) for rest in remaining])[:-1]
    return list(np.split(new, counts))


def _window(times: np.ndarray, work: np.ndarray, fallback: tuple[float, float]) -> tuple[float, float]:
    """A stage's window on the progress axis: from its first to its last visible entry."""
    visible = times[work > 0]
    if visible.size == 0:
        return fallback
    return (float(visible.min()) / LAST_TICK, float(visible.max()) / LAST_TICK)


def continue_from(
    parent_layers: tuple[np.ndarray, ...],
    parent_times: tuple[np.ndarray, ...],
    parent_windows: tuple[tuple[float, float], ...],
    own_layers: tuple[np.ndarray, ...],
    own_times: tuple[np.ndarray, ...],
    fork_tick: int,
) -> ForkedPlan:
    """The fork's layers, times and stage windows (module docstring). `fork_tick` = 999 - fork step."""
    if fork_tick >= LAST_TICK:  # forked at step 0: nothing is left to redo
        return ForkedPlan(parent_layers, parent_times, parent_windows)
    stages = len(parent_times)
    done = [t <= fork_tick for t in parent_times]
    remaining = [~d for d in done]
    if not any(rest.any() for rest in remaining):  # the parent has finished everything by then
        return ForkedPlan(parent_layers, parent_times, parent_windows)
    layers = [parent_layers[0]]  # white paper
    for k in range(stages - 1):
        layers.append(
            np.ascontiguousarray(np.where(done[k][..., None], parent_layers[k + 1], own_layers[k + 1]))
        )
    layers.append(parent_layers[-1])  # the artwork itself, the same for both
    work = [_work(layers, k) for k in range(stages)]
    share = _parent_share(
        parent_times, [_work(parent_layers, k) for k in range(stages)], remaining, fork_tick
    )
    new = _retimed(own_times, work, share, remaining, fork_tick)
    times = []
    for k in range(stages):
        t = parent_times[k].copy()
        t[remaining[k]] = new[k]
        times.append(t)
    for k in range(1, stages):  # already so (module docstring); kept as the compositor's guard
        np.maximum(times[k], times[k - 1], out=times[k])
    windows = []
    for k, (ps, pe) in enumerate(parent_windows):
        if pe * LAST_TICK <= fork_tick:  # finished before the fork: as the parent had it
            windows.append((ps, pe))
            continue
        start, end = _window(times[k], work[k], (ps, pe))
        windows.append((min(ps, start), end))
    return ForkedPlan(tuple(layers), tuple(times), tuple(windows))
