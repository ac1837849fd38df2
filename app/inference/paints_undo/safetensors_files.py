"""Safetensors files of a model component: finding them and reading their headers, never their data.

Why a module of its own: the models report (`undo-studio models`, the start page) must judge 5 GB of
weights instantly and safely, from headers alone. A header comes from the internet, so it is read by the
safetensors library itself (`safe_open`: sizes, offsets, dtypes, no overlaps or gaps) before anything
trusts it, and a refusal is turned into a message that names the tensor or the bytes; pickle checkpoints (`.bin/.pt/.ckpt/.pth`) are refused, never opened; Git LFS pointer files, broken
links, pipes and malformed shard indexes are named as such. Loading tensors is `weights.load_safetensors`.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from app.errors import WeightsError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own limit

# safetensors dtype code -> (torch dtype name, bytes per element)
DTYPES: dict[str, tuple[str, int]] = {
    "F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2), "BF16": ("bfloat16", 2),
    "I64": ("int64", 8), "I32": ("int32", 4), "I16": ("int16", 2), "I8": ("int8", 1),
    "U64": ("uint64", 8), "U32": ("uint32", 4), "U16": ("uint16", 2), "U8": ("uint8", 1),
    "BOOL": ("bool", 1), "F8_E4M3": ("float8_e4m3fn", 1), "F8_E5M2": ("float8_e5m2", 1),
}  # fmt: skip

# Preferred file names inside a component folder, best first (diffusers, then transformers).
_BASENAMES = ("diffusion_pytorch_model", "model")


@dataclass(frozen=True)
class TensorInfo:
    dtype: str  # torch name, e.g. "float16"
    shape: tuple[int, ...]
    nbytes: int


def _pickle_error(path: Path) -> WeightsError:
    return WeightsError(
        f"Refusing to load '{path}': it is a pickle checkpoint, and unpickling can run arbitrary code. "
        "Undo Studio loads safetensors files only.",
        "Download the .safetensors files of the same model, or convert this file once on a machine you "
        'trust: python -c "import torch; from safetensors.torch import save_file; '
        f"save_file(torch.load('{path.name}', weights_only=True), '{path.stem}.safetensors')\"",
    )


# --------------------------------------------------------------------------------------------- headers
_REDOWNLOAD = "Delete it and download it again (a download was probably interrupted)."
_LFS_POINTER = b"version https://git-lfs"


def read_json_object(path: Path, hint: str) -> dict[str, Any]:
    """Parse a small JSON file of a models folder (config.json, a shard index) that must hold an object.

    Every way it can be broken becomes a `WeightsError` naming the file. `RecursionError` is included:
    a few kilobytes of `[[[[` make Python's parser raise it, and a damaged file must never end in a
    traceback.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WeightsError(f"Cannot read '{path}': {exc.strerror or exc}.", hint) from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise WeightsError(f"'{path}' is not valid JSON ({reason}).", hint) from exc
    if not isinstance(data, dict):
        raise WeightsError(f"'{path}' is not a JSON object (it holds a {type(data).__name__}).", hint)
    return data


