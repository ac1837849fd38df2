"""The single-frame Paints-UNDO UNet: SD1.5's `UNet2DConditionModel` plus two conditionings.

The reference builds it by monkey-patching a stock UNet (README "ModifiedUNet"); here it is a proper
subclass with the same state-dict key names, so the published weights load unchanged:

* **image latent** — `conv_in` takes 4 + `concat_channels` inputs; the VAE latent of the artwork is
  concatenated AFTER the noisy sample (`cat([x, concat_conds.repeat(B)], 1)`).
* **operation step** ("undo step" 0..999) — `add_time_proj = Timesteps(256, flip_sin_to_cos=True, 0)`
  then `add_embedding = TimestepEmbedding(256, 1280)`, added to the time embedding. We plug it in by
  overriding `get_aug_embed`, the hook diffusers' forward already calls for its own addition embeddings.

The published `config.json` still says `in_channels: 4` and `addition_embed_type: null`, so the loader
trusts the weights' shapes, not those two config values.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor2_0
from diffusers.models.embeddings import TimestepEmbedding, Timesteps

from app.errors import WeightsError
from app.inference.paints_undo import weights
from app.inference.paints_undo.single_frame.checkpoint import (
    assign_state_dict,
    check_config_counts,
    read_config,
    read_weights,
)

CODED_COND_CHANNELS = 256  # sinusoid width of one operation step
ADD_EMBED_DIM = 1280  # hard-coded in the reference (== SD1.5's time embedding width)


class PaintsUndoUNet(UNet2DConditionModel):
    """`UNet2DConditionModel` with the image-latent input channels and the undo-step embedding.

    `forward(sample, timestep, encoder_hidden_states, concat_conds, coded_conds)` returns eps directly.
    `concat_conds` (1 or B, C, H, W) and `coded_conds` (1 or B,) are tiled to the sample batch, so a
    CFG call with [positive; negative] stacked on the batch axis takes them once.
    """

    def __init__(
        self, *args: Any, concat_channels: int = 4, coded_conds_count: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        old = self.conv_in
        self.conv_in = torch.nn.Conv2d(
            old.in_channels + concat_channels,
            old.out_channels,
            kernel_size=old.kernel_size,
            padding=old.padding,
        )
        self.concat_channels = concat_channels
        self.add_time_proj = Timesteps(CODED_COND_CHANNELS, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.add_embedding = TimestepEmbedding(CODED_COND_CHANNELS * coded_conds_count, ADD_EMBED_DIM)

    def get_aug_embed(
        self, emb: torch.Tensor, encoder_hidden_states: torch.Tensor, added_cond_kwargs: dict[str, Any]
    ) -> torch.Tensor:
        coded = (added_cond_kwargs or {}).get("coded_conds")
        if coded is None:
            raise ValueError("PaintsUndoUNet needs `coded_conds` (the undo steps) in added_cond_kwargs")
        projected = self.add_time_proj(coded.flatten()).reshape(coded.shape[0], -1).to(emb)
        return self.add_embedding(projected)

    def forward(  # type: ignore[override]
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        concat_conds: torch.Tensor,
        coded_conds: torch.Tensor,
        cross_attention_kwargs: dict[str, Any] | None = None,
    ) -> torch.Tensor:
        batch = sample.shape[0]
        concat = _tile(concat_conds, batch).to(device=sample.device, dtype=sample.dtype)
        coded = _tile(coded_conds, batch).to(device=sample.device)
        x = torch.cat([sample, concat], dim=1)
        out = super().forward(
            x,
            timestep,
            encoder_hidden_states,
            cross_attention_kwargs=cross_attention_kwargs,
            added_cond_kwargs={"coded_conds": coded},
            return_dict=False,
        )
        return out[0]


def _tile(t: torch.Tensor, batch: int) -> torch.Tensor:
    if t.shape[0] == batch:
        return t
    if batch % t.shape[0]:
        raise ValueError(f"cannot tile a batch of {t.shape[0]} to {batch}")
    reps = batch // t.shape[0]
    return t.repeat(reps, *([1] * (t.dim() - 1)))


def unet_init_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments in a diffusers UNet config (drops `_class_name`, versions, unknowns)."""
    accepted = set(inspect.signature(UNet2DConditionModel.__init__).parameters) - {"self"}
    return {k: v for k, v in config.items() if k in accepted}


def build_unet(
    config: dict[str, Any],
    concat_channels: int = 4,
    coded_conds_count: int = 1,
    device: str | torch.device = "meta",
) -> PaintsUndoUNet:
    """An un-loaded UNet (on `meta` by default: shapes only, no memory) with SDPA attention."""
    with torch.device(device):
        unet = PaintsUndoUNet(
            concat_channels=concat_channels, coded_conds_count=coded_conds_count, **unet_init_kwargs(config)
        )
    unet.set_attn_processor(AttnProcessor2_0())
    return unet


def unet_from_state_dict(
    config: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    dtype: torch.dtype = torch.float32,
    what: str = "",
) -> PaintsUndoUNet:
    """Build from `config` with the extra widths read from the weights, then load them strictly."""
    what = what or "the single-frame UNet"
    conv_in = state_dict.get("conv_in.weight")
    add_in = state_dict.get("add_embedding.linear_1.weight")
    if conv_in is None or add_in is None:
        raise WeightsError(
            f"The weights of {what} lack conv_in.weight or add_embedding.*: not a Paints-UNDO single-frame UNet.",
            "Download paints_undo_single_frame/unet again.",
        )
    concat_channels = int(conv_in.shape[1]) - int(config.get("in_channels", 4))
    coded_count = int(add_in.shape[1]) // CODED_COND_CHANNELS
    if concat_channels < 1 or coded_count < 1:
        raise WeightsError(
            f"The weights of {what} have {conv_in.shape[1]} input channels and an add_embedding of width "
            f"{add_in.shape[1]}: not a Paints-UNDO single-frame UNet.",
            "Download paints_undo_single_frame/unet again.",
        )
    unet = build_unet(config, concat_channels, coded_count)
    return assign_state_dict(unet, state_dict, what, dtype=dtype)


def load_unet(folder: Path, dtype: torch.dtype = torch.float32) -> PaintsUndoUNet:
    """Load `<models>/paints_undo_single_frame/unet` onto the CPU in `dtype`."""
    folder = Path(folder)
    config = read_config(folder)
    check_config_counts(folder, config, "single_frame_unet", "single-frame UNet")
    state_dict = read_weights(folder, dtype)
    with weights.config_errors(folder / "config.json", "single-frame UNet"):
        return unet_from_state_dict(config, state_dict, dtype, what=f"the single-frame UNet ({folder})")
