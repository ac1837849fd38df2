"""A PSD layer's 8-bit pixels as an RGBA array, with less work around the decoding than psd-tools'
`topil` (which stays the way for everything else: 16/32-bit, other colour modes, anything unexpected).

Why: measured on a 4000x3000 PSD with 60 RLE layers, psd-tools' PackBits decoding itself (its compiled
`rle_impl`) is about half of the open; the other half is what surrounds it: one decode call and one bytes
object per row (720,000 rows), joining the rows into a channel, a PIL image per channel, merging them,
adding the alpha, and copying the result into numpy. Here each channel is decoded by the same compiled
decoder in ONE call (PSD packs every row on its own, so a channel's rows one after the other are one
PackBits stream), and OpenCV interleaves the channels into one RGBA array.

A channel whose row lengths do not add up to its data, or that does not decode to exactly its size,
goes back to psd-tools' own decoding (which pads or cuts damaged rows and warns). What this path cannot
see is a damaged channel whose rows add up but pack to other widths: its pixels come out shifted by the
difference instead of padded row by row (either way that layer is wrong; nothing crashes or overruns).
"""

from __future__ import annotations

from typing import Any

import numpy as np

RAW, RLE = 0, 1  # psd_tools.constants.Compression values
_RGB = (0, 1, 2)
_ALPHA = -1


def rgba_8bit(item: Any, depth: int, version: int, grey: bool) -> np.ndarray | None:
    """(h, w, 4) uint8 RGBA of an 8-bit RGB or greyscale pixel layer (a psd-tools `Layer`), or None when
    this path does not apply (other depths, missing colour channels): psd-tools decodes it then."""
    width, height = int(item.width), int(item.height)
    if depth != 8 or width <= 0 or height <= 0:
        return None
    channels = {
        int(info.id): data for info, data in zip(item._record.channel_info, item._channels, strict=False)
    }
    colour = (0, 0, 0) if grey else _RGB
    if any(c not in channels or not channels[c].data for c in colour):
        return None
    import cv2  # its merge interleaves the planes about twice as fast as numpy's strided writes

    planes = {c: _channel(channels[c], width, height, version) for c in set(colour)}
    alpha = channels.get(_ALPHA)
    if alpha is not None and alpha.data:
        opacity = _channel(alpha, width, height, version)
    else:
        opacity = np.full((height, width), 255, np.uint8)
    return np.asarray(cv2.merge([planes[c] for c in colour] + [opacity]))


def _channel(data: Any, width: int, height: int, version: int) -> np.ndarray:
    """One channel as (h, w) uint8: RLE in one call, RAW as it is, the rest (ZIP) through psd-tools."""
    raw: bytes = data.data
    size = width * height
    plain: bytes | None = None
    if int(data.compression) == RLE:
        plain = _rle(raw, size, height, version)
    elif int(data.compression) == RAW and len(raw) >= size:
        plain = raw
    if plain is None:  # ZIP, or a damaged RLE channel: psd-tools decides
        plain = data.get_data(width, height, 8, version)
    return np.frombuffer(plain, np.uint8, size).reshape(height, width)


def _rle(raw: bytes, size: int, height: int, version: int) -> bytes | None:
    """The channel decoded in one call, or None when its rows do not add up (damaged: psd-tools pads)."""
    from psd_tools.compression import rle_impl  # type: ignore[attr-defined]  # compiled (or pure Python)

    count_bytes = 2 if version == 1 else 4
    table = height * count_bytes
    if len(raw) < table:
        return None
    counts = np.frombuffer(raw, ">u2" if count_bytes == 2 else ">u4", height)
    if int(counts.sum(dtype=np.int64)) != len(raw) - table:
        return None
    try:
        plain: bytes = rle_impl.decode(raw[table:], size)
    except (ValueError, IndexError):
        return None
    return plain if len(plain) == size else None
