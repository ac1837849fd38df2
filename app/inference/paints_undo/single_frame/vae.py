"""The single-frame VAE: a stock diffusers `AutoencoderKL` (SD1.5), loaded strictly from safetensors.

`encode` returns `latent_dist.mode() * scaling_factor` (the artwork's latent, `concat_conds`), and
`decode` takes sampler latents (already scaled) and divides by `scaling_factor`, as the reference app.
Loaded by `checkpoint.assign_state_dict`, not `AutoencoderKL.from_pretrained`, which would accept a
checkpoint with missing keys (randomly initialised); see `checkpoint`'s docstring.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL
from diffusers.models.attention_processor import AttnProcessor2_0

from app.inference.paints_undo import weights
from app.inference.paints_undo.single_frame.checkpoint import (
    assign_state_dict,
    check_config_counts,
    read_config,
    read_weights,
)


def vae_init_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    accepted = set(inspect.signature(AutoencoderKL.__init__).parameters) - {"self"}
    return {k: v for k, v in config.items() if k in accepted}


def build_vae(config: dict[str, Any], device: str | torch.device = "meta") -> AutoencoderKL:
    with torch.device(device):
        vae = AutoencoderKL(**vae_init_kwargs(config))
    vae.set_attn_processor(AttnProcessor2_0())
    return vae


def vae_from_state_dict(
    config: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    dtype: torch.dtype = torch.float32,
    what: str = "",
) -> AutoencoderKL:
    return assign_state_dict(build_vae(config), state_dict, what or "the VAE", dtype=dtype)


def load_vae(folder: Path, dtype: torch.dtype = torch.float32) -> AutoencoderKL:
    folder = Path(folder)
    config = read_config(folder)
    check_config_counts(folder, config, "single_frame_vae", "VAE (AutoencoderKL)")
    state_dict = read_weights(folder, dtype)
    with weights.config_errors(folder / "config.json", "VAE (AutoencoderKL)"):
        return vae_from_state_dict(config, state_dict, dtype, what=f"the VAE ({folder})")


def _module_place(module: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(module.parameters())
    return p.device, p.dtype


@torch.inference_mode()
def encode_image(vae: AutoencoderKL, pixels: torch.Tensor) -> torch.Tensor:
    """(B,3,H,W) in [-1,1] -> scaled latents (B,4,H/8,W/8) in float32."""
    device, dtype = _module_place(vae)
    dist = vae.encode(pixels.to(device=device, dtype=dtype)).latent_dist
    return (dist.mode() * vae.config.scaling_factor).float()


@torch.inference_mode()
def decode_latents(vae: AutoencoderKL, latents: torch.Tensor) -> torch.Tensor:
    """Scaled latents -> (B,3,H,W) pixels in about [-1,1], float32."""
    device, dtype = _module_place(vae)
    z = latents.to(device=device, dtype=dtype) / vae.config.scaling_factor
    return vae.decode(z).sample.float()
