"""The layer stack of a layered artwork (PSD/PSB, OpenRaster, Krita): an ordered tree of layers and groups.

Why a model of our own rather than psd-tools' objects: three file formats feed it, the project file stores
it (app/core/layer_store.py) so a project reopens without its source file, and the compositor
(app/core/compositor.py) and the layers engine read it without knowing where it came from.

Conventions, the same everywhere:
- children are ordered bottom first (the order they are composited in), unlike PSD/ORA/KRA files;
- pixels are (h, w, 4) uint8 RGBA with straight (not premultiplied) alpha, cropped to the canvas by the
  readers, with (x, y) the offset of their top-left corner on the canvas;
- a mask is (h, w) uint8 with its own offset, and `default` (0 or 255) outside its box;
- `opacity` is 0..1; `blend` is one of BLEND_MODES (groups may also be PASS_THROUGH);
- `merged` is the file's own composite over white, (H, W, 3) uint8, when the file stores one: it is the
  truth for step 0 (the compositor reproduces it where the file uses supported features only);
- `approximated` names the layers the reader could not render (adjustment layers, effects...): they are
  in `merged` but not in the tree, so the tree alone is an approximation and the app says so.

The limits every reader applies (`MAX_STACK_LAYERS`, the pixel budget, `crop_to_canvas`) live here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.errors import ArtworkError

BLEND_MODES: frozenset[str] = frozenset(
    {
        "normal",
        "multiply",
        "screen",
        "overlay",
        "darken",
        "lighten",
        "color_dodge",
        "color_burn",
        "hard_light",
        "soft_light",
        "linear_dodge",
        "difference",
        "hue",
        "saturation",
        "color",
        "luminosity",
    }
)
PASS_THROUGH = "pass_through"  # a group that is not isolated: its layers blend with what is below it
# More layers than this are not kept as a stack: the artwork falls back to the file's merged image (or is
# refused when it has none). Real paintings have tens to a few hundred layers.
MAX_STACK_LAYERS = 1000
MAX_GROUP_DEPTH = 64  # deeper nesting is damage (or an attack on the recursion limit)
# Pixels a whole stack may decode (canvas included), as a multiple of the single-image limit: 4 x 100 MP
# is 25 full layers of a 4096x4096 canvas. Checked from headers before any layer is decoded.
LAYER_PIXEL_BUDGET_FACTOR = 4


@dataclass(frozen=True, eq=False)
class Mask:
    """A layer or group mask: 255 shows, 0 hides; `default` applies outside the mask's own box."""

    pixels: np.ndarray
    x: int = 0
    y: int = 0
    default: int = 255

    def __post_init__(self) -> None:
        px = np.ascontiguousarray(self.pixels, dtype=np.uint8)
        if px.ndim != 2:
            raise ValueError(f"mask pixels must be (h, w), got {px.shape}")
        px.setflags(write=False)
        object.__setattr__(self, "pixels", px)
        object.__setattr__(self, "default", 255 if self.default >= 128 else 0)


@dataclass(frozen=True, eq=False)
class Layer:
    """A pixel layer (or a layer the reader rendered to pixels: text, shape, fill, smart object)."""

    name: str
    pixels: np.ndarray
    x: int = 0
    y: int = 0
    opacity: float = 1.0
    blend: str = "normal"
    visible: bool = True
    clipping: bool = False  # clipped to the nearest non-clipping layer below it
    mask: Mask | None = None
    kind: str = "pixel"  # pixel, text, shape, fill, smart: what the file called it

    def __post_init__(self) -> None:
        px = np.ascontiguousarray(self.pixels, dtype=np.uint8)
        if px.ndim != 3 or px.shape[2] != 4:
            raise ValueError(f"layer pixels must be (h, w, 4) RGBA, got {px.shape}")
        px.setflags(write=False)
        object.__setattr__(self, "pixels", px)
        _check_common(self.name, self.opacity, self.blend, allow_pass_through=False)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True, eq=False)
class Group:
    """A group of layers, bottom first. PASS_THROUGH groups are not isolated (Photoshop's default)."""

    name: str
    children: tuple[Node, ...] = ()
    opacity: float = 1.0
    blend: str = PASS_THROUGH
    visible: bool = True
    clipping: bool = False
    mask: Mask | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))
        _check_common(self.name, self.opacity, self.blend, allow_pass_through=True)


Node = Layer | Group


