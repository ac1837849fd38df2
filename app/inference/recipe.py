"""Recipes: what a deterministic engine stores instead of frames, and the container they travel in.

A fully played 1024x1024 procedural branch is ~330 MB of PNG frames that render in ~1 ms each; its
recipe (the analysis and plan `render` reads, compressed) is about a megabyte. A project keeps the
recipe, and reopening turns it back into a session with `restore`, so a re-render is a cache read.

Container (written by `pack_recipe`, read by `unpack_recipe`), all little-endian:

    MAGIC (8 bytes) | u32 header length | header JSON (UTF-8) | one zlib stream per array, in order

The header names the engine, its recipe version, the artwork content hash and the spec hash it was made
for, a small engine-specific `meta` object and, per array, name, dtype, shape and compressed size.
Why this and not `np.savez`/pickle: a project file may come from anyone. Nothing here can run code, and
`unpack_recipe` checks every declared shape against the shapes the caller expects for *this* artwork
before it decompresses a byte, then inflates each stream with a hard output limit, so a few hostile
bytes can neither allocate gigabytes nor unpack a zip bomb. Why zlib: in the standard library, and on
these mostly flat layers and smooth time maps it is within a few percent of lzma at a tenth of the time.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.errors import EngineError
from app.inference.engine import EngineSession

MAGIC = b"USRECIPE"
MAX_HEADER_BYTES = 64 * 1024  # a few arrays and a little meta: anything bigger is not ours
_LENGTH = struct.Struct("<I")
_REBUILD_HINT = "The branch is analysed again instead; nothing is lost."
_DTYPES = frozenset({"|u1", "<u2", "<f4", "<f8"})
T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class RecipeEngine(Protocol):
    """The two optional methods of a deterministic `ProcessEngine` (see app/inference/engine.py)."""

    def recipe(self, session: EngineSession) -> bytes: ...

    def restore(
        self,
        artwork: Artwork,
        spec: BranchSpec,
        recipe: bytes,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> EngineSession: ...


def supports_recipe(engine: object) -> bool:
    """True when `engine` is deterministic and implements `recipe` and `restore`: its project keeps a
    recipe instead of frames. Callers ask this instead of probing attributes themselves."""
    caps = getattr(engine, "capabilities", None)
    return bool(getattr(caps, "deterministic", False)) and isinstance(engine, RecipeEngine)


def prepare_or_restore(
    engine: Any,
    artwork: Artwork,
    spec: BranchSpec,
    recipe: bytes | None,
    cancel: CancelToken,
    progress: ProgressCallback,
) -> EngineSession:
    """A session from the stored `recipe` when the engine keeps recipes and it restores; otherwise (none
    stored, damaged, another version or artwork) prepared afresh: analysis costs time, never work."""
    if recipe is not None and supports_recipe(engine):
        try:
            session: EngineSession = engine.restore(artwork, spec, recipe, cancel, progress)
            return session
        except EngineError:  # a cancel (CancelledError) is no EngineError: it goes up
            pass
    prepared: EngineSession = engine.prepare(artwork, spec, cancel, progress)
    return prepared


@dataclass(frozen=True)
class ArraySpec:
    """The dtype (a little-endian numpy dtype string such as "<u2") and shape an array must have."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


