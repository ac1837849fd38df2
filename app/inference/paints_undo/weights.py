"""Safetensors-only weight loading, header inspection and manifest checks (design §5).

Why this module exists: a user's weights come from the internet, so we never unpickle anything
(`.bin/.pt/.ckpt/.pth` are refused, `torch.load` is never called), we read shapes from the safetensors
header without touching tensor data (a models dialog must be instant on 5 GB of files), and every
mismatch becomes a `WeightsError` that names the key, the expected and the found shape and the file,
instead of torch's wall of text or, worse, `strict=False` silently loading nothing.

Public API (used by the single/multi-frame loaders, `layout.py` and the tests):
- `read_safetensors_header(path) -> dict[str, TensorInfo]`: validated header, no tensor data read.
- `weight_files(path_or_folder, variant=None) -> list[Path]`: the file(s) to load from a component
  folder (single file, fp16 variant or shards listed in a `*.index.json`); `resolve_weights(...)`
  also returns the entry file (index or single file).
- `read_headers(...) -> dict[str, TensorInfo]`, `read_shapes(...) -> dict[str, tuple[int, ...]]`,
  `header_dtype(...) -> str`, `dtype_summary(infos) -> str`.
- `load_safetensors(path_or_folder, device="cpu", dtype=None, variant=None) -> dict[str, Tensor]`.
- `manifest(name) -> dict`, `manifest_names()`, `manifest_shapes(name) -> (required, optional)`,
  `manifest_num_params(name)`, `manifest_inferred(name)`.
- `verify_against_manifest(header_shapes, manifest_name, source="") -> list[str]` (empty = OK).
- `load_into(module, state_dict, *, strict=True, key_map=None, source="") -> LoadResult`;
  `align_prefix(state_dict, target_keys)`.
- `meta_module(factory) -> nn.Module`, `module_shapes(module)`,
  `compare_module_with_manifest(module, manifest_name, key_map=None) -> list[str]` for tests.

The CLIPTextModel prefix rule (reference README): published checkpoints use `text_model.<key>`,
transformers 5 names parameters without the prefix. Manifest checks for the text encoders compare
modulo that prefix, and `load_into` adds or strips a prefix shared by all keys when that is the only
difference between the file and the module.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import WeightsError

if TYPE_CHECKING:  # pragma: no cover
    import torch

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own limit
TEXT_MODEL_PREFIX = "text_model."
# Manifests whose keys may appear with or without a leading prefix (CLIPTextModel, transformers 4 vs 5).
OPTIONAL_PREFIX = {
    "single_frame_text_encoder": TEXT_MODEL_PREFIX,
    "multi_frame_text_encoder": TEXT_MODEL_PREFIX,
}
# Buffers that older libraries saved and newer ones keep out of the state dict; harmless when present.
HARMLESS_EXTRA_SUFFIXES = ("embeddings.position_ids",)
SHOW = 5  # how many offending keys a message lists

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


@dataclass(frozen=True)
class LoadResult:
    loaded: int
    missing: tuple[str, ...] = ()  # only non-empty with strict=False
    unexpected: tuple[str, ...] = ()


def _pickle_error(path: Path) -> WeightsError:
    return WeightsError(
        f"Refusing to load '{path}': it is a pickle checkpoint, and unpickling can run arbitrary code. "
        "Undo Studio loads safetensors files only.",
        "Download the .safetensors files of the same model, or convert this file once on a machine you "
        'trust: python -c "import torch; from safetensors.torch import save_file; '
        f"save_file(torch.load('{path.name}', weights_only=True), '{path.stem}.safetensors')\"",
    )


def _shape_str(shape: Iterable[int] | None) -> str:
    return "absent" if shape is None else "[" + ", ".join(str(int(d)) for d in shape) + "]"


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOW])
    return shown + (f", ... ({len(keys) - SHOW} more)" if len(keys) > SHOW else "")


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


def _is_count(value: Any) -> bool:
    """A JSON unsigned integer: what the safetensors format requires for offsets and dimensions (the
    library rejects 8.0, "8", true and -1, so the header check must too or it would pass files that
    then fail to load)."""
    return type(value) is int and value >= 0


def read_safetensors_header(path: str | Path) -> dict[str, TensorInfo]:
    """Parse and validate the header (8-byte little-endian length + JSON) without reading tensor data.

    Validation catches truncated downloads, Git LFS pointers and non-safetensors files, and applies the
    safetensors library's own rules (unsigned integer shapes and offsets, tensors packed end to end
    covering the data section exactly, string metadata), so a file this function accepts is one the
    library will load: the models report must never call a file fine that loading then refuses.
    """
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise _pickle_error(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if head + fh.read(len(_LFS_POINTER) - 8) == _LFS_POINTER:
                raise lfs_pointer_error(path)
            if len(head) < 8:
                raise WeightsError(
                    f"'{path}' is not a safetensors file: it is only {size} bytes long.", _REDOWNLOAD
                )
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER_BYTES or 8 + n > size:
                raise WeightsError(
                    f"'{path}' is corrupt or not a safetensors file: its header claims {n} bytes "
                    f"but the file has {size} bytes.",
                    _REDOWNLOAD,
                )
            fh.seek(8)
            raw = fh.read(n)
    except OSError as exc:
        raise WeightsError(
            f"Cannot read '{path}': {exc.strerror or exc}.", "Check the file and its permissions."
        ) from exc
    try:
        header = json.loads(raw.decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise WeightsError(
            f"'{path}' is corrupt or not a safetensors file (bad header: {reason}).", _REDOWNLOAD
        ) from exc
    return _validated_entries(path, header, size - 8 - n)


def _validated_entries(path: Path, header: dict[str, Any], data_size: int) -> dict[str, TensorInfo]:
    """The header's tensors, checked as the safetensors library checks them (see the caller)."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise WeightsError(f"'{path}' is corrupt: its __metadata__ is not a map of strings.", _REDOWNLOAD)
    out: dict[str, TensorInfo] = {}
    spans: list[tuple[int, int, str]] = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        bad = WeightsError(f"'{path}' is corrupt: bad header entry for tensor '{key}'.", _REDOWNLOAD)
        if not isinstance(entry, dict):
            raise bad
        code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise bad
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets):
            raise bad
        if code not in DTYPES:
            raise WeightsError(
                f"'{path}': tensor '{key}' has the data type {code!r}, which Undo Studio cannot read "
                f"(known: {', '.join(DTYPES)}).",
                "Download the published float16/float32 safetensors files of the model.",
            )
        name, itemsize = DTYPES[code]
        begin, end = offsets
        nbytes = math.prod(shape) * itemsize
        if end - begin != nbytes:
            raise WeightsError(
                f"'{path}' is corrupt: tensor '{key}' has inconsistent byte offsets.", _REDOWNLOAD
            )
        out[key] = TensorInfo(name, tuple(shape), nbytes)
        spans.append((begin, end, key))
    spans.sort()
    last_end = max((end for _, end, _ in spans), default=0)
    if last_end > data_size:
        key = next(k for _, end, k in spans if end == last_end)
        raise WeightsError(
            f"'{path}' is truncated: tensor '{key}' ends at byte {last_end} of the data section but the "
            f"file holds only {data_size} data bytes.",
            _REDOWNLOAD,
        )
    position = 0
    for begin, end, key in spans:
        if begin != position:
            raise WeightsError(
                f"'{path}' is corrupt: tensor '{key}' starts at byte {begin} of the data section where "
                f"byte {position} was expected (tensors overlap or leave a gap).",
                _REDOWNLOAD,
            )
        position = end
    if position != data_size:
        raise WeightsError(
            f"'{path}' is corrupt: {data_size - position} bytes after its last tensor belong to none.",
            _REDOWNLOAD,
        )
    return out


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


