"""`ProceduralEngine`: the embedded, weight-free engine (design §4 "Procedural").

`prepare` analyses the artwork once (cached per artwork, since the analysis does not depend on the seed),
picks a way of working that fits it (ways.py; the `way` setting overrides) and plans that way's stage
layers and per-pixel stage times with the seed (plans.py), then adds the seeded behaviours
(behaviours.py); `render` is then a vectorised composite of the precomputed layers plus the render-time
behaviours (a flip, a colour transform), a few milliseconds per frame at 1024x1024, so every step is
random-access and scrubbing never waits. Same artwork + same spec gives bitwise identical frames.

A fork's spec names its parent and fork step (app/core/branch.py): `prepare` then prepares the parent,
keeps what it has painted at the fork step and re-plans only the rest with the fork's seed (fork.py), so
the fork is the parent at and above the fork step and continues from that canvas below it.

Working size: artworks whose long side exceeds `MAX_WORKING_SIDE` are analysed and rendered downscaled
(area filter) to that size; `session.output_size` says the size. Step 0 is then the downscaled artwork.
For anything up to that size, step 0 is the artwork exactly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, scaled_progress
from app.core.frames import MAX_STEP, MIN_STEP
from app.errors import EngineError
from app.inference.engine import (
    EngineAvailability,
    EngineCapabilities,
    EngineSession,
    EvenlySpacedInterpolation,
    SettingSpec,
    StageBand,
)
from app.inference.procedural.analysis import Analysis, analyse
from app.inference.procedural.behaviours import Effects, apply_to_plan, forked_effects
from app.inference.procedural.compositor import Compositor
from app.inference.procedural.fork import continue_from
from app.inference.procedural.plans import way_plan
from app.inference.procedural.recipe import PlanFacts, decode_recipe, encode_recipe
from app.inference.procedural.settings import chances, read_settings, setting_specs
from app.inference.procedural.ways import WayPlan, choose_way, measure

MAX_WORKING_SIDE = 2048


@dataclass(eq=False)
class ProceduralSession(EngineSession):
    """A prepared branch: the compositor (layers + per-stage tick maps) and what was planned."""

    compositor: Compositor | None = None
    final: np.ndarray | None = None  # the working-size artwork, returned for step 0
    stage_windows: tuple[tuple[float, float], ...] = ()
    background_first: bool = False
    settings_used: dict = field(default_factory=dict)
    way: str = "line-art"  # the way of working painted (ways.py), chosen or set
    stages: tuple[str, ...] = ()
    effects: Effects = field(default_factory=Effects)  # canvas flips, colour adjustment, ... (behaviours.py)


def working_image(pixels: np.ndarray, max_side: int = MAX_WORKING_SIDE) -> np.ndarray:
    h, w = pixels.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(pixels)
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _bands(windows: tuple[tuple[float, float], ...], names: Sequence[str]) -> tuple[StageBand, ...]:
    """Contiguous, non-overlapping bands: a boundary sits in the middle of two windows' overlap."""
    cuts = [0.0]
    for k in range(1, len(windows)):
        cuts.append((windows[k - 1][1] + windows[k][0]) / 2)
    cuts.append(1.0)
    ticks = [int(round(c * MAX_STEP)) for c in cuts]
    bands = []
    for k, name in enumerate(names):
        first = MAX_STEP - ticks[k]
        last = MIN_STEP if k == len(names) - 1 else MAX_STEP - ticks[k + 1] + 1
        bands.append(StageBand(name, first, min(first, last)))
    return tuple(bands)


