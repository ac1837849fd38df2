"""A PSD layer's 8-bit pixels as an RGBA array, with less work around the decoding than psd-tools'
`topil` (which stays the way for everything else: 16/32-bit, other colour modes, anything unexpected),
decoded ahead of the reader in worker threads.

Why: measured on a 4000x3000 PSD with 60 RLE layers (the bench, bench/layers.py), psd-tools' `topil`
spends half the open around the decoding: one decode call and one bytes object per row (720,000 rows),
joining the rows, a PIL image per channel, merging them, adding the alpha, copying into numpy. Here each
channel is decoded in ONE call (PSD packs every row on its own, so a channel's rows one after the other
are one PackBits stream) and OpenCV interleaves the planes into one RGBA array.

The PackBits decoder is imagecodecs' (already a dependency, for TIFF): on the bench's 240 channels it
takes 1.6 s of CPU where psd-tools' compiled one took 2.3 s (here it decodes straight into the plane's
buffer and reads the rows through a memoryview; the slice psd-tools' decoder needed copied them), and, unlike psd-tools' one, it
releases the GIL, as `cv2.merge` (0.3-0.5 s) does. So `LayerDecoder` decodes the next layers in
threads while the reader builds the tree and psd-tools reads the merged image: on two cores the
decoding is shared out instead of running after the rest. Pillow's "packbits" decoder was 2.5x slower
and holds the GIL. A worker process was the other way to run psd-tools' decoder in parallel; it would
need the compressed bytes (hundreds of MB) copied to it, its start-up paid and its memory added; threads
need none of that.

A channel whose row lengths do not add up to its data, or that does not decode to exactly its size,
goes back to psd-tools' own decoding (which pads or cuts damaged rows and warns). What this path cannot
see is a damaged channel whose rows add up but pack to other widths: its pixels come out shifted by the
difference instead of padded row by row (either way that layer is wrong; nothing crashes or overruns).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

RAW, RLE = 0, 1  # psd_tools.constants.Compression values
_RGB = (0, 1, 2)
_ALPHA = -1
# Threads that decode layers ahead of the reader: the decoding scales to about four cores, and each
# thread holds one layer's planes beyond what the stack keeps anyway.
DECODE_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class RgbaPlan:
    """What decoding one 8-bit layer needs, taken from psd-tools' objects on the reader's thread, so a
    worker thread touches only bytes (psd-tools' `ChannelData`: its `data` and, for ZIP or damage,
    its `get_data`, a pure function of them)."""

    width: int
    height: int
    version: int
    colour: tuple[Any, ...]  # the ChannelData of R, G, B (the grey one three times)
    alpha: Any | None

    def decode(self) -> np.ndarray:
        """(h, w, 4) uint8 RGBA."""
        import cv2  # its merge interleaves the planes about twice as fast as numpy's strided writes

        planes: dict[int, np.ndarray] = {}
        for data in self.colour:
            if id(data) not in planes:
                planes[id(data)] = _channel(data, self.width, self.height, self.version)
        if self.alpha is not None:
            opacity = _channel(self.alpha, self.width, self.height, self.version)
        else:
            opacity = np.full((self.height, self.width), 255, np.uint8)
        return np.asarray(cv2.merge([planes[id(data)] for data in self.colour] + [opacity]))


def rgba_plan(item: Any, depth: int, version: int, grey: bool) -> RgbaPlan | None:
    """The plan of an 8-bit RGB or greyscale pixel layer (a psd-tools `Layer`), or None when this path
    does not apply (other depths, missing colour channels): psd-tools decodes it then."""
    width, height = int(item.width), int(item.height)
    if depth != 8 or width <= 0 or height <= 0:
        return None
    channels = {
        int(info.id): data for info, data in zip(item._record.channel_info, item._channels, strict=False)
    }
    colour = (0, 0, 0) if grey else _RGB
    if any(c not in channels or not channels[c].data for c in colour):
        return None
    alpha = channels.get(_ALPHA)
    return RgbaPlan(
        width, height, version, tuple(channels[c] for c in colour), alpha if alpha and alpha.data else None
    )


def rgba_8bit(item: Any, depth: int, version: int, grey: bool) -> np.ndarray | None:
    """(h, w, 4) uint8 RGBA of an 8-bit RGB or greyscale pixel layer, or None (see `rgba_plan`)."""
    plan = rgba_plan(item, depth, version, grey)
    return None if plan is None else plan.decode()


class LayerDecoder:
    """Decodes the planned layers of a PSD a few ahead of the reader, in threads.

    `items` are the candidate layers in the order the reader asks for them (psd-tools' `descendants()`,
    the reader's depth-first walk); `plan` says which to decode (None: not this path). Plans are made
    lazily on the reader's thread, so a damaged record raises where the reader handles it. A layer the
    reader skips is dropped, decoded or not. `close` cancels what has not started and waits for the
    rest (a layer is tens of milliseconds): after it, no thread works for this open. With `threads`
    below 2 everything is decoded inline, on the reader's thread.
    """

    def __init__(
        self, items: Sequence[Any], plan: Callable[[Any], RgbaPlan | None], threads: int = DECODE_THREADS
    ) -> None:
        self._items = list(items)
        self._index = {id(item): i for i, item in enumerate(self._items)}
        self._plan = plan
        self._ahead = threads + 1  # keeps every thread busy while the reader takes one result
        self._pool = ThreadPoolExecutor(threads, "psd-decode") if threads >= 2 else None
        self._threaded = self._pool is not None
        if self._threaded:  # imported here, once, rather than by two threads at the same time
            import cv2  # noqa: F401
            import imagecodecs

            imagecodecs.packbits_decode(b"")  # its codecs load on first use
        self._pending: dict[int, Future[np.ndarray] | RgbaPlan | None] = {}
        self._next = 0  # the first item not yet planned

    def start(self) -> None:
        """Start decoding the first layers before the reader asks for any."""
        if self._threaded:
            self._submit(self._ahead - 1)

    def rgba(self, item: Any) -> np.ndarray | None:
        """The layer's RGBA (None when it has no plan: psd-tools decodes it)."""
        index = self._index.get(id(item))
        if index is None:
            plan = self._plan(item)
            return None if plan is None else plan.decode()
        for skipped in [i for i in self._pending if i < index]:  # layers the reader did not want
            job = self._pending.pop(skipped)
            if isinstance(job, Future):
                job.cancel()
        self._submit(index + (self._ahead if self._threaded else 0))
        job = self._pending.pop(index, None)
        if job is None:
            return None
        return job.result() if isinstance(job, Future) else job.decode()

    def _submit(self, last: int) -> None:
        while self._next <= min(last, len(self._items) - 1):
            index, self._next = self._next, self._next + 1
            plan = self._plan(self._items[index])
            self._pending[index] = plan
            if plan is not None and self._threaded and self._pool is not None:
                try:
                    self._pending[index] = self._pool.submit(plan.decode)
                except RuntimeError:  # no thread could be started: this and the rest decode inline
                    self._threaded = False

    def close(self) -> None:
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LayerDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _channel(data: Any, width: int, height: int, version: int) -> np.ndarray:
    """One channel as (h, w) uint8: RLE in one call, RAW as it is, the rest (ZIP) through psd-tools."""
    raw: bytes = data.data
    size = width * height
    plain: bytes | np.ndarray | None = None
    if int(data.compression) == RLE:
        plain = _rle(raw, size, height, version)
    elif int(data.compression) == RAW and len(raw) >= size:
        plain = raw
    if plain is None:  # ZIP, or a damaged RLE channel: psd-tools decides
        plain = data.get_data(width, height, 8, version)
    return np.frombuffer(plain, np.uint8, size).reshape(height, width)


def _rle(raw: bytes, size: int, height: int, version: int) -> np.ndarray | None:
    """The channel decoded in one call (into its own buffer, the GIL released), or None when its rows do
    not add up or it does not decode to exactly its size (damaged: psd-tools pads row by row)."""
    import imagecodecs

    count_bytes = 2 if version == 1 else 4
    table = height * count_bytes
    if len(raw) < table:
        return None
    counts = np.frombuffer(raw, ">u2" if count_bytes == 2 else ">u4", height)
    if int(counts.sum(dtype=np.int64)) != len(raw) - table:
        return None
    out = np.empty(size, np.uint8)
    try:  # a view of the rows, not a copy; more output than `size` raises, less returns a shorter view
        rows = memoryview(raw)[table:]
        plain = imagecodecs.packbits_decode(rows, out=memoryview(out))  # type: ignore[arg-type]  # any buffer
    except (RuntimeError, ValueError):  # imagecodecs.ImcdError (a RuntimeError): corrupt input
        return None
    return out if len(plain) == size else None
