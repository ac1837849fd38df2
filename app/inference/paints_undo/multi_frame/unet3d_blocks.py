"""Residual, temporal-conv and resampling blocks of the UNet3D, named like the reference state dict.

Everything spatial runs on `((b t), c, h, w)`; the temporal conv reshapes to `(b, c, t, h, w)` itself. The
reference keeps the misspelt attribute `temopral_conv`; we keep it too so checkpoints load unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import SpatialTransformer, TemporalTransformer


def to_video(x: torch.Tensor, batch: int) -> torch.Tensor:
    """`((b t), c, h, w)` -> `(b, c, t, h, w)`."""
    bt, c, h, w = x.shape
    return x.view(batch, bt // batch, c, h, w).transpose(1, 2)


def to_frames(x: torch.Tensor) -> torch.Tensor:
    """`(b, c, t, h, w)` -> `((b t), c, h, w)` (contiguous)."""
    b, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(b * t, c, h, w)


class TemporalConvBlock(nn.Module):
    """Four GroupNorm-SiLU-Conv3d stages over time (kernel (3,1,1)), added to the input as a residual."""

    def __init__(self, channels: int, spatial_aware: bool = False) -> None:
        super().__init__()
        th_kernel, th_pad = ((3, 3, 1), (1, 1, 0)) if spatial_aware else ((3, 1, 1), (1, 0, 0))
        tw_kernel, tw_pad = ((3, 1, 3), (1, 0, 1)) if spatial_aware else ((3, 1, 1), (1, 0, 0))

        def stage(kernel, pad, dropout: bool) -> nn.Sequential:
            layers: list[nn.Module] = [nn.GroupNorm(32, channels), nn.SiLU()]
            if dropout:
                layers.append(nn.Dropout(0.0))
            layers.append(nn.Conv3d(channels, channels, kernel, padding=pad))
            return nn.Sequential(*layers)

        self.conv1 = stage(th_kernel, th_pad, dropout=False)
        self.conv2 = stage(tw_kernel, tw_pad, dropout=True)
        self.conv3 = stage(th_kernel, th_pad, dropout=True)
        self.conv4 = stage(tw_kernel, tw_pad, dropout=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv4(self.conv3(self.conv2(self.conv1(x))))


class Downsample(nn.Module):
    def __init__(self, channels: int, use_conv: bool, out_channels: int | None = None) -> None:
        super().__init__()
        out_channels = out_channels or channels
        self.op = (
            nn.Conv2d(channels, out_channels, 3, stride=2, padding=1) if use_conv else nn.AvgPool2d(2, 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels: int, use_conv: bool, out_channels: int | None = None) -> None:
        super().__init__()
        self.use_conv = use_conv
        if use_conv:
            self.conv = nn.Conv2d(channels, out_channels or channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x) if self.use_conv else x


class ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv, + time embedding, GroupNorm-SiLU-Conv, skip; then the temporal conv (if any)."""

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        out_channels: int | None = None,
        use_scale_shift_norm: bool = False,
        up: bool = False,
        down: bool = False,
        use_temporal_conv: bool = False,
        tempspatial_aware: bool = False,
    ) -> None:
        super().__init__()
        out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(
            nn.GroupNorm(32, channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.updown = up or down
        if up:
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(channels, False)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(channels, False)
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels)
        )
        self.out_layers = nn.Sequential(
            nn.GroupNorm(32, out_channels),
            nn.SiLU(),
            nn.Dropout(0.0),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )
        self.skip_connection = (
            nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)
        )
        self.use_temporal_conv = use_temporal_conv
        if use_temporal_conv:
            self.temopral_conv = TemporalConvBlock(out_channels, spatial_aware=tempspatial_aware)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, batch: int) -> torch.Tensor:
        if self.updown:
            h = self.in_layers[:-1](x)
            h = self.in_layers[-1](self.h_upd(h))
            x = self.x_upd(x)
        else:
            h = self.in_layers(x)
        emb_out = self.emb_layers(emb).to(h.dtype)[:, :, None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[1:](h)
        else:
            h = self.out_layers(h + emb_out)
        h = self.skip_connection(x) + h
        if self.use_temporal_conv:
            h = to_frames(self.temopral_conv(to_video(h, batch)))
        return h


class TimestepEmbedSequential(nn.ModuleList):
    """A list of layers; each gets what it needs (time embedding, context, batch size for the video view).

    A ModuleList (not Sequential) with the same integer keys (`input_blocks.N.M`).
    """

    def forward(self, x: torch.Tensor, emb: torch.Tensor, context, batch: int) -> torch.Tensor:
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb, batch)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context, num_frames=x.shape[0] // batch)
            elif isinstance(layer, TemporalTransformer):
                x = to_frames(layer(to_video(x, batch)))
            else:
                x = layer(x)
        return x