def header_dtype(path_or_folder: str | Path) -> str:
    return dtype_summary(read_headers(path_or_folder))


# --------------------------------------------------------------------------------------------- loading
def load_safetensors(
    path_or_folder: str | Path,
    device: Any = "cpu",
    dtype: torch.dtype | None = None,
    variant: str | None = None,
) -> dict[str, torch.Tensor]:
    """All tensors of a file or component folder; floating-point tensors cast to `dtype` if given.

    Tensors are read one at a time (cast before the next is read) so peak memory stays near the final
    size. Integer tensors keep their dtype.
    """
    from safetensors import safe_open

    out: dict[str, torch.Tensor] = {}
    for file in weight_files(path_or_folder, variant):
        read_safetensors_header(file)  # precise errors for truncated/corrupt files before the library's
        try:
            with safe_open(str(file), framework="pt", device=str(device)) as fh:
                for key in fh.keys():  # noqa: SIM118 (safe_open is not a Mapping)
                    tensor = fh.get_tensor(key)
                    if dtype is not None and tensor.is_floating_point() and tensor.dtype != dtype:
                        tensor = tensor.to(dtype)
                    out[key] = tensor
        except WeightsError:
            raise
        except Exception as exc:  # safetensors raises its own error types (SafetensorError, OSError)
            raise WeightsError(
                f"Could not read '{file}': {exc}.", "Delete the file and download it again."
            ) from exc
    return out


