"""A layered artwork's own stages as images: what the canvas looks like when each stage of the layers
plan (a top-level group, or a layer of its own) is finished. Paints-UNDO takes them as user keyframes
(`undo-studio render --engine paints-undo --keyframes-from-layers`), so its multi-frame model fills in
between real stages of the artwork instead of keyframes it imagined.
"""

from __future__ import annotations

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.frames import MAX_STEP, MIN_STEP
from app.inference.layers.engine import ENGINE_NAME, LayersEngine

MAX_STAGES = 8  # more keyframes than this only cost model time: the stages are kept evenly spread


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
    steps = sorted(
        {band.last_step for band in session.stage_bands if MIN_STEP < band.last_step < MAX_STEP}, reverse=True
    )
    if len(steps) > limit:
        steps = [steps[int(round(k))] for k in np.linspace(0, len(steps) - 1, limit)]
    return {step: engine.render_step(session, step) for step in steps}
