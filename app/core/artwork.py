"""Artwork: the finished image a process is reconstructed for, and how it is loaded.

`load_artwork` is the only way files become an `Artwork`. It checks the pixel count from the file header
BEFORE decoding (a 30000x30000 PNG is a few hundred bytes on disk and 2.7 GB decoded), flattens alpha onto
white (a transparent background is a white canvas to a painter), applies EXIF orientation, converts every
mode (16-bit, palette, CMYK, greyscale, float) to RGB uint8, and turns every decoder failure into an
`ArtworkError` that says what is wrong and what to do. Layered OpenRaster and PSD files are flattened and
their layer names (bottom-to-top) kept as a hint for the process. Files Pillow has no mode for (16/32-bit
PSD, floating-point TIFF) are read by `app.core.deep_formats`.

A layer stack is bounded as a whole, not only image by image: an OpenRaster file without a merged image
may decode and composite at most LAYER_PIXEL_BUDGET_FACTOR x max_pixels in all (canvas included), measured
from the layers' headers before the first layer is decoded (a 1.3 KB .ora whose 1000 layers all point at
one 9999x9999 PNG asks for 100 gigapixels), and a cancel token is checked between layers. A PSD needs no
such budget: both of its readers take the composite the file stores and never composite its layers.
"""

from __future__ import annotations

import hashlib
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.deep_formats import probe_deep, read_deep
from app.core.pixel_modes import to_rgb_array
from app.errors import ArtworkError, UndoStudioError

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".ora", ".psd"}
)
DEFAULT_MAX_PIXELS = 100_000_000
# Pillow formats we accept by content (a .png that is really a JPEG still loads).
_ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP", "DIB", "TIFF", "GIF", "PSD"})
_RE_EXPORT_HINT = "Open it in your painting app and export it again as PNG."
# OpenRaster is a zip: read nothing whose size is not bounded first (a 2 MB zip can hold 2 GB of zeros).
MAX_STACK_XML_BYTES = 16 * 1024 * 1024  # ~100 bytes a layer: room for 150000 layers
MAX_ORA_LAYERS = 1000  # composited one by one when the file has no merged image
# Pixels a flattened layer stack may decode and composite in all (canvas included), as a multiple of the
# single-image limit: 4 x 100 MP is 25 full layers of a 4096x4096 canvas, each checked from its header.
LAYER_PIXEL_BUDGET_FACTOR = 4


@dataclass(frozen=True, eq=False)
class Artwork:
    """An RGB uint8 image (H, W, 3), C-contiguous, read-only, plus where it came from."""

    pixels: np.ndarray
    source: Path | None = None
    layer_names: tuple[str, ...] = ()  # bottom-to-top layer order of layered files, a process hint
    content_hash: str = field(default="")

    def __post_init__(self) -> None:
        px = np.ascontiguousarray(self.pixels, dtype=np.uint8)
        if px.ndim != 3 or px.shape[2] != 3:
            raise ValueError(f"artwork pixels must be (H, W, 3), got {px.shape}")
        px.setflags(write=False)
        object.__setattr__(self, "pixels", px)
        if not self.content_hash:
            h = hashlib.sha256(f"{px.shape}".encode())
            h.update(px.tobytes())
            object.__setattr__(self, "content_hash", h.hexdigest()[:16])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @staticmethod
    def from_array(pixels: np.ndarray, source: Path | None = None) -> Artwork:
        return Artwork(pixels=pixels, source=source)


# ---------------------------------------------------------------------------------------------- loading