# ------------------------------------------------------------------------------------------- manifests
def manifest_names() -> list[str]:
    folder = resources.files("app.inference.paints_undo.manifests")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


@lru_cache(maxsize=16)
def _manifest_text(name: str) -> str:
    file = resources.files("app.inference.paints_undo.manifests") / f"{name}.json"
    if not file.is_file():
        raise WeightsError(f"Unknown manifest '{name}'.", f"Known manifests: {', '.join(manifest_names())}.")
    return file.read_text(encoding="utf-8")


def manifest(name: str) -> dict[str, Any]:
    """The parsed manifest (a fresh copy, so callers may mutate it)."""
    return json.loads(_manifest_text(name))


@lru_cache(maxsize=16)
def _parsed(name: str) -> dict[str, Any]:
    """Shared parsed manifest for read-only use inside this package (never mutate)."""
    return json.loads(_manifest_text(name))


def manifest_inferred(name: str) -> bool:
    """Whether the manifest's config was inferred (not the real config.json; see the README)."""
    return bool(_parsed(name).get("inferred", False))


def manifest_shapes(name: str) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """(required, optional) key -> shape. Required = the reference state dict; optional = buffers that
    older libraries persisted and the learnable-alpha scalars the multi-frame UNet may have."""
    data = _parsed(name)
    shapes = {**data.get("buffers", {}), **data.get("params", {})}
    required = {k: tuple(shapes[k]) for k in data["state_dict_keys_in_order"]}
    optional = {
        k: tuple(data["buffers"][k]) for k in data.get("non_persistent_buffers", []) if k in data["buffers"]
    }
    for key, shape in (data.get("extra_keys_if_image_cross_attention_scale_learnable") or {}).items():
        optional[key] = tuple(shape)
    return required, optional


def manifest_num_params(name: str) -> int:
    return int(_parsed(name)["num_params"])


