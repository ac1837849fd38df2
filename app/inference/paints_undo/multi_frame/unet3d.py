"""The multi-frame (video) denoiser: a v-prediction UNet3D with the reference's exact state-dict layout.

`UNet3DModel(**config)` takes the constructor kwargs of `diffusers_vdm.unet.UNet3DModel` (the published
`unet/config.json`), builds the same modules under the same names, and computes the same maths with SDPA
attention. Behaviour that matters for parity (README "Multi frame"): `[cos, sin]` sinusoids of FLOAT
timesteps, the frame-stride (`fs`) embedding added to the time embedding, both repeated over t, the
concat condition appended after x on channels, `init_attn` (8 heads, Conv1d projections) after the first
conv, image cross-attention added to text cross-attention with scale 1 or `tanh(alpha)+1`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from app.inference.paints_undo.multi_frame.module_info import DeviceDtypeMixin

from .attention import SpatialTransformer, TemporalTransformer
from .unet3d_blocks import Downsample, ResBlock, TimestepEmbedSequential, Upsample

# Constructor kwargs the reference accepts that do not change the modules or the maths at inference.
_IGNORED_KWARGS = {
    "use_checkpoint",
    "use_fp16",
    "dropout",
    "num_classes",
    "num_heads_upsample",
    "use_new_attention_order",
    "legacy",
    "_class_name",
    "_diffusers_version",
    "_name_or_path",
}


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """`[cos(t*f), sin(t*f)]` with f = max_period^(-i/half); timesteps may be fractional (float32 maths)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half).to(
        timesteps.device
    )
    args = timesteps[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def _mlp(dim_in: int, dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim_in, dim), nn.SiLU(), nn.Linear(dim, dim))


