"""Composite a `LayerStack` with numpy: blend modes, opacity, masks, clipping, groups (isolated and
pass-through) and hidden layers, as Photoshop, Krita and psd-tools do.

Why our own: the stack comes from three formats (psd-tools composites only PSD), and the layers engine
composites partial stacks (a layer half painted) many times; this is the one compositor for all of them.

The model is the W3C "Compositing and Blending Level 1" one, which psd-tools also follows, so a PSD's
stored composite is reproduced to within rounding:
  co = (1 - as) * cb' + as * ((1 - ab) * Cs + ab * B(Cb, Cs)),   ab' = as + ab - as * ab
with premultiplied backdrop colour cb' = ab * Cb, source alpha as = layer alpha x mask x opacity, and B the
blend function (`blend`). A pass-through group is composited onto a copy of the backdrop and the result
is mixed with the backdrop by the group's opacity and mask; an isolated group is composited on its own
transparent canvas and then blended as one layer. Clipped layers are composited onto their base layer's
colour and keep the base's alpha. Work is done in float32, only inside each layer's box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.layers import PASS_THROUGH, Group, Layer, LayerStack, Mask, Node

F32 = np.float32
Box = tuple[int, int, int, int]  # left, top, right, bottom on the canvas


# ----------------------------------------------------------------------------------------- blend modes


def _lum(c: np.ndarray) -> np.ndarray:
    return np.asarray(0.3 * c[..., 0:1] + 0.59 * c[..., 1:2] + 0.11 * c[..., 2:3])


def _clip_color(c: np.ndarray) -> np.ndarray:
    lum = _lum(c)
    low = c.min(axis=-1, keepdims=True)
    high = c.max(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = lum + (c - lum) * lum / (lum - low)
        c = np.where(low < 0.0, under, c)
        over = lum + (c - lum) * (1.0 - lum) / (high - lum)
        c = np.where(high > 1.0, over, c)
    return np.asarray(np.clip(np.nan_to_num(c), 0.0, 1.0))


def _set_lum(c: np.ndarray, lum: np.ndarray) -> np.ndarray:
    return _clip_color(c + (lum - _lum(c)))


def _sat(c: np.ndarray) -> np.ndarray:
    return np.asarray(c.max(axis=-1, keepdims=True) - c.min(axis=-1, keepdims=True))


def _set_sat(c: np.ndarray, sat: np.ndarray) -> np.ndarray:
    low = c.min(axis=-1, keepdims=True)
    spread = c.max(axis=-1, keepdims=True) - low
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(spread > 0.0, (c - low) * sat / spread, 0.0)
    return out


def _hard_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    return np.where(cs <= 0.5, cb * 2.0 * cs, cb + (2.0 * cs - 1.0) - cb * (2.0 * cs - 1.0))


def _soft_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    d = np.where(cb <= 0.25, ((16.0 * cb - 12.0) * cb + 4.0) * cb, np.sqrt(np.maximum(cb, 0.0)))
    out = np.where(cs <= 0.5, cb - (1.0 - 2.0 * cs) * cb * (1.0 - cb), cb + (2.0 * cs - 1.0) * (d - cb))
    return np.asarray(out)


def _color_dodge(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.minimum(1.0, cb / (1.0 - cs))
    return np.where(cb <= 0.0, 0.0, np.where(cs >= 1.0, 1.0, out))


def _color_burn(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - np.minimum(1.0, (1.0 - cb) / cs)
    return np.where(cb >= 1.0, 1.0, np.where(cs <= 0.0, 0.0, out))


_BLENDS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "normal": lambda cb, cs: cs,
    "multiply": lambda cb, cs: cb * cs,
    "screen": lambda cb, cs: cb + cs - cb * cs,
    "overlay": lambda cb, cs: _hard_light(cs, cb),
    "darken": np.minimum,
    "lighten": np.maximum,
    "color_dodge": _color_dodge,
    "color_burn": _color_burn,
    "hard_light": _hard_light,
    "soft_light": _soft_light,
    "linear_dodge": lambda cb, cs: np.minimum(1.0, cb + cs),
    "difference": lambda cb, cs: np.abs(cb - cs),
    "hue": lambda cb, cs: _set_lum(_set_sat(cs, _sat(cb)), _lum(cb)),
    "saturation": lambda cb, cs: _set_lum(_set_sat(cb, _sat(cs)), _lum(cb)),
    "color": lambda cb, cs: _set_lum(cs, _lum(cb)),
    "luminosity": lambda cb, cs: _set_lum(cb, _lum(cs)),
}


def blend(mode: str, cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """B(Cb, Cs) of a blend mode for straight colours in 0..1, shape (..., 3). KeyError: unknown mode."""
    func = _BLENDS[mode]
    return np.asarray(func(np.asarray(cb, F32), np.asarray(cs, F32)), dtype=F32)


# ------------------------------------------------------------------------------------------- canvases


class Canvas:
    """Premultiplied colour, alpha, and the alpha of what was composited onto it (its own coverage),
    over a region of the document canvas."""

    def __init__(self, region: Box, colour: np.ndarray, alpha: np.ndarray, coverage: bool = False) -> None:
        self.region = region
        self.colour = colour  # (h, w, 3) premultiplied
        self.alpha = alpha  # (h, w, 1)
        # Only a pass-through group's canvas needs its own coverage (to mix it back); others skip it.
        self.coverage = np.zeros_like(alpha) if coverage else None

    @staticmethod
    def empty(region: Box) -> Canvas:
        w, h = region[2] - region[0], region[3] - region[1]
        return Canvas(region, np.zeros((h, w, 3), F32), np.zeros((h, w, 1), F32))

    def copy_for_pass_through(self) -> Canvas:
        return Canvas(self.region, self.colour.copy(), self.alpha.copy(), coverage=True)

    def local(self, box: Box) -> tuple[slice, slice] | None:
        """Slices of this canvas for `box` clipped to the region, or None when they do not meet."""
        left, top = max(box[0], self.region[0]), max(box[1], self.region[1])
        right, bottom = min(box[2], self.region[2]), min(box[3], self.region[3])
        if right <= left or bottom <= top:
            return None
        ox, oy = self.region[0], self.region[1]
        return slice(top - oy, bottom - oy), slice(left - ox, right - ox)

    def straight(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.alpha > 0.0, self.colour / self.alpha, 0.0).astype(F32)

    def apply(self, box: Box, colour: np.ndarray, alpha: np.ndarray, mode: str) -> None:
        """Composite a straight-colour source covering `box` (arrays shaped like the box)."""
        where = self.local(box)
        if where is None:
            return
        rows, cols = where
        src_rows = slice(rows.start + self.region[1] - box[1], rows.stop + self.region[1] - box[1])
        src_cols = slice(cols.start + self.region[0] - box[0], cols.stop + self.region[0] - box[0])
        cs, a_s = colour[src_rows, src_cols], alpha[src_rows, src_cols]
        pb, ab = self.colour[rows, cols], self.alpha[rows, cols]  # views: updated in place below
        a3 = as_three_channels(a_s)
        if mode == "normal":
            mixed = cs
        else:
            b3 = as_three_channels(ab)
            with np.errstate(divide="ignore", invalid="ignore"):
                cb = np.where(b3 > 0.0, pb / b3, 0.0)
            mixed = (1.0 - b3) * cs + b3 * blend(mode, cb, cs)
        pb *= 1.0 - a3
        pb += a3 * mixed
        keep = 1.0 - a_s
        ab *= keep  # as + ab - as * ab
        ab += a_s
        if self.coverage is not None:
            cov = self.coverage[rows, cols]
            self.coverage[rows, cols] = a_s + cov - a_s * cov

    def mix_pass_through(self, result: Canvas, amount: np.ndarray) -> None:
        """Mix a pass-through group's result (composited onto a copy of this canvas) with this canvas by
        the group's opacity x mask (`amount`, shaped like the region)."""
        assert result.coverage is not None
        group_alpha = result.coverage * amount
        ab = self.alpha
        self.colour = (1.0 - amount) * self.colour + (
            amount * ab + group_alpha * (1.0 - ab)
        ) * result.straight()
        self.alpha = ab + group_alpha - ab * group_alpha
        if self.coverage is not None:
            self.coverage = self.coverage + group_alpha - self.coverage * group_alpha