def _strip(keys: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {(k[len(prefix) :] if k.startswith(prefix) else k): v for k, v in keys.items()}


def verify_against_manifest(
    header_shapes: Mapping[str, Iterable[int]], manifest_name: str, source: str = ""
) -> list[str]:
    """Problems (empty list = compatible) of a key -> shape mapping against a manifest.

    Each problem names counts and the first few keys; shape problems name key, expected, found shape.
    """
    required, optional = manifest_shapes(manifest_name)
    found = {k: tuple(int(d) for d in v) for k, v in header_shapes.items()}
    prefix = OPTIONAL_PREFIX.get(manifest_name)
    if prefix:
        required, optional, found = _strip(required, prefix), _strip(optional, prefix), _strip(found, prefix)
    where = f" in {source}" if source else ""
    problems: list[str] = []
    missing = [k for k in required if k not in found]
    unexpected = [k for k in found if k not in required and k not in optional]
    wrong = [k for k in required if k in found and found[k] != required[k]]
    wrong += [k for k in optional if k in found and found[k] != optional[k]]
    if missing:
        problems.append(f"{len(missing)} of {len(required)} keys missing{where}: {_listing(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys{where}: {_listing(unexpected)}")
    for key in wrong[:SHOW]:
        expected = required.get(key, optional.get(key))
        problems.append(
            f"shape mismatch{where}: {key}: expected {_shape_str(expected)}, found {_shape_str(found[key])}"
        )
    if len(wrong) > SHOW:
        problems.append(f"... {len(wrong) - SHOW} more shape mismatches{where}")
    return problems


# ----------------------------------------------------------------------------------- module loading
KeyMap = Mapping[str, str] | Callable[[str], str | None]


def _apply_key_map(state_dict: Mapping[str, Any], key_map: KeyMap | None) -> dict[str, Any]:
    if key_map is None:
        return dict(state_dict)
    out: dict[str, Any] = {}
    for key, value in state_dict.items():
        new = key_map.get(key, key) if isinstance(key_map, Mapping) else key_map(key)
        if new is not None:
            out[new] = value
    return out


def align_prefix(state_dict: Mapping[str, Any], target_keys: Iterable[str]) -> dict[str, Any]:
    """Add or strip the one leading `text_model.`-style prefix when that is the only thing that keeps
    the keys from matching (transformers 4 vs 5 CLIPTextModel). Otherwise return the dict unchanged."""
    target = set(target_keys)
    sd = dict(state_dict)
    if not sd or not target or set(sd) & target:
        return sd
    for prefix in {k.split(".", 1)[0] + "." for k in list(sd)[:1] + list(target)[:1] if "." in k}:
        if all(k.startswith(prefix) for k in sd) and not any(k.startswith(prefix) for k in target):
            renamed = {k[len(prefix) :]: v for k, v in sd.items()}
        elif all(k.startswith(prefix) for k in target) and not any(k.startswith(prefix) for k in sd):
            renamed = {prefix + k: v for k, v in sd.items()}
        else:
            continue
        if set(renamed) & target:
            return renamed
    return sd


def _shapes_of(values: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in values.items()}


def load_into(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    strict: bool = True,
    key_map: KeyMap | None = None,
    source: str = "",
) -> LoadResult:
    """Load `state_dict` into `module`, reporting problems as `WeightsError` instead of RuntimeError.

    `key_map` renames file keys to module keys (a dict, or a callable returning None to drop a key).
    Shape mismatches always raise; missing/unexpected keys raise when `strict`. With `strict=False` a
    load that matches no key at all still raises (that is the silent failure this guards against).
    A module built on the `meta` device is loaded with `assign=True` (tensors keep the file's dtype).
    """
    sd = _apply_key_map(state_dict, key_map)
    target = _shapes_of(module.state_dict())
    sd = align_prefix(sd, target)
    sd = {k: v for k, v in sd.items() if k in target or not k.endswith(HARMLESS_EXTRA_SUFFIXES)}
    where = f" ({source})" if source else ""
    missing = [k for k in target if k not in sd]
    unexpected = [k for k in sd if k not in target]
    wrong = [k for k in target if k in sd and tuple(sd[k].shape) != target[k]]
    problems = [
        f"{k}: expected {_shape_str(target[k])}, found {_shape_str(sd[k].shape)}" for k in wrong[:SHOW]
    ]
    if wrong:
        more = f"; ... {len(wrong) - SHOW} more" if len(wrong) > SHOW else ""
        problems = [f"{len(wrong)} shape mismatches: " + "; ".join(problems) + more]
    if strict and missing:
        problems.append(f"{len(missing)} of {len(target)} keys missing: {_listing(missing)}")
    if strict and unexpected:
        problems.append(f"{len(unexpected)} unexpected keys: {_listing(unexpected)}")
    if not strict and target and len(missing) == len(target):
        problems.append(f"no key matched the model (file keys look like: {_listing(list(sd))})")
    if problems:
        raise WeightsError(
            f"Weights{where} do not fit {type(module).__name__}: " + " | ".join(problems) + ".",
            "The file belongs to a different model or version; download the files listed by `undo-studio models`.",
        )
    assign = any(t.is_meta for t in module.state_dict().values())
    module.load_state_dict(sd, strict=False, assign=assign)
    return LoadResult(loaded=len(sd) - len(unexpected), missing=tuple(missing), unexpected=tuple(unexpected))


@contextmanager
def config_errors(config_path: Path, what: str) -> Iterator[None]:
    """Turn whatever building a model from a user's `config.json` raises into a `WeightsError` naming
    that file. Why so broad: the constructors validate with ValueError, KeyError (an unknown
    activation), TypeError, ZeroDivisionError and huggingface_hub's own StrictDataclass errors, and to
    the user they all mean the same: this config.json does not describe this model. Only the
    config-driven construction runs inside, so real bugs elsewhere are not masked, and the original
    error stays in the message and as the cause."""
    try:
        yield
    except WeightsError:
        raise
    except Exception as exc:
        raise WeightsError(
            f"'{config_path}' does not describe a usable {what}: {type(exc).__name__}: {exc}",
            "config.json and the weights must come from the same model; download the component folder "
            "again (see `undo-studio models`).",
        ) from exc


def meta_module(factory: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """Build a module skeleton on the `meta` device: shapes only, no memory, no random init cost."""
    import torch

    with torch.device("meta"):
        return factory()


def module_shapes(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    return _shapes_of(module.state_dict())


def compare_module_with_manifest(
    module: torch.nn.Module, manifest_name: str, key_map: KeyMap | None = None
) -> list[str]:
    """Problems between a module's state-dict keys/shapes and a manifest (empty = identical).

    Use it in tests with `meta_module(lambda: MyUNet(**full_size_config))` to prove a re-implementation
    loads the published checkpoint without allocating 3 GB.
    """
    shapes = _apply_key_map(module_shapes(module), key_map)
    return verify_against_manifest(shapes, manifest_name, source=type(module).__name__)
