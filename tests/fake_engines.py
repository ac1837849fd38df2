"""A fake keyframe engine for tests of the segment chain: every frame it makes names, in its pixels, the
part of the chain it is, so a frame read anywhere (scheduler, export, CLI video) traces back to it."""

from __future__ import annotations

import numpy as np

from app.core.branch import BranchSpec
from app.core.frames import Keyframe, Segment
from app.core.keyframe_plan import KeyframePlan
from app.inference.engine import EngineAvailability, EngineCapabilities, EngineSession


def tag(part: Keyframe | Segment) -> np.ndarray:
    """A 1x2 frame whose six bytes name the part."""
    if isinstance(part, Keyframe):
        values = (0, *divmod(part.step, 256), 0, 0, 0)
    else:
        values = (1, *divmod(part.a, 256), *divmod(part.b, 256), part.index)
    return np.array(values, np.uint8).reshape(1, 2, 3)


def part_of(pixels: np.ndarray) -> Keyframe | Segment:
    v = [int(x) for x in pixels.reshape(-1)]
    if v[0] == 0:
        return Keyframe(v[1] * 256 + v[2])
    return Segment(v[1] * 256 + v[2], v[3] * 256 + v[4], v[5])


class ChainEngine:
    """A keyframe engine (not random access, keys frames by a KeyframePlan) that records its calls."""

    name = display_name = "chain"
    capabilities = EngineCapabilities(random_access=False, interpolation=True, needs_weights=False)

    def __init__(self, keyframe_steps: tuple[int, ...]) -> None:
        self.keyframe_steps = keyframe_steps
        self.calls: list[tuple] = []

    def availability(self) -> EngineAvailability:
        return EngineAvailability(ready=True)

    def settings(self) -> list:
        return []

    def prepare(self, artwork, spec, cancel, progress) -> EngineSession:
        self.calls.append(("prepare",))
        return EngineSession(artwork, spec, (2, 1), keyframe_steps=self.keyframe_steps)

    def render(self, session, steps, cancel, progress) -> list[np.ndarray]:
        self.calls.append(("render", tuple(steps)))
        return [tag(Keyframe(s)) for s in steps]

    def interpolate(self, session, a, b, count, cancel, progress) -> list[np.ndarray]:
        self.calls.append(("interpolate", a, b, count))
        return [tag(Segment(a, b, i)) for i in range(count)]

    def plan_for(self, artwork_hash: str, spec: BranchSpec) -> KeyframePlan:
        return KeyframePlan(artwork_hash, spec, self.keyframe_steps, ("prompt",), ("video_seed",))

    def keyframe_plan(self, session: EngineSession) -> KeyframePlan:
        return self.plan_for(session.artwork.content_hash, session.spec)
