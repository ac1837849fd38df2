"""Derive the UNet3D constructor config from a checkpoint's key -> shape map, and check that it fits.

The published multi-frame `unet/config.json` could not be verified (the README's manifest is inferred), and
one flag in particular (`image_cross_attention_scale_learnable`) is uncertain. So the loader reads what
the weights themselves say (channels, context width, which optional parts exist), takes the layout
(channel_mult, num_res_blocks, attention_resolutions, heads) from `base_config`, builds the skeleton on the
`meta` device (no memory) and compares key sets and shapes, failing with a message naming the first
differences instead of a half-loaded model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.errors import WeightsError


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in getattr(value, "shape", value))


def infer_unet3d_config(
    state_dict_shapes: Mapping[str, Any], base_config: Mapping[str, Any]
) -> dict[str, Any]:
    """`state_dict_shapes`: key -> shape (tuple/list, tensor or safetensors slice); returns a full config.

    Raises `WeightsError` when the keys or shapes do not fit the derived config.
    """
    shapes = {k: _shape(v) for k, v in state_dict_shapes.items()}
    config = dict(base_config)
    first_conv = shapes.get("input_blocks.0.0.weight")
    out_conv = shapes.get("out.2.weight")
    if first_conv is None or out_conv is None:
        raise WeightsError(
            "The multi-frame UNet weights lack 'input_blocks.0.0.weight' or 'out.2.weight'.",
            "Check that the folder holds the Paints-UNDO multi-frame unet (diffusers_vdm UNet3DModel) weights.",
        )
    config["model_channels"], config["in_channels"] = first_conv[0], first_conv[1]
    config["out_channels"] = out_conv[0]
    keys = list(shapes)
    config["image_cross_attention"] = any(k.endswith("attn2.to_k_ip.weight") for k in keys)
    config["image_cross_attention_scale_learnable"] = any(k.endswith("attn2.alpha") for k in keys)
    config["temporal_conv"] = any(".temopral_conv." in k for k in keys)
    config["addition_attention"] = any(k.startswith("init_attn.") for k in keys)
    config["fs_condition"] = any(k.startswith("fps_embedding.") for k in keys)
    config["use_relative_position"] = any(".relative_position_k." in k for k in keys)
    ip_keys = [k for k in keys if k.endswith("attn2.to_k_ip.weight")]
    if ip_keys:
        config["context_dim"] = shapes[ip_keys[0]][1]
    spatial_proj = [k for k in keys if k.endswith(".proj_in.weight") and not k.startswith("init_attn.")]
    if spatial_proj:
        config["use_linear"] = len(shapes[spatial_proj[0]]) == 2
    if config["use_relative_position"] and not config.get("temporal_length"):
        table = next(v for k, v in shapes.items() if k.endswith("relative_position_k.embeddings_table"))
        config["temporal_length"] = (table[0] - 1) // 2
    check_unet3d_shapes(shapes, config)
    return config


def check_unet3d_shapes(shapes: Mapping[str, Sequence[int]], config: Mapping[str, Any]) -> None:
    """Build the skeleton on `meta` and raise `WeightsError` naming missing/unexpected/mis-shaped keys."""
    import torch

    from .unet3d import UNet3DModel

    try:
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in UNet3DModel(**config).state_dict().items()}
    except (TypeError, ValueError) as exc:
        raise WeightsError(
            f"The multi-frame UNet config is not usable: {exc}",
            "Check unet/config.json against the Paints-UNDO release.",
        ) from exc
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    wrong = sorted(k for k in set(expected) & set(shapes) if tuple(shapes[k]) != expected[k])
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3])})")
        if wrong:
            parts.append(
                "wrong shapes: " + ", ".join(f"{k} {tuple(shapes[k])} != {expected[k]}" for k in wrong[:3])
            )
        raise WeightsError(
            "The multi-frame UNet weights do not fit its config: " + "; ".join(parts) + ".",
            "The file may be from another model or damaged; re-download paints_undo_multi_frame/unet.",
        )
