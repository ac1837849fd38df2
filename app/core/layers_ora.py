"""Read an OpenRaster (.ora) layer stack: stack.xml (nested stacks, top first), one PNG per layer with its
x/y, opacity, visibility and composite-op, and mergedimage.png.

A nested <stack> is a group: isolated when it says isolation="isolate" or when its opacity or composite-op
need it (the spec's "auto"), otherwise pass-through. Composite-ops the compositor lacks are composited as
normal and the layer is named in `approximated`.

Limits (hostile zips are expected, see app/core/layer_zip.py): at most MAX_STACK_LAYERS layers are kept;
every layer's PNG header is read before any layer is decoded, layers entirely off the canvas are dropped,
and the others plus the canvas must fit the layer pixel budget. Over a limit, a file with a merged image
falls back to it (said in `notes`); one without is refused. A cancel token is checked between layers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.core.cancel import CancelToken
from app.core.decode_checks import check_pixels
from app.core.layer_zip import decode_image, image_size, merged_rgb, open_zip, read_xml, rgba_array
from app.core.layers import (
    LAYER_PIXEL_BUDGET_FACTOR,
    MAX_GROUP_DEPTH,
    MAX_STACK_LAYERS,
    PASS_THROUGH,
    Group,
    Layer,
    LayerStack,
    Node,
    clamp_opacity,
    crop_box,
)
from app.errors import ArtworkError

_OPS = {
    "svg:src-over": "normal",
    "svg:multiply": "multiply",
    "svg:screen": "screen",
    "svg:overlay": "overlay",
    "svg:darken": "darken",
    "svg:lighten": "lighten",
    "svg:color-dodge": "color_dodge",
    "svg:color-burn": "color_burn",
    "svg:hard-light": "hard_light",
    "svg:soft-light": "soft_light",
    "svg:plus": "linear_dodge",
    "svg:difference": "difference",
    "svg:hue": "hue",
    "svg:saturation": "saturation",
    "svg:color": "color",
    "svg:luminosity": "luminosity",
}


def _number(value: str | None, default: float) -> float:
    try:
        number = float(value) if value is not None else default
    except ValueError:
        return default
    return number if number == number and abs(number) < 1e9 else (1e9 if number == number else default)


@dataclass
class _Plan:
    elem: ET.Element
    x: int
    y: int
    size: tuple[int, int]


def read_ora_stack(path: Path, max_pixels: int, cancel: CancelToken) -> LayerStack:
    name = path.name
    with open_zip(name, path, "OpenRaster") as archive:
        root = read_xml(archive, "stack.xml", name, "it is not an OpenRaster file")
        width, height = int(_number(root.get("w"), 0)), int(_number(root.get("h"), 0))
        if width <= 0 or height <= 0:  # no canvas size: a merged image gives it, or the file is refused
            if "mergedimage.png" not in archive.namelist():
                check_pixels(name, width, height, max_pixels)
            width, height = image_size(archive, "mergedimage.png", name, max_pixels)
        check_pixels(name, width, height, max_pixels)
        top = root.find("stack")
        layer_elems = [e for e in root.iter("layer") if e.get("src")]
        merged = merged_rgb(archive, name, max_pixels, (width, height))
        reader = _OraReader(archive, name, (width, height), max_pixels, cancel)

        def fallback(note: str) -> LayerStack:
            return LayerStack(width, height, (), merged, "ora", (), (note,))

        visible = [e for e in layer_elems if e.get("visibility", "visible") != "hidden"]
        if len(layer_elems) > MAX_STACK_LAYERS:
            if merged is not None:
                return fallback(f"it has {len(layer_elems)} layers, more than {MAX_STACK_LAYERS}")
            if len(visible) > MAX_STACK_LAYERS:
                raise ArtworkError(
                    f"'{name}' has {len(visible)} visible layers and no merged image; Undo Studio flattens at "
                    f"most {MAX_STACK_LAYERS}.",
                    "Merge some layers (or save with a merged image) in your painting app, or export it as PNG.",
                )
            reader.skip_hidden = True  # the hidden ones do not change the picture
        try:
            reader.plan(top if top is not None else root, 0, 0, 0, hidden=False)
            reader.check_budget()
        except ArtworkError as exc:
            if merged is None:
                raise
            return fallback(exc.message)
        if not layer_elems and merged is None:
            raise ArtworkError(
                f"'{name}' has no layers and no merged image: there is nothing to show.",
                "Open it in your painting app and save it again, or export it as PNG.",
            )
        children = reader.build(top if top is not None else root, 0, 0, 0)
        notes = ("its hidden layers were left out (too many layers)",) if reader.skip_hidden else ()
        return LayerStack(width, height, tuple(children), merged, "ora", tuple(reader.approximated), notes)


class _OraReader:
    def __init__(
        self,
        archive: zipfile.ZipFile,
        name: str,
        canvas: tuple[int, int],
        max_pixels: int,
        cancel: CancelToken,
    ) -> None:
        self.archive = archive
        self.name = name
        self.canvas = canvas
        self.max_pixels = max_pixels
        self.cancel = cancel
        self.sizes: dict[str, tuple[int, int]] = {}
        self.planned: dict[int, _Plan] = {}  # id(elem) -> where it goes; absent: off the canvas
        self.total = canvas[0] * canvas[1]
        self.approximated: list[str] = []
        self.skip_hidden = False

    def _depth_check(self, depth: int) -> None:
        if depth > MAX_GROUP_DEPTH:
            raise ArtworkError(
                f"The groups of '{self.name}' are nested more than {MAX_GROUP_DEPTH} deep (the file is damaged).",
                "Open it in your painting app and save it again, or export it as PNG.",
            )

    def plan(self, stack: ET.Element, dx: int, dy: int, depth: int, hidden: bool) -> None:
        """Every layer's header, before any layer is decoded (see module docstring)."""
        self._depth_check(depth)
        for elem in stack:
            self.cancel.raise_if_cancelled()
            is_hidden = hidden or elem.get("visibility", "visible") == "hidden"
            x = dx + int(_number(elem.get("x"), 0))
            y = dy + int(_number(elem.get("y"), 0))
            if elem.tag == "stack":
                self.plan(elem, x, y, depth + 1, is_hidden)
            elif elem.tag == "layer" and elem.get("src") and not (self.skip_hidden and is_hidden):
                src = elem.get("src", "")
                if src not in self.sizes:
                    self.sizes[src] = image_size(self.archive, src, self.name, self.max_pixels)
                w, h = self.sizes[src]
                if crop_box(x, y, w, h, self.canvas) is None:
                    continue  # entirely off the canvas: never decoded
                self.planned[id(elem)] = _Plan(elem, x, y, (w, h))
                self.total += w * h

    def check_budget(self) -> None:
        budget = LAYER_PIXEL_BUDGET_FACTOR * self.max_pixels
        if self.total > budget:
            raise ArtworkError(
                f"'{self.name}' is too large to read layer by layer: its {len(self.planned)} layers would decode "
                f"{self.total / 1e6:,.0f} megapixels, more than the limit of {budget / 1e6:,.0f} megapixels "
                "(the file is damaged or malicious, or far too large).",
                "Save it with a merged image (Krita and MyPaint do), merge some layers, or export it as PNG.",
            )

    def build(self, stack: ET.Element, dx: int, dy: int, depth: int) -> list[Node]:
        out: list[Node] = []
        for elem in reversed(list(stack)):  # the file lists the top first
            node = self.node(elem, dx, dy, depth)
            if node is not None:
                out.append(node)
        return out

    def _blend(self, elem: ET.Element, label: str) -> str:
        op = elem.get("composite-op", "svg:src-over")
        if op not in _OPS:
            self.approximated.append(label)
            return "normal"
        return _OPS[op]

    def node(self, elem: ET.Element, dx: int, dy: int, depth: int) -> Node | None:
        label = elem.get("name") or Path(elem.get("src", "")).stem or "Layer"
        visible = elem.get("visibility", "visible") != "hidden"
        opacity = clamp_opacity(_number(elem.get("opacity"), 1.0))
        if elem.tag == "stack":
            x, y = dx + int(_number(elem.get("x"), 0)), dy + int(_number(elem.get("y"), 0))
            children = self.build(elem, x, y, depth + 1)
            blend = self._blend(elem, label)
            isolated = elem.get("isolation") == "isolate" or opacity < 1.0 or blend != "normal"
            return Group(label, tuple(children), opacity, blend if isolated else PASS_THROUGH, visible)
        plan = self.planned.get(id(elem))
        if elem.tag != "layer" or plan is None:
            return None
        self.cancel.raise_if_cancelled()
        image = decode_image(self.archive, elem.get("src", ""), self.name, self.max_pixels)
        box = crop_box(plan.x, plan.y, image.width, image.height, self.canvas)
        if box is None:
            return None
        part = rgba_array(image.crop(box))
        del image  # the layer's full decode is not kept beside its crop
        self.cancel.raise_if_cancelled()
        return Layer(
            label, part, plan.x + box[0], plan.y + box[1], opacity, self._blend(elem, label), visible
        )