def _check_common(name: str, opacity: float, blend: str, allow_pass_through: bool) -> None:
    if not isinstance(name, str):
        raise ValueError(f"a layer name must be text, got {name!r}")
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in 0..1, got {opacity!r}")
    if blend not in BLEND_MODES and not (allow_pass_through and blend == PASS_THROUGH):
        raise ValueError(f"unknown blend mode {blend!r}")


@dataclass(frozen=True, eq=False)
class LayerStack:
    """A layered artwork: canvas size, the tree (bottom first), the file's merged image, and notes."""

    width: int
    height: int
    children: tuple[Node, ...] = ()
    merged: np.ndarray | None = None
    source_format: str = ""  # "psd", "ora", "kra"
    approximated: tuple[str, ...] = ()  # layers in `merged` only: the tree cannot render them
    notes: tuple[str, ...] = field(default=())  # what the reader left out or changed, for the user

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"a canvas must have a positive size, got {self.width}x{self.height}")
        object.__setattr__(self, "children", tuple(self.children))
        if self.merged is not None:
            merged = np.ascontiguousarray(self.merged, dtype=np.uint8)
            if merged.shape != (self.height, self.width, 3):
                raise ValueError(f"merged image must be {self.height}x{self.width}x3, got {merged.shape}")
            merged.setflags(write=False)
            object.__setattr__(self, "merged", merged)

    def walk(self) -> Iterator[tuple[Node, tuple[Group, ...]]]:
        """Every node, bottom first and depth first (a group before its children), with its parents."""
        stack: list[tuple[tuple[Node, ...], tuple[Group, ...], int]] = [(self.children, (), 0)]
        while stack:
            nodes, parents, i = stack.pop()
            if i >= len(nodes):
                continue
            stack.append((nodes, parents, i + 1))
            node = nodes[i]
            yield node, parents
            if isinstance(node, Group):
                stack.append((node.children, (*parents, node), 0))

    def layers(self) -> list[Layer]:
        """The pixel layers, bottom first."""
        return [node for node, _ in self.walk() if isinstance(node, Layer)]

    def layer_names(self) -> tuple[str, ...]:
        """Pixel-layer names bottom to top: the process hint `Artwork.layer_names` always carried."""
        return tuple(layer.name for layer in self.layers())

    @property
    def exact(self) -> bool:
        """True when the tree holds everything the file's composite is made of."""
        return not self.approximated

    def decoded_pixels(self) -> int:
        """Pixels held by the layers and masks (what the budget counts), canvas not included."""
        total = 0
        for node, _ in self.walk():
            if isinstance(node, Layer):
                total += node.width * node.height
            if node.mask is not None:
                total += node.mask.pixels.size // 4  # one channel of four
        return total


# ------------------------------------------------------------------------------------------------ limits


def crop_box(x: int, y: int, w: int, h: int, canvas: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The part of a (w, h) box at (x, y) that lies on the canvas, as (left, top, right, bottom) in the
    box's own coordinates, or None when none of it does (a layer at x=1e9 is dropped, not decoded)."""
    width, height = canvas
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + w, width), min(y + h, height)
    if right <= left or bottom <= top:
        return None
    return left - x, top - y, right - x, bottom - y


def crop_to_canvas(
    pixels: np.ndarray, x: int, y: int, canvas: tuple[int, int]
) -> tuple[np.ndarray, int, int]:
    """Pixels cut to the canvas with their new offset; an empty (0x0) array when none is on it."""
    box = crop_box(x, y, int(pixels.shape[1]), int(pixels.shape[0]), canvas)
    if box is None:
        return pixels[:0, :0], max(x, 0), max(y, 0)
    left, top, right, bottom = box
    return pixels[top:bottom, left:right], x + left, y + top


def check_layer_budget(
    name: str, canvas: tuple[int, int], layer_pixels: int, count: int, max_pixels: int
) -> None:
    """Refuse a stack whose layers (on the canvas) and canvas together exceed the budget, before decoding."""
    total = canvas[0] * canvas[1] + layer_pixels
    budget = LAYER_PIXEL_BUDGET_FACTOR * max_pixels
    if total > budget:
        raise ArtworkError(
            f"'{name}' is too large to read layer by layer: its {count} layers would decode "
            f"{total / 1e6:,.0f} megapixels, more than "
            f"the limit of {budget / 1e6:,.0f} megapixels (the file is damaged or malicious, or far too large).",
            "Merge some layers in your painting app, or export it as PNG.",
        )


def clamp_opacity(value: float) -> float:
    """A file's opacity in 0..1 (NaN: fully opaque, as painting apps show it)."""
    return min(max(value, 0.0), 1.0) if value == value else 1.0
