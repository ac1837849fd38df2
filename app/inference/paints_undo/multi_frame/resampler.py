"""`Resampler`: the multi-frame model's image projection (a Perceiver resampler with per-frame queries).

It turns the CLIP-vision tokens of the input frames (first and last) into `num_queries` conditioning
tokens for each of the `video_length` output frames: `(b, input_frames, tokens, embedding_dim)` ->
`(b, video_length, num_queries, output_dim)`. Constructor arguments and `state_dict()` keys are those of
`diffusers_vdm.projection.Resampler` (what `image_projection/config.json` holds).

Maths the checkpoint depends on: a learned `input_pos` is added per input frame before `proj_in`; keys and
values come from `cat(norm1(x), norm2(latents))`; q and k are EACH scaled by `dim_head ** -0.25` (kept
because it is what makes fp16 safe, and it is what the weights were trained with); softmax runs in float32;
the feed-forward has no biases; the output is `proj_out` then `norm_out`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from app.inference.paints_undo.multi_frame.module_info import DeviceDtypeMixin

RESAMPLER_CONFIG_KEYS = (
    "dim",
    "depth",
    "dim_head",
    "heads",
    "num_queries",
    "embedding_dim",
    "output_dim",
    "ff_mult",
    "video_length",
    "input_frames_length",
)


def feed_forward(dim: int, mult: float = 4) -> nn.Sequential:
    """LayerNorm, Linear (no bias), GELU, Linear (no bias): keys `0`, `1`, `3`."""
    inner = int(dim * mult)
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, inner, bias=False),
        nn.GELU(),
        nn.Linear(inner, dim, bias=False),
    )


class PerceiverAttention(nn.Module):
    def __init__(self, *, dim: int, dim_head: int = 64, heads: int = 8) -> None:
        super().__init__()
        self.dim_head = dim_head
        self.heads = heads
        inner = dim_head * heads
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, length, _ = x.shape
        return x.reshape(b, length, self.heads, -1).transpose(1, 2)  # (b, heads, length, dim_head)

    def forward(self, x: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """x: image tokens (b, n1, dim); latents: queries (b, n2, dim) -> update for latents (b, n2, dim)."""
        x = self.norm1(x)
        latents = self.norm2(latents)
        b, n_latents, _ = latents.shape
        q = self._heads(self.to_q(latents))
        k, v = self.to_kv(torch.cat((x, latents), dim=-2)).chunk(2, dim=-1)
        k, v = self._heads(k), self._heads(v)
        scale = 1.0 / math.sqrt(math.sqrt(self.dim_head))
        weight = (q * scale) @ (k * scale).transpose(-2, -1)
        weight = torch.softmax(weight.float(), dim=-1).to(weight.dtype)
        out = (weight @ v).transpose(1, 2).reshape(b, n_latents, -1)
        return self.to_out(out)


class Resampler(DeviceDtypeMixin, nn.Module):
    def __init__(
        self,
        dim: int = 1024,
        depth: int = 8,
        dim_head: int = 64,
        heads: int = 16,
        num_queries: int = 8,
        embedding_dim: int = 768,
        output_dim: int = 1024,
        ff_mult: float = 4,
        video_length: int = 16,
        input_frames_length: int = 2,
    ) -> None:
        super().__init__()
        self.config: dict[str, Any] = {
            "dim": dim,
            "depth": depth,
            "dim_head": dim_head,
            "heads": heads,
            "num_queries": num_queries,
            "embedding_dim": embedding_dim,
            "output_dim": output_dim,
            "ff_mult": ff_mult,
            "video_length": video_length,
            "input_frames_length": input_frames_length,
        }
        self.num_queries = num_queries
        self.video_length = video_length
        self.latents = nn.Parameter(torch.randn(1, num_queries * video_length, dim) / dim**0.5)
        self.input_pos = nn.Parameter(torch.zeros(1, input_frames_length, 1, embedding_dim))
        self.proj_in = nn.Linear(embedding_dim, dim)
        self.proj_out = nn.Linear(dim, output_dim)
        self.norm_out = nn.LayerNorm(output_dim)
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [PerceiverAttention(dim=dim, dim_head=dim_head, heads=heads), feed_forward(dim, ff_mult)]
            )
            for _ in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (b, input_frames_length, tokens, embedding_dim) -> (b, video_length, num_queries, output_dim)."""
        b = x.shape[0]
        latents = self.latents.repeat(b, 1, 1)
        x = x + self.input_pos
        x = self.proj_in(x.reshape(b, -1, x.shape[-1]))
        for attn, ff in self.layers:
            latents = attn(x, latents) + latents
            latents = ff(latents) + latents
        latents = self.norm_out(self.proj_out(latents))
        return latents.reshape(b, self.video_length, -1, latents.shape[-1])


def resampler_config_from_dict(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Split a saved config into constructor kwargs and the ignored keys."""
    kwargs = {k: v for k, v in config.items() if k in RESAMPLER_CONFIG_KEYS}
    ignored = sorted(k for k in config if k not in RESAMPLER_CONFIG_KEYS)
    return kwargs, ignored
