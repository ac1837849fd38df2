"""Read a PSD or PSB layer stack with psd-tools (the library made for the format).

What becomes a `Layer`: pixel layers, and type, shape, fill and smart-object layers through the pixels the
file stores for them (what psd-tools renders of them alone). Groups keep pass-through, clipping, masks,
opacity (times fill opacity) and visibility. Left out of the tree and named in `approximated` (the file's
own composite still shows them): adjustment layers, layers without stored pixels, layer effects, vector
masks. The stored composite (`psd.topil()`, never `composite()`, which would re-render) is `merged`.

Fallbacks to the merged image alone, said in `notes`: CMYK, Lab, indexed, bitmap and multichannel files
(their layers are in a colour space the compositor does not work in), more than MAX_STACK_LAYERS layers,
and files whose layer records psd-tools cannot make sense of. A file with neither usable layers nor a
merged image is refused. Every layer box is measured against the pixel budget before any is decoded.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path
from typing import Any

import numpy as np

from app.core.cancel import CancelToken
from app.core.layers import (
    MAX_GROUP_DEPTH,
    MAX_STACK_LAYERS,
    PASS_THROUGH,
    Group,
    Layer,
    LayerStack,
    Mask,
    Node,
    check_layer_budget,
    crop_box,
)
from app.core.pixel_modes import to_rgb_array
from app.core.psd_channels import DECODE_THREADS, LayerDecoder, RgbaPlan, rgba_8bit, rgba_plan
from app.errors import ArtworkError

_HINT = "Open it in your painting app and save it again, or export it as PNG."
_COLOUR_MODES = {"RGB": "rgb", "GRAYSCALE": "grey"}  # what the compositor works in
_PSD_BLENDS = {
    "NORMAL": "normal",
    "DISSOLVE": "normal",
    "MULTIPLY": "multiply",
    "SCREEN": "screen",
    "OVERLAY": "overlay",
    "DARKEN": "darken",
    "LIGHTEN": "lighten",
    "COLOR_DODGE": "color_dodge",
    "COLOR_BURN": "color_burn",
    "HARD_LIGHT": "hard_light",
    "SOFT_LIGHT": "soft_light",
    "LINEAR_DODGE": "linear_dodge",
    "DIFFERENCE": "difference",
    "HUE": "hue",
    "SATURATION": "saturation",
    "COLOR": "color",
    "LUMINOSITY": "luminosity",
    "PASS_THROUGH": PASS_THROUGH,
}
_RASTER_KINDS = {"pixel": "pixel", "type": "text", "shape": "shape", "smartobject": "smart"}
_FILL_KINDS = {"solidcolorfill", "gradientfill", "patternfill"}


def read_psd_stack(path: Path, max_pixels: int, cancel: CancelToken) -> LayerStack:
    """The layer stack of a PSD/PSB. Raises ArtworkError (damaged, too large, nothing to show)."""
    from psd_tools import PSDImage

    name = path.name
    try:
        psd = PSDImage.open(path)
    except (ValueError, OSError, EOFError, struct.error, KeyError, IndexError, TypeError) as exc:
        raise ArtworkError(f"'{name}' is damaged or cut off ({exc}).", _HINT) from exc
    width, height = int(psd.width), int(psd.height)
    _check_canvas(name, width, height, max_pixels)
    cancel.raise_if_cancelled()

    @functools.cache
    def merged() -> np.ndarray | None:  # read once, after the first layers' decoding has started
        return _merged(psd, name)

    fmt = "psb" if int(psd.version) == 2 else "psd"
    mode = str(getattr(psd.color_mode, "name", psd.color_mode))

    def fallback(note: str) -> LayerStack:
        if merged() is None:
            raise ArtworkError(f"'{name}' cannot be shown: {note}, and it has no merged image.", _HINT)
        return LayerStack(width, height, (), merged(), fmt, (), (note,))

    if mode not in _COLOUR_MODES:
        return fallback(f"its layers are in {mode} colour, so it is shown as its merged image")
    try:
        nodes = list(psd.descendants())
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        return fallback(f"its layer groups are damaged ({exc}), so it is shown as its merged image")
    if len(nodes) > MAX_STACK_LAYERS:
        return fallback(
            f"it has {len(nodes)} layers (more than {MAX_STACK_LAYERS}), so it is shown as its merged image"
        )
    canvas = (width, height)
    decoded = 0  # a layer is decoded whole (then cut to the canvas): its full size is what it costs
    for node in nodes:
        if not node.is_group() and crop_box(node.left, node.top, node.width, node.height, canvas):
            decoded += int(node.width) * int(node.height)
        if node.has_mask() and node.mask is not None:
            decoded += int(node.mask.width) * int(node.mask.height)
    try:
        check_layer_budget(name, canvas, decoded, len(nodes), max_pixels)
    except ArtworkError as exc:
        if merged() is None:
            raise
        return fallback(exc.message)
    reader = _Reader(canvas, cancel, int(psd.depth), int(psd.version), mode == "GRAYSCALE")
    try:
        with reader.decoding([node for node in nodes if not node.is_group()]) as decoder:
            decoder.start()  # the first layers decode in threads (GIL released) while psd-tools reads
            merged()  # the merged image here (GIL held): the two overlap
            children = reader.group_children(psd, 0)
    except ArtworkError:
        raise
    except (ValueError, OSError, EOFError, struct.error, KeyError, IndexError, TypeError) as exc:
        if merged() is None:
            raise ArtworkError(f"The layers of '{name}' are damaged or cut off ({exc}).", _HINT) from exc
        return fallback(f"its layers are damaged ({exc}), so it is shown as its merged image")
    if not reader.layer_count and merged() is None:
        raise ArtworkError(f"'{name}' has no layers and no merged image.", _HINT)
    notes = () if reader.layer_count or not nodes else ("none of its layers could be read",)
    return LayerStack(width, height, tuple(children), merged(), fmt, tuple(reader.approximated), notes)


def _check_canvas(name: str, width: int, height: int, max_pixels: int) -> None:
    from app.core.decode_checks import check_pixels

    check_pixels(name, width, height, max_pixels)


def _merged(psd: Any, name: str) -> np.ndarray | None:
    """The composite the file stores, as RGB over white (None when it stores none)."""
    if not psd.has_preview():
        return None
    try:
        image = psd.topil()
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise ArtworkError(f"The merged image of '{name}' is damaged ({exc}).", _HINT) from exc
    return None if image is None else to_rgb_array(image)


def _kept(item: Any) -> tuple[str, str, bool] | None:
    """(kind, blend, empty) of a non-group layer the tree keeps, None for one only the merged image shows."""
    blend = _PSD_BLENDS.get(getattr(item.blend_mode, "name", ""), None)
    kind = _RASTER_KINDS.get(item.kind, "fill" if item.kind in _FILL_KINDS else "")
    empty = kind == "pixel" and not item.has_pixels()  # a new, never painted layer: kept, it is a hint
    if not kind or blend is None or blend == PASS_THROUGH or not (empty or item.has_pixels()):
        return None
    return kind, blend, empty


class _Reader:
    def __init__(
        self,
        canvas: tuple[int, int],
        cancel: CancelToken,
        depth: int = 8,
        version: int = 1,
        grey: bool = False,
    ) -> None:
        self.canvas = canvas
        self.cancel = cancel
        self.depth, self.version, self.grey = depth, version, grey
        self.approximated: list[str] = []
        self.layer_count = 0
        self.decoder: LayerDecoder | None = None

    def decoding(self, items: list[Any]) -> LayerDecoder:
        """Decode `items` (the non-group layers, in walk order) ahead of `group_children`, in
        DECODE_THREADS threads; use it as a context manager around the walk (it stops the threads
        however the walk ends)."""
        self.decoder = LayerDecoder(items, self.plan, DECODE_THREADS)
        return self.decoder

    def plan(self, item: Any) -> RgbaPlan | None:
        """The fast-path plan of a layer the tree keeps with pixels on the canvas, else None."""
        kept = _kept(item)
        if kept is None or kept[2]:
            return None
        if crop_box(int(item.left), int(item.top), int(item.width), int(item.height), self.canvas) is None:
            return None
        return rgba_plan(item, self.depth, self.version, self.grey)

    def group_children(self, parent: Any, depth: int) -> list[Node]:
        if depth > MAX_GROUP_DEPTH:
            raise ArtworkError(f"Its groups are nested more than {MAX_GROUP_DEPTH} deep (damaged).", _HINT)
        out: list[Node] = []
        for item in parent:  # psd-tools iterates bottom first, as the compositor does
            self.cancel.raise_if_cancelled()
            node = self.node(item, depth)
            if node is not None:
                out.append(node)
        return out

    def node(self, item: Any, depth: int) -> Node | None:
        blend = _PSD_BLENDS.get(getattr(item.blend_mode, "name", ""), None)
        opacity = int(item.opacity) / 255.0
        if item.is_group():
            children = self.group_children(item, depth + 1)
            if blend is None:
                self.approximated.append(item.name)
                blend = PASS_THROUGH
            return Group(
                item.name,
                tuple(children),
                opacity,
                blend,
                bool(item.visible),
                bool(item.clipping),
                self.mask(item),
            )
        kept = _kept(item)
        if kept is None:
            self.approximated.append(item.name)  # adjustment layers, unknown modes, nothing stored
            return None
        kind, blend, empty = kept
        if item.has_effects() or item.has_vector_mask():
            self.approximated.append(item.name)  # kept, but without what psd-tools would draw on top
        pixels = (np.zeros((0, 0, 4), np.uint8), 0, 0) if empty else self.pixels(item)
        if pixels is None:
            return None
        fill = int(getattr(item, "fill_opacity", 255)) / 255.0
        self.layer_count += 1
        array, x, y = pixels
        return Layer(
            item.name, array, x, y, opacity * fill, blend, bool(item.visible), bool(item.clipping),
            self.mask(item), kind,
        )  # fmt: skip

    def pixels(self, item: Any) -> tuple[np.ndarray, int, int] | None:
        box = crop_box(int(item.left), int(item.top), int(item.width), int(item.height), self.canvas)
        if box is None:
            return np.zeros((0, 0, 4), np.uint8), 0, 0  # entirely off the canvas: kept empty, never decoded
        # 8-bit RGB or grey: straight to numpy, decoded ahead in threads when `decoding` was started
        if self.decoder is not None:
            rgba = self.decoder.rgba(item)
        else:
            rgba = rgba_8bit(item, self.depth, self.version, self.grey)
        if rgba is None:
            # topil (8 bits a channel at any depth) is about three times faster than numpy (float32)
            image = item.topil(apply_icc=False)
            if image is None:
                return None
            rgba = np.asarray(image if image.mode == "RGBA" else image.convert("RGBA"))
        if rgba.shape[:2] != (int(item.height), int(item.width)):
            raise ValueError(f"layer '{item.name}' decodes to {rgba.shape[1]}x{rgba.shape[0]} pixels")
        left, top, right, bottom = box
        return rgba[top:bottom, left:right], int(item.left) + left, int(item.top) + top

    def mask(self, item: Any) -> Mask | None:
        if not item.has_mask():
            return None
        mask = item.mask
        if mask is None or mask.disabled:
            return None
        image = mask.topil(real=False)
        if image is None:
            return Mask(np.zeros((0, 0), np.uint8), 0, 0, int(mask.background_color))
        pixels = np.asarray(image.convert("L"))
        x, y = int(mask.left), int(mask.top)
        box = crop_box(x, y, pixels.shape[1], pixels.shape[0], self.canvas)
        if box is None:  # entirely off the canvas: only its default matters
            return Mask(np.zeros((0, 0), np.uint8), 0, 0, int(mask.background_color))
        left, top, right, bottom = box
        return Mask(pixels[top:bottom, left:right], x + left, y + top, int(mask.background_color))
