"""The layers engine's patches, composited incrementally: what the canvas looks like inside a layer's box
once an event has shown or hidden that layer.

Why not `composite_region` of the whole stack per event (what this replaces): that composites every
shown layer meeting the box again, about ten float32 passes each, for every event: O(N^2) blends, 13.6 s
of CPU for 60 layers at 1024x768 (half of `prepare`; resampling the layers is most of the rest). Here the stack's root is a sequence of runs (a node and the nodes clipped to
it, `clip_runs`), composited bottom to top, each onto what is below it. An event changes one run, and
only inside its layer's box. So:

- checkpoints: the composite of the runs below every `block`-th run (premultiplied colour and alpha as
  one (H, W, 4) float32 image) is kept for the whole canvas. An event composites its box from the
  checkpoint at or below its run up to the top, refreshing the checkpoints it passes (they change only in
  that box); the runs below that checkpoint are not composited again.
- sources: what a run puts onto the canvas (`run_source`: box, colour, alpha x mask x opacity, mode)
  does not depend on what is below it, so it is kept until one of the run's layers changes: a run is
  converted from uint8 once, not once per event above it. A normal run is kept premultiplied with its
  alpha as a fourth channel, so "over" is two in-place operations. A pass-through group with nothing
  clipped to it blends with the backdrop as a whole and is composited in full each time.

Exact: every pixel goes through the same float32 operations in the same order as `composite_region` of
the whole stack (compositing is per pixel; a kept source holds the numbers a new one would; a normal
source on a transparent canvas is as * Cs and as, what `Canvas.apply` adds), so the patches equal it bit
for bit. Combining runs into blocks with the associative "over" would change the rounding and pay
little: only runs of normal layers combine, and a third of the benchmark's layers blend otherwise.

Memory: at most MAX_CHECKPOINTS - 1 checkpoints of W x H x 16 bytes (88 MB at 1024x768, allocated as
events touch them) plus the kept sources, at most `cache_bytes` (128 MB; 20 bytes a pixel of a normal
run, 16 of another; the sources of the highest runs are kept first). Freed when `prepare` ends. With 60
layers at 1024x768 this takes compositing from 13.6 s to 2.8 s of CPU; 256 MB would save 0.4 s more,
no budget at all would cost 5 s (sources made again for every event).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.core.cancel import CancelToken
from app.core.compositor import (
    Canvas,
    as_three_channels,
    clip_runs,
    composite_run,
    is_pass_through,
    run_source,
    to_rgb8,
)
from app.core.layers import Group, Layer, LayerStack, Node
from app.inference.layers.working import shown_nodes

Box = tuple[int, int, int, int]
F32 = np.float32
MAX_CHECKPOINTS = 8
CACHE_BYTES = 128 * 2**20  # kept sources; beyond it a source is made again when needed


@dataclass(frozen=True)
class _Run:
    nodes: tuple[Node, ...]  # the base, then the nodes clipped to it
    first: int  # index of its first layer in `LayerStack.layers()` order
    box: Box | None  # where its layers are on the canvas
    pass_through: bool


# a kept source: (box, premultiplied colour + alpha, 1 - alpha) for normal runs, (box, colour, alpha,
# mode) for the others
_Source = tuple[Box, np.ndarray, np.ndarray] | tuple[Box, np.ndarray, np.ndarray, str]


class PatchComposer:
    """Composites the box of each event in turn; `show` is the only thing that changes the stack."""

    def __init__(
        self, stack: LayerStack, shown: set[int], cancel: CancelToken, cache_bytes: int = CACHE_BYTES
    ) -> None:
        self._size = (stack.width, stack.height)
        self._shown = set(shown)
        self._runs: list[_Run] = []
        self._run_of: list[int] = []  # layer index -> run index
        first = 0
        for base, clipped in clip_runs(stack.children):
            nodes = (base, *clipped)
            layers = [layer for node in nodes for layer in _layers(node)]
            box = _union([_layer_box(layer, self._size) for layer in layers])
            self._runs.append(_Run(nodes, first, box, is_pass_through(base, clipped)))
            self._run_of.extend([len(self._runs) - 1] * len(layers))
            first += len(layers)
        self._block = max(1, math.ceil(len(self._runs) / MAX_CHECKPOINTS))
        blocks = max(1, math.ceil(len(self._runs) / self._block))
        w, h = self._size
        # zeros: pages are only taken where events write (the checkpoint below the first block is none)
        self._checkpoints = [np.zeros((h, w, 4), F32) for _ in range(1, blocks)]
        self._sources: dict[int, _Source | None] = {}
        self._cache_left = int(cache_bytes)
        if self._shown and self._runs:  # layers shown before any event (never painted): composite them
            self._fold((0, 0, w, h), 0, cancel)

    def show(self, layer: int, visible: bool, box: Box | None, cancel: CancelToken) -> np.ndarray | None:
        """Show or hide a layer; the canvas inside `box` (its box on the canvas) afterwards, (h, w, 3)
        uint8 over white, or None when the layer is not on the canvas."""
        if visible:
            self._shown.add(layer)
        else:
            self._shown.discard(layer)
        run = self._run_of[layer]
        self._drop(run)
        if box is None:
            return None
        buf = self._fold(box, run, cancel)
        return to_rgb8(buf[..., :3], buf[..., 3:4])

    # -- folding -------------------------------------------------------------------------------------
    def _fold(self, box: Box, run: int, cancel: CancelToken) -> np.ndarray:
        """The composite of all runs inside `box`, (h, w, 4) premultiplied, starting from the checkpoint
        at or below `run` and refreshing the checkpoints above it."""
        rows, cols = slice(box[1], box[3]), slice(box[0], box[2])
        start = run // self._block
        if start:
            buf = self._checkpoints[start - 1][rows, cols].copy()
        else:
            buf = np.zeros((box[3] - box[1], box[2] - box[0], 4), F32)
        for j in range(start * self._block, len(self._runs)):
            if j % self._block == 0 and j // self._block > start:
                self._checkpoints[j // self._block - 1][rows, cols] = buf
            cancel.raise_if_cancelled()
            buf = self._apply(j, box, buf, cancel)
        return buf

    def _apply(self, j: int, box: Box, buf: np.ndarray, cancel: CancelToken) -> np.ndarray:
        """Composite run `j` onto `buf` (the canvas inside `box`); returns the canvas (a new array only
        when a pass-through group replaced it)."""
        run = self._runs[j]
        if run.box is None or _meet(run.box, box) is None:
            return buf
        if run.pass_through:
            nodes = self._nodes(run)
            if not nodes[0].visible:
                return buf
            canvas = Canvas(box, buf[..., :3], buf[..., 3:4])
            composite_run(canvas, nodes[0], nodes[1:], cancel)
            return np.concatenate((canvas.colour, canvas.alpha), axis=2)
        source = self._source(j, cancel)
        if source is None:
            return buf
        if len(source) == 3:
            src_box, premultiplied, keep = source
            part = _meet(src_box, box)
            if part is not None:
                target = buf[part[1] - box[1] : part[3] - box[1], part[0] - box[0] : part[2] - box[0]]
                rows = slice(part[1] - src_box[1], part[3] - src_box[1])
                cols = slice(part[0] - src_box[0], part[2] - src_box[0])
                _over(target, premultiplied[rows, cols], keep[rows, cols])
            return buf
        src_box, colour, alpha, mode = source
        Canvas(box, buf[..., :3], buf[..., 3:4]).apply(src_box, colour, alpha, mode)
        return buf

    # -- sources -------------------------------------------------------------------------------------
    def _nodes(self, run: _Run) -> tuple[Node, ...]:
        nodes, _ = shown_nodes(run.nodes, self._shown, run.first)
        return nodes

    def _source(self, j: int, cancel: CancelToken) -> _Source | None:
        if j in self._sources:
            return self._sources[j]
        run = self._runs[j]
        assert run.box is not None
        nodes = self._nodes(run)
        source: _Source | None = None
        if nodes[0].visible:
            made = run_source(run.box, nodes[0], nodes[1:], cancel)
            if made is not None:
                src_box, colour, alpha, mode = made
                if mode == "normal":
                    keep = np.ascontiguousarray(1.0 - alpha[..., 0])  # as Canvas.apply's keep
                    source = (src_box, _premultiplied(colour, alpha), keep)
                else:
                    source = (src_box, np.ascontiguousarray(colour), alpha, mode)  # not a view of RGBA
        self._keep(j, source)
        return source

    def _keep(self, j: int, source: _Source | None) -> None:
        """Keep a source within the budget, making room by dropping sources of runs below it: a run is
        composited again for every event at or below it, so the higher a run, the more its source is
        worth keeping."""
        size = _nbytes(source)
        for lower in sorted(k for k in self._sources if k < j):
            if size <= self._cache_left:
                break
            self._drop(lower)
        if size <= self._cache_left:
            self._sources[j] = source
            self._cache_left -= size

    def _drop(self, j: int) -> None:
        if j in self._sources:
            self._cache_left += _nbytes(self._sources.pop(j))


def _premultiplied(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(h, w, 4): alpha x colour, then alpha: the numbers `Canvas.apply` adds for a normal source. When
    the colour is the first three channels of a contiguous RGBA float32 image (a layer's own pixels, as
    `run_source` gives them), that image is multiplied by (a, a, a, a) at once and its fourth channel
    set to alpha: the same products, three times faster than gathering the strided colour."""
    a = np.ascontiguousarray(alpha[..., 0])
    rgba = colour.base
    if (
        isinstance(rgba, np.ndarray)
        and rgba.dtype == F32
        and rgba.shape == (*a.shape, 4)
        and rgba.flags.c_contiguous
        and colour.strides == rgba.strides
        and colour.__array_interface__["data"][0] == rgba.__array_interface__["data"][0]
    ):
        out = np.asarray(cv2.multiply(rgba, cv2.merge((a, a, a, a))), F32).reshape(rgba.shape)
        out[..., 3] = a
        return out
    return np.concatenate((as_three_channels(alpha) * colour, alpha), axis=2)


