"""Reading members of a zip-based layered file (OpenRaster, Krita) without trusting it.

Hostile zips are expected: an XML member is read only if its declared size is sane, images are decoded
straight from the zip stream after their header passed the pixel limit (never read whole into memory, so
a 'PNG' of 2 GB of zeros costs nothing), binary members are read in bounded chunks that stop at a limit
whatever the member claims, and a member name that climbs out of the archive ('../x', '/etc/x', 'C:x')
is refused: nothing is ever extracted, but such a name only appears in a damaged or malicious file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from app.core.decode_checks import RE_EXPORT_HINT, decode, open_checked
from app.core.pixel_modes import to_rgb_array
from app.errors import ArtworkError

MAX_XML_BYTES = 16 * 1024 * 1024  # ~100 bytes a layer: room for 150000 layers


def open_zip(path_name: str, path: Path, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtworkError(
            f"'{path_name}' is not a valid {what} file (damaged zip).", RE_EXPORT_HINT
        ) from exc


def safe_member(name: str, member: str) -> str:
    """`member` when it names a file inside the archive; ArtworkError when it climbs out of it."""
    parts = member.replace("\\", "/").split("/")
    if not member or member.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise ArtworkError(
            f"'{name}' refers to a layer outside the file ('{member[:80]}'): the file is damaged or malicious.",
            RE_EXPORT_HINT,
        )
    return member


def read_xml(archive: zipfile.ZipFile, member: str, name: str, missing: str) -> ET.Element:
    """Parse a small XML member; ArtworkError when it is missing (`missing` says what that means),
    too large to be a layer list, or damaged."""
    try:
        info = archive.getinfo(member)
    except KeyError as exc:
        raise ArtworkError(f"'{name}' has no {member}, so {missing}.", RE_EXPORT_HINT) from exc
    if info.file_size > MAX_XML_BYTES:
        raise ArtworkError(
            f"The {member} inside '{name}' is {info.file_size / 1e6:.0f} MB, far too large to be a layer list "
            "(the file is damaged or malicious).",
            RE_EXPORT_HINT,
        )
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_XML_BYTES + 1)
        if len(data) > MAX_XML_BYTES:
            raise ArtworkError(
                f"The {member} inside '{name}' is far too large (damaged or malicious).", RE_EXPORT_HINT
            )
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ArtworkError(f"The {member} inside '{name}' is damaged ({exc}).", RE_EXPORT_HINT) from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtworkError(
            f"The {member} inside '{name}' is cut off or damaged ({exc}).", RE_EXPORT_HINT
        ) from exc


def member_stream(archive: zipfile.ZipFile, member: str, name: str) -> IO[bytes]:
    try:
        return archive.open(safe_member(name, member))
    except KeyError as exc:
        raise ArtworkError(f"'{name}' refers to a missing layer '{member}'.", RE_EXPORT_HINT) from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtworkError(f"'{name}' is damaged ({exc}).", RE_EXPORT_HINT) from exc


def read_member(archive: zipfile.ZipFile, member: str, name: str, limit: int) -> bytes:
    """A binary member's bytes, refused past `limit` however small the member claims to be."""
    with member_stream(archive, member, name) as stream:
        try:
            data = stream.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ArtworkError(f"'{name}/{member}' is cut off or damaged ({exc}).", RE_EXPORT_HINT) from exc
    if len(data) > limit:
        raise ArtworkError(
            f"'{name}/{member}' holds more data than its layer can use (the file is damaged or malicious).",
            RE_EXPORT_HINT,
        )
    return data


def image_size(archive: zipfile.ZipFile, member: str, name: str, max_pixels: int) -> tuple[int, int]:
    """(width, height) from the image member's header alone, checked against the pixel limit."""
    with member_stream(archive, member, name) as stream:
        with open_checked(stream, f"{name}/{member}", max_pixels) as header:
            return header.size


def decode_image(archive: zipfile.ZipFile, member: str, name: str, max_pixels: int) -> Image.Image:
    """Decode one image of the zip from its stream: the header is checked against the pixel limit before
    any pixel is decoded, and decoding stops once the image is full however large the member claims."""
    label = f"{name}/{member}"
    with member_stream(archive, member, name) as stream:
        im = open_checked(stream, label, max_pixels)
        try:
            return decode(im, label)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ArtworkError(f"'{label}' is cut off or damaged ({exc}).", RE_EXPORT_HINT) from exc


def rgba_array(im: Image.Image) -> np.ndarray:
    """Any decoded image as (h, w, 4) uint8 straight RGBA (16-bit and float greys scaled, not clipped)."""
    if im.mode in {"RGBA", "RGB", "P", "L", "LA", "PA", "1", "CMYK", "RGBa", "La"}:
        return np.asarray(im.convert("RGBA"))
    rgb = to_rgb_array(im)
    return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)


def merged_rgb(
    archive: zipfile.ZipFile, name: str, max_pixels: int, canvas: tuple[int, int]
) -> np.ndarray | None:
    """mergedimage.png over white when the file has one of the canvas size (another size is ignored:
    a stale merged image would show a different picture than the layers)."""
    if "mergedimage.png" not in archive.namelist():
        return None
    im = decode_image(archive, "mergedimage.png", name, max_pixels)
    if im.size != canvas:
        return None
    return to_rgb_array(im)
