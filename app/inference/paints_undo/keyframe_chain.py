"""The Paints-UNDO engine's keyframe chain on the timeline: which steps are keyframes, what their frame
keys depend on (from a session, or from the spec alone when a project reopens), the user's own keyframes
and the layer stages a branch made from the layers panel takes as keyframes.

A mixin of `PaintsUndoEngine` (engine.py), apart so that neither file holds both the model work and the
keying rules; it needs from the engine only what is declared at the top of the class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.core.keyframe_plan import KeyframePlan
from app.core.segments import DEFAULT_KEYFRAME_STEPS
from app.errors import EngineError
from app.inference.engine import EngineSession
from app.inference.paints_undo.device_defaults import AUTO, keyed_settings
from app.inference.paints_undo.fork import fork_keyframe_steps, fork_origin
from app.inference.paints_undo.session import PaintsUndoSession, session_of


class KeyframeChain:
    """Keyframe steps, frame keys and user keyframes of Paints-UNDO branches."""

    name: str

    def device_kind(self) -> str:  # the engine's: the device's kind decides some keyed settings
        raise NotImplementedError

    def _single_frame(self) -> Any:  # the engine's single-frame pipeline (fits images to the working size)
        raise NotImplementedError

    def _stage_hashes(self, artwork_hash: str, spec: BranchSpec) -> dict[int, str]:
        """The layer-stage keyframes of a branch made from the layers panel (layers/stages.py): step ->
        key hash; a fork keeps those its own chain keeps (fork_keyframe_steps: below the fork step)."""
        from app.inference.layers.stages import stage_hashes

        hashes = stage_hashes(artwork_hash, spec)
        origin = fork_origin(spec, self.name) if hashes else None
        if origin is not None:
            kept = set(fork_keyframe_steps(tuple(hashes), origin[1])) - {origin[1]}
            hashes = {step: h for step, h in hashes.items() if step in kept}
        return hashes

    def _set_layer_stages(
        self, sess: PaintsUndoSession, cancel: CancelToken, progress: ProgressCallback
    ) -> None:
        """The artwork's layer stages as the user keyframes of a branch whose spec asks for them (the
        layers panel's "Paints-UNDO from these layers"), set as `--keyframes-from-layers` sets them."""
        from app.inference.layers.stages import frames_at, layer_stages

        stages = layer_stages(sess.spec)
        if stages is None:
            return
        artwork = sess.artwork
        if not artwork.layered:
            raise EngineError(
                "This branch takes its keyframes from the artwork's layers, but this artwork has none.",
                "Open the layered file (PSD, PSB, ORA or KRA) the branch was made from.",
            )
        hashes = self._stage_hashes(artwork.content_hash, sess.spec)
        progress(0.0, "Compositing the layer stages")
        frames = frames_at(artwork, stages[1], sorted(hashes, reverse=True), cancel, progress)
        for step, pixels in frames.items():
            self.set_user_keyframe(sess, step, pixels, image_hash=hashes[step])
        progress(1.0, "Ready")

    KEYFRAME_SETTINGS = ("prompt", "generate_prompt", "negative_prompt", "steps", "cfg", "size")
    SEGMENT_SETTINGS = ("video_seed", "video_steps", "video_cfg", "in_between")

    def keyframe_plan(self, session: EngineSession) -> KeyframePlan:
        """Frame keys from what each frame depends on: a video-seed change keeps the keyframes, a user
        keyframe changes only the two segments that touch it (app/core/keyframe_plan.py)."""
        sess = session_of(session)
        return KeyframePlan(
            sess.artwork.content_hash,
            self._keyed(sess.spec),
            tuple(sess.keyframe_steps),
            self._keyframe_settings(sess.spec),
            self.SEGMENT_SETTINGS,
            dict(sess.user_keyframes),
            parent=None if sess.fork_parent is None else self.keyframe_plan(sess.fork_parent),
            fork_step=sess.fork_step,
        )

    def plan_for(self, artwork_hash: str, spec: BranchSpec) -> KeyframePlan:
        """The same plan from the spec alone (no session, nothing loaded): how the app finds a branch's
        frames in a reopened project and keys them before the models are ready."""
        stages = self._stage_hashes(artwork_hash, spec)
        steps = tuple(sorted({*parse_steps(spec.setting("keyframe_steps", DEFAULT_KEYFRAME_STEPS)), *stages}))
        origin = fork_origin(spec, self.name)
        if origin is None:
            return KeyframePlan(
                artwork_hash,
                self._keyed(spec),
                steps,
                self._keyframe_settings(spec),
                self.SEGMENT_SETTINGS,
                stages,
            )
        parent_spec, step = origin
        return KeyframePlan(
            artwork_hash,
            self._keyed(spec),
            fork_keyframe_steps(steps, step),
            self._keyframe_settings(spec),
            self.SEGMENT_SETTINGS,
            stages,
            parent=self.plan_for(artwork_hash, parent_spec),
            fork_step=step,
        )

    def _keyframe_settings(self, spec: BranchSpec) -> tuple[str, ...]:
        """The settings keyframe keys depend on: `vae_tiling` too where the spec sets it on or off (tiles
        change the pixels), not where it is absent or auto, so the keys of the frames stored before the
        setting existed stay valid ("auto" tiles only where one piece does not fit: no frame otherwise)."""
        tiling = spec.settings_dict().get("vae_tiling", AUTO)
        return self.KEYFRAME_SETTINGS + (() if tiling == AUTO else ("vae_tiling",))

    def _keyed(self, spec: BranchSpec) -> BranchSpec:
        """The spec as frame keys see it: settings left to the device made explicit where this device
        resolves them away from the reference (device_defaults.keyed_settings)."""
        return spec.with_changes(**keyed_settings(spec.settings_dict(), self.device_kind()))

    def set_user_keyframe(
        self, session: EngineSession, step: int, pixels: np.ndarray | None, image_hash: str | None = None
    ) -> None:
        """Use the user's own image (a sketch, an earlier version) as the keyframe at `step`, or go back
        to the generated one with None. The image is fitted to the working size like the artwork. Its
        frame key hashes its pixels, or is `image_hash` (a layer stage's, known from the spec alone)."""
        import hashlib

        sess = session_of(session)
        if not 0 < int(step) <= 999:
            raise EngineError(
                f"Cannot replace the keyframe at step {step}.", "Choose an undo step between 1 and 999."
            )
        if sess.fork_step is not None and int(step) >= sess.fork_step:
            raise EngineError(
                f"Step {step} of this fork shows its parent's frames (it was forked at {sess.fork_step}).",
                f"Choose a step below {sess.fork_step}, or replace the keyframe in the parent branch.",
            )
        if pixels is None:
            sess.keyframes.pop(int(step), None)
            sess.user_keyframes.pop(int(step), None)
            return
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise EngineError("A keyframe image must be an RGB picture.", "Open it as an artwork first.")
        sess.keyframes[int(step)] = self._single_frame().prepare_image(pixels, sess.working_size)
        sess.user_keyframes[int(step)] = (
            image_hash or hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()[:16]
        )
        if int(step) not in sess.keyframe_steps:
            sess.keyframe_steps = tuple(sorted({*sess.keyframe_steps, int(step)}))


def parse_steps(value: Any) -> tuple[int, ...]:
    """Keyframe steps from a sequence or a "400, 600 800" string; sorted, unique, each in 1..999. One
    number alone is one step (`--setting keyframe_steps=999` reads as a number, not as text)."""
    if isinstance(value, int):
        value = (value,)
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    try:
        steps = tuple(sorted({int(v) for v in items}))
    except (TypeError, ValueError):
        raise EngineError(
            f"Invalid keyframe steps {value!r}.", "Give whole numbers such as 400, 600, 800."
        ) from None
    if not steps or any(not 1 <= s <= 999 for s in steps):
        raise EngineError(
            f"Keyframe steps must be in 1..999, got {value!r}.", "For example: 400, 600, 800, 999."
        )
    return steps