def _over(target: np.ndarray, premultiplied: np.ndarray, keep: np.ndarray) -> None:
    """`target` (h, w, 4) = target * keep + premultiplied, in place: what `Canvas.apply` does for a
    normal source (cb' (1 - as) + as Cs, ab (1 - as) + as), the same float32 products and sums. OpenCV's
    multiply and add on same-shaped arrays, because numpy's broadcast of the one-channel keep over four
    channels is about five times slower; OpenCV writes into the strided view (dst=target)."""
    cv2.multiply(target, cv2.merge((keep, keep, keep, keep)), dst=target)
    cv2.add(target, premultiplied, dst=target)


def _nbytes(source: _Source | None) -> int:
    if source is None:
        return 0
    return sum(int(part.nbytes) for part in source[1:] if isinstance(part, np.ndarray))


def _layers(node: Node) -> list[Layer]:
    if isinstance(node, Group):
        return [layer for child in node.children for layer in _layers(child)]
    return [node]


def _layer_box(layer: Layer, size: tuple[int, int]) -> Box | None:
    return _meet((layer.x, layer.y, layer.x + layer.width, layer.y + layer.height), (0, 0, *size))


def _meet(a: Box, b: Box) -> Box | None:
    left, top, right, bottom = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (left, top, right, bottom) if right > left and bottom > top else None


def _union(boxes: Sequence[Box | None]) -> Box | None:
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    return (
        min(b[0] for b in real),
        min(b[1] for b in real),
        max(b[2] for b in real),
        max(b[3] for b in real),
    )