# ------------------------------------------------------------------------------------------ compositing


def composite(stack: LayerStack, cancel: CancelToken = NEVER_CANCELLED) -> tuple[np.ndarray, np.ndarray]:
    """The stack's composite on a transparent canvas: premultiplied colour (H, W, 3) and alpha (H, W, 1),
    float32 in 0..1. `cancel` is checked between layers."""
    canvas = Canvas.empty((0, 0, stack.width, stack.height))
    _composite_nodes(canvas, stack.children, cancel)
    return canvas.colour, canvas.alpha


def composite_region(stack: LayerStack, box: Box, cancel: CancelToken = NEVER_CANCELLED) -> np.ndarray:
    """The composite over white of one box of the canvas, (h, w, 3) uint8. Compositing is per pixel, so
    this equals the same box of `composite_rgb`: a layer that changes only inside its box is redrawn by
    compositing that box alone (the layers engine's patches)."""
    canvas = Canvas.empty(box)
    _composite_nodes(canvas, stack.children, cancel)
    return to_rgb8(canvas.colour, canvas.alpha)


def composite_rgb(stack: LayerStack, cancel: CancelToken = NEVER_CANCELLED) -> np.ndarray:
    """The stack's composite over white as (H, W, 3) uint8: what a painting app shows and exports."""
    colour, alpha = composite(stack, cancel)
    return to_rgb8(colour, alpha)


