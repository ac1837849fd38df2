"""A layered artwork's own stages as images: what the canvas looks like when each stage of the layers
plan (a top-level group, or a layer of its own) is finished. Paints-UNDO takes them as user keyframes,
so its multi-frame model fills in between real stages of the artwork instead of keyframes it imagined.

Two ways in, one set of stages:
- `undo-studio render --engine paints-undo --keyframes-from-layers`: `stage_frames` (the stages of a
  layers plan of the render's seed), set on the prepared session (`render_job.render_artwork`).
- the layers panel's "Paints-UNDO from these layers": a branch whose spec carries the setting
  `layer_stages` (`with_layer_stages`: the stage steps and the layers spec they come from), so the
  project stores it, reopens it and keys its frames by it; the Paints-UNDO engine's `prepare` renders
  those stages (`frames_at`) and sets them like the command line does. Their frame keys come from the
  spec (`stage_hashes`), so a reopened project finds the frames before any model is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import FORK_OF, FORK_STEP, BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, no_progress, scaled_progress
from app.core.frames import MAX_STEP, MIN_STEP
from app.errors import EngineError
from app.inference.engine import StageBand
from app.inference.layers.engine import ENGINE_NAME, LayersEngine

MAX_STAGES = 8  # more keyframes than this only cost model time: the stages are kept evenly spread
LAYER_STAGES = "layer_stages"  # setting of a Paints-UNDO branch: (steps, layers seed, layers settings)
_DAMAGED_HINT = "Make the branch again from the layers panel."


def stage_steps(bands: Iterable[StageBand], limit: int = MAX_STAGES) -> tuple[int, ...]:
    """The undo steps where the stage bands end, between the blank canvas and the finished artwork,
    largest first, at most `limit` of them (evenly spread)."""
    steps = sorted({b.last_step for b in bands if MIN_STEP < b.last_step < MAX_STEP}, reverse=True)
    if len(steps) > limit:
        steps = [steps[int(round(k))] for k in np.linspace(0, len(steps) - 1, limit)]
    return tuple(steps)


def stage_frames(
    artwork: Artwork,
    seed: int = 0,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    limit: int = MAX_STAGES,
) -> dict[int, np.ndarray]:
    """Undo step -> the canvas at the end of each stage band (RGB, the layers engine's working size),
    between the blank canvas and the finished artwork, at most `limit` of them; EngineError when the
    artwork has no layers."""
    engine = LayersEngine()
    session = engine.prepare(artwork, BranchSpec.make(ENGINE_NAME, seed), cancel or CancelToken(), progress)
    return {step: engine.render_step(session, step) for step in stage_steps(session.stage_bands, limit)}


def with_layer_stages(spec: BranchSpec, layers: BranchSpec, steps: Sequence[int]) -> BranchSpec:
    """`spec` (a Paints-UNDO branch's) taking the stages at `steps` of the layers plan `layers` (its seed
    and the user's corrections; what a fork continues from is left out) as its keyframes."""
    own = tuple((k, v) for k, v in layers.settings if k not in (FORK_OF, FORK_STEP))
    value = (tuple(sorted({int(s) for s in steps}, reverse=True)), int(layers.seed), own)
    return BranchSpec.make(spec.engine, spec.seed, spec.settings_dict() | {LAYER_STAGES: value})


def layer_stages(spec: BranchSpec) -> tuple[tuple[int, ...], BranchSpec] | None:
    """(the stage steps, the layers spec they come from) of a branch made by `with_layer_stages`, None
    for any other; EngineError when the setting is damaged (a hand-edited project file)."""
    value = spec.setting(LAYER_STAGES)
    if value is None:
        return None
    try:
        steps, seed, settings = value
        ok = isinstance(seed, int) and not isinstance(seed, bool)
        steps = tuple(int(s) for s in steps)
        layers = BranchSpec.make(ENGINE_NAME, seed, {str(k): v for k, v in settings})
    except (TypeError, ValueError):
        ok = False
    if not ok or not steps or any(not MIN_STEP < s < MAX_STEP for s in steps):
        raise EngineError(f"The layer stages {value!r} of this branch are unreadable.", _DAMAGED_HINT)
    return steps, layers


def stage_hashes(artwork_hash: str, spec: BranchSpec) -> dict[int, str]:
    """Step -> the content hash a layer-stage keyframe is keyed by: a function of the artwork, the layers
    spec and the step (the layers engine is deterministic), known without rendering it."""
    stages = layer_stages(spec)
    if stages is None:
        return {}
    steps, layers = stages
    out = {}
    for step in steps:
        text = json.dumps(["layer-stage", artwork_hash, layers.spec_hash(), step])
        out[step] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def frames_at(
    artwork: Artwork,
    layers: BranchSpec,
    steps: Sequence[int],
    cancel: CancelToken,
    progress: ProgressCallback = no_progress,
) -> dict[int, np.ndarray]:
    """Step -> the layers plan `layers`'s frame there (RGB, the layers engine's working size)."""
    engine = LayersEngine()
    session = engine.prepare(artwork, layers, cancel, scaled_progress(progress, 0.0, 0.9))
    return {int(step): engine.render_step(session, int(step)) for step in steps}
