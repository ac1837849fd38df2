"""Safetensors-only weight loading and manifest checks (design §5).

Why this module exists: a user's weights come from the internet, so we never unpickle anything
(`.bin/.pt/.ckpt/.pth` are refused, `torch.load` is never called), shapes come from the safetensors headers
(`safetensors_files`) without touching tensor data, and every
mismatch becomes a `WeightsError` that names the key, the expected and the found shape and the file,
instead of torch's wall of text or, worse, `strict=False` silently loading nothing.

Public API (used by the single/multi-frame loaders, `layout.py` and the tests; finding files and
reading headers is `safetensors_files`):
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import WeightsError
from app.inference.paints_undo.safetensors_files import read_safetensors_header, weight_files

if TYPE_CHECKING:  # pragma: no cover
    import torch

TEXT_MODEL_PREFIX = "text_model."
# Manifests whose keys may appear with or without a leading prefix (CLIPTextModel, transformers 4 vs 5).
OPTIONAL_PREFIX = {
    "single_frame_text_encoder": TEXT_MODEL_PREFIX,
    "multi_frame_text_encoder": TEXT_MODEL_PREFIX,
}
# Buffers that older libraries saved and newer ones keep out of the state dict; harmless when present.
HARMLESS_EXTRA_SUFFIXES = ("embeddings.position_ids",)
SHOW = 5  # how many offending keys a message lists


@dataclass(frozen=True)
class LoadResult:
    loaded: int
    missing: tuple[str, ...] = ()  # only non-empty with strict=False
    unexpected: tuple[str, ...] = ()


def _shape_str(shape: Iterable[int] | None) -> str:
    return "absent" if shape is None else "[" + ", ".join(str(int(d)) for d in shape) + "]"


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOW])
    return shown + (f", ... ({len(keys) - SHOW} more)" if len(keys) > SHOW else "")


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
