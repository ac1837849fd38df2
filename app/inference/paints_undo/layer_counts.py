"""Compare a config.json's layer counts with the layers its weights actually hold (key names only).

Why: the loaders build each model's skeleton from `config.json` before any key or shape is compared,
and building runs one Python loop iteration per layer. A damaged or hostile config.json that says
`layers_per_block: 10000000` therefore hangs the app (and fills memory with module objects) long
before the strict load could say that the file does not fit. The weights' key names say how many
layers there really are (`down_blocks.0.resnets.1.` means at least two), and reading them needs the
safetensors header only. So every loader, and the models report, compares the counts first and
refuses a mismatch with a `WeightsError` naming the config.json. Equal counts change nothing: a
config that agrees with its weights is built exactly as before.

Only integer counts (or lists of them) are compared; anything else (a string, a float) is left to
the constructor, whose own errors `weights.config_errors` already turns into a `WeightsError`.

Public API:
- `count_problems(manifest_name, config, keys) -> list[str]`: what contradicts, empty when nothing.
- `check_layer_counts(manifest_name, config, keys, config_path, what)`: raises `WeightsError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from app.errors import WeightsError

# One claim: (config key, the value the weights imply, where in the weights that count was read).
# None: no value of that key can fit (the weights' layer count is not a multiple of the config's levels).
Claim = tuple[str, int | list[int] | None, str]


def _max_indices(keys: Iterable[str], pattern: str) -> dict[int, int]:
    """For a pattern with two groups (outer index, inner index): outer -> number of inner layers,
    counted as the highest inner index + 1 (what a constructor needs to build them all)."""
    rx = re.compile(pattern)
    out: dict[int, int] = {}
    for key in keys:
        if m := rx.match(key):
            outer, inner = int(m.group(1)), int(m.group(2))
            out[outer] = max(out.get(outer, 0), inner + 1)
    return out


def _count(keys: Iterable[str], pattern: str) -> int:
    rx = re.compile(pattern)
    return max((int(m.group(1)) + 1 for k in keys if (m := rx.match(k))), default=0)


def _is_int(value: Any) -> bool:
    return type(value) is int


def _diffusers_unet_claims(config: Mapping[str, Any], keys: list[str]) -> list[Claim]:
    """`UNet2DConditionModel`: `layers_per_block` resnets per down block (up blocks have one more),
    `transformer_layers_per_block` transformer blocks per attention of a down block."""
    claims: list[Claim] = []
    resnets = _max_indices(keys, r"down_blocks\.(\d+)\.resnets\.(\d+)\.")
    if resnets:
        per_block = [resnets.get(i, 0) for i in range(max(resnets) + 1)]
        claims.append(("layers_per_block", per_block, "down_blocks.<i>.resnets.<j>"))
    depth = _max_indices(keys, r"down_blocks\.(\d+)\.attentions\.\d+\.transformer_blocks\.(\d+)\.")
    if depth:
        per_block = [depth.get(i, -1) for i in range(max(depth) + 1)]  # -1: no attention, any value
        claims.append(
            (
                "transformer_layers_per_block",
                per_block,
                "down_blocks.<i>.attentions.<j>.transformer_blocks.<k>",
            )
        )
    return claims


def _autoencoder_kl_claims(config: Mapping[str, Any], keys: list[str]) -> list[Claim]:
    """`AutoencoderKL`: `layers_per_block` resnets per encoder down block (decoder blocks: one more)."""
    resnets = _max_indices(keys, r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.")
    if not resnets:
        return []
    per_block = [resnets.get(i, 0) for i in range(max(resnets) + 1)]
    return [("layers_per_block", per_block, "encoder.down_blocks.<i>.resnets.<j>")]


def _clip_text_claims(config: Mapping[str, Any], keys: list[str]) -> list[Claim]:
    """`CLIPTextModel`: `num_hidden_layers` encoder layers (keys with or without `text_model.`)."""
    found = _count(keys, r"(?:text_model\.)?encoder\.layers\.(\d+)\.")
    return [("num_hidden_layers", found, "encoder.layers.<i>")] if found else []


def _unet3d_claims(config: Mapping[str, Any], keys: list[str]) -> list[Claim]:
    """`UNet3DModel`: `len(channel_mult) * (num_res_blocks + 1)` output blocks, `transformer_depth`
    transformer blocks in the middle block's spatial transformer."""
    claims: list[Claim] = []
    levels = config.get("channel_mult")
    outputs = _count(keys, r"output_blocks\.(\d+)\.")
    if isinstance(levels, list) and levels and all(_is_int(v) for v in levels) and outputs:
        if outputs % len(levels):
            claims.append(
                ("num_res_blocks", None, f"{outputs} output_blocks, not a multiple of channel_mult={levels}")
            )
        else:
            claims.append(
                (
                    "num_res_blocks",
                    outputs // len(levels) - 1,
                    f"{outputs} output_blocks for {len(levels)} levels",
                )
            )
    depth = _count(keys, r"middle_block\.1\.transformer_blocks\.(\d+)\.")
    if depth:
        claims.append(("transformer_depth", depth, "middle_block.1.transformer_blocks.<i>"))
    return claims


