"""A `LayerStack` in the project file, so a layered project reopens without its source file.

Two tables (schema version 3, project_db.py): `layer_stack` holds one JSON row describing the tree (names,
offsets, opacity, blend, flags, and for each image its index and declared size), `layer_images` one PNG
per layer or mask image. Why PNG and JSON: lossless and compressed, read by code that never executes
what it reads (no pickle), and a PNG states its size in its header, so every image is checked against
its declared size, and the declared sizes against the layer pixel budget, before anything is inflated.
The merged image is not stored twice: when the stack has one it is the artwork's own image.

A damaged stack never locks the user out of a project: `load_stack` raises ValueError and the caller
opens the artwork without layers.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.layers import (
    LAYER_PIXEL_BUDGET_FACTOR,
    MAX_GROUP_DEPTH,
    MAX_STACK_LAYERS,
    Group,
    Layer,
    LayerStack,
    Mask,
    Node,
)

FORMAT = 1
MAX_META_BYTES = 16 * 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_TYPES = {4: 6, 1: 0}  # channels -> PNG colour type (RGBA, greyscale)


def _encode(pixels: np.ndarray) -> bytes:
    import cv2

    px = np.ascontiguousarray(pixels, dtype=np.uint8)
    bgra = cv2.cvtColor(px, cv2.COLOR_RGBA2BGRA) if px.ndim == 3 else px
    ok, data = cv2.imencode(".png", bgra, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("a layer could not be encoded as PNG")
    return bytes(data.tobytes())


def _decode(data: object, width: int, height: int, channels: int) -> np.ndarray:
    """A stored image, its PNG header checked against the declared size and kind before decoding."""
    import cv2

    if not isinstance(data, bytes) or len(data) < 26:
        raise ValueError("a layer image is missing or damaged")
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("a layer image is not a PNG")
    w, h, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    if (w, h) != (width, height) or depth != 8 or colour_type != _PNG_COLOUR_TYPES[channels]:
        raise ValueError(f"a layer image is {w}x{h} (type {colour_type}) instead of {width}x{height}")
    out = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if out is None or out.shape[:2] != (height, width):
        raise ValueError("a layer image does not decode")
    return np.ascontiguousarray(cv2.cvtColor(out, cv2.COLOR_BGRA2RGBA) if channels == 4 else out)


# ---------------------------------------------------------------------------------------------- saving


@dataclass(frozen=True)
class EncodedStack:
    """A stack as the project file stores it: the tree as JSON and one PNG per image. Encoding (seconds
    for a large stack) is apart from writing so that it runs outside the file's write lock, and on the
    worker (the UI writes a new project's layers there after creating the file)."""

    meta: str
    images: tuple[bytes, ...]


def encode_stack(stack: LayerStack, merged_is_artwork: bool) -> EncodedStack:
    """The stack's JSON row and PNG images."""
    images: list[bytes] = []

    def image(pixels: np.ndarray) -> dict[str, int]:
        h, w = int(pixels.shape[0]), int(pixels.shape[1])
        if w == 0 or h == 0:
            return {"w": 0, "h": 0, "image": -1}
        images.append(_encode(pixels))
        return {"w": w, "h": h, "image": len(images) - 1}

    def mask(m: Mask | None) -> dict[str, Any] | None:
        if m is None:
            return None
        return {"x": m.x, "y": m.y, "default": m.default, **image(m.pixels)}

    def node(n: Node) -> dict[str, Any]:
        common = {
            "name": n.name,
            "opacity": n.opacity,
            "blend": n.blend,
            "visible": n.visible,
            "clipping": n.clipping,
            "mask": mask(n.mask),
        }
        if isinstance(n, Group):
            return {"type": "group", **common, "children": [node(c) for c in n.children]}
        return {"type": "layer", **common, "x": n.x, "y": n.y, "kind": n.kind, **image(n.pixels)}

    meta = {
        "format": FORMAT,
        "width": stack.width,
        "height": stack.height,
        "source_format": stack.source_format,
        "approximated": list(stack.approximated),
        "notes": list(stack.notes),
        "merged": "artwork" if stack.merged is not None and merged_is_artwork else None,
        "children": [node(c) for c in stack.children],
    }
    return EncodedStack(json.dumps(meta), tuple(images))


def write_stack(conn: sqlite3.Connection, encoded: EncodedStack) -> None:
    """Write an encoded stack (inside the caller's transaction), replacing any stored one."""
    conn.execute("DELETE FROM layer_stack")
    conn.execute("DELETE FROM layer_images")
    conn.execute("INSERT INTO layer_stack (id, meta) VALUES (1, ?)", (encoded.meta,))
    conn.executemany("INSERT INTO layer_images (idx, png) VALUES (?, ?)", list(enumerate(encoded.images)))


# --------------------------------------------------------------------------------------------- loading


def load_stack(conn: sqlite3.Connection, artwork_pixels: np.ndarray, max_pixels: int) -> LayerStack | None:
    """The stored stack, or None when the project has none. ValueError when it is damaged: sizes are
    checked (declared sizes against the budget, each PNG header against its declared size) before any
    image is inflated."""
    row = conn.execute("SELECT meta FROM layer_stack WHERE id = 1").fetchone()
    if row is None:
        return None
    text = row[0]
    if not isinstance(text, str) or len(text) > MAX_META_BYTES:
        raise ValueError("the layer list is not a short text")
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"the layer list is not JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("the layer list has an unknown format")
    width, height = _int(meta.get("width")), _int(meta.get("height"))
    if (height, width) != artwork_pixels.shape[:2]:
        raise ValueError("the layer stack and the artwork differ in size")
    children = meta.get("children")
    if not isinstance(children, list):
        raise ValueError("the layer list has no layers")
    budget = _Budget(LAYER_PIXEL_BUDGET_FACTOR * max_pixels - width * height)
    _measure(children, budget, 0)
    rows = {int(i): png for i, png in conn.execute("SELECT idx, png FROM layer_images")}
    nodes = tuple(_node(c, rows) for c in children)
    merged = artwork_pixels if meta.get("merged") == "artwork" else None
    return LayerStack(
        width,
        height,
        nodes,
        merged,
        str(meta.get("source_format", "")),
        tuple(str(a) for a in meta.get("approximated", [])),
        tuple(str(a) for a in meta.get("notes", [])),
    )


class _Budget:
    def __init__(self, pixels: int) -> None:
        self.pixels = pixels
        self.layers = 0


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 10**9:
        raise ValueError(f"{value!r} is not a size or an offset")
    return value


def _measure(nodes: list[Any], budget: _Budget, depth: int) -> None:
    """Declared sizes against the budget, before any image is decoded."""
    if depth > MAX_GROUP_DEPTH:
        raise ValueError("the layer groups are nested too deep")
    for n in nodes:
        if not isinstance(n, dict):
            raise ValueError("a layer entry is not an object")
        budget.layers += 1
        if budget.layers > MAX_STACK_LAYERS:
            raise ValueError("too many layers")
        for item in (n, n.get("mask") or {}):
            if "w" in item:
                budget.pixels -= _int(item["w"]) * _int(item["h"])
        if budget.pixels < 0:
            raise ValueError("the layers are larger than any stack may be")
        if n.get("type") == "group":
            children = n.get("children")
            if not isinstance(children, list):
                raise ValueError("a group has no children list")
            _measure(children, budget, depth + 1)


def _image(item: dict[str, Any], rows: dict[int, object], channels: int) -> np.ndarray:
    w, h, index = _int(item.get("w")), _int(item.get("h")), _int(item.get("image"))
    if w == 0 or h == 0:
        return np.zeros((0, 0, channels) if channels == 4 else (0, 0), np.uint8)
    return _decode(rows.get(index), w, h, channels)


def _node(n: dict[str, Any], rows: dict[int, object]) -> Node:
    m = n.get("mask")
    mask = None
    if isinstance(m, dict):
        mask = Mask(_image(m, rows, 1), _int(m.get("x")), _int(m.get("y")), _int(m.get("default")))
    name, opacity, blend = n.get("name"), n.get("opacity"), n.get("blend")
    if not isinstance(name, str) or not isinstance(opacity, (int, float)) or not isinstance(blend, str):
        raise ValueError("a layer entry is damaged")
    visible, clipping = bool(n.get("visible", True)), bool(n.get("clipping", False))
    if n.get("type") == "group":
        children = tuple(_node(c, rows) for c in n["children"])
        return Group(name, children, float(opacity), blend, visible, clipping, mask)
    if n.get("type") != "layer":
        raise ValueError("a layer entry has an unknown type")
    pixels = _image(n, rows, 4)
    kind = str(n.get("kind", "pixel"))
    return Layer(
        name, pixels, _int(n.get("x")), _int(n.get("y")), float(opacity), blend, visible, clipping, mask, kind
    )