def is_lfs_pointer(path: Path) -> bool:
    """Whether a file is a Git LFS pointer (a ~130-byte text stub): what a `git clone` of a model repo
    without Git LFS leaves in place of every large file, the most common broken download."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(_LFS_POINTER)) == _LFS_POINTER
    except OSError:
        return False


def lfs_pointer_error(path: Path) -> WeightsError:
    return WeightsError(
        f"'{path}' is a Git LFS pointer, not the file itself (the repository was cloned without Git LFS).",
        "Run `git lfs pull` in the clone, or download the file itself (see `undo-studio models`).",
    )


def read_safetensors_header(path: str | Path) -> dict[str, TensorInfo]:
    """The tensors' dtypes and shapes, read by the safetensors library (`safe_open`) without their data.

    The library is the judge of a valid file (unsigned integer shapes and offsets, tensors packed end to
    end covering the data section exactly, string metadata), so a file this accepts is one loading
    accepts: the models report must never call a file fine that loading then refuses. Only our own
    limit is added: a dtype we cannot turn into a torch dtype is named.
    """
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise _pickle_error(path)
    try:
        with safe_open(str(path), framework="numpy") as fh:
            entries = {key: fh.get_slice(key) for key in fh.keys()}  # noqa: SIM118 (not a Mapping)
            found = {key: (s.get_dtype(), tuple(s.get_shape())) for key, s in entries.items()}
    except SafetensorError as exc:
        raise _explain(path, str(exc)) from exc
    except OSError as exc:
        raise WeightsError(
            f"Cannot read '{path}': {exc.strerror or exc}.", "Check the file and its permissions."
        ) from exc
    out: dict[str, TensorInfo] = {}
    for key, (code, shape) in found.items():
        if code not in DTYPES:
            raise _dtype_error(path, key, code)
        name, itemsize = DTYPES[code]
        out[key] = TensorInfo(name, shape, math.prod(shape) * itemsize)
    return out


def _dtype_error(path: Path, key: str, code: Any) -> WeightsError:
    return WeightsError(
        f"'{path}': tensor '{key}' has the data type {code!r}, which Undo Studio cannot read "
        f"(known: {', '.join(DTYPES)}).",
        "Download the published float16/float32 safetensors files of the model.",
    )


def _explain(path: Path, message: str) -> WeightsError:
    """Our message for a file `safe_open` refused.

    Why we read the header ourselves here: the library names the broken rule but rarely the tensor or
    the byte count ("incomplete metadata, file not fully covered" is both a truncated download and junk
    after the last tensor), calls a Git LFS pointer "header too large" and a Python-side user cannot
    tell which of a dozen files to download again from "invalid JSON in header". This runs only after
    the library refused the file; what it cannot place keeps the library's own words.
    """
    detail = message.removeprefix("Error while deserializing header: ")
    generic = WeightsError(f"'{path}' is corrupt or not a safetensors file ({detail}).", _REDOWNLOAD)
    if is_lfs_pointer(path):
        return lfs_pointer_error(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return WeightsError(
                    f"'{path}' is not a safetensors file: it is only {size} bytes long.", _REDOWNLOAD
                )
            (n,) = struct.unpack("<Q", head)  # the format: 8-byte little-endian header length, JSON
            if n > MAX_HEADER_BYTES or 8 + n > size:
                return WeightsError(
                    f"'{path}' is corrupt or not a safetensors file: its header claims {n} bytes "
                    f"but the file has {size} bytes.",
                    _REDOWNLOAD,
                )
            fh.seek(8)
            header = json.loads(fh.read(n).decode("utf-8"))
    except RecursionError:  # a few kilobytes of `[[[[` make Python's parser raise it
        return WeightsError(
            f"'{path}' is corrupt or not a safetensors file (bad header: nested too deeply).", _REDOWNLOAD
        )
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return generic
    if not isinstance(header, dict):
        return generic
    return _header_problem(path, header, size - 8 - n, detail) or generic


def _is_count(value: Any) -> bool:
    """A JSON unsigned integer, as the format requires for offsets and dimensions (the library rejects
    8.0, "8", true and -1)."""
    return type(value) is int and value >= 0


def _header_problem(path: Path, header: dict[str, Any], data_size: int, detail: str) -> WeightsError | None:
    """Which tensor or which bytes make the library refuse this header, if we can tell."""
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return WeightsError(f"'{path}' is corrupt: its __metadata__ is not a map of strings.", _REDOWNLOAD)
    ends: dict[str, int] = {}
    for key, entry in header.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            return WeightsError(f"'{path}' is corrupt: bad header entry for tensor '{key}'.", _REDOWNLOAD)
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets):
            return WeightsError(f"'{path}' is corrupt: bad header entry for tensor '{key}'.", _REDOWNLOAD)
        if entry.get("dtype") not in DTYPES:
            return _dtype_error(path, key, entry.get("dtype"))
        if offsets[1] - offsets[0] != math.prod(shape) * DTYPES[entry["dtype"]][1]:
            return WeightsError(
                f"'{path}' is corrupt: tensor '{key}' has inconsistent byte offsets.", _REDOWNLOAD
            )
        ends[key] = offsets[1]
    misplaced = re.search(r"invalid offset for tensor `(.*)`", detail)
    if misplaced:
        return WeightsError(
            f"'{path}' is corrupt: the data of tensor '{misplaced.group(1)}' is misplaced "
            "(tensors overlap or leave a gap).",
            _REDOWNLOAD,
        )
    last_end, last_key = max(((end, key) for key, end in ends.items()), default=(0, ""))
    if last_end > data_size:
        return WeightsError(
            f"'{path}' is truncated: tensor '{last_key}' ends at byte {last_end} of the data section but "
            f"the file holds only {data_size} data bytes.",
            _REDOWNLOAD,
        )
    if last_end < data_size:
        return WeightsError(
            f"'{path}' is corrupt: {data_size - last_end} bytes after its last tensor belong to none.",
            _REDOWNLOAD,
        )
    return None


def _index_shards(index: Path) -> list[Path]:
    """The shard files an `*.index.json` lists. Shards must be plain file names next to the index (as
    every published index has them): a damaged or foreign index must not send us reading elsewhere."""
    bad = WeightsError(
        f"'{index}' is not a valid safetensors index file (it needs a weight_map of tensor name -> "
        "shard file name).",
        "Download it again.",
    )
    weight_map = read_json_object(index, "Download it again.").get("weight_map")
    if not isinstance(weight_map, dict):
        raise bad
    names = list(dict.fromkeys(weight_map.values()))
    if not all(isinstance(n, str) and n and Path(n).name == n for n in names):
        raise bad
    shards = [index.parent / name for name in names]
    for shard in shards:
        if shard.suffix.lower() in PICKLE_SUFFIXES:
            raise _pickle_error(shard)
        if not shard.is_file():
            raise WeightsError(
                f"Shard '{shard.name}' listed in '{index}' is {describe_absence(shard)}.",
                f"Download every shard listed in the index into '{index.parent}'.",
            )
    if not shards:
        raise WeightsError(f"'{index}' lists no shard files.", "Download it again.")
    return shards


def describe_absence(path: Path) -> str:
    """Why a path that should be a file is not usable, for messages: a broken link and a folder or
    pipe in its place need different fixes than a file that was never downloaded."""
    if path.is_symlink() and not path.exists():
        return f"a broken link (it points to '{path.readlink()}', which does not exist)"
    if path.exists():
        return "not a regular file"
    return "missing"


def weight_files(path_or_folder: str | Path, variant: str | None = None) -> list[Path]:
    """The safetensors file(s) holding a component's weights.

    A file is returned as is (pickles refused). In a folder the order of preference is: sharded index,
    single file, then the `fp16` variant of each (with `variant="fp16"` the variant comes first), then
    the only `*.safetensors` file present. Raises `WeightsError` when nothing loadable is there.
    """
    return resolve_weights(path_or_folder, variant)[1]


def resolve_weights(path_or_folder: str | Path, variant: str | None = None) -> tuple[Path, list[Path]]:
    """(entry, files): the index or single file chosen in a folder, and the files to read."""
    path = Path(path_or_folder)
    if path.is_file():
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise _pickle_error(path)
        return path, (_index_shards(path) if path.name.endswith(".json") else [path])
    if not path.is_dir():
        state = "does not exist" if describe_absence(path) == "missing" else f"is {describe_absence(path)}"
        raise WeightsError(f"'{path}' {state}.", "Check the models folder (see `undo-studio models`).")
    try:
        return _resolve_in_folder(path, variant)
    except OSError as exc:  # an unreadable folder (permissions, a dropped network share)
        raise WeightsError(
            f"Cannot read the folder '{path}': {exc.strerror or exc}.",
            "Check the folder and its permissions.",
        ) from exc


def _resolve_in_folder(path: Path, variant: str | None) -> tuple[Path, list[Path]]:
    plain = [(f"{b}.safetensors.index.json", f"{b}.safetensors") for b in _BASENAMES]
    fp16 = [(f"{b}.safetensors.index.fp16.json", f"{b}.fp16.safetensors") for b in _BASENAMES]
    fp16 += [(f"{b}.fp16.safetensors.index.json", f"{b}.fp16.safetensors") for b in _BASENAMES]
    for index_name, file_name in (fp16 + plain) if variant == "fp16" else (plain + fp16):
        if (path / index_name).is_file():
            return path / index_name, _index_shards(path / index_name)
        if (path / file_name).is_file():
            return path / file_name, [path / file_name]
    # Regular files only: a broken link would fail later with a raw FileNotFoundError, and opening
    # a named pipe called *.safetensors would block the models report forever.
    listed = sorted(path.glob("*.safetensors"))
    candidates = [p for p in listed if p.is_file()]
    if len(candidates) == 1:
        return candidates[0], candidates
    unusable = [p for p in listed if not p.is_file()]
    if unusable and not candidates:
        raise WeightsError(
            f"'{unusable[0]}' is {describe_absence(unusable[0])}.",
            "Replace it with the downloaded file (see `undo-studio models`).",
        )
    pickles = sorted(p for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles and not candidates:
        raise _pickle_error(pickles[0])
    found = ", ".join(p.name for p in candidates) or "none"
    raise WeightsError(
        f"No weights file in '{path}' (expected diffusion_pytorch_model.safetensors or model.safetensors; "
        f"safetensors files found: {found}).",
        "See `undo-studio models` for what to download and where to put it.",
    )


def read_headers(path_or_folder: str | Path, variant: str | None = None) -> dict[str, TensorInfo]:
    """Merged validated headers of every file of a component (shards included)."""
    out: dict[str, TensorInfo] = {}
    for file in weight_files(path_or_folder, variant):
        out.update(read_safetensors_header(file))
    return out


def read_shapes(path_or_folder: str | Path, variant: str | None = None) -> dict[str, tuple[int, ...]]:
    return {k: v.shape for k, v in read_headers(path_or_folder, variant).items()}


def dtype_summary(infos: Mapping[str, TensorInfo]) -> str:
    """The dtype(s) of the floating-point tensors: "float16", or "float16+float32" for mixed files."""
    floats = sorted({i.dtype for i in infos.values() if i.dtype.startswith(("float", "bfloat"))})
    return "+".join(floats) or "+".join(sorted({i.dtype for i in infos.values()})) or "empty"
