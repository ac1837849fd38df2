"""Checked decoding: a file's pixel count is measured from its header before any pixel is decoded (a
30000x30000 PNG is a few hundred bytes on disk and 2.7 GB decoded), and every decoder failure becomes an
`ArtworkError` that says what is wrong and what to do. Shared by the artwork loader and the layer readers.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from app.errors import ArtworkError

RE_EXPORT_HINT = "Open it in your painting app and export it again as PNG."
# Pillow formats we accept by content (a .png that is really a JPEG still loads).
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP", "DIB", "TIFF", "GIF", "PSD"})


def check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    """Refuse a size that is not an image or is over the limit, from the header alone."""
    if width <= 0 or height <= 0:
        raise ArtworkError(
            f"'{name}' says it is {width}x{height} pixels, which is not a valid image.", RE_EXPORT_HINT
        )
    if width * height > max_pixels:
        raise ArtworkError(
            f"'{name}' is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), more than the "
            f"limit of {max_pixels / 1e6:.0f} megapixels.",
            "Scale it down in your painting app (about 2048 pixels on the long side is plenty) and try again.",
        )


def open_checked(fp: Path | IO[bytes], name: str, max_pixels: int) -> Image.Image:
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
                "Supported: PNG, JPEG, WebP, BMP, TIFF, PSD/PSB, OpenRaster (.ora) and Krita (.kra). "
                + RE_EXPORT_HINT,
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ArtworkError(f"'{name}' is damaged ({exc}).", RE_EXPORT_HINT) from exc
    if im.format not in ACCEPTED_FORMATS:
        raise ArtworkError(f"'{name}' is a {im.format} file, which is not supported.", RE_EXPORT_HINT)
    check_pixels(name, im.width, im.height, max_pixels)
    return im


def decode(im: Image.Image, name: str) -> Image.Image:
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