def to_rgb8(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied colour and alpha over white, rounded to uint8."""
    over_white = colour + as_three_channels(1.0 - alpha)
    np.clip(over_white, 0.0, 1.0, out=over_white)
    over_white *= 255.0
    return np.ascontiguousarray(np.rint(over_white, out=over_white).astype(np.uint8))


def as_three_channels(alpha: np.ndarray) -> np.ndarray:
    """A one-channel (h, w, 1) array as three equal channels, (h, w, 3) float32. Why: numpy broadcasts a
    one-channel operand over three interleaved channels several times slower than it combines arrays of
    one shape, and the values are the same either way."""
    plane = alpha[..., 0]
    return np.asarray(cv2.merge((plane, plane, plane)), F32).reshape(*plane.shape, 3)


def clip_runs(nodes: Sequence[Node]) -> list[tuple[Node, list[Node]]]:
    """Each non-clipping node with the clipping nodes right above it (a clipping node with nothing below
    it to clip to is composited as a normal one, as Photoshop shows it): the runs a level of the tree
    is composited in, bottom first."""
    runs: list[tuple[Node, list[Node]]] = []
    for node in nodes:
        if node.clipping and runs:
            runs[-1][1].append(node)
        else:
            runs.append((node, []))
    return runs


def _composite_nodes(canvas: Canvas, nodes: Sequence[Node], cancel: CancelToken) -> None:
    for base, clipped in clip_runs(nodes):
        cancel.raise_if_cancelled()
        composite_run(canvas, base, clipped, cancel)


def is_pass_through(base: Node, clipped: Sequence[Node]) -> bool:
    """A run that blends with what is below it as a whole (a pass-through group with nothing clipped to
    it; one with clipped nodes is composited as an isolated group, as Photoshop does)."""
    return isinstance(base, Group) and base.blend == PASS_THROUGH and not clipped


def composite_run(canvas: Canvas, base: Node, clipped: Sequence[Node], cancel: CancelToken) -> None:
    """Composite one run (a base node and the nodes clipped to it) onto the canvas."""
    if not base.visible:
        return  # a hidden base hides what is clipped to it
    if isinstance(base, Group) and is_pass_through(base, clipped):
        _pass_through(canvas, base, cancel)
        return
    source = run_source(canvas.region, base, clipped, cancel)
    if source is not None:
        canvas.apply(*source)


def run_source(
    region: Box, base: Node, clipped: Sequence[Node], cancel: CancelToken
) -> tuple[Box, np.ndarray, np.ndarray, str] | None:
    """What a visible run that is not pass-through puts onto a canvas over `region`: its box, straight
    colour, alpha x mask x opacity and blend mode (the arguments of `Canvas.apply`), or None when it
    meets nothing. It does not depend on the canvas, so it can be kept and applied again."""
    box, colour, alpha = _render(region, base, cancel)
    if box is None:
        return None
    visible_clips = [c for c in clipped if c.visible]
    if visible_clips:
        colour = _apply_clips(box, colour, alpha, visible_clips, cancel)
    alpha = alpha * _mask_values(base.mask, box) * np.float32(base.opacity)
    mode = "normal" if base.blend == PASS_THROUGH else base.blend
    return box, colour, alpha, mode


def _render(region: Box, node: Node, cancel: CancelToken) -> tuple[Box | None, np.ndarray, np.ndarray]:
    """A node's own straight colour and alpha over its box (an isolated group over the region)."""
    if isinstance(node, Layer):
        # only the part of the layer inside the region is converted (a small region of a big layer)
        left, top = max(node.x, region[0]), max(node.y, region[1])
        right, bottom = min(node.x + node.width, region[2]), min(node.y + node.height, region[3])
        if right <= left or bottom <= top:
            return None, np.empty(0, F32), np.empty(0, F32)
        part = node.pixels[top - node.y : bottom - node.y, left - node.x : right - node.x]
        px = part.astype(F32)
        px *= np.float32(1.0 / 255.0)
        return (left, top, right, bottom), px[..., :3], px[..., 3:4]
    group = Canvas.empty(region)
    _composite_nodes(group, node.children, cancel)
    return region, group.straight(), group.alpha


def _pass_through(canvas: Canvas, group: Group, cancel: CancelToken) -> None:
    result = canvas.copy_for_pass_through()
    _composite_nodes(result, group.children, cancel)
    amount = _mask_values(group.mask, canvas.region) * np.float32(group.opacity)
    canvas.mix_pass_through(result, amount)


def _apply_clips(
    box: Box, colour: np.ndarray, alpha: np.ndarray, clipped: list[Node], cancel: CancelToken
) -> np.ndarray:
    """The base's colour with the clipped nodes composited onto it (its alpha is unchanged)."""
    base = Canvas(box, colour * alpha, alpha.copy())
    _composite_nodes(base, [c if not c.clipping else _unclipped(c) for c in clipped], cancel)
    return np.where(base.alpha > 0.0, base.straight(), colour).astype(F32)


def _unclipped(node: Node) -> Node:
    from dataclasses import replace

    return replace(node, clipping=False)


def _mask_values(mask: Mask | None, box: Box) -> np.ndarray:
    """The mask over `box` as (h, w, 1) float32 in 0..1 (ones when there is no mask)."""
    h, w = box[3] - box[1], box[2] - box[0]
    if mask is None:
        return np.ones((h, w, 1), F32)
    out = np.full((h, w, 1), mask.default / 255.0, F32)
    mh, mw = mask.pixels.shape
    left, top = max(mask.x, box[0]), max(mask.y, box[1])
    right, bottom = min(mask.x + mw, box[2]), min(mask.y + mh, box[3])
    if right > left and bottom > top:
        part = mask.pixels[top - mask.y : bottom - mask.y, left - mask.x : right - mask.x]
        out[top - box[1] : bottom - box[1], left - box[0] : right - box[0], 0] = part / 255.0
    return out
