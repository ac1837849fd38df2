"""Spatial and temporal transformers of the multi-frame UNet3D (Paints-UNDO `diffusers_vdm`, lvdm lineage).

Parameter names match the reference state dict exactly (`to_q`, `to_k_ip`, `attn2.alpha`, `ff.net.0.proj`,
...), so published checkpoints load with `strict=True`. Attention is PyTorch SDPA with its default scale
1/sqrt(head_dim), the same formula the reference's xformers call uses.

Layouts: spatial layers see `((b t), c, h, w)`, temporal layers `(b, c, t, h, w)` and attend over `t`
independently for every `(b, h, w)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

TEMPORAL_WINDOW_METHODS = ("prv", "first", "roll")


def _attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, causal: bool = False
) -> torch.Tensor:
    """Multi-head SDPA on `(B, tokens, heads*dim)` tensors; returns the same layout."""
    b, nq, inner = q.shape
    d = inner // heads
    q = q.view(b, nq, heads, d).transpose(1, 2)
    k = k.view(b, k.shape[1], heads, d).transpose(1, 2)
    v = v.view(b, v.shape[1], heads, d).transpose(1, 2)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return out.transpose(1, 2).reshape(b, nq, inner)


def temporal_window(x: torch.Tensor, num_frames: int, method: str) -> torch.Tensor:
    """Widen each frame's keys/values with tokens of neighbouring frames (`((b t), n, c)` -> `((b t), k*n, c)`).

    'prv' appends the previous frame (frame 0 sees itself twice), 'first' appends frame 0, 'roll' puts the
    previous and next frame (cyclic) around the frame's own tokens. Off by default in the reference.
    """
    if method not in TEMPORAL_WINDOW_METHODS:
        raise ValueError(f"Unknown temporal window method {method!r}; use one of {TEMPORAL_WINDOW_METHODS}.")
    bt, n, c = x.shape
    m = x.view(bt // num_frames, num_frames, n, c)
    if method == "roll":
        parts = [torch.roll(m, shifts=1, dims=1), m, torch.roll(m, shifts=-1, dims=1)]
    elif method == "prv":
        parts = [m, torch.cat([m[:, :1], m[:, :-1]], dim=1)]
    else:
        parts = [m, m[:, :1].expand_as(m)]
    return torch.cat(parts, dim=2).reshape(bt, len(parts) * n, c)


class RelativePosition(nn.Module):
    """Relative-position table kept only so checkpoints built with `use_relative_position=True` load.

    The reference creates it but its temporal attention never reads it, so it has no effect on outputs.
    """

    def __init__(self, num_units: int, max_relative_position: int) -> None:
        super().__init__()
        self.embeddings_table = nn.Parameter(torch.zeros(max_relative_position * 2 + 1, num_units))


class CrossAttention(nn.Module):
    """Self-attention, text cross-attention plus IP-style image cross-attention, or temporal self-attention."""

    def __init__(
        self,
        query_dim: int,
        context_dim: int | None = None,
        heads: int = 8,
        dim_head: int = 64,
        temporal: bool = False,
        relative_position_length: int | None = None,
        image_cross_attention: bool = False,
        image_cross_attention_scale: float = 1.0,
        image_cross_attention_scale_learnable: bool = False,
    ) -> None:
        super().__init__()
        inner = heads * dim_head
        context_dim = context_dim or query_dim
        self.heads = heads
        self.temporal = temporal
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(0.0))
        if relative_position_length is not None:
            self.relative_position_k = RelativePosition(dim_head, relative_position_length)
            self.relative_position_v = RelativePosition(dim_head, relative_position_length)
        self.image_cross_attention = image_cross_attention
        self.image_cross_attention_scale = image_cross_attention_scale
        self.image_cross_attention_scale_learnable = image_cross_attention_scale_learnable
        if image_cross_attention:
            self.to_k_ip = nn.Linear(context_dim, inner, bias=False)
            self.to_v_ip = nn.Linear(context_dim, inner, bias=False)
            if image_cross_attention_scale_learnable:
                self.alpha = nn.Parameter(torch.tensor(0.0))
        # Spatial self-attention over neighbouring frames (reference: off); set via UNet3DModel.
        self.temporal_window: str | None = None

    def forward(
        self,
        x: torch.Tensor,
        context: tuple[torch.Tensor, torch.Tensor] | None = None,
        num_frames: int | None = None,
        causal: bool = False,
    ) -> torch.Tensor:
        q = self.to_q(x)
        if context is None:
            k, v = self.to_k(x), self.to_v(x)
            if self.temporal_window is not None and not self.temporal and num_frames:
                k = temporal_window(k, num_frames, self.temporal_window)
                v = temporal_window(v, num_frames, self.temporal_window)
            return self.to_out(_attend(q, k, v, self.heads, causal=causal))
        if not self.image_cross_attention:
            # Same rule as the reference: text-only cross-attention is not a supported configuration.
            raise NotImplementedError("UNet3D cross-attention needs image_cross_attention=True.")
        text, image = context
        out = _attend(q, self.to_k(text), self.to_v(text), self.heads)
        out_ip = _attend(q, self.to_k_ip(image), self.to_v_ip(image), self.heads)
        if self.image_cross_attention_scale_learnable:
            out = out + self.image_cross_attention_scale * out_ip * (torch.tanh(self.alpha) + 1)
        else:
            out = out + self.image_cross_attention_scale * out_ip
        return self.to_out(out)


class GEGLU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    """GEGLU feed-forward (mult 4); keys `net.0.proj`, `net.2`."""

    def __init__(self, dim: int, mult: int = 4) -> None:
        super().__init__()
        inner = dim * mult
        self.net = nn.Sequential(GEGLU(dim, inner), nn.Dropout(0.0), nn.Linear(inner, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    """norm1 -> attn1 (self), norm2 -> attn2 (cross, or self for temporal), norm3 -> GEGLU FF; residuals."""

    def __init__(
        self,
        dim: int,
        heads: int,
        dim_head: int,
        context_dim: int | None,
        temporal: bool = False,
        relative_position_length: int | None = None,
        image_cross_attention: bool = False,
        image_cross_attention_scale_learnable: bool = False,
    ) -> None:
        super().__init__()
        common = dict(
            heads=heads,
            dim_head=dim_head,
            temporal=temporal,
            relative_position_length=relative_position_length,
        )
        self.attn1 = CrossAttention(dim, None, **common)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(
            dim,
            None if temporal else context_dim,
            image_cross_attention=image_cross_attention and not temporal,
            image_cross_attention_scale_learnable=image_cross_attention_scale_learnable and not temporal,
            **common,
        )
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x, context=None, num_frames: int | None = None, causal: bool = False) -> torch.Tensor:
        x = self.attn1(self.norm1(x), num_frames=num_frames, causal=causal) + x
        x = self.attn2(self.norm2(x), context=context, causal=causal) + x
        return self.ff(self.norm3(x)) + x


class SpatialTransformer(nn.Module):
    """Per-frame transformer over the h*w tokens with text + image cross-attention."""

    def __init__(
        self,
        in_channels: int,
        heads: int,
        dim_head: int,
        depth: int,
        context_dim: int,
        use_linear: bool,
        image_cross_attention: bool,
        image_cross_attention_scale_learnable: bool,
    ) -> None:
        super().__init__()
        inner = heads * dim_head
        self.use_linear = use_linear
        self.norm = nn.GroupNorm(32, in_channels, eps=1e-6, affine=True)
        self.proj_in = nn.Linear(in_channels, inner) if use_linear else nn.Conv2d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(
                inner,
                heads,
                dim_head,
                context_dim,
                image_cross_attention=image_cross_attention,
                image_cross_attention_scale_learnable=image_cross_attention_scale_learnable,
            )
            for _ in range(depth)
        )
        self.proj_out = nn.Linear(inner, in_channels) if use_linear else nn.Conv2d(inner, in_channels, 1)

    def forward(self, x: torch.Tensor, context, num_frames: int | None = None) -> torch.Tensor:
        bt, c, h, w = x.shape
        x_in = x
        x = self.norm(x)
        if not self.use_linear:
            x = self.proj_in(x)
        x = x.flatten(2).transpose(1, 2)
        if self.use_linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context=context, num_frames=num_frames)
        if self.use_linear:
            x = self.proj_out(x)
        x = x.transpose(1, 2).reshape(bt, -1, h, w)
        if not self.use_linear:
            x = self.proj_out(x)
        return x + x_in


class TemporalTransformer(nn.Module):
    """Self-attention over the t frames for every (b, h, w) position; input/output `(b, c, t, h, w)`.

    Both attn1 and attn2 are self-attention (`temporal_selfatt_only`). Without `use_linear` the projections
    are 1x1 Conv1d, as in the reference's `init_attn`. `causal_attention` masks later frames in both
    (the reference builds that mask but its attention asserts on it, so it could never run; off in the
    real config).
    """

    def __init__(
        self,
        in_channels: int,
        heads: int,
        dim_head: int,
        depth: int,
        use_linear: bool,
        causal_attention: bool = False,
        relative_position_length: int | None = None,
    ) -> None:
        super().__init__()
        inner = heads * dim_head
        self.use_linear = use_linear
        self.causal_attention = causal_attention
        self.norm = nn.GroupNorm(32, in_channels, eps=1e-6, affine=True)
        self.proj_in = nn.Linear(in_channels, inner) if use_linear else nn.Conv1d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(
                inner, heads, dim_head, None, temporal=True, relative_position_length=relative_position_length
            )
            for _ in range(depth)
        )
        self.proj_out = nn.Linear(inner, in_channels) if use_linear else nn.Conv1d(inner, in_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        x_in = x
        x = self.norm(x).permute(0, 3, 4, 1, 2).reshape(b * h * w, c, t)  # (b h w) c t
        if self.use_linear:
            x = self.proj_in(x.transpose(1, 2))
        else:
            x = self.proj_in(x).transpose(1, 2)  # (b h w) t inner
        for block in self.transformer_blocks:
            x = block(x, causal=self.causal_attention)
        if self.use_linear:
            x = self.proj_out(x).transpose(1, 2)
        else:
            x = self.proj_out(x.transpose(1, 2))
        x = x.reshape(b, h, w, c, t).permute(0, 3, 4, 1, 2)
        return x + x_in
