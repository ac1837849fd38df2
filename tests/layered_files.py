"""Test helpers that write layered files with a known stack: PSD through psd-tools (which stores its own
composite as the merged image), OpenRaster and Krita by hand (the formats are a zip of XML and images)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

PSD_BLENDS = {
    "normal": "NORMAL",
    "multiply": "MULTIPLY",
    "screen": "SCREEN",
    "overlay": "OVERLAY",
    "darken": "DARKEN",
    "lighten": "LIGHTEN",
    "color_dodge": "COLOR_DODGE",
    "color_burn": "COLOR_BURN",
    "hard_light": "HARD_LIGHT",
    "soft_light": "SOFT_LIGHT",
    "linear_dodge": "LINEAR_DODGE",
    "difference": "DIFFERENCE",
    "hue": "HUE",
    "saturation": "SATURATION",
    "color": "COLOR",
    "luminosity": "LUMINOSITY",
}


def gradient_rgba(w: int, h: int, seed: int, alpha: bool = True) -> np.ndarray:
    """A smooth, varied RGBA patch (alpha ramps when `alpha`), deterministic per seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty((h, w, 4), np.float32)
    for c in range(3):
        a, b, p = rng.uniform(0.02, 0.2, 3)
        out[..., c] = 0.5 + 0.45 * np.sin(a * xx + b * yy + p * 6)
    out[..., 3] = np.clip(0.2 + xx / max(w - 1, 1) * 0.8, 0, 1) if alpha else 1.0
    return np.rint(out * 255).astype(np.uint8)


@dataclass
class Spec:
    """A layer (pixels given) or a group (children given), bottom first like the compositor."""

    name: str
    pixels: np.ndarray | None = None
    x: int = 0
    y: int = 0
    opacity: int = 255
    blend: str = "normal"
    visible: bool = True
    clipping: bool = False
    mask: tuple[np.ndarray, int, int] | None = None
    children: list[Spec] = field(default_factory=list)
    pass_through: bool = True
    group: bool = False


def write_psd(
    path: Path, size: tuple[int, int], layers: list[Spec], depth: int = 8, psb: bool = False
) -> Path:
    from psd_tools import PSDImage
    from psd_tools.constants import BlendMode

    psd = PSDImage.new("RGBA", size, color=(255, 255, 255, 0), depth=depth)
    if psb:  # psd-tools writes PSB (version 2) only past 30000 px; set before any layer is added
        psd._record.header.version = 2

    def add(parent: object, spec: Spec) -> None:
        if spec.group:
            blend = BlendMode.PASS_THROUGH if spec.pass_through else BlendMode[PSD_BLENDS[spec.blend]]
            group = parent.create_group(name="group", opacity=spec.opacity, blend_mode=blend)  # type: ignore[attr-defined]
            for child in spec.children:
                add(group, child)
            layer = group
        else:
            assert spec.pixels is not None
            layer = parent.create_pixel_layer(  # type: ignore[attr-defined]
                Image.fromarray(spec.pixels, "RGBA"),
                name="layer",  # the Pascal name is MacRoman: the real (Unicode) name is set below
                top=spec.y,
                left=spec.x,
                opacity=spec.opacity,
                blend_mode=BlendMode[PSD_BLENDS[spec.blend]],
            )
        layer.name = spec.name
        layer.visible = spec.visible
        layer.clipping = spec.clipping
        if spec.mask is not None:
            pixels, mx, my = spec.mask
            layer.create_mask(Image.fromarray(pixels, "L"), top=my, left=mx)

    for spec in layers:
        add(psd, spec)
    psd.save(path)
    return path


def png_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


ORA_OPS = {"normal": "svg:src-over", "linear_dodge": "svg:plus"}


def write_ora(
    path: Path, size: tuple[int, int], layers: list[Spec], merged: np.ndarray | None = None
) -> Path:
    members: dict[str, bytes] = {}

    def xml(spec: Spec) -> str:
        op = ORA_OPS.get(spec.blend, "svg:" + spec.blend.replace("_", "-"))
        common = (
            f'name="{spec.name}" opacity="{spec.opacity / 255}" composite-op="{op}" '
            f'visibility="{"visible" if spec.visible else "hidden"}"'
        )
        if spec.group:
            inner = "".join(xml(c) for c in reversed(spec.children))
            isolation = "auto" if spec.pass_through else "isolate"
            return f'<stack {common} isolation="{isolation}">{inner}</stack>'
        src = f"data/{len(members)}.png"
        assert spec.pixels is not None
        members[src] = png_bytes(spec.pixels)
        return f'<layer {common} src="{src}" x="{spec.x}" y="{spec.y}"/>'

    body = "".join(xml(s) for s in reversed(layers))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "image/openraster", compress_type=zipfile.ZIP_STORED)
        zf.writestr("stack.xml", f'<image w="{size[0]}" h="{size[1]}"><stack>{body}</stack></image>')
        for name, data in members.items():
            zf.writestr(name, data)
        if merged is not None:
            zf.writestr("mergedimage.png", png_bytes(merged))
    return path