class UNet3DModel(DeviceDtypeMixin, nn.Module):
    """Video UNet, input `(b, c, t, h, w)`; see module docstring. Unknown-but-harmless kwargs are ignored."""

    def __init__(
        self,
        in_channels: int,
        model_channels: int,
        out_channels: int,
        num_res_blocks: int,
        attention_resolutions: Iterable[int],
        channel_mult: Iterable[int] = (1, 2, 4, 8),
        conv_resample: bool = True,
        dims: int = 2,
        context_dim: int | None = None,
        use_scale_shift_norm: bool = False,
        resblock_updown: bool = False,
        num_heads: int = -1,
        num_head_channels: int = -1,
        transformer_depth: int = 1,
        use_linear: bool = False,
        temporal_conv: bool = False,
        tempspatial_aware: bool = False,
        temporal_attention: bool = True,
        use_relative_position: bool = True,
        use_causal_attention: bool = False,
        temporal_length: int | None = None,
        addition_attention: bool = False,
        temporal_selfatt_only: bool = True,
        image_cross_attention: bool = False,
        image_cross_attention_scale_learnable: bool = False,
        default_fs: int = 4,
        fs_condition: bool = False,
        **ignored: Any,
    ) -> None:
        super().__init__()
        unknown = set(ignored) - _IGNORED_KWARGS
        if unknown:
            raise TypeError(f"UNet3DModel got unknown config keys {sorted(unknown)}")
        if dims != 2:
            raise ValueError("UNet3DModel supports dims=2 only (the reference's ResBlocks are 2D).")
        if not temporal_selfatt_only:
            raise ValueError(
                "temporal_selfatt_only=False is not supported (the reference cannot run it either)."
            )
        if num_heads == -1 and num_head_channels == -1:
            raise ValueError("Either num_heads or num_head_channels has to be set.")
        if addition_attention and num_head_channels < 1:
            raise ValueError(
                "addition_attention (init_attn: 8 heads x num_head_channels) needs num_head_channels."
            )
        if use_relative_position and temporal_length is None:
            raise ValueError("use_relative_position needs temporal_length.")
        attention_resolutions = set(attention_resolutions)
        channel_mult = tuple(channel_mult)
        self.in_channels, self.model_channels, self.out_channels = in_channels, model_channels, out_channels
        self.addition_attention = addition_attention
        self.fs_condition = fs_condition
        self.default_fs = default_fs
        self.image_cross_attention_scale_learnable = image_cross_attention_scale_learnable
        emb_dim = model_channels * 4
        rel_len = temporal_length if use_relative_position else None

        def heads_for(ch: int) -> tuple[int, int]:
            return (
                (num_heads, ch // num_heads)
                if num_head_channels == -1
                else (ch // num_head_channels, num_head_channels)
            )

        def res(ch_in: int, ch_out: int | None = None) -> ResBlock:
            return ResBlock(
                ch_in,
                emb_dim,
                ch_out,
                use_scale_shift_norm,
                use_temporal_conv=temporal_conv,
                tempspatial_aware=tempspatial_aware,
            )

        def attn_layers(ch: int) -> list[nn.Module]:
            heads, dim_head = heads_for(ch)
            layers: list[nn.Module] = [
                SpatialTransformer(
                    ch,
                    heads,
                    dim_head,
                    transformer_depth,
                    context_dim,
                    use_linear,
                    image_cross_attention,
                    image_cross_attention_scale_learnable,
                )
            ]
            if temporal_attention:
                layers.append(
                    TemporalTransformer(
                        ch, heads, dim_head, transformer_depth, use_linear, use_causal_attention, rel_len
                    )
                )
            return layers

        self.time_embed = _mlp(model_channels, emb_dim)
        if fs_condition:
            self.fps_embedding = _mlp(model_channels, emb_dim)

        self.input_blocks = nn.ModuleList(
            [TimestepEmbedSequential([nn.Conv2d(in_channels, model_channels, 3, padding=1)])]
        )
        if addition_attention:
            # Always 8 heads x num_head_channels and never use_linear (Conv1d projections), as in the reference.
            self.init_attn = TimestepEmbedSequential(
                [
                    TemporalTransformer(
                        model_channels, 8, num_head_channels, transformer_depth, False, False, rel_len
                    )
                ]
            )
        chans, ch, ds = [model_channels], model_channels, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [res(ch, mult * model_channels)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    layers += attn_layers(ch)
                self.input_blocks.append(TimestepEmbedSequential(layers))
                chans.append(ch)
            if level != len(channel_mult) - 1:
                down = (
                    ResBlock(ch, emb_dim, ch, use_scale_shift_norm, down=True)
                    if resblock_updown
                    else Downsample(ch, conv_resample, ch)
                )
                self.input_blocks.append(TimestepEmbedSequential([down]))
                chans.append(ch)
                ds *= 2

        self.middle_block = TimestepEmbedSequential([res(ch), *attn_layers(ch), res(ch)])

        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                layers = [res(ch + chans.pop(), model_channels * mult)]
                ch = model_channels * mult
                if ds in attention_resolutions:
                    layers += attn_layers(ch)
                if level and i == num_res_blocks:
                    layers.append(
                        ResBlock(ch, emb_dim, ch, use_scale_shift_norm, up=True)
                        if resblock_updown
                        else Upsample(ch, conv_resample, ch)
                    )
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(layers))

        self.out = nn.Sequential(
            nn.GroupNorm(32, ch), nn.SiLU(), nn.Conv2d(model_channels, out_channels, 3, padding=1)
        )

    def set_temporal_window(self, method: str | None) -> None:
        """Let spatial self-attention also see other frames' tokens ('prv', 'first', 'roll'); None = off."""
        from .attention import TEMPORAL_WINDOW_METHODS

        if method is not None and method not in TEMPORAL_WINDOW_METHODS:
            raise ValueError(
                f"Unknown temporal window method {method!r}; use one of {TEMPORAL_WINDOW_METHODS}."
            )
        for module in self.modules():
            if isinstance(module, SpatialTransformer):
                for block in module.transformer_blocks:
                    block.attn1.temporal_window = method

    def forward(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        context_text: torch.Tensor,
        context_img: torch.Tensor,
        concat_cond: torch.Tensor | None = None,
        fs: torch.Tensor | None = None,
        **_: Any,
    ) -> torch.Tensor:
        """x `(b,c,t,h,w)`, timesteps `(b,)` (float), context_text `(b,L,C)`, context_img `(b,t,L',C)`,
        concat_cond `(b,c',t,h,w)`, fs `(b,)` int -> v-prediction `(b,out,t,h,w)`."""
        b, _, t, h, w = x.shape
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels).to(x.dtype))
        context = (
            context_text.repeat_interleave(t, dim=0),
            context_img.reshape(b * t, *context_img.shape[2:]),
        )
        if self.fs_condition:
            if fs is None:
                fs = torch.full((b,), self.default_fs, dtype=torch.long, device=x.device)
            emb = emb + self.fps_embedding(timestep_embedding(fs, self.model_channels).to(x.dtype))
        emb = emb.repeat_interleave(t, dim=0)
        if concat_cond is not None:
            x = torch.cat([x, concat_cond], dim=1)
        hidden = x.transpose(1, 2).reshape(b * t, -1, h, w)

        skips = []
        for index, block in enumerate(self.input_blocks):
            hidden = block(hidden, emb, context, b)
            if index == 0 and self.addition_attention:
                hidden = self.init_attn(hidden, emb, context, b)
            skips.append(hidden)
        hidden = self.middle_block(hidden, emb, context, b)
        for block in self.output_blocks:
            hidden = block(torch.cat([hidden, skips.pop()], dim=1), emb, context, b)
        y = self.out(hidden.to(x.dtype))
        return y.view(b, t, *y.shape[1:]).transpose(1, 2)