def _session(
    artwork: Artwork,
    spec: BranchSpec,
    image: np.ndarray,
    compositor: Compositor,
    plan: PlanFacts,
    change: np.ndarray,
    settings: dict,
) -> ProceduralSession:
    """The session for a plan, whether just made (`prepare`) or read back from a recipe (`restore`)."""
    windows = plan.windows
    bands = _bands(windows, plan.stages)
    keyframes = {MAX_STEP, MIN_STEP}
    for band in bands:
        keyframes.add((band.first_step + band.last_step) // 2)
    return ProceduralSession(
        artwork=artwork,
        spec=spec,
        output_size=(int(image.shape[1]), int(image.shape[0])),
        keyframe_steps=tuple(sorted(keyframes, reverse=True)),
        stage_bands=bands,
        change_curve=change,
        compositor=compositor,
        final=image,
        stage_windows=windows,
        background_first=plan.background_first,
        settings_used=settings,
        way=plan.way,
        stages=plan.stages,
        effects=plan.effects,
    )


class ProceduralEngine(EvenlySpacedInterpolation):
    """Deterministic, CPU-only process reconstruction; see module docstring."""

    name = "procedural"
    display_name = "Procedural (no weights)"
    capabilities = EngineCapabilities(
        random_access=True, interpolation=True, needs_weights=False, deterministic=True
    )

    def __init__(self, max_working_side: int = MAX_WORKING_SIDE, analysis_cache_size: int = 2) -> None:
        self.max_working_side = int(max_working_side)
        self._cache: OrderedDict[str, Analysis] = OrderedDict()
        self._cache_size = analysis_cache_size
        self._lock = threading.Lock()

    def availability(self) -> EngineAvailability:
        return EngineAvailability(ready=True)

    def settings(self) -> Sequence[SettingSpec]:
        return setting_specs()

    # -- prepare ---------------------------------------------------------------------------------
    def _analysis(self, artwork: Artwork, cancel: CancelToken, progress: ProgressCallback) -> Analysis:
        key = f"{artwork.content_hash}:{self.max_working_side}"
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:
            progress(1.0, "Analysis reused")
            return cached
        an = analyse(working_image(artwork.pixels, self.max_working_side), cancel, progress)
        with self._lock:
            self._cache[key] = an
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return an

    @staticmethod
    def _fork_origin(spec: BranchSpec) -> tuple[BranchSpec, int] | None:
        """(parent spec, fork step) of a fork's spec (app/core/branch.py), None for a root branch."""
        try:
            origin = spec.fork_origin()
        except ValueError as exc:
            raise EngineError(
                f"This fork's settings are damaged: {exc}.", "Fork the parent branch again."
            ) from None
        if origin is not None and origin[0].engine != spec.engine:
            raise EngineError(
                f"This fork continues a {origin[0].engine} branch, not a procedural one.",
                "Fork the parent branch again.",
            )
        return origin

    def _plan(
        self,
        artwork: Artwork,
        spec: BranchSpec,
        settings: dict,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> tuple[np.ndarray, WayPlan, Effects]:
        """The working image, the plan of `spec`'s own seed and settings in its way of working, and
        its behaviours. Sets `settings["way"]` to the way painted (the chosen one for "auto")."""
        an = self._analysis(artwork, cancel, scaled_progress(progress, 0.0, 0.6))
        cancel.raise_if_cancelled()
        if settings["way"] == "auto":
            settings["way"] = choose_way(measure(an))
        rng = np.random.default_rng([int(spec.seed) & 0xFFFFFFFF, 0x5EED])
        progress(0.6, "Planning the painting order")
        plan = way_plan(
            settings["way"], an, settings["stage_timing"], settings["order"], settings["sketch_density"], rng
        )
        cancel.raise_if_cancelled()
        progress(0.85, "Adding behaviours")
        plan, effects = apply_to_plan(plan, an, int(spec.seed), chances(settings))
        cancel.raise_if_cancelled()
        return an.image, plan, effects

    def prepare(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> ProceduralSession:
        """Analyse (cached per artwork) and plan. A fork first prepares its parent, then keeps what the
        parent has painted at the fork step and re-plans only the rest with its own seed (fork.py)."""
        settings = read_settings(spec)
        origin = self._fork_origin(spec)
        cancel.raise_if_cancelled()
        parent: ProceduralSession | None = None
        if origin is not None:
            parent = self.prepare(artwork, origin[0], cancel, scaled_progress(progress, 0.0, 0.5))
            progress = scaled_progress(progress, 0.5, 1.0)
            if settings["way"] == "auto":
                settings["way"] = parent.way  # a fork paints on in its parent's way
            elif settings["way"] != parent.way:
                raise EngineError(
                    f"A fork continues its parent's way of working ({parent.way}), not {settings['way']}.",
                    "Fork with the parent's way of working, or start a new branch for another way.",
                )
        image, plan, effects = self._plan(artwork, spec, settings, cancel, progress)
        layers, times, windows = plan.layers, plan.times, plan.windows
        if origin is not None and parent is not None:
            parent_comp, _ = self._compositor(parent)
            fork_tick = MAX_STEP - origin[1]
            forked = continue_from(
                parent_comp.layers, parent_comp.times, parent.stage_windows, layers, times, fork_tick
            )
            layers, times, windows = forked.layers, forked.times, forked.windows
            effects = forked_effects(parent.effects, effects, fork_tick)
            settings["fork_step"] = origin[1]
        compositor = Compositor(layers, times)
        change = compositor.change_per_tick()[::-1].copy()  # index by undo step
        facts = PlanFacts(plan.way, plan.stages, windows, plan.background_first, effects)
        progress(1.0, "Ready")
        return _session(artwork, spec, image, compositor, facts, change, settings)

    # -- recipe ----------------------------------------------------------------------------------
    def recipe(self, session: EngineSession) -> bytes:
        """The session's layers, tick maps and plan, compressed (about 1 MB at 1024x1024; recipe.py)."""
        comp, _ = self._compositor(session)
        assert isinstance(session, ProceduralSession)
        facts = PlanFacts(
            session.way, session.stages, session.stage_windows, session.background_first, session.effects
        )
        return encode_recipe(
            session.artwork.content_hash,
            session.spec.spec_hash(),
            comp,
            facts,
            session.change_curve if session.change_curve is not None else np.zeros(MAX_STEP + 1),
        )

    def restore(
        self,
        artwork: Artwork,
        spec: BranchSpec,
        recipe: bytes,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> ProceduralSession:
        """The session `recipe` was made from, without analysis: it renders the same pixels. Raises
        `EngineError` when the recipe is damaged, of another format version or for another artwork or
        spec (the caller then calls `prepare`). Recipes of the first format (line art only, no
        behaviours) restore as they were made."""
        settings = read_settings(spec)
        origin = self._fork_origin(spec)
        if origin is not None:
            settings["fork_step"] = origin[1]
        cancel.raise_if_cancelled()
        progress(0.0, "Restoring the stored recipe")
        image = working_image(artwork.pixels, self.max_working_side)
        plan = decode_recipe(recipe, artwork.content_hash, spec.spec_hash(), image)
        settings["way"] = plan.facts.way
        progress(1.0, "Ready")
        return _session(artwork, spec, image, plan.compositor, plan.facts, plan.change_curve, settings)

    # -- render ----------------------------------------------------------------------------------
    @staticmethod
    def _compositor(session: EngineSession) -> tuple[Compositor, np.ndarray]:
        if not isinstance(session, ProceduralSession) or session.compositor is None or session.final is None:
            raise EngineError(
                "This session was not prepared by the procedural engine.",
                "Prepare the branch with the procedural engine first.",
            )
        return session.compositor, session.final

    def render_step(self, session: EngineSession, step: int, out: np.ndarray | None = None) -> np.ndarray:
        """One frame, optionally into a caller-owned buffer (for players that reuse memory)."""
        comp, final = self._compositor(session)
        step = int(step)
        if not MIN_STEP <= step <= MAX_STEP:
            raise EngineError(f"Undo step {step} is outside {MIN_STEP}..{MAX_STEP}.", "Pick a step in range.")
        if step == MIN_STEP:
            if out is None:
                return final.copy()
            np.copyto(out, final)
            return out
        assert isinstance(session, ProceduralSession)
        tick = MAX_STEP - step
        return session.effects.apply(tick, comp.render_tick(tick, out))

    def iter_frames(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(step, frame) one at a time, for exporters: 1000 full-size frames never sit in memory at once."""
        self._compositor(session)
        total = max(len(steps), 1)
        for i, step in enumerate(steps):
            cancel.raise_if_cancelled()
            frame = self.render_step(session, step)
            progress((i + 1) / total, f"Rendered step {int(step)}")
            yield int(step), frame

    def render(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> list[np.ndarray]:
        return [frame for _, frame in self.iter_frames(session, steps, cancel, progress)]
