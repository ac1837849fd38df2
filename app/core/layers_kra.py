"""Read a Krita (.kra) layer stack: maindoc.xml (the tree, top first), one tiled pixel file per paint layer,
and mergedimage.png.

Why our own reader: the one Python reader on PyPI (krita4python 0.1.x) was a single young release with no
track record when this was written, and python-lzf ships no wheels; the format is small. Facts used:
a paint layer's file is text lines "VERSION 2", "TILEWIDTH 64", "TILEHEIGHT 64", "PIXELSIZE n",
"DATA count", then per tile a line "x,y,LZF,size" and `size` bytes: a flag byte (1 = LZF-compressed,
0 = stored) and the tile's pixels, planar (all of channel 0, then channel 1...), channels in B, G, R, A
order, each sample little-endian. Tile x/y are in the layer's coordinates; the layer's x/y attributes
move it on the canvas.

Read: paint layers in 8- and 16-bit RGBA, groups (pass-through too), opacity, visibility, blend modes.
Named in `approximated` (the merged image still shows them): other layer kinds (vector, filter, fill,
file, clone), masks, inherit-alpha and unknown blend modes. Other colour spaces fall back to the merged
image. The limits are those of the OpenRaster reader: tile headers are read before any tile is decoded,
tiles off the canvas are skipped, the on-canvas tiles must fit the layer pixel budget.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from app.core.cancel import CancelToken
from app.core.decode_checks import RE_EXPORT_HINT, check_pixels
from app.core.layer_zip import member_stream, merged_rgb, open_zip, read_xml, safe_member
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
)
from app.errors import ArtworkError

TILE = 64
_PIXEL_SIZES = {"RGBA": 4, "RGBA16": 8}
_OPS = {
    "normal": "normal",
    "multiply": "multiply",
    "screen": "screen",
    "overlay": "overlay",
    "darken": "darken",
    "lighten": "lighten",
    "dodge": "color_dodge",
    "burn": "color_burn",
    "hard_light": "hard_light",
    "soft_light": "soft_light",
    "soft_light_svg": "soft_light",
    "linear_dodge": "linear_dodge",
    "add": "linear_dodge",
    "diff": "difference",
    "hue": "hue",
    "saturation": "saturation",
    "color": "color",
    "luminize": "luminosity",
}
_MAX_LINE = 256


def lzf_decompress(data: bytes, size: int) -> bytes:
    """LZF (liblzf's format): control byte < 32 = that many + 1 literal bytes; otherwise a back-reference
    of (ctrl >> 5) + 2 bytes (7: plus the next byte) at distance ((ctrl & 31) << 8) + next byte + 1.
    ValueError when the stream is damaged or would exceed `size`."""
    out = bytearray()
    ip, end = 0, len(data)
    while ip < end:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:
            n = ctrl + 1
            if ip + n > end or len(out) + n > size:
                raise ValueError("literal run past the end")
            out += data[ip : ip + n]
            ip += n
            continue
        n = ctrl >> 5
        if n == 7:
            if ip >= end:
                raise ValueError("cut off")
            n += data[ip]
            ip += 1
        if ip >= end:
            raise ValueError("cut off")
        dist = ((ctrl & 31) << 8) + data[ip] + 1
        ip += 1
        n += 2
        ref = len(out) - dist
        if ref < 0 or len(out) + n > size:
            raise ValueError("back-reference out of range")
        if dist >= n:
            out += out[ref : ref + n]
        else:  # overlapping copy: the last `dist` bytes repeat
            chunk = bytes(out[ref:])
            out += (chunk * (n // dist + 1))[:n]
    if len(out) != size:
        raise ValueError(f"{len(out)} bytes instead of {size}")
    return bytes(out)


@dataclass
class _Tiles:
    """A paint layer's tiles on the canvas, (x, y) in the layer's coordinates, read without decoding."""

    pixel_size: int
    tiles: list[tuple[int, int]] = field(default_factory=list)


def _read_line(stream: IO[bytes]) -> str:
    line = stream.readline(_MAX_LINE)
    if not line.endswith(b"\n"):
        raise ValueError("cut off or damaged header line")
    return line.decode("ascii", "replace").strip()


def _scan(
    stream: IO[bytes], canvas_box: tuple[int, int, int, int], decode: bool
) -> tuple[_Tiles, list[bytes]]:
    """Read a tile file's headers (and, with `decode`, the payloads of the tiles on `canvas_box`, given in
    the layer's coordinates). Payloads of other tiles are skipped in bounded reads."""
    header: dict[str, str] = {}
    while len(header) < 5:
        key, _, value = _read_line(stream).partition(" ")
        header[key] = value
        if key == "DATA":
            break
    if header.get("VERSION") != "2" or header.get("TILEWIDTH") != "64" or header.get("TILEHEIGHT") != "64":
        raise ValueError(f"unsupported tile format {header}")
    pixel_size = int(header.get("PIXELSIZE", "0"))
    count = int(header.get("DATA", "-1"))
    if pixel_size not in (4, 8) or not 0 <= count <= 1_000_000:
        raise ValueError(f"unsupported pixel size {pixel_size} or tile count {count}")
    tiles = _Tiles(pixel_size)
    payloads: list[bytes] = []
    raw = TILE * TILE * pixel_size
    limit = raw + raw // 32 + 2  # the flag byte, and LZF's worst case: one control byte per 32 literals
    left, top, right, bottom = canvas_box
    for _ in range(count):
        fields = _read_line(stream).split(",")
        if len(fields) != 4 or fields[2] != "LZF":
            raise ValueError(f"damaged tile header {fields!r}")
        x, y, size = int(fields[0]), int(fields[1]), int(fields[3])
        if not 0 < size <= limit:
            raise ValueError(f"tile of {size} bytes")
        on_canvas = x + TILE > left and x < right and y + TILE > top and y < bottom
        data = stream.read(size)
        if len(data) != size:
            raise ValueError("cut off tile")
        if on_canvas:
            tiles.tiles.append((x, y))
            if decode:
                payloads.append(data)
    return tiles, payloads


def _tile_pixels(payload: bytes, pixel_size: int) -> np.ndarray:
    """(64, 64, 4) uint8 RGBA of one tile payload."""
    raw_size = TILE * TILE * pixel_size
    body = payload[1:]
    raw = lzf_decompress(body, raw_size) if payload[0] == 1 else body
    if len(raw) != raw_size:
        raise ValueError("tile of the wrong size")
    if pixel_size == 4:
        planes = np.frombuffer(raw, np.uint8).reshape(4, TILE, TILE)
    else:
        wide = np.frombuffer(raw, "<u2").reshape(4, TILE, TILE)
        planes = ((wide.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return np.stack([planes[2], planes[1], planes[0], planes[3]], axis=-1)


def read_kra_stack(path: Path, max_pixels: int, cancel: CancelToken) -> LayerStack:
    name = path.name
    with open_zip(name, path, "Krita") as archive:
        root = read_xml(archive, "maindoc.xml", name, "it is not a Krita file")
        image = root.find("IMAGE")
        if image is None:
            raise ArtworkError(f"The maindoc.xml inside '{name}' has no image (damaged).", RE_EXPORT_HINT)
        try:
            width, height = int(image.get("width", "0")), int(image.get("height", "0"))
        except ValueError:
            width = height = 0
        check_pixels(name, width, height, max_pixels)
        merged = merged_rgb(archive, name, max_pixels, (width, height))
        reader = _KraReader(archive, name, image.get("name", ""), (width, height), max_pixels, cancel)

        def fallback(note: str) -> LayerStack:
            if merged is None:
                raise ArtworkError(
                    f"'{name}' cannot be shown: {note}, and it has no merged image.", RE_EXPORT_HINT
                )
            return LayerStack(width, height, (), merged, "kra", (), (note,))

        space = image.get("colorspacename", "RGBA")
        if space not in _PIXEL_SIZES:
            return fallback(f"its colour space is {space}, so it is shown as its merged image")
        layers = image.find("layers")
        count = sum(1 for _ in image.iter("layer"))
        if count > MAX_STACK_LAYERS:
            return fallback(f"it has {count} layers, more than {MAX_STACK_LAYERS}")
        try:
            reader.plan(layers, 0)
            reader.check_budget()
            children = reader.build(layers, 0)
        except ArtworkError as exc:
            if merged is None:
                raise
            return fallback(exc.message)
        if not reader.planned and merged is None:
            raise ArtworkError(f"'{name}' has no paint layers and no merged image.", RE_EXPORT_HINT)
        return LayerStack(width, height, tuple(children), merged, "kra", tuple(reader.approximated))


class _KraReader:
    def __init__(
        self,
        archive: zipfile.ZipFile,
        name: str,
        doc: str,
        canvas: tuple[int, int],
        max_pixels: int,
        cancel: CancelToken,
    ) -> None:
        self.archive = archive
        self.name = name
        self.doc = doc
        self.canvas = canvas
        self.max_pixels = max_pixels
        self.cancel = cancel
        self.planned: dict[int, int] = {}  # id(elem) -> tiles on the canvas
        self.total = canvas[0] * canvas[1]
        self.approximated: list[str] = []

    def _damaged(self, what: str, exc: Exception) -> ArtworkError:
        return ArtworkError(
            f"The layer '{what}' in '{self.name}' is cut off or damaged ({exc}).", RE_EXPORT_HINT
        )

    def _member(self, elem: ET.Element) -> str:
        return safe_member(self.name, f"{self.doc}/layers/{elem.get('filename', '')}")

    def _box(self, elem: ET.Element) -> tuple[int, int, int, int]:
        """The canvas in the layer's own coordinates."""
        x, y = _int(elem.get("x")), _int(elem.get("y"))
        return -x, -y, self.canvas[0] - x, self.canvas[1] - y

    def _children(self, layers: ET.Element | None, depth: int) -> list[ET.Element]:
        if depth > MAX_GROUP_DEPTH:
            raise ArtworkError(
                f"The groups of '{self.name}' are nested more than {MAX_GROUP_DEPTH} deep (damaged).",
                RE_EXPORT_HINT,
            )
        return [] if layers is None else [e for e in layers if e.tag == "layer"]

    def plan(self, layers: ET.Element | None, depth: int) -> None:
        for elem in self._children(layers, depth):
            self.cancel.raise_if_cancelled()
            kind = elem.get("nodetype", "")
            if kind == "grouplayer":
                self.plan(elem.find("layers"), depth + 1)
            elif kind == "paintlayer":
                label = elem.get("name", "")
                with member_stream(self.archive, self._member(elem), self.name) as stream:
                    try:
                        tiles, _ = _scan(stream, self._box(elem), decode=False)
                    except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
                        raise self._damaged(label, exc) from exc
                if tiles.tiles:
                    self.planned[id(elem)] = len(tiles.tiles)
                    self.total += len(tiles.tiles) * TILE * TILE

    def check_budget(self) -> None:
        budget = LAYER_PIXEL_BUDGET_FACTOR * self.max_pixels
        if self.total > budget:
            raise ArtworkError(
                f"'{self.name}' is too large to read layer by layer: its {len(self.planned)} layers would decode "
                f"{self.total / 1e6:,.0f} megapixels, more than the limit of {budget / 1e6:,.0f} megapixels "
                "(the file is damaged or malicious, or far too large).",
                "Merge some layers in Krita, or export it as PNG.",
            )

    def build(self, layers: ET.Element | None, depth: int) -> list[Node]:
        out: list[Node] = []
        for elem in reversed(self._children(layers, depth)):  # maindoc.xml lists the top first
            node = self.node(elem, depth)
            if node is not None:
                out.append(node)
        return out

    def node(self, elem: ET.Element, depth: int) -> Node | None:
        label = elem.get("name", "Layer")
        kind = elem.get("nodetype", "")
        opacity = clamp_opacity(_int(elem.get("opacity"), 255) / 255.0)
        visible = elem.get("visible", "1") != "0"
        op = elem.get("compositeop", "normal")
        blend = _OPS.get(op)
        if blend is None or elem.get("inheritalpha", "0") == "1" or elem.find("masks") is not None:
            self.approximated.append(label)
            blend = blend or "normal"
        if kind == "grouplayer":
            children = self.build(elem.find("layers"), depth + 1)
            mode = PASS_THROUGH if elem.get("passthrough", "0") == "1" else blend
            return Group(label, tuple(children), opacity, mode, visible)
        if kind != "paintlayer":
            self.approximated.append(label)
            return None
        if id(elem) not in self.planned:
            return None
        return Layer(label, *self.pixels(elem, label), opacity, blend, visible)

    def pixels(self, elem: ET.Element, label: str) -> tuple[np.ndarray, int, int]:
        self.cancel.raise_if_cancelled()
        x, y = _int(elem.get("x")), _int(elem.get("y"))
        try:
            with member_stream(self.archive, self._member(elem), self.name) as stream:
                tiles, payloads = _scan(stream, self._box(elem), decode=True)
            width, height = self.canvas
            xs = [tx + x for tx, _ in tiles.tiles]
            ys = [ty + y for _, ty in tiles.tiles]
            left, top = max(min(xs), 0), max(min(ys), 0)
            right, bottom = min(max(xs) + TILE, width), min(max(ys) + TILE, height)
            out = np.zeros((bottom - top, right - left, 4), np.uint8)
            for (tx, ty), payload in zip(tiles.tiles, payloads, strict=True):
                self.cancel.raise_if_cancelled()
                tile = _tile_pixels(payload, tiles.pixel_size)
                cx, cy = tx + x, ty + y
                l0, t0 = max(cx, left), max(cy, top)
                r0, b0 = min(cx + TILE, right), min(cy + TILE, bottom)
                out[t0 - top : b0 - top, l0 - left : r0 - left] = tile[t0 - cy : b0 - cy, l0 - cx : r0 - cx]
        except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self._damaged(label, exc) from exc
        return out, left, top


def _int(value: str | None, default: int = 0) -> int:
    try:
        number = int(float(value)) if value is not None else default
    except (ValueError, OverflowError):
        return default
    return max(min(number, 1_000_000_000), -1_000_000_000)