# The components whose constructors loop over config counts; the multi-frame VAE, image encoder and
# image projection take their counts from the weights already (multi_frame/loading.py).
_CLAIMS: dict[str, Callable[[Mapping[str, Any], list[str]], list[Claim]]] = {
    "single_frame_unet": _diffusers_unet_claims,
    "single_frame_vae": _autoencoder_kl_claims,
    "single_frame_text_encoder": _clip_text_claims,
    "multi_frame_text_encoder": _clip_text_claims,
    "multi_frame_unet": _unet3d_claims,
}


def _contradicts(value: Any, found: int | list[int] | None) -> bool:
    """Whether a config value (int, or list of ints per block) disagrees with the weights' count.
    Per-block counts of -1 accept any value (a block without that kind of layer ignores it)."""
    if found is None:
        return True
    if isinstance(found, int):
        return _is_int(value) and value != found
    if _is_int(value):
        return any(f not in (-1, value) for f in found)
    if isinstance(value, list) and all(_is_int(v) for v in value):
        return len(value) == len(found) and any(f not in (-1, v) for f, v in zip(value, found, strict=True))
    return False


def _shown(found: int | list[int]) -> str:
    if isinstance(found, int):
        return str(found)
    return "[" + ", ".join("any" if f == -1 else str(f) for f in found) + "]"


def count_problems(manifest_name: str | None, config: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """One sentence per config count that the weights' key names contradict (empty: none)."""
    claims_of = _CLAIMS.get(manifest_name or "")
    if claims_of is None:
        return []
    problems = []
    for name, found, where in claims_of(config, list(keys)):
        if name in config and _contradicts(config[name], found):
            value = config[name]
            said = f"{value}" if not isinstance(value, list) or len(value) <= 8 else f"a list of {len(value)}"
            if found is None:
                problems.append(f"it says {name}={said} but the weights hold {where}")
            else:
                problems.append(f"it says {name}={said} but the weights hold {_shown(found)} ({where})")
    return problems


def check_layer_counts(
    manifest_name: str | None, config: Mapping[str, Any], keys: Iterable[str], config_path: Path, what: str
) -> None:
    """Raise `WeightsError` naming `config_path` when its layer counts contradict the weights' keys.

    Call it before building the model: a contradicting count is what makes building hang.
    """
    problems = count_problems(manifest_name, config, keys)
    if problems:
        raise WeightsError(
            f"'{config_path}' does not describe a usable {what}: " + "; ".join(problems) + ".",
            "config.json and the weights must come from the same model; download the component folder "
            "again (see `undo-studio models`).",
        )
