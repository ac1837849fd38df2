"""The `ProcessEngine` protocol every engine implements (design §4).

An engine turns an artwork + branch spec into frames for undo steps. `prepare` does the expensive,
once-per-branch work (analysis, tagging, encoding) and returns a session; `render` produces frames for
keyframe steps; `interpolate` (engines with `capabilities.interpolation`) fills a segment between two
keyframes (engines that render any step directly take `EvenlySpacedInterpolation`'s: their own frames
at evenly spaced steps). Every long call takes a cancel token and a progress callback and raises `CancelledError`
when cancelled. Frames are RGB uint8 arrays (H, W, 3) at the session's output size.

Deterministic engines (`capabilities.deterministic`: frames are a pure function of artwork + spec) may
also implement two optional methods, so a project keeps a compact *recipe* instead of frames and treats a
re-render as a cache read (see `app.inference.recipe`; call `supports_recipe(engine)`, never getattr):

- `recipe(session) -> bytes`: the versioned, compressed state `render` needs for any step (the analysis
  and plan, not frames), small enough to live in the project file;
- `restore(artwork, spec, recipe, cancel, progress) -> EngineSession`: that session again without any
  analysis. Raises `EngineError` when the recipe is damaged, from another format version, or made for
  another artwork or spec; the caller then falls back to `prepare`. Frames rendered from a restored
  session are identical to those of the prepared one.

Engines without them (or with `deterministic=False`) keep their frames as images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.errors import EngineError, WeightsError


@dataclass(frozen=True)
class EngineCapabilities:
    random_access: bool  # any undo step can be rendered directly and cheaply
    interpolation: bool  # `interpolate` produces in-between frames for a segment
    needs_weights: bool
    devices: tuple[str, ...] = ("cpu",)
    # Frames are a pure function of artwork + spec: the project keeps a recipe instead of frames.
    deterministic: bool = False


@dataclass(frozen=True)
class EngineAvailability:
    ready: bool
    reason: str = ""  # when not ready: what is missing and what to do about it
    missing: tuple[str, ...] = ()  # e.g. paths of missing weight files


@dataclass(frozen=True)
class StageBand:
    """A stage of the painting process over a range of undo steps (for the timeline's bands)."""

    name: str  # "sketch", "ink", "flats", "shading", "details"
    first_step: int  # the larger undo step (earlier in painting order)
    last_step: int  # the smaller undo step


@dataclass(frozen=True)
class SettingSpec:
    """One user-editable engine setting, so the UI can build a settings panel without knowing engines."""

    name: str
    label: str
    kind: str  # "int", "float", "choice", "text", "bool", "steps"; "panel": set from a panel of its own
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass
class EngineSession:
    """What `prepare` returns. Engines subclass it to keep their analysis/encodings."""

    artwork: Artwork
    spec: BranchSpec
    output_size: tuple[int, int]  # (width, height) of rendered frames
    keyframe_steps: tuple[int, ...] = ()  # steps the engine prefers to render first
    stage_bands: tuple[StageBand, ...] = ()
    change_curve: np.ndarray | None = None  # (1000,) float, how much the canvas changes per step
    extra: dict = field(default_factory=dict)


@runtime_checkable
class ProcessEngine(Protocol):
    name: str  # stable id used in branch specs: "procedural", "paints-undo"
    display_name: str
    capabilities: EngineCapabilities

    def availability(self) -> EngineAvailability: ...

    def settings(self) -> Sequence[SettingSpec]: ...

    def prepare(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> EngineSession: ...

    def render(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> list[np.ndarray]: ...

    def interpolate(
        self,
        session: EngineSession,
        step_a: int,
        step_b: int,
        count: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> list[np.ndarray]: ...


NOT_READY_HINT = "Put the model files in the models folder (see the start page), or choose another engine."


def require_ready(engine: ProcessEngine) -> None:
    """Raise the engine's own "not ready" reason (which model files are missing, and where they go) before
    anything is prepared: without it a branch of an engine without its weights failed on whichever file
    it opened first (the tagger's, say), a partial story. `WeightsError` for an engine that needs
    weights. The command line's render and the app's branches both ask here."""
    availability = engine.availability()
    if not availability.ready:
        error = WeightsError if engine.capabilities.needs_weights else EngineError
        raise error(f"The {engine.display_name} engine is not ready: {availability.reason}", NOT_READY_HINT)


def interpolation_steps(step_a: int, step_b: int, count: int) -> list[int]:
    """`count` undo steps evenly spaced from `step_a` to `step_b`, both ends included, rounded to the
    nearest step (halves to even), repeats kept: an interpolation returns exactly `count` frames (unlike
    render_job's `evenly_spaced_steps`, which picks distinct steps of the whole timeline for an export).
    `EngineError` for fewer than one."""
    if count < 1:
        raise EngineError(f"Cannot interpolate {count} frames.", "Ask for at least one frame.")
    return [int(round(s)) for s in np.linspace(step_a, step_b, count)]


class _Renders(Protocol):
    def render(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> list[np.ndarray]: ...


class EvenlySpacedInterpolation:
    """Mixin: `interpolate` as the engine's own frames at evenly spaced steps.

    Why one mixin: an engine that renders any step directly and cheaply (procedural, layers, a
    recording) has no better in-between than the frame of that step, so its `interpolate` is the same
    three lines everywhere; an engine with real in-betweens (Paints-UNDO's video model) defines its own."""

    def interpolate(
        self: _Renders,
        session: EngineSession,
        step_a: int,
        step_b: int,
        count: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> list[np.ndarray]:
        """`count` frames at evenly spaced steps from `step_a` to `step_b`, both ends included."""
        return self.render(session, interpolation_steps(step_a, step_b, count), cancel, progress)
