"""Per-frame encoder of the ToonCrafter dual-reference video VAE (and the 2D blocks the decoder reuses).

The layer names (`conv_in`, `down.N.block.M`, `down.N.downsample.conv`, `mid.block_1`, `mid.attn_1.q` ...)
follow the published checkpoint's `state_dict` keys exactly (the taming/LDM naming the reference kept), so
the weights load with `strict=True`. The maths follows the reference quirks the fixtures pin down:

* every GroupNorm has 32 groups and eps 1e-6;
* downsampling pads (0, 1, 0, 1) and then runs a stride-2 conv with padding 0 (asymmetric, not diffusers');
* `Encoder.forward(x, return_hidden_states=True)` also returns the output of the last ResBlock of each level
  (before downsampling) followed by the `conv_in` output; the decoder's reference combiners consume them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

VAE_NORM_EPS = 1e-6
VAE_NORM_GROUPS = 32


def vae_group_norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups=VAE_NORM_GROUPS, num_channels=channels, eps=VAE_NORM_EPS, affine=True)


class ResnetBlock(nn.Module):
    """GroupNorm-SiLU-Conv twice plus a (1x1 `nin_shortcut` when channels change) residual.

    No timestep embedding: the VAE never has one (`temb_channels=0` in the reference, so no `temb_proj`).
    """

    def __init__(self, in_channels: int, out_channels: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.norm1 = vae_group_norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1)
        self.norm2 = vae_group_norm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1)
        if in_channels != out_channels:
            self.nin_shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=1, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inplace = not torch.is_grad_enabled()  # in inference, reuse the fresh intermediates' memory
        h = self.conv1(F.silu(self.norm1(x), inplace=inplace))
        h = self.conv2(self.dropout(F.silu(self.norm2(h), inplace=inplace)))
        if self.in_channels != self.out_channels:
            x = self.nin_shortcut(x)
        return h.add_(x) if inplace else x + h  # x + h == h + x exactly


class SpatialSelfAttention(nn.Module):
    """Single-head self-attention over the pixels of one frame, 1x1 conv projections (`q`, `k`, `v`).

    The reference used xformers with the default 1/sqrt(C) scale; SDPA computes the same formula.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = vae_group_norm(channels)
        self.q = nn.Conv2d(channels, channels, kernel_size=1)
        self.k = nn.Conv2d(channels, channels, kernel_size=1)
        self.v = nn.Conv2d(channels, channels, kernel_size=1)
        self.proj_out = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        normed = self.norm(x)
        # (b, c, h, w) -> (b, 1 head, h*w, c)
        q, k, v = (proj(normed).flatten(2).transpose(1, 2).unsqueeze(1) for proj in (self.q, self.k, self.v))
        out = F.scaled_dot_product_attention(q, k, v)
        out = out.squeeze(1).transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    """Stride-2 3x3 conv after padding one zero column/row on the right/bottom only."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0))


class _Level(nn.Module):
    """One resolution level: `block` (ResnetBlocks), `attn` (often empty) and an optional resampler.

    A plain container so the state-dict keys read `down.N.block.M...` / `up.N.upsample.conv...`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.ModuleList()
        self.attn = nn.ModuleList()


class _Middle(nn.Module):
    def __init__(self, block_1: nn.Module, attn_1: nn.Module, block_2: nn.Module) -> None:
        super().__init__()
        self.block_1 = block_1
        self.attn_1 = attn_1
        self.block_2 = block_2


class Encoder(nn.Module):
    def __init__(
        self,
        *,
        ch: int,
        ch_mult: tuple[int, ...] | list[int],
        num_res_blocks: int,
        attn_resolutions: tuple[int, ...] | list[int],
        in_channels: int,
        resolution: int,
        z_channels: int,
        double_z: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_resolutions = len(ch_mult)
        self.num_res_blocks = num_res_blocks
        self.conv_in = nn.Conv2d(in_channels, ch, kernel_size=3, stride=1, padding=1)

        in_ch_mult = (1, *ch_mult)
        curr_res = resolution
        self.down = nn.ModuleList()
        block_in = ch
        for i_level in range(self.num_resolutions):
            level = _Level()
            block_in = ch * in_ch_mult[i_level]
            block_out = ch * ch_mult[i_level]
            for _ in range(num_res_blocks):
                level.block.append(ResnetBlock(block_in, block_out, dropout=dropout))
                block_in = block_out
                if curr_res in attn_resolutions:
                    level.attn.append(SpatialSelfAttention(block_in))
            if i_level != self.num_resolutions - 1:
                level.downsample = Downsample(block_in)
                curr_res //= 2
            self.down.append(level)

        self.mid = _Middle(
            ResnetBlock(block_in, block_in, dropout=dropout),
            SpatialSelfAttention(block_in),
            ResnetBlock(block_in, block_in, dropout=dropout),
        )
        self.norm_out = vae_group_norm(block_in)
        self.conv_out = nn.Conv2d(
            block_in, 2 * z_channels if double_z else z_channels, kernel_size=3, stride=1, padding=1
        )

    def forward(
        self, x: torch.Tensor, return_hidden_states: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        first = self.conv_in(x)
        h = first
        hidden_states: list[torch.Tensor] = []
        for i_level, level in enumerate(self.down):
            for i_block, block in enumerate(level.block):
                h = block(h)
                if len(level.attn) > 0:
                    h = level.attn[i_block](h)
            hidden_states.append(h)
            if i_level != self.num_resolutions - 1:
                h = level.downsample(h)
        hidden_states.append(first)

        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        h = self.conv_out(F.silu(self.norm_out(h)))
        if return_hidden_states:
            return h, hidden_states
        return h
