"""The one `interpolate` of engines that render any step directly (app/inference/engine.py): the
engine's own frames at evenly spaced steps, both ends included, and a clear error for no frames."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from app.core.cancel import CancelToken, no_progress
from app.errors import EngineError
from app.inference.engine import EvenlySpacedInterpolation, interpolation_steps
from app.inference.layers.engine import LayersEngine
from app.inference.procedural import ProceduralEngine
from app.inference.recorded import RecordedEngine


class StepEcho(EvenlySpacedInterpolation):
    """Renders step s as a 1x1 frame holding s, and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []

    def render(self, session, steps: Sequence[int], cancel, progress) -> list[np.ndarray]:
        self.asked.append(list(steps))
        progress(1.0, "")
        return [np.full((1, 1, 3), s, np.int32) for s in steps]


def test_steps_are_evenly_spaced_with_both_ends() -> None:
    steps = interpolation_steps(400, 600, 16)
    assert len(steps) == 16 and steps[0] == 400 and steps[-1] == 600
    assert steps[5] == round(400 + 5 * 200 / 15)
    assert interpolation_steps(999, 0, 4) == [999, 666, 333, 0]
    assert interpolation_steps(10, 20, 1) == [10]
    for count in (0, -3):
        with pytest.raises(EngineError, match="Cannot interpolate"):
            interpolation_steps(400, 600, count)


def test_interpolate_renders_those_steps_through_the_engine() -> None:
    engine = StepEcho()
    seen: list[float] = []
    frames = engine.interpolate(None, 999, 0, 4, CancelToken(), lambda f, _m: seen.append(f))
    assert engine.asked == [[999, 666, 333, 0]]
    assert [int(f[0, 0, 0]) for f in frames] == [999, 666, 333, 0]
    assert seen == [1.0]


@pytest.mark.parametrize("engine_class", [ProceduralEngine, LayersEngine, RecordedEngine])
def test_every_random_access_engine_uses_it(engine_class) -> None:
    engine = engine_class()
    assert isinstance(engine, EvenlySpacedInterpolation)
    with pytest.raises(EngineError, match="Cannot interpolate"):  # before any session is looked at
        engine.interpolate(None, 400, 600, 0, CancelToken(), no_progress)
