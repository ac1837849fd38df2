"""Artwork: the finished image a process is reconstructed for, and how it is loaded.

`load_artwork` is the only way files become an `Artwork`. It checks the pixel count from the file header
BEFORE decoding (a 30000x30000 PNG is a few hundred bytes on disk and 2.7 GB decoded), flattens alpha onto
white (a transparent background is a white canvas to a painter), applies EXIF orientation, converts every
mode (16-bit, palette, CMYK, greyscale, float) to RGB uint8, and turns every decoder failure into an
`ArtworkError` that says what is wrong and what to do. Layered files (PSD/PSB, OpenRaster, Krita) are
read as a `LayerStack` (app/core/layer_files.py) kept on the artwork; its pixels are the file's own merged
image, or the stack composited when the file stores none. Files Pillow has no mode for (floating-point
TIFF, a 16/32-bit PSD under another suffix) are read by `app.core.deep_formats`.

A layer stack is bounded as a whole, not only image by image: its layers may decode at most
LAYER_PIXEL_BUDGET_FACTOR x max_pixels in all (canvas included), measured from the layers' headers before
the first layer is decoded (a 1.3 KB .ora whose 1000 layers all point at one 9999x9999 PNG asks for 100
gigapixels), and a cancel token is checked between layers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import ImageOps

from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.decode_checks import RE_EXPORT_HINT, check_pixels, decode, open_checked
from app.core.deep_formats import probe_deep, read_deep
from app.core.layer_files import LAYERED_SUFFIXES, read_layer_stack
from app.core.layers import LAYER_PIXEL_BUDGET_FACTOR, MAX_STACK_LAYERS, LayerStack
from app.core.pixel_modes import to_rgb_array
from app.errors import ArtworkError, UndoStudioError

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"} | LAYERED_SUFFIXES
)
DEFAULT_MAX_PIXELS = 100_000_000
MAX_ORA_LAYERS = MAX_STACK_LAYERS  # the name tests and callers knew
__all__ = ["LAYER_PIXEL_BUDGET_FACTOR", "MAX_ORA_LAYERS", "SUPPORTED_SUFFIXES", "Artwork", "load_artwork"]


@dataclass(frozen=True, eq=False)
class Artwork:
    """An RGB uint8 image (H, W, 3), C-contiguous, read-only, plus where it came from."""

    pixels: np.ndarray
    source: Path | None = None
    layer_names: tuple[str, ...] = ()  # bottom-to-top layer order of layered files, a process hint
    content_hash: str = field(default="")
    layers: LayerStack | None = None  # the layer stack of a layered file (PSD/PSB, ORA, KRA)

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

    @property
    def layered(self) -> bool:
        """It has a layer stack with at least one layer (a layered file not read flat)."""
        return self.layers is not None and bool(self.layers.layers())

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
                f"'{name}' is empty (0 bytes).", "The file was not saved completely; " + RE_EXPORT_HINT
            )
        cancel.raise_if_cancelled()
        if path.suffix.lower() in LAYERED_SUFFIXES:
            return _load_layered(path, max_pixels, cancel)
        if (deep := probe_deep(path)) is not None:
            check_pixels(name, deep.width, deep.height, max_pixels)
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
        raise ArtworkError(f"'{name}' could not be read as an image ({exc}).", RE_EXPORT_HINT) from exc


def _load_layered(path: Path, max_pixels: int, cancel: CancelToken) -> Artwork:
    """A layered file: its stack, and as pixels the file's own merged image (the truth for step 0) or,
    when it stores none, the stack composited."""
    stack = read_layer_stack(path, max_pixels, cancel)
    if stack.merged is not None:
        pixels = stack.merged
    else:
        from app.core.compositor import composite_rgb

        pixels = composite_rgb(stack, cancel)
    cancel.raise_if_cancelled()
    return Artwork(pixels=pixels, source=path, layer_names=stack.layer_names(), layers=stack)


def _load_with_pillow(path: Path, max_pixels: int) -> tuple[np.ndarray, tuple[str, ...]]:
    name = path.name
    with open_checked(path, name, max_pixels) as im:
        layers: tuple[str, ...] = ()
        decode(im, name)
        oriented = ImageOps.exif_transpose(im) if im.format in {"JPEG", "MPO", "TIFF", "WEBP", "PNG"} else im
        return to_rgb_array(oriented), layers


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
    return Artwork(
        pixels=pixels, source=artwork.source, layer_names=artwork.layer_names, layers=artwork.layers
    )