def load_artwork(
    path: Path,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Artwork:
    """Load an image file as an `Artwork`. Raises `ArtworkError` (never a PIL/OS/Value error), or
    `CancelledError` when `cancel` is set while a layer stack is being flattened."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if not path.exists():
            raise ArtworkError(f"'{path}' does not exist.", "Check the file name and folder, then try again.")
        if path.is_dir():
            raise ArtworkError(f"'{path}' is a folder, not an image file.", "Choose an image file inside it.")
        if not path.is_file():  # a pipe or a device: reading it could block forever or never end
            raise ArtworkError(f"'{path}' is not a regular file.", "Choose an image file.")
        size = path.stat().st_size
        if size == 0:
            raise ArtworkError(
                f"'{name}' is empty (0 bytes).", "The file was not saved completely; " + _RE_EXPORT_HINT
            )
        cancel.raise_if_cancelled()
        if path.suffix.lower() == ".ora":
            pixels, layers = _load_ora(path, max_pixels, cancel)
        elif (deep := probe_deep(path)) is not None:
            _check_pixels(name, deep.width, deep.height, max_pixels)
            pixels, layers = read_deep(path, deep, name)
        else:
            pixels, layers = _load_with_pillow(path, max_pixels)
        return Artwork(pixels=pixels, source=path, layer_names=layers)
    except UndoStudioError:  # ArtworkError, or CancelledError from `cancel`
        raise
    except MemoryError as exc:
        raise ArtworkError(
            f"Not enough memory to open '{name}'.", "Use a smaller image or close other apps."
        ) from exc
    except PermissionError as exc:
        raise ArtworkError(f"No permission to read '{name}'.", "Check the file's permissions.") from exc
    except Exception as exc:  # noqa: BLE001 - decoders raise anything; the user gets one clear error
        raise ArtworkError(f"'{name}' could not be read as an image ({exc}).", _RE_EXPORT_HINT) from exc


def _check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ArtworkError(
            f"'{name}' says it is {width}x{height} pixels, which is not a valid image.", _RE_EXPORT_HINT
        )
    if width * height > max_pixels:
        raise ArtworkError(
            f"'{name}' is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), more than the "
            f"limit of {max_pixels / 1e6:.0f} megapixels.",
            "Scale it down in your painting app (about 2048 pixels on the long side is plenty) and try again.",
        )


def _open_checked(fp: Path | IO[bytes], name: str, max_pixels: int) -> Image.Image:
    """Open lazily (header only), check the size, and only then decode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(fp)
        except Image.DecompressionBombError as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f" ({int(found.group(1)) / 1e6:.0f} megapixels)" if found else ""
            raise ArtworkError(
                f"'{name}' is far too large to open safely{size}; the limit is {max_pixels / 1e6:.0f} megapixels.",
                "Scale it down in your painting app (about 2048 pixels on the long side is plenty) and try again.",
            ) from exc
        except UnidentifiedImageError as exc:
            raise ArtworkError(
                f"'{name}' is not an image format Undo Studio can read (or it is damaged).",
                "Supported: PNG, JPEG, WebP, BMP, TIFF, OpenRaster (.ora) and PSD. " + _RE_EXPORT_HINT,
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ArtworkError(f"'{name}' is damaged ({exc}).", _RE_EXPORT_HINT) from exc
    if im.format not in _ACCEPTED_FORMATS:
        raise ArtworkError(f"'{name}' is a {im.format} file, which is not supported.", _RE_EXPORT_HINT)
    _check_pixels(name, im.width, im.height, max_pixels)
    return im


def _decode(im: Image.Image, name: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im.load()  # animated files: a freshly opened image is on its first frame
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            text = str(exc)
            what = "is cut off (truncated)" if "truncat" in text.lower() else f"is damaged ({text})"
            raise ArtworkError(
                f"'{name}' {what}.",
                "Copy or download it again, or open it in your painting app and export it again as PNG.",
            ) from exc
    return im


def _load_with_pillow(path: Path, max_pixels: int) -> tuple[np.ndarray, tuple[str, ...]]:
    name = path.name
    with _open_checked(path, name, max_pixels) as im:
        layers: tuple[str, ...] = ()
        if im.format == "PSD":
            try:
                layers = tuple(str(layer[0]) for layer in im.layers)  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001
                raise ArtworkError(
                    f"The layers of '{name}' could not be read ({exc}).", _RE_EXPORT_HINT
                ) from exc
        _decode(im, name)
        oriented = ImageOps.exif_transpose(im) if im.format in {"JPEG", "MPO", "TIFF", "WEBP", "PNG"} else im
        return to_rgb_array(oriented), layers


# ------------------------------------------------------------------------------------------- OpenRaster


def _load_ora(path: Path, max_pixels: int, cancel: CancelToken) -> tuple[np.ndarray, tuple[str, ...]]:
    """OpenRaster: a zip with stack.xml (layers, top first) and usually mergedimage.png.

    Hostile zips are expected: stack.xml is read only if its declared size is sane, images are decoded
    straight from the zip stream after their header passed the pixel limit (never read whole into
    memory, so a 'PNG' of 2 GB of zeros costs nothing), and without a merged image at most
    MAX_ORA_LAYERS layers are composited, each only where it overlaps the canvas, and only when all of
    them together fit the layer pixel budget (see `_plan_ora_stack`)."""
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ArtworkError(
            f"'{name}' is not a valid OpenRaster file (damaged zip).", _RE_EXPORT_HINT
        ) from exc
    with archive:
        try:
            stack_info = archive.getinfo("stack.xml")
        except KeyError as exc:
            raise ArtworkError(
                f"'{name}' has no stack.xml, so it is not an OpenRaster file.", _RE_EXPORT_HINT
            ) from exc
        if stack_info.file_size > MAX_STACK_XML_BYTES:
            raise ArtworkError(
                f"The stack.xml inside '{name}' is {stack_info.file_size / 1e6:.0f} MB, far too large to be "
                "a layer list (the file is damaged or malicious).",
                _RE_EXPORT_HINT,
            )
        try:
            root = ET.fromstring(archive.read(stack_info))
        except ET.ParseError as exc:
            raise ArtworkError(f"The stack.xml inside '{name}' is damaged ({exc}).", _RE_EXPORT_HINT) from exc
        width, height = int(float(root.get("w", "0"))), int(float(root.get("h", "0")))
        if width or height or "mergedimage.png" not in archive.namelist():
            _check_pixels(name, width, height, max_pixels)
        layer_elems = [e for e in root.iter("layer") if e.get("src")]  # document order = top first
        layer_names = tuple(e.get("name") or Path(e.get("src", "")).stem for e in reversed(layer_elems))
        if "mergedimage.png" in archive.namelist():
            pixels = _ora_png(archive, "mergedimage.png", name, max_pixels)
            return to_rgb_array(pixels), layer_names
        visible = [e for e in reversed(layer_elems) if e.get("visibility", "visible") != "hidden"]
        if len(visible) > MAX_ORA_LAYERS:
            raise ArtworkError(
                f"'{name}' has {len(visible)} visible layers and no merged image; Undo Studio flattens at "
                f"most {MAX_ORA_LAYERS}.",
                "Merge some layers (or save with a merged image) in your painting app, or export it as PNG.",
            )
        plan = _plan_ora_stack(archive, visible, (width, height), name, max_pixels, cancel)
        canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
        for elem, (x, y) in plan:  # bottom first
            cancel.raise_if_cancelled()
            layer = _ora_png(archive, elem.get("src", ""), name, max_pixels)
            left, top = max(x, 0), max(y, 0)
            right, bottom = min(x + layer.width, width), min(y + layer.height, height)
            part = layer.crop((left - x, top - y, right - x, bottom - y)).convert("RGBA")
            del layer  # the layer's full decode is not kept beside the canvas
            opacity = float(elem.get("opacity", "1"))
            opacity = min(max(opacity, 0.0), 1.0) if opacity == opacity else 1.0  # NaN: as written
            if opacity < 1.0:
                alpha = part.getchannel("A").point(lambda a, o=opacity: round(a * o))
                part.putalpha(alpha)
            canvas.alpha_composite(part, dest=(left, top))
        cancel.raise_if_cancelled()
        return to_rgb_array(canvas), layer_names


def _plan_ora_stack(
    archive: zipfile.ZipFile,
    visible: list[ET.Element],
    canvas: tuple[int, int],
    name: str,
    max_pixels: int,
    cancel: CancelToken,
) -> list[tuple[ET.Element, tuple[int, int]]]:
    """The layers to composite (bottom first) with their offsets, from their headers alone.

    Every layer's PNG header is read (each distinct member once) before any layer is decoded: a layer
    entirely off the canvas is dropped, and the pixels of the others plus the canvas must fit
    LAYER_PIXEL_BUDGET_FACTOR x max_pixels, or the file is refused without decoding anything."""
    width, height = canvas
    sizes: dict[str, tuple[int, int]] = {}
    plan: list[tuple[ET.Element, tuple[int, int]]] = []
    total = width * height
    for elem in visible:
        cancel.raise_if_cancelled()
        src = elem.get("src", "")
        if src not in sizes:
            with _ora_stream(archive, src, name) as stream:
                with _open_checked(stream, f"{name}/{src}", max_pixels) as header:
                    sizes[src] = header.size
        layer_w, layer_h = sizes[src]
        x, y = int(float(elem.get("x", "0"))), int(float(elem.get("y", "0")))
        if min(x + layer_w, width) <= max(x, 0) or min(y + layer_h, height) <= max(y, 0):
            continue  # entirely off the canvas: never decoded
        plan.append((elem, (x, y)))
        total += layer_w * layer_h
    budget = LAYER_PIXEL_BUDGET_FACTOR * max_pixels
    if total > budget:
        raise ArtworkError(
            f"'{name}' has no merged image, and flattening its {len(plan)} layers would decode "
            f"{total / 1e6:,.0f} megapixels, more than the limit of {budget / 1e6:,.0f} megapixels "
            "(the file is damaged or malicious, or far too large).",
            "Save it with a merged image (Krita and MyPaint do), merge some layers, or export it as PNG.",
        )
    return plan


def _ora_stream(archive: zipfile.ZipFile, member: str, name: str) -> IO[bytes]:
    try:
        return archive.open(member)
    except KeyError as exc:
        raise ArtworkError(f"'{name}' refers to a missing layer '{member}'.", _RE_EXPORT_HINT) from exc


def _ora_png(archive: zipfile.ZipFile, member: str, name: str, max_pixels: int) -> Image.Image:
    """Decode one image of the zip from its stream: the header is checked against the pixel limit before
    any pixel is decoded, and decoding stops once the image is full however large the member claims."""
    label = f"{name}/{member}"
    with _ora_stream(archive, member, name) as stream:
        im = _open_checked(stream, label, max_pixels)
        return _decode(im, label)


# ------------------------------------------------------------------------------------------------ sizing


def fit_within(artwork: Artwork, max_side: int) -> Artwork:
    """Downscale (INTER_AREA, aspect kept) so the long side is at most `max_side`; identity when small."""
    if max_side <= 0:
        raise ValueError(f"max_side must be positive, got {max_side}")
    long_side = max(artwork.width, artwork.height)
    if long_side <= max_side:
        return artwork
    import cv2  # deferred: keeps `import app.core.artwork` cheap

    scale = max_side / long_side
    size = (max(1, round(artwork.width * scale)), max(1, round(artwork.height * scale)))
    pixels = cv2.resize(np.asarray(artwork.pixels), size, interpolation=cv2.INTER_AREA)
    return Artwork(pixels=pixels, source=artwork.source, layer_names=artwork.layer_names)
