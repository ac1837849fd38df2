"""A layer stack at the engine's working size, and a stack with chosen layers shown or hidden."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from app.core.layers import Group, LayerStack, Mask, Node

_BAND_ROWS = 32


def _size(w: int, h: int, scale: float) -> tuple[int, int]:
    return max(1, int(round(w * scale))), max(1, int(round(h * scale)))


def _scale_rgba(pixels: np.ndarray, size: tuple[int, int], scratch: np.ndarray | None = None) -> np.ndarray:
    """Area-resampled through premultiplied alpha, so transparent pixels lend no colour to the edges.

    The full-size premultiply is OpenCV's, a band of rows at a time (the band converted to float32, then
    multiplied by an (a, a, a, 1) factor that stays in the cache) into `scratch` (at least h x w x 4
    float32, reused from layer to layer so its pages are not faulted in again): the same float32 products
    as numpy's broadcast, in about 40 % of the time on a 4000x3000 layer, where this is most of
    `prepare`."""
    h, w = pixels.shape[:2]
    if scratch is None or scratch.size < h * w * 4:
        scratch = np.empty(h * w * 4, np.float32)
    f = scratch[: h * w * 4].reshape(h, w, 4)
    for top in range(0, h, _BAND_ROWS):
        band, out = pixels[top : top + _BAND_ROWS], f[top : top + _BAND_ROWS]
        factor = cv2.extractChannel(band, 3).astype(np.float32)
        factor /= np.float32(255.0)
        np.copyto(out, band, casting="unsafe")
        cv2.multiply(out, cv2.cvtColor(factor, cv2.COLOR_GRAY2BGRA), dst=out)
    small = np.asarray(cv2.resize(f, size, interpolation=cv2.INTER_AREA), np.float32).reshape(
        size[1], size[0], 4
    )
    return _straight_rgba8(small)


def _straight_rgba8(small: np.ndarray) -> np.ndarray:
    """Premultiplied (h, w, 4) float32 (colour 0..255 x alpha / 255, alpha 0..255) back to straight RGBA
    uint8: colour x 255 / max(alpha, 1e-6), 0 where alpha is 0, rounded half to even and saturated.
    OpenCV's per-channel multiply, divide and convertScaleAbs (all values are >= 0) give the numbers of
    numpy's broadcast where/divide/rint/clip in 60 % of the time."""
    alpha = np.ascontiguousarray(small[..., 3])
    den = np.maximum(alpha, np.float32(1e-6))
    ones = np.ones_like(den)
    out = cv2.divide(cv2.multiply(small, (255.0, 255.0, 255.0, 1.0)), cv2.merge((den, den, den, ones)))
    out = np.asarray(out, np.float32).reshape(small.shape)
    out[alpha <= 0] = 0.0
    return np.asarray(cv2.convertScaleAbs(out), np.uint8).reshape(small.shape)


def scale_stack(stack: LayerStack, width: int, height: int) -> LayerStack:
    """The stack resampled to a (width, height) canvas (itself when that is its size)."""
    if (width, height) == (stack.width, stack.height):
        return stack
    sx, sy = width / stack.width, height / stack.height

    def mask(m: Mask | None) -> Mask | None:
        if m is None or m.pixels.size == 0:
            return m
        size = _size(m.pixels.shape[1], m.pixels.shape[0], sx)
        px = cv2.resize(m.pixels, size, interpolation=cv2.INTER_AREA)
        return Mask(px, int(round(m.x * sx)), int(round(m.y * sy)), m.default)

    scratch = np.empty(max((layer.pixels.size for layer in stack.layers()), default=0), np.float32)

    def node(n: Node) -> Node:
        if isinstance(n, Group):
            return replace(n, children=tuple(node(c) for c in n.children), mask=mask(n.mask))
        if n.pixels.size == 0:
            return replace(n, mask=mask(n.mask))
        px = _scale_rgba(n.pixels, _size(n.width, n.height, sx), scratch)
        x, y = int(round(n.x * sx)), int(round(n.y * sy))
        px = px[: max(0, height - y), : max(0, width - x)]
        return replace(n, pixels=px, x=x, y=y, mask=mask(n.mask))

    return LayerStack(width, height, tuple(node(c) for c in stack.children), None, stack.source_format)


# source stack -> ((width, height), that stack at that size); an entry goes with its artwork's stack
_SCALED: weakref.WeakKeyDictionary[LayerStack, tuple[tuple[int, int], LayerStack]] = (
    weakref.WeakKeyDictionary()
)
_SCALED_LOCK = threading.Lock()


def working_stack(stack: LayerStack, width: int, height: int) -> LayerStack:
    """`scale_stack`, kept for the artwork: every Layers branch of an artwork (a new seed, other
    classes or order) and every Paints-UNDO branch made from its layers starts from the same
    working-size stack, which took about 4 CPU s to resample at 60 layers of 4000x3000. One size per
    source stack is kept, for as long as the source stack lives (the open artwork holds it); stacks are
    immutable, so a shared one is safe to reuse. Two threads asking at once may both resample (the
    lock is not held while resampling); both get equal stacks."""
    with _SCALED_LOCK:
        entry = _SCALED.get(stack)
    if entry is not None and entry[0] == (width, height):
        return entry[1]
    scaled = scale_stack(stack, width, height)
    if scaled is not stack:
        with _SCALED_LOCK:
            _SCALED[stack] = ((width, height), scaled)
    return scaled


def with_shown(stack: LayerStack, shown: set[int]) -> LayerStack:
    """The stack with exactly the layers whose index (in `stack.layers()` order) is in `shown` visible."""
    children, _ = shown_nodes(stack.children, shown, 0)
    return LayerStack(stack.width, stack.height, children, None, stack.source_format)


def shown_nodes(nodes: Sequence[Node], shown: set[int], first: int) -> tuple[tuple[Node, ...], int]:
    """`nodes` with exactly the layers in `shown` visible, their layers numbered from `first` in
    `LayerStack.layers()` order; also the number after their last layer."""
    counter = [first]

    def node(n: Node) -> Node:
        if isinstance(n, Group):
            return replace(n, children=tuple(node(c) for c in n.children))
        index = counter[0]
        counter[0] += 1
        visible = index in shown
        return n if n.visible == visible else replace(n, visible=visible)

    return tuple(node(c) for c in nodes), counter[0]
