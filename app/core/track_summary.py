"""What the timeline track draws for a branch (stage bands, keyframe steps, the change curve), kept in the
project file so that a reopened project shows it at once.

Why: these come from the engine session, and a branch whose frames are stored (a neural engine) prepares
its session only when a step needs the engine, which may be never after reopening. A few kB of JSON per
branch in the `state` table (key `track/<branch hash>`, keyed like the branch's frames) make the track
independent of the session. The curve is kept relative to its peak, in thousandths: the track normalises
it anyway, and 1000 small integers are ~4 kB.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.core.branch import Branch
from app.core.frames import MAX_STEP, MIN_STEP
from app.core.project import Project
from app.errors import ProjectError

STATE_PREFIX = "track/"
CURVE_SCALE = 1000
MAX_BANDS = 64


class BandLike(Protocol):
    """An engine's `StageBand`, or a `TrackBand` (the core cannot import engines)."""

    @property
    def name(self) -> str: ...

    @property
    def first_step(self) -> int: ...

    @property
    def last_step(self) -> int: ...


@dataclass(frozen=True)
class TrackBand:
    name: str
    first_step: int  # the larger undo step (earlier in painting order)
    last_step: int


@dataclass(frozen=True)
class TrackSummary:
    bands: tuple[TrackBand, ...] = ()
    keyframes: tuple[int, ...] = ()
    curve: tuple[float, ...] = ()  # per undo step, 0..1 relative to the peak; empty when unknown

    @staticmethod
    def of(
        bands: Iterable[BandLike], keyframes: Iterable[int], curve: Sequence[float] | np.ndarray | None
    ) -> TrackSummary:
        """A summary of an engine session's fields, rounded as the file keeps them (so a summary made
        now equals the one read back)."""
        values: tuple[float, ...] = ()
        if curve is not None and len(curve):
            y = np.nan_to_num(np.asarray(curve, dtype=np.float64)[: MAX_STEP + 1], nan=0.0).clip(0, None)
            peak = float(y.max()) or 1.0
            values = tuple(float(v) / CURVE_SCALE for v in np.rint(y / peak * CURVE_SCALE).astype(int))
        return TrackSummary(
            tuple(TrackBand(str(b.name), int(b.first_step), int(b.last_step)) for b in bands),
            tuple(sorted({int(s) for s in keyframes})),
            values,
        )

    @property
    def empty(self) -> bool:
        return not (self.bands or self.keyframes or self.curve)

    def to_json(self) -> dict[str, Any]:
        return {
            "bands": [[b.name, b.first_step, b.last_step] for b in self.bands],
            "keyframes": list(self.keyframes),
            "curve": [round(v * CURVE_SCALE) for v in self.curve],
        }

    @staticmethod
    def from_json(value: object) -> TrackSummary:
        """The inverse of `to_json`; raises ValueError for anything else (a damaged or foreign row)."""
        if not isinstance(value, dict):
            raise ValueError("a track summary is a JSON object")
        bands, keyframes, curve = value.get("bands", []), value.get("keyframes", []), value.get("curve", [])
        if not (isinstance(bands, list) and isinstance(keyframes, list) and isinstance(curve, list)):
            raise ValueError("a track summary has lists of bands, keyframes and curve values")
        if len(bands) > MAX_BANDS or len(keyframes) > MAX_STEP + 1 or len(curve) > MAX_STEP + 1:
            raise ValueError("a track summary is too long")
        out_bands = []
        for band in bands:
            if not (isinstance(band, list) and len(band) == 3 and isinstance(band[0], str)):
                raise ValueError(f"{band!r} is not a stage band")
            out_bands.append(TrackBand(band[0][:64], _step(band[1]), _step(band[2])))
        steps = tuple(sorted({_step(s) for s in keyframes}))
        if not all(isinstance(v, int) and 0 <= v <= CURVE_SCALE for v in curve):
            raise ValueError("the change curve holds values outside 0..1000")
        return TrackSummary(tuple(out_bands), steps, tuple(v / CURVE_SCALE for v in curve))


def _step(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_STEP <= value <= MAX_STEP:
        raise ValueError(f"{value!r} is not an undo step")
    return value


def state_key(branch: Branch) -> str:
    return STATE_PREFIX + branch.spec.spec_hash()


def put_track_summary(project: Project, branch: Branch, summary: TrackSummary) -> None:
    """Keep `summary` for `branch` (one small transaction; run it on the worker). A Save As that swaps
    the store meanwhile sends the write to the new file."""
    key, value = state_key(branch), summary.to_json()
    while True:
        store = project.store
        try:
            store.set_state({key: value})
            return
        except ProjectError:
            if project.store is store:
                raise


def get_track_summary(project: Project, branch: Branch) -> TrackSummary | None:
    """The summary kept for `branch`, or None (none kept, or damaged: the session brings it back)."""
    try:
        return TrackSummary.from_json(project.store.get_state(state_key(branch)))
    except (ValueError, TypeError, ProjectError):
        return None
