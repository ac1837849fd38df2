"""Valid files Pillow has no mode for: 16- and 32-bit PSD, and floating-point TIFF.

Pillow reads PSD only at 1 and 8 bits per channel and TIFF only with integer samples (a single-channel
float TIFF aside); anything else it calls "cannot identify image file", which used to reach the user as
"not an image format … or damaged". These files are read with the libraries made for them instead:
psd-tools for PSD (the composite the file stores, its ICC profile applied, so the result is sRGB) and
tifffile for TIFF (with imagecodecs, so LZW and the floating-point predictor Photoshop writes decode).

Everything becomes 8-bit sRGB: 16-bit samples are divided by 257 (psd-tools divides by 256, the same to
within one level); floating-point samples are taken as 0..1 and scaled to 0..255. Values above 1 (HDR
highlights) are clipped to white and values below 0 to black, which is how an image editor shows a
32-bit image at exposure 0: no tone mapping is guessed, the painter's own display is what counts.

`probe_deep` reads headers only, so the caller checks the pixel limit before `read_deep` decodes.
psd-tools and tifffile are imported when such a file is met, never at import time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from app.core.pixel_modes import float_to_uint8, to_rgb_array
from app.errors import ArtworkError

_PSD_MAGIC = b"8BPS"
_TIFF_MAGICS = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")  # classic and BigTIFF, both byte orders
_TIFF_SAMPLEFORMAT_IEEEFP = 3
_HINT = "Open it in your painting app and export it again as PNG."


@dataclass(frozen=True)
class DeepHeader:
    """What a header says about a file that needs a deep reader."""

    kind: Literal["psd", "tiff"]
    width: int
    height: int
    depth: int  # bits per channel


def probe_deep(path: Path) -> DeepHeader | None:
    """The header of a file Pillow cannot read (a 16/32-bit PSD, a floating-point TIFF), or None for
    every other file (including damaged ones: Pillow then says what is wrong with them)."""
    with open(path, "rb") as fh:
        head = fh.read(26)
    if head.startswith(_PSD_MAGIC) and len(head) == 26:
        version, _channels, height, width, depth = struct.unpack(">H6xHIIH", head[4:24])
        if version == 1 and depth in (16, 32):
            return DeepHeader("psd", width, height, depth)
        return None
    if head[:4] in _TIFF_MAGICS:
        return _probe_float_tiff(path)
    return None


def _probe_float_tiff(path: Path) -> DeepHeader | None:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            if int(page.sampleformat) != _TIFF_SAMPLEFORMAT_IEEEFP:
                return None
            return DeepHeader("tiff", int(page.imagewidth), int(page.imagelength), int(page.bitspersample))
    except Exception:  # noqa: BLE001 - a damaged TIFF is Pillow's to describe
        return None


def read_deep(path: Path, header: DeepHeader, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Decode a file `probe_deep` recognised: (H, W, 3) uint8 sRGB over white, and its layer names
    (bottom-to-top) for a PSD. Raises ArtworkError saying what is wrong."""
    if header.kind == "psd":
        return _read_psd(path, name)
    return _read_float_tiff(path, name), ()


def _read_psd(path: Path, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    from psd_tools import PSDImage

    try:
        psd = PSDImage.open(path)
        layers = tuple(layer.name for layer in psd.descendants() if not layer.is_group())
        composite = psd.topil()
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise ArtworkError(f"'{name}' is damaged ({exc}).", _HINT) from exc
    if composite is None:
        raise ArtworkError(
            f"'{name}' was saved without a merged image, which Undo Studio needs for 16- and 32-bit PSD.",
            "Save it again with 'Maximize compatibility' on, or export it as PNG.",
        )
    return to_rgb_array(composite), layers


def _read_float_tiff(path: Path, name: str) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            samples = np.asarray(page.asarray())
            axes = str(page.axes)
            associated = tuple(page.extrasamples[:1]) == (1,)
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise ArtworkError(f"'{name}' is damaged ({exc}).", _HINT) from exc
    if axes.startswith("S"):  # planar configuration: channels first
        samples = np.moveaxis(samples, 0, -1)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    if samples.ndim != 3 or samples.shape[2] not in (1, 2, 3, 4):
        raise ArtworkError(
            f"'{name}' has a layout Undo Studio cannot show ({axes}, shape {samples.shape}).", _HINT
        )
    channels = samples.shape[2]
    colour = samples[:, :, :3] if channels >= 3 else np.repeat(samples[:, :, :1], 3, axis=2)
    if channels in (2, 4):  # the last sample is alpha: flatten onto white
        alpha = np.clip(np.nan_to_num(samples[:, :, -1:].astype(np.float32)), 0.0, 1.0)
        premultiplied = colour.astype(np.float32) if associated else colour * alpha
        colour = premultiplied + (1.0 - alpha)
    return np.ascontiguousarray(float_to_uint8(colour))
