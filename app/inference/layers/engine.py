"""`LayersEngine`: the artist's own layers become the process (issue 13).

`prepare` classifies the layers (classify.py), orders them and gives each a time window (plan.py), and
times every pixel of a layer within its window (reveal.py). It then composites, at the working size, what
the canvas looks like inside each layer's box once that layer is done (a patch): compositing is per
pixel, so between two events only that box changes, and a frame inside a window is the canvas before the
event with the patch shown where the layer's pixels are already painted. `render_step` is a checkpoint
copy, a few patch copies and one masked copy: milliseconds, so every step is random-access.

Step 0 is the artwork itself (the file's merged image at the working size); the "final adjustments" band
blends from the layers' composite to it, so what the layers cannot render (adjustment layers, effects)
arrives there. Same artwork + spec gives identical frames; the recipe is the plan (classes, order,
windows), and `restore` rebuilds the patches from the project's stored layer stack without classifying.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.core.frames import MAX_STEP, MIN_STEP
from app.core.layer_files import LAYERED_SUFFIXES
from app.core.layers import Group, Layer, LayerStack
from app.errors import EngineError
from app.inference.engine import (
    EngineAvailability,
    EngineCapabilities,
    EngineSession,
    EvenlySpacedInterpolation,
    SettingSpec,
    StageBand,
)
from app.inference.layers.classify import CLASSES, classify
from app.inference.layers.overrides import CLASSES_SETTING, ORDER_SETTING, class_overrides, order_override
from app.inference.layers.patches import PatchComposer
from app.inference.layers.plan import BACKGROUND_ORDERS, FINISH, HIDE, PAINT, Event, LayerInfo, make_plan
from app.inference.layers.reveal import event_times
from app.inference.layers.windows import step_at
from app.inference.layers.working import working_stack
from app.inference.procedural.engine import working_image
from app.inference.recipe import damaged_recipe, pack_recipe, unpack_recipe

ENGINE_NAME = "layers"
RECIPE_VERSION = 1
MAX_WORKING_SIDE = 1024
CHECKPOINT_EVERY = 6
_NEEDS_LAYERS_HINT = "Open a PSD, PSB, OpenRaster (.ora) or Krita (.kra) file, or choose another engine."
_LAYERS_MISSING_HINT = (
    "Put the layered file back where it was and open the project again, or open the layered file itself; "
    "other engines work on the flat artwork."
)

Box = tuple[int, int, int, int]


@dataclass(eq=False)
class LayersSession(EngineSession):
    events: tuple[Event, ...] = ()
    classes: tuple[str, ...] = ()  # per layer (index in `LayerStack.layers()`), "" when not painted
    boxes: list[Box | None] = field(default_factory=list)  # per event
    patches: list[np.ndarray | None] = field(default_factory=list)  # per event: the box once done
    times: list[np.ndarray | None] = field(default_factory=list)  # per PAINT event: reveal times, uint16
    checkpoints: list[np.ndarray] = field(default_factory=list)  # canvas before event k * CHECKPOINT_EVERY
    composite: np.ndarray | None = None  # every layer done, before the final adjustments
    final: np.ndarray | None = None  # the working-size artwork: step 0
    starts: list[float] = field(default_factory=list)


class LayersEngine(EvenlySpacedInterpolation):
    """Deterministic, CPU-only, for layered artworks; see module docstring."""

    name = ENGINE_NAME
    display_name = "Layers (the file's own layers)"
    capabilities = EngineCapabilities(
        random_access=True, interpolation=True, needs_weights=False, deterministic=True
    )

    def __init__(self, max_working_side: int = MAX_WORKING_SIDE) -> None:
        self.max_working_side = int(max_working_side)

    def availability(self) -> EngineAvailability:
        return EngineAvailability(ready=True)

    def settings(self) -> Sequence[SettingSpec]:
        return (
            SettingSpec(
                "background",
                "Background",
                "choice",
                "auto",
                choices=BACKGROUND_ORDERS,
                help="Paint the background layers early or late; auto lets the seed decide.",
            ),
            # set from the layers panel (overrides.py), not from the new-branch form
            SettingSpec(CLASSES_SETTING, "Layer classes", "panel", (), help="Classes you chose for layers."),
            SettingSpec(ORDER_SETTING, "Painting order", "panel", (), help="The order you chose."),
        )

    # -- prepare ---------------------------------------------------------------------------------
    def _stack(self, artwork: Artwork) -> tuple[LayerStack, np.ndarray]:
        stack = artwork.layers
        if stack is None and artwork.source is not None and artwork.source.suffix.lower() in LAYERED_SUFFIXES:
            # a layered file's artwork without its stack: a project whose layers were never saved or are
            # damaged, and whose source could not give them back (`Project.layers_lost`)
            raise EngineError(
                "This project's artwork came from a layered file, but its layers are not in the project "
                "(they were never saved, or are damaged).",
                _LAYERS_MISSING_HINT,
            )
        if stack is None or not artwork.layered:
            raise EngineError("This artwork has no layers to build a process from.", _NEEDS_LAYERS_HINT)
        image = working_image(artwork.pixels, self.max_working_side)
        return working_stack(stack, int(image.shape[1]), int(image.shape[0])), image

    def _background(self, spec: BranchSpec) -> str:
        value = str(spec.setting("background", "auto"))
        if value not in BACKGROUND_ORDERS:
            raise EngineError(f"Unknown background order '{value}'.", "Choose auto, early or late.")
        return value

    def prepare(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> LayersSession:
        background = self._background(spec)
        stack, image = self._stack(artwork)
        progress(0.05, "Reading the layers")
        count = len(stack.layers())
        chosen, order = class_overrides(spec, count), order_override(spec, count)
        infos = [replace(i, cls=chosen.get(i.index, i.cls)) for i in _layer_infos(stack)]
        cancel.raise_if_cancelled()
        rng = np.random.default_rng([int(spec.seed) & 0xFFFFFFFF, 0x1A7E])
        events = make_plan(infos, rng, background, order)
        classes = [""] * count
        for info in infos:
            classes[info.index] = info.cls
        return self._build(artwork, spec, stack, image, events, tuple(classes), cancel, progress)

    def _build(
        self,
        artwork: Artwork,
        spec: BranchSpec,
        stack: LayerStack,
        image: np.ndarray,
        events: tuple[Event, ...],
        classes: tuple[str, ...],
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> LayersSession:
        layers = stack.layers()
        shown = {i for i, layer in enumerate(layers) if layer.visible and not classes[i]}  # never painted
        h, w = image.shape[:2]
        canvas = np.full((h, w, 3), 255, np.uint8)
        boxes: list[Box | None] = []
        patches: list[np.ndarray | None] = []
        times: list[np.ndarray | None] = []
        checkpoints: list[np.ndarray] = []
        composer = PatchComposer(stack, shown, cancel)
        # reveal times do not depend on the patches: a second thread computes them while this one
        # composites (numpy and OpenCV release the GIL), so on two cores the wall time is about the
        # longer of the two rather than their sum; the CPU time is the same
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reveal")
        try:
            ahead = {
                k: pool.submit(event_times, layers[e.layer], classes[e.layer], spec.seed, e.layer, box)
                for k, e in enumerate(events)
                if e.kind == PAINT and (box := _box(layers[e.layer], w, h)) is not None
            }
            for k, event in enumerate(events):
                cancel.raise_if_cancelled()
                progress(0.1 + 0.85 * k / max(len(events), 1), "Compositing the layers")
                if k % CHECKPOINT_EVERY == 0:
                    checkpoints.append(canvas.copy())
                box = after = None
                if event.kind != FINISH:
                    box = _box(layers[event.layer], w, h)
                    after = composer.show(event.layer, event.kind == PAINT, box, cancel)
                if box is None or after is None:
                    boxes.append(None)
                    patches.append(None)
                    times.append(None)
                    continue
                canvas[box[1] : box[3], box[0] : box[2]] = after
                boxes.append(box)
                patches.append(after)
                times.append(ahead[k].result() if k in ahead else None)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a cancel waits for one layer's times at most
        session = LayersSession(
            artwork=artwork,
            spec=spec,
            output_size=(w, h),
            events=events,
            classes=classes,
            boxes=boxes,
            patches=patches,
            times=times,
            checkpoints=checkpoints,
            composite=canvas,
            final=np.ascontiguousarray(image),
            starts=[e.start for e in events],
        )
        session.stage_bands = _bands(events)
        session.keyframe_steps = _keyframes(events)
        session.change_curve = _change(events, boxes, w * h)
        session.extra["approximated"] = tuple(artwork.layers.approximated) if artwork.layers else ()
        progress(1.0, "Ready")
        return session

    # -- recipe ----------------------------------------------------------------------------------
    def recipe(self, session: EngineSession) -> bytes:
        s = _session(session)
        meta = {
            "classes": list(s.classes),
            "events": [[e.kind, e.layer, e.start, e.end, e.band] for e in s.events],
        }
        return pack_recipe(ENGINE_NAME, RECIPE_VERSION, s.artwork.content_hash, s.spec.spec_hash(), meta, {})

    def restore(
        self,
        artwork: Artwork,
        spec: BranchSpec,
        recipe: bytes,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> LayersSession:
        meta, _ = unpack_recipe(
            recipe, ENGINE_NAME, RECIPE_VERSION, artwork.content_hash, spec.spec_hash(), {}
        )
        stack, image = self._stack(artwork)
        count = len(stack.layers())
        classes, events = meta.get("classes"), meta.get("events")
        if (
            not isinstance(classes, list)
            or len(classes) != count
            or not all(c in CLASSES or c == "" for c in classes)
        ):
            raise damaged_recipe("its layer classes do not fit this artwork")
        if not isinstance(events, list):
            raise damaged_recipe("it has no events")
        parsed = []
        for item in events:
            if not isinstance(item, list) or len(item) != 5:
                raise damaged_recipe("an event is unreadable")
            kind, layer, start, end, band = item
            if kind not in (PAINT, HIDE, FINISH) or not isinstance(layer, int) or not -1 <= layer < count:
                raise damaged_recipe("an event names no layer of this artwork")
            if not all(isinstance(v, (int, float)) and 0.0 <= v <= 1.0 for v in (start, end)):
                raise damaged_recipe("an event's window is out of range")
            parsed.append(Event(str(kind), layer, float(start), float(end), str(band)))
        return self._build(artwork, spec, stack, image, tuple(parsed), tuple(classes), cancel, progress)

    # -- render ----------------------------------------------------------------------------------
    def render_step(self, session: EngineSession, step: int, out: np.ndarray | None = None) -> np.ndarray:
        s = _session(session)
        step = int(step)
        if not MIN_STEP <= step <= MAX_STEP:
            raise EngineError(f"Undo step {step} is outside {MIN_STEP}..{MAX_STEP}.", "Pick a step in range.")
        assert s.final is not None and s.composite is not None
        if step == MIN_STEP:
            frame = s.final.copy() if out is None else out
            if out is not None:
                np.copyto(out, s.final)
            return frame
        t = (MAX_STEP - step) / MAX_STEP
        k = max(0, bisect.bisect_right(s.starts, t) - 1)
        event = s.events[k]
        span = max(event.end - event.start, 1e-9)
        p = min(max((t - event.start) / span, 0.0), 1.0)
        if event.kind == FINISH:
            frame = cv2.addWeighted(s.composite, 1.0 - p, s.final, p, 0.0)
            if out is not None:
                np.copyto(out, frame)
                return out
            return np.asarray(frame)
        frame = out if out is not None else np.empty_like(s.final)
        base = k // CHECKPOINT_EVERY
        np.copyto(frame, s.checkpoints[base])
        for j in range(base * CHECKPOINT_EVERY, k):
            box, patch = s.boxes[j], s.patches[j]
            if box is not None and patch is not None:
                frame[box[1] : box[3], box[0] : box[2]] = patch
        box, patch = s.boxes[k], s.patches[k]
        if box is None or patch is None:
            return frame
        region = frame[box[1] : box[3], box[0] : box[2]]
        times = s.times[k]
        if event.kind == PAINT and times is not None:
            # OpenCV's masked copy is several times faster than numpy's; it needs a contiguous target
            done = (times <= round(p * 65535)).view(np.uint8)  # 0/1: copyTo copies where non-zero
            target = np.ascontiguousarray(region)
            cv2.copyTo(patch, done, target)
            region[...] = target
        else:  # a hidden layer fading out
            region[...] = cv2.addWeighted(np.ascontiguousarray(region), 1.0 - p, patch, p, 0.0)
        return frame

    def iter_frames(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> Iterator[tuple[int, np.ndarray]]:
        _session(session)
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


# ---------------------------------------------------------------------------------------------- helpers


def _session(session: EngineSession) -> LayersSession:
    if not isinstance(session, LayersSession) or session.final is None:
        raise EngineError(
            "This session was not prepared by the layers engine.",
            "Prepare the branch with the layers engine first.",
        )
    return session


def _box(layer: Layer, w: int, h: int) -> Box | None:
    left, top = max(layer.x, 0), max(layer.y, 0)
    right, bottom = min(layer.x + layer.width, w), min(layer.y + layer.height, h)
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def _layer_infos(stack: LayerStack) -> list[LayerInfo]:
    """The layers to paint (not empty, not inside a hidden group), with class, coverage and band."""
    infos: list[LayerInfo] = []
    index = -1
    canvas = stack.width * stack.height
    previous: dict[int, int] = {}  # id(parent tuple) -> index of the last non-clipping layer in it
    first_painted = True
    for node, parents in stack.walk():
        if not isinstance(node, Layer):
            continue
        index += 1
        siblings = id(parents[-1]) if parents else 0
        base = previous.get(siblings)
        if not node.clipping:
            previous[siblings] = index
        if (
            any(not g.visible for g in parents)
            or node.pixels.size == 0
            or not (node.pixels[..., 3] > 0).any()
        ):
            continue
        names = tuple(g.name for g in parents)
        cls = classify(node, names, canvas, is_bottom=first_painted)
        first_painted = False
        coverage = float((node.pixels[..., 3] > 16).sum()) / max(canvas, 1)
        band = _band_name(parents, node)
        clipped_to = base if node.clipping else None
        infos.append(LayerInfo(index, node.name, cls, coverage, not node.visible, clipped_to, band))
    return infos


def _band_name(parents: tuple[Group, ...], layer: Layer) -> str:
    return parents[0].name if parents else layer.name


def _bands(events: tuple[Event, ...]) -> tuple[StageBand, ...]:
    """One band per run of events with the same band name, contiguous from step 999 to 0."""
    runs: list[tuple[str, float]] = []
    for e in events:
        if not runs or runs[-1][0] != e.band:
            runs.append((e.band, e.start))
    bands = []
    for k, (name, start) in enumerate(runs):
        first = step_at(start) if k else MAX_STEP
        last = MIN_STEP if k == len(runs) - 1 else step_at(runs[k + 1][1]) + 1
        bands.append(StageBand(name, first, min(first, last)))
    return tuple(bands)


def _keyframes(events: tuple[Event, ...]) -> tuple[int, ...]:
    steps = {MAX_STEP, MIN_STEP}
    for e in events:
        steps.add(step_at(e.start))
    return tuple(sorted(steps, reverse=True))


def _change(events: tuple[Event, ...], boxes: list[Box | None], canvas: int) -> np.ndarray:
    """How much the canvas changes per step (area of the box being painted per step of its window)."""
    curve = np.zeros(MAX_STEP + 1)
    for e, box in zip(events, boxes, strict=True):
        area = canvas if box is None else (box[2] - box[0]) * (box[3] - box[1])
        a, b = step_at(e.end), step_at(e.start)
        if b >= a:
            curve[a : b + 1] += area / canvas / (b - a + 1)
    return curve
