"""Fit to a recording (issue 11 §5): search an engine's seeds and settings for the process closest to a
real recording, within a time budget, with progress and cancel.

Why a plain search in a fixed order and not an optimiser: a seed changes the plan discontinuously (no
gradient, no smoothness to exploit), and the settings are a handful of choices; the budget is what the
user grants, so candidates are tried from the most different settings first (each setting's values
cycle at a different rate, seeds count up), and the best so far is always the answer. Scoring uses
fewer progress values than the full report (`samples`), since only the ranking matters here; the
winner is worth scoring in full afterwards.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.analysis.align import AlignedRecording
from app.analysis.score import score_branches
from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.errors import EngineError
from app.inference.engine import ProcessEngine, SettingSpec
from app.inference.frame_source import ProcessFrames

FIT_SAMPLES = 21


@dataclass(frozen=True)
class FitResult:
    best: BranchSpec
    best_score: float
    tried: tuple[tuple[BranchSpec, float], ...]  # in the order they were tried
    budget_spent: bool  # True: stopped by the budget (more candidates were left)


def setting_values(spec: SettingSpec) -> list[object]:
    """The values a search tries for one setting, its default first: every choice, or the default and two
    numbers near the ends of its range."""
    if spec.kind == "choice" and spec.choices:
        return [spec.default, *(c for c in spec.choices if c != spec.default)]
    if spec.kind in ("float", "int") and spec.minimum is not None and spec.maximum is not None:
        lo, hi = float(spec.minimum), float(spec.maximum)
        spread = [lo + (hi - lo) * f for f in (0.15, 0.85)]
        values = [int(round(v)) for v in spread] if spec.kind == "int" else [round(v, 3) for v in spread]
        return [spec.default, *(v for v in values if v != spec.default)]
    return [spec.default]


def candidates(engine: ProcessEngine, seeds: Sequence[int] | None = None) -> Iterator[BranchSpec]:
    """Specs to try, endlessly varied: candidate k takes seed k (or seeds[k]) and, for each setting,
    value k // (product of the earlier settings' counts) of its list, so early candidates differ in
    every setting."""
    specs = list(engine.settings())
    lists = [setting_values(s) for s in specs]
    for k in itertools.count() if seeds is None else range(len(seeds)):
        seed = k if seeds is None else int(seeds[k])
        settings: dict[str, object] = {}
        stride = 1
        for spec, values in zip(specs, lists, strict=True):
            settings[spec.name] = values[(k // stride) % len(values)]
            stride *= len(values)
        yield BranchSpec.make(engine.name, seed, settings)


def fit_to_recording(
    engine: ProcessEngine,
    artwork: Artwork,
    aligned: AlignedRecording,
    *,
    budget_s: float = 30.0,
    seeds: Sequence[int] | None = None,
    max_candidates: int = 1000,
    samples: int = FIT_SAMPLES,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
) -> FitResult:
    """Try candidates until `budget_s` is spent (at least one is always tried) or `max_candidates`; the
    best by score. Raises `RecordingError` when the recording does not match, `CancelledError`."""
    if not engine.capabilities.random_access:
        raise EngineError(
            f"Fitting tries many processes; the {engine.display_name} engine is too slow for that.",
            "Fit with the procedural engine.",
        )
    start = time.monotonic()
    tried: list[tuple[BranchSpec, float]] = []
    spent = False
    for spec in candidates(engine, seeds):
        elapsed = time.monotonic() - start
        if tried and (elapsed >= budget_s or len(tried) >= max_candidates):
            spent = elapsed >= budget_s
            break
        cancel.raise_if_cancelled()
        progress(min(elapsed / max(budget_s, 1e-9), 0.99), f"Trying process {len(tried) + 1}")
        session = engine.prepare(artwork, spec, cancel, no_progress)
        frames = ProcessFrames(engine, artwork, spec, cancel, session=session).frame_for_step
        report = score_branches(aligned, {"candidate": frames}, samples=samples, cancel=cancel)
        tried.append((spec, report.branches[0].score))
    best, score = max(tried, key=lambda item: item[1])
    progress(1.0, "Fitted")
    return FitResult(best, score, tuple(tried), spent)
