"""Reading one model component folder (`config.json` + safetensors) into a module, strictly.

File handling (safetensors only, pickles refused, truncated/corrupt files named, shards) is
`paints_undo.weights` and `paints_undo.safetensors_files`; this module adds what every single-frame loader needs on top: the config, a
dtype cast while reading (peak memory stays near the final size), a strict load into a module built
on the `meta` device (no random init, no memory), and re-creating non-persistent buffers.

Why strict: a `load_state_dict(strict=False)` that silently loads nothing (the transformers-5 CLIP
prefix trap, README) produces plausible-looking garbage. Every missing, unexpected or mis-shaped key
is a `WeightsError` that names the file and what to do.

Why not `AutoencoderKL.from_pretrained` / `CLIPTextModel.from_pretrained` for the stock components
(checked with diffusers 0.42.1 and transformers 5.24 on the tiny fixtures): they reproduce the fixtures
exactly (max difference 0 to this loader), but a checkpoint with a MISSING key loads without error (the
key is randomly initialised; transformers only reports it with `output_loading_info=True`), unexpected
keys are a log line, and without `accelerate` diffusers builds the model with random init in full
before copying (twice the memory). Keeping strictness would mean checking the keys ourselves before
the call, i.e. this module again plus the library's loader. So the stock classes are built on the
`meta` device from `config.json` and loaded here; `load_tokenizer` does use `from_pretrained`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import WeightsError
from app.inference.paints_undo import layer_counts, safetensors_files, weights

if TYPE_CHECKING:  # pragma: no cover
    import torch


def read_config(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise WeightsError(
            f"Missing model config: {path}.", "Download the component folder again (it needs config.json)."
        )
    return safetensors_files.read_json_object(path, "The file is damaged; download it again.")


def check_config_counts(folder: Path, config: dict[str, Any], manifest_name: str, what: str) -> None:
    """Refuse a config.json whose layer counts contradict the weights' key names, before building.

    Why here, before `read_weights`: building the skeleton loops once per configured layer, so an
    absurd count would hang before the strict load could complain; the header alone settles it.
    """
    keys = safetensors_files.read_shapes(Path(folder))
    layer_counts.check_layer_counts(manifest_name, config, keys, Path(folder) / "config.json", what)


def read_weights(folder: Path, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """Every tensor of the component's safetensors file(s) on the CPU, floats cast to `dtype`."""
    return weights.load_safetensors(Path(folder), device="cpu", dtype=dtype)


def assign_state_dict(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    what: str,
    dtype: torch.dtype | None = None,
    fix_buffers: Callable[[torch.nn.Module], None] | None = None,
) -> torch.nn.Module:
    """Strictly load `state_dict` into a (possibly meta-device) `module`, in `dtype`, ready for eval.

    `fix_buffers` re-creates non-persistent buffers that a meta-built module cannot get from a file.
    """
    import torch

    converted = {
        k: (v.to(dtype) if dtype is not None and v.is_floating_point() and v.dtype != dtype else v)
        for k, v in state_dict.items()
    }
    weights.load_into(module, converted, strict=True, source=what)
    if fix_buffers is not None:
        fix_buffers(module)
    leftovers = [n for n, t in list(module.named_parameters()) + list(module.named_buffers()) if t.is_meta]
    if leftovers:
        raise WeightsError(
            f"{what}: tensors left without values: {', '.join(leftovers[:3])}.", "Report this bug."
        )
    if dtype is not None:
        # plain nn.Module.to: diffusers' ModelMixin.to warns about float32-kept modules we do not have
        torch.nn.Module.to(module, dtype)
    module.eval().requires_grad_(False)
    return module
