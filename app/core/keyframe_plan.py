"""Frame keys for keyframe engines, built from what each frame really depends on (design §3, §6).

A branch's spec hash would invalidate everything when any setting changes. For a keyframe engine
(Paints-UNDO) that is wasteful: keyframes depend on the keyframe settings (seed, prompt, sampler steps,
CFG, size) and on their own undo step; a segment depends on the segment settings (video seed, steps,
CFG, fs) and on the two keyframe images at its ends. So:

    keyframe hash(step) = H(engine, keyframe settings, step)           or H(user image) when replaced
    segment hash(a, b)  = H(engine, segment settings, keyframe hash(a), keyframe hash(b))

Changing the video seed keeps every keyframe; replacing the keyframe at step s with the user's own
image changes keyframe hash(s) and therefore exactly the two segments that touch s. The input (step 0)
and the white canvas are fixed images: their hashes come from the artwork and a constant.

A fork (app/core/branch.py) continues its parent's canvas: its keyframe at the fork step IS the parent's
frame there, so its hash comes from the hash of the frame the parent shows at that step (`shown_hash`,
which follows a fork of a fork up to the branch that owns the step). Change the parent and the fork's
segments that end on that keyframe change with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from app.core.branch import BranchSpec
from app.core.frames import FrameKey, Keyframe, Segment
from app.core.segments import WHITE_STEP, SegmentLayout


def _digest(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KeyframePlan:
    """Keys for every keyframe and segment frame of one branch of a keyframe engine.

    `keyframe_settings` / `segment_settings` name the spec settings each kind depends on; the seed is a
    keyframe setting, and the segment seed defaults to it when the engine has no separate one.
    `user_keyframes` maps an undo step to the content hash of an image the user supplied for it.
    A fork's plan has its parent's plan and the fork step: its keyframe there is the parent's frame.
    """

    artwork_hash: str
    spec: BranchSpec
    keyframe_steps: tuple[int, ...]
    keyframe_settings: tuple[str, ...]
    segment_settings: tuple[str, ...]
    user_keyframes: Mapping[int, str] = field(default_factory=dict)
    parent: KeyframePlan | None = None
    fork_step: int | None = None

    def _subset(self, names: Sequence[str]) -> dict[str, object]:
        values = self.spec.settings_dict()
        return {n: values.get(n) for n in names}

    @cached_property
    def layout(self) -> SegmentLayout:
        """The chain these keys cover (app/core/segments.py)."""
        return SegmentLayout(self.keyframe_steps)

    def anchors(self) -> tuple[int, ...]:
        return self.layout.anchors()

    def keyframe_hash(self, step: int) -> str:
        if step in self.user_keyframes:
            return _digest("user", self.user_keyframes[step])
        if self.parent is not None and step == self.fork_step:
            return _digest("fork", self.parent.shown_hash(step))
        if step == 0:
            return _digest("input", self.artwork_hash)
        if step == WHITE_STEP:
            return _digest("white")
        return _digest(self.spec.engine, "key", self.spec.seed, self._subset(self.keyframe_settings), step)

    def segment_hash(self, a: int, b: int) -> str:
        return _digest(
            self.spec.engine,
            "seg",
            self._subset(self.segment_settings),
            self.keyframe_hash(a),
            self.keyframe_hash(b),
        )

    def shown_hash(self, step: int) -> str:
        """The hash of the frame that shows undo `step` (0..999) on this branch's timeline: its parent's
        at and above a fork step (as `BranchTree.owner_for` has it), else this chain's frame there."""
        if self.parent is not None and self.fork_step is not None and step >= self.fork_step:
            return self.parent.shown_hash(step)
        part = self.layout.part_for_step(step)
        if isinstance(part, Keyframe):
            return self.keyframe_hash(part.step)
        return _digest(self.segment_hash(part.a, part.b), part.index)

    def key(self, part: Keyframe | Segment) -> FrameKey:
        if isinstance(part, Keyframe):
            return FrameKey(self.artwork_hash, self.keyframe_hash(part.step), part)
        return FrameKey(self.artwork_hash, self.segment_hash(part.a, part.b), part)

    def with_user_keyframe(self, step: int, image_hash: str | None) -> KeyframePlan:
        """A plan where the keyframe at `step` is the user's image (or the generated one again, for None)."""
        users = dict(self.user_keyframes)
        if image_hash is None:
            users.pop(step, None)
        else:
            users[step] = image_hash
        return replace(self, user_keyframes=users)

    def all_hashes(self) -> set[str]:
        """Every hash this plan's frames are stored under (to find them again in a project file)."""
        layout = self.layout
        return {self.keyframe_hash(s) for s in layout.anchors()} | {
            self.segment_hash(x, y) for x, y in layout.segments()
        }

    def segments_touching(self, step: int) -> list[tuple[int, int]]:
        return [(x, y) for x, y in self.layout.segments() if step in (x, y)]