def pack_recipe(
    engine: str,
    version: int,
    artwork_hash: str,
    spec_hash: str,
    meta: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
    level: int = 6,
) -> bytes:
    """Serialise `arrays` (compressed, in the given order) and `meta` (JSON-serialisable) as a recipe."""
    prepared = []
    for name, array in arrays.items():
        a = np.ascontiguousarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        if a.dtype.str not in _DTYPES:
            raise ValueError(f"recipe array {name!r} has unsupported dtype {a.dtype}")
        prepared.append((name, a))
    streams = _map_threads(
        lambda item: zlib.compress(item[1].reshape(-1).view(np.uint8).data, level), prepared
    )
    entries = [
        {"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "size": len(data)}
        for (name, a), data in zip(prepared, streams, strict=True)
    ]
    header = {
        "engine": engine,
        "version": int(version),
        "artwork": artwork_hash,
        "spec": spec_hash,
        "meta": dict(meta),
        "arrays": entries,
    }
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError("recipe header too large")
    return b"".join([MAGIC, _LENGTH.pack(len(text)), text, *streams])


def unpack_recipe(
    data: bytes,
    engine: str,
    version: int,
    artwork_hash: str,
    spec_hash: str,
    expected: Mapping[str, ArraySpec],
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a recipe made by `engine` at `version` for this artwork and spec, with exactly
    the arrays in `expected`. Raises `EngineError` (never a JSON/zlib/numpy error) when the recipe is
    damaged, from another version, for another artwork/spec, or declares other shapes. Arrays are
    read-only views of freshly inflated buffers."""
    header, offset = _read_header(data)
    if header.get("engine") != engine:
        raise damaged_recipe(f"it was made by the engine {header.get('engine')!r}, not {engine!r}")
    if header.get("version") != version:
        raise EngineError(
            f"The stored {engine} recipe uses format {header.get('version')!r}; this app reads {version}.",
            _REBUILD_HINT,
        )
    if header.get("artwork") != artwork_hash or header.get("spec") != spec_hash:
        raise EngineError(
            f"The stored {engine} recipe was made for another artwork or other branch settings.",
            _REBUILD_HINT,
        )
    meta = header.get("meta")
    entries = header.get("arrays")
    if not isinstance(meta, dict) or not isinstance(entries, list):
        raise damaged_recipe("its header is incomplete")
    names = [e.get("name") if isinstance(e, dict) else None for e in entries]
    if names != list(expected):
        raise damaged_recipe(f"it holds the arrays {names}, expected {list(expected)}")
    sizes = []
    for entry, (name, want) in zip(entries, expected.items(), strict=True):
        shape = entry.get("shape")
        if entry.get("dtype") != want.dtype or not isinstance(shape, list) or tuple(shape) != want.shape:
            # Checked before anything is inflated: a declared shape never decides an allocation.
            raise damaged_recipe(
                f"its array {name!r} is declared {entry.get('dtype')!r} {shape!r}, "
                f"expected {want.dtype} {list(want.shape)} for this artwork"
            )
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise damaged_recipe(f"its array {name!r} has no valid size")
        sizes.append(size)
    if offset + sum(sizes) != len(data):
        raise damaged_recipe(f"it is {len(data)} bytes long, its header accounts for {offset + sum(sizes)}")
    jobs = []
    view = memoryview(data)
    for size, (name, want) in zip(sizes, expected.items(), strict=True):
        jobs.append((name, want, view[offset : offset + size]))
        offset += size

    def inflate(job: tuple[str, ArraySpec, memoryview]) -> np.ndarray:
        name, want, stream = job
        return np.frombuffer(_inflate(stream, want.nbytes, name), dtype=want.dtype).reshape(want.shape)

    return meta, dict(zip(expected, _map_threads(inflate, jobs), strict=True))


def _map_threads(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`fn` over `items` on a few threads, in order. zlib releases the GIL while it works, so the arrays
    of a recipe (de)compress in parallel: restoring at 1024x1024 takes about half as long on 2 cores."""
    workers = min(len(items), os.cpu_count() or 1, 8)
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recipe") as pool:
        return list(pool.map(fn, items))


def recipe_header(data: bytes) -> dict[str, Any]:
    """The header of a recipe (engine, version, meta, ...) without its arrays, so an engine can see
    which of its formats and layouts a recipe has before `unpack_recipe`. `EngineError` when damaged."""
    return _read_header(data)[0]


def _read_header(data: bytes) -> tuple[dict[str, Any], int]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise damaged_recipe("it is not binary data")
    data = bytes(data[: len(MAGIC) + _LENGTH.size + MAX_HEADER_BYTES])
    start = len(MAGIC) + _LENGTH.size
    if len(data) < start or data[: len(MAGIC)] != MAGIC:
        raise damaged_recipe("it does not start like a recipe")
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    if length > MAX_HEADER_BYTES or start + length > len(data):
        raise damaged_recipe("its header length is out of range")
    try:
        header = json.loads(data[start : start + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise damaged_recipe(f"its header does not parse ({exc})") from exc
    if not isinstance(header, dict):
        raise damaged_recipe("its header is not an object")
    return header, start + length


def _inflate(stream: memoryview, nbytes: int, name: str) -> bytes:
    """Exactly `nbytes` from one zlib stream, never more (the output limit stops a zip bomb early)."""
    inflater = zlib.decompressobj()
    try:  # one byte of room beyond the size, so the stream's end is read and any excess is seen
        raw = inflater.decompress(stream, nbytes + 1)
    except zlib.error as exc:
        raise damaged_recipe(f"its array {name!r} does not decompress ({exc})") from exc
    if len(raw) != nbytes or not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise damaged_recipe(f"its array {name!r} does not hold exactly {nbytes} bytes")
    return raw


def damaged_recipe(reason: str) -> EngineError:
    """The error for a recipe that cannot be used; engines use it for their own checks of `meta`."""
    return EngineError(f"The stored recipe is damaged ({reason}).", _REBUILD_HINT)
