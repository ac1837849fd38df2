"""The single-frame VAE: a stock diffusers `AutoencoderKL` (SD1.5), loaded strictly from safetensors.

`encode` returns `latent_dist.mode() * scaling_factor` (the artwork's latent, `concat_conds`), and
`decode` takes sampler latents (already scaled) and divides by `scaling_factor`, as the reference app.
Loaded by `checkpoint.assign_state_dict`, not `AutoencoderKL.from_pretrained`, which would accept a
checkpoint with missing keys (randomly initialised); see `checkpoint`'s docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL
from diffusers.models.attention_processor import AttnProcessor2_0

from app.inference.paints_undo import weights
from app.inference.paints_undo.device_defaults import check_tiling
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


TILE_ABOVE_PX = 768  # "auto" never tiles a keyframe whose long side is at most this
# Working memory of a whole (untiled) decode per output pixel in fp32, measured by bench/vae_tiling.py
# (SD VAE architecture at 1024x1024: +3852 MB peak RSS on the CPU, i.e. 3852 B/px); half in fp16/bf16.
DECODE_BYTES_PER_PIXEL_FP32 = 3852


def device_free_bytes(device: torch.device) -> int | None:
    """Free memory on a CUDA/MPS device now (None when it cannot be told)."""
    try:
        if device.type == "cuda":
            return int(torch.cuda.mem_get_info(device)[0])
        if device.type == "mps":
            return int(torch.mps.recommended_max_memory() - torch.mps.driver_allocated_memory())
    except (RuntimeError, AttributeError):
        return None
    return None


def wants_tiling(
    choice: str,
    vae: AutoencoderKL,
    latents: torch.Tensor,
    free_bytes: Callable[[torch.device], int | None] = device_free_bytes,
) -> bool:
    """Whether to decode `latents` in tiles. "on"/"off": as the user says ("on" still decodes in one
    piece what fits one tile, as diffusers does). "auto": only on a GPU, only above `TILE_ABOVE_PX`,
    and only when the whole decode would not fit the device's free memory: tiles change the numbers
    (bench/vae_tiling.py, docs/DESIGN.md), so they are used where the alternative is no keyframe."""
    if check_tiling(choice) != "auto":
        return choice == "on"
    device, dtype = _module_place(vae)
    height, width = latents.shape[-2] * 8, latents.shape[-1] * 8
    if device.type == "cpu" or max(height, width) <= TILE_ABOVE_PX:
        return False
    free = free_bytes(device)
    itemsize = torch.empty((), dtype=dtype).element_size()
    need = latents.shape[0] * height * width * DECODE_BYTES_PER_PIXEL_FP32 * itemsize // 4
    return free is not None and need > free


def _module_place(module: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(module.parameters())
    return p.device, p.dtype


@torch.inference_mode()
def encode_image(vae: AutoencoderKL, pixels: torch.Tensor) -> torch.Tensor:
    """(B,3,H,W) in [-1,1] -> scaled latents (B,4,H/8,W/8) in float32."""
    device, dtype = _module_place(vae)
    dist = vae.encode(pixels.to(device=device, dtype=dtype)).latent_dist
    return (dist.mode() * vae.config.scaling_factor).float()


@contextmanager
def tiling(vae: AutoencoderKL, on: bool) -> Iterator[AutoencoderKL]:
    """diffusers' own tiled decode (`use_tiling`) switched on for the block, then back as it was (the
    module is shared through the model manager). Tiles only latents larger than
    `vae.tile_latent_min_size` (64 = 512 px for the SD VAE): overlapping by a quarter, blended
    linearly over `tile_overlap_factor * tile_sample_min_size` pixels."""
    before = vae.use_tiling
    vae.use_tiling = bool(on)
    try:
        yield vae
    finally:
        vae.use_tiling = before


@torch.inference_mode()
def decode_latents(vae: AutoencoderKL, latents: torch.Tensor, tiled: bool = False) -> torch.Tensor:
    """Scaled latents -> (B,3,H,W) pixels in about [-1,1], float32. `tiled`: decode in overlapping
    tiles (`tiling`): a flat peak whatever the size, numbers close to but not equal to the whole decode."""
    device, dtype = _module_place(vae)
    z = latents.to(device=device, dtype=dtype) / vae.config.scaling_factor
    with tiling(vae, tiled):
        return vae.decode(z).sample.float()