def lzf_literals(data: bytes) -> bytes:
    """LZF a decoder must read: runs of 4+ equal bytes as a back-reference at distance 1 (after one
    literal), everything else as literal runs of up to 32 bytes."""
    out = bytearray()
    literal = bytearray()

    def flush() -> None:
        for k in range(0, len(literal), 32):
            chunk = literal[k : k + 32]
            out.extend(bytes([len(chunk) - 1]) + chunk)
        literal.clear()

    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 265:
            run += 1
        if run >= 4:
            literal.append(data[i])
            flush()
            n = run - 1 - 2  # copy run - 1 bytes from distance 1
            out.extend(bytes([n << 5, 0]) if n < 7 else bytes([7 << 5, n - 7, 0]))
            i += run
        else:
            literal.extend(data[i : i + run])
            i += run
    flush()
    return bytes(out)


def kra_tiles(pixels: np.ndarray, compress: bool = True, pixel_size: int = 4) -> bytes:
    """A Krita tile file for (h, w, 4) uint8 RGBA pixels at the layer origin."""
    h, w = pixels.shape[:2]
    tiles = []
    for ty in range(0, h, 64):
        for tx in range(0, w, 64):
            tile = np.zeros((64, 64, 4), np.uint8)
            part = pixels[ty : ty + 64, tx : tx + 64]
            tile[: part.shape[0], : part.shape[1]] = part
            bgra = tile[..., [2, 1, 0, 3]]
            if pixel_size == 8:
                planar = (np.moveaxis(bgra, -1, 0).astype("<u2") * 257).tobytes()
            else:
                planar = np.moveaxis(bgra, -1, 0).tobytes()
            payload = (b"\x01" + lzf_literals(planar)) if compress else (b"\x00" + planar)
            tiles.append(f"{tx},{ty},LZF,{len(payload)}\n".encode() + payload)
    head = f"VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE {pixel_size}\nDATA {len(tiles)}\n".encode()
    return head + b"".join(tiles)


KRA_OPS = {"color_dodge": "dodge", "color_burn": "burn", "difference": "diff", "luminosity": "luminize"}


def write_kra(
    path: Path,
    size: tuple[int, int],
    layers: list[Spec],
    merged: np.ndarray | None = None,
    colorspace: str = "RGBA",
    extra: dict[str, bytes] | None = None,
    compress: bool = True,
) -> Path:
    members: dict[str, bytes] = {}

    def xml(spec: Spec) -> str:
        fname = f"layer{len(members) + 2}"
        common = (
            f'name="{spec.name}" filename="{fname}" opacity="{spec.opacity}" visible="{int(spec.visible)}" '
            f'compositeop="{KRA_OPS.get(spec.blend, spec.blend)}" x="{spec.x}" y="{spec.y}" colorspacename="{colorspace}"'
        )
        if spec.group:
            members[fname] = b""
            inner = "".join(xml(c) for c in reversed(spec.children))
            return f'<layer nodetype="grouplayer" passthrough="{int(spec.pass_through)}" {common}><layers>{inner}</layers></layer>'
        assert spec.pixels is not None
        members[fname] = kra_tiles(spec.pixels, compress, pixel_size=8 if colorspace == "RGBA16" else 4)
        return f'<layer nodetype="paintlayer" {common}/>'

    body = "".join(xml(s) for s in reversed(layers))
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><DOC syntaxVersion="2">'
        f'<IMAGE name="doc" width="{size[0]}" height="{size[1]}" colorspacename="{colorspace}" mime="application/x-kra">'
        f"<layers>{body}</layers></IMAGE></DOC>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/x-krita", compress_type=zipfile.ZIP_STORED)
        zf.writestr("maindoc.xml", doc)
        for name, data in members.items():
            if data:
                zf.writestr(f"doc/layers/{name}", data)
        if merged is not None:
            zf.writestr("mergedimage.png", png_bytes(merged))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path
