"""`PaintsUndoSession`: what the Paints-UNDO engine keeps per branch. Its own module so the engine and
its keyframe chain (keyframe_chain.py) share it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.errors import EngineError
from app.inference.engine import EngineSession


@dataclass
class PaintsUndoSession(EngineSession):
    """The once-per-branch work: prompt, working-size image, its latent and the prompt embeddings."""

    prompt: str = ""
    negative_prompt: str = ""
    seed: int = 0
    steps: int = 50
    cfg: float = 3.0
    working_size: tuple[int, int] = (0, 0)  # (w, h) the models run at
    image: np.ndarray | None = None  # the artwork at the working size (resized + centre-cropped)
    image_latent: Any = None  # (1,4,h/8,w/8) float32
    positive: Any = None  # (1,77,C) float32
    negative: Any = None
    keyframes: dict[int, np.ndarray] = field(default_factory=dict)  # rendered, at the working size
    video_seed: int = 0
    video_steps: int = 50
    video_cfg: float = 7.5
    vae_tiling: str = "auto"  # keyframe decode in tiles: "auto", "on", "off" (single_frame/vae.py)
    in_between: str = "model"  # "model" (multi-frame model) or "painted" (inbetween.py), after "auto"
    user_keyframes: dict[int, str] = field(default_factory=dict)  # step -> content hash of the user's image
    # a fork's: its parent's session, the fork step and the parent's frame there (the output size)
    fork_parent: PaintsUndoSession | None = None
    fork_step: int | None = None
    fork_frame: np.ndarray | None = None


def session_of(session: EngineSession) -> PaintsUndoSession:
    if not isinstance(session, PaintsUndoSession):
        raise EngineError(
            "This session was not prepared by the Paints-UNDO engine.", "Prepare the branch again."
        )
    return session
