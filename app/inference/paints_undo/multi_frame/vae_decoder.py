"""Video decoder of the ToonCrafter dual-reference VAE (`AutoencoderKL_Dualref` / `diffusers_vdm.vae`).

Frames travel as a flat batch `(b*t, c, h, w)`; every block that mixes time reshapes to `(b, c, t, h, w)`
with the frame count `num_frames` passed down explicitly. The quirks the checkpoint depends on:

* `VideoResBlock` = 2D `ResnetBlock`, then a `time_stack` (GroupNorm(32, eps 1e-5)-SiLU-Conv3d (3,1,1)
  twice, residual) on the 5D tensor, then `sigmoid(mix_factor) * temporal + (1 - sigmoid) * spatial`.
  The time_stack's GroupNorm pools statistics over ALL frames of a clip.
* After the blocks of every level (before upsampling) `attn_refinement[level]` mixes in the encoder's
  hidden states of the two reference frames: an `AttentionCombiner` (levels in `attn_level`) lets every
  frame attend to both reference frames; a `ConvCombiner` adds a 1x1 conv of the reference features to the
  FIRST and LAST frame only. A last ConvCombiner runs after `norm_out` + SiLU with the `conv_in` features.
* `conv_out` is a Conv2d followed by `time_mix_conv` (Conv3d (3,1,1)) without a mixing factor.

Consequence for memory: a clip cannot be decoded in temporal chunks with identical results (the
time_stack GroupNorm statistics, the temporal convs and the first/last-frame combiners all see the whole
clip), so `VideoAutoencoderKL.decode_latents` only chunks over independent clips of the batch. What CAN be
chunked exactly are the per-frame (spatial) operations: with `frame_chunk=k` the 2D ResnetBlocks, spatial
attention, upsampling, `norm_out` and the AttentionCombiner queries run k frames at a time and write into
one preallocated output, so their large intermediates (e.g. the 256-channel full-resolution tensors of the
last level) exist for k frames only. The temporal parts still hold the whole clip.

This forward is the one-shot, autograd-safe path (what the reference does). Inference decodes go through
`vae_stream.decode_streaming`: the same operations on the same numbers, fused per-frame chains and
whole-clip parts without clip-sized temporaries (two clip-sized tensors per VideoResBlock instead of ~5).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .vae_encoder import ResnetBlock, SpatialSelfAttention, _Level, _Middle, vae_group_norm

TIME_STACK_NORM_EPS = 1e-5  # torch default: the reference's `normalization()` helper, not the VAE's 1e-6


def _to_video(x: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(b*t, c, h, w) -> (b, c, t, h, w)."""
    bt, c, h, w = x.shape
    return x.reshape(bt // num_frames, num_frames, c, h, w).permute(0, 2, 1, 3, 4)


def _to_frames(x: torch.Tensor) -> torch.Tensor:
    """(b, c, t, h, w) -> (b*t, c, h, w)."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)


def per_frame(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk: int | None) -> torch.Tensor:
    """`fn(x)` for a per-frame function, computed `chunk` frames at a time (None/0: all at once)."""
    n = x.shape[0]
    if not chunk or chunk >= n:
        return fn(x)
    out: torch.Tensor | None = None
    for start in range(0, n, chunk):
        y = fn(x[start : start + chunk])
        if out is None:
            out = y.new_empty((n, *y.shape[1:]))
        out[start : start + y.shape[0]] = y
    assert out is not None
    return out


def temporal_conv(conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
    """`conv(x)` for x (b, c, t, h, w); a (k, 1, 1) kernel runs as a Conv2d over (t, h*w).

    Same maths (a weighted sum over neighbouring frames per pixel), but it avoids the CPU Conv3d's
    column buffer (3x the input for k=3) and works where Conv3d is slow or missing (Apple MPS).
    """
    kt, kh, kw = conv.kernel_size
    if (kh, kw) != (1, 1) or conv.padding[1:] != (0, 0) or conv.stride != (1, 1, 1) or conv.groups != 1:
        return conv(x)
    b, c, t, h, w = x.shape
    out = F.conv2d(
        x.reshape(b, c, t, h * w), conv.weight.squeeze(-1), conv.bias, padding=(conv.padding[0], 0)
    )
    return out.reshape(b, out.shape[1], out.shape[2], h, w)


def _temporal_padding(kernel_size: int | list[int] | tuple[int, ...]) -> int | list[int]:
    if isinstance(kernel_size, (list, tuple)):
        return [int(k) // 2 for k in kernel_size]
    return int(kernel_size) // 2


def _kernel(kernel_size: int | list[int] | tuple[int, ...]) -> int | tuple[int, ...]:
    return tuple(int(k) for k in kernel_size) if isinstance(kernel_size, (list, tuple)) else int(kernel_size)


class TimeStackBlock(nn.Module):
    """The temporal residual block of a VideoResBlock (key names `in_layers.{0,2}`, `out_layers.{0,3}`)."""

    def __init__(self, channels: int, kernel_size: int | list[int], dropout: float = 0.0) -> None:
        super().__init__()
        padding = _temporal_padding(kernel_size)
        kernel = _kernel(kernel_size)
        self.in_layers = nn.Sequential(
            nn.GroupNorm(32, channels, eps=TIME_STACK_NORM_EPS),
            nn.SiLU(),
            nn.Conv3d(channels, channels, kernel, padding=padding),
        )
        self.out_layers = nn.Sequential(
            nn.GroupNorm(32, channels, eps=TIME_STACK_NORM_EPS),
            nn.SiLU(),
            nn.Dropout(p=dropout),
            nn.Conv3d(channels, channels, kernel, padding=padding),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In inference SiLU and the residual add run in place (x + h == h + x exactly).
        inplace = not torch.is_grad_enabled()
        norm_in, _, conv_in = self.in_layers
        norm_out, _, dropout, conv_out = self.out_layers
        h = temporal_conv(conv_in, F.silu(norm_in(x), inplace=inplace))
        h = temporal_conv(conv_out, dropout(F.silu(norm_out(h), inplace=inplace)))
        return h.add_(x) if inplace else x + h


class VideoResBlock(ResnetBlock):
    """Spatial ResnetBlock, then a temporal block blended in by a learned (or fixed) factor."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        dropout: float = 0.0,
        video_kernel_size: int | list[int] | None = (3, 1, 1),
        alpha: float = 0.0,
        merge_strategy: str = "learned",
    ) -> None:
        super().__init__(in_channels, out_channels, dropout=dropout)
        if merge_strategy == "fixed":
            self.register_buffer("mix_factor", torch.tensor([float(alpha)]))
        elif merge_strategy == "learned":
            self.mix_factor = nn.Parameter(torch.tensor([float(alpha)]))
        else:
            raise ValueError(f"unknown merge strategy {merge_strategy!r} (expected 'learned' or 'fixed')")
        self.merge_strategy = merge_strategy
        # Registered after the parent's layers, as in the reference, so the key order matches too.
        self.time_stack = TimeStackBlock(
            self.out_channels, list(video_kernel_size or (3, 1, 1)), dropout=dropout
        )

    def mix_weight(self) -> torch.Tensor:
        return torch.sigmoid(self.mix_factor) if self.merge_strategy == "learned" else self.mix_factor

    def spatial(self, x: torch.Tensor, frame_chunk: int | None = None) -> torch.Tensor:
        """The 2D ResnetBlock part (per frame, so `frame_chunk` frames at a time is exact)."""
        return per_frame(super().forward, x, frame_chunk)

    def temporal(self, spatial: torch.Tensor, num_frames: int) -> torch.Tensor:
        """time_stack on the whole clip and the mix; consumes `spatial` (in place) in inference."""
        video = _to_video(spatial, num_frames)
        temporal = self.time_stack(video)
        alpha = self.mix_weight()
        if torch.is_grad_enabled():
            return _to_frames(alpha * temporal + (1.0 - alpha) * video)
        # Same operations and rounding as above, without two full-size temporaries.
        return _to_frames(temporal.mul_(alpha).add_(video.mul_(1.0 - alpha)))

    def forward(self, x: torch.Tensor, num_frames: int, frame_chunk: int | None = None) -> torch.Tensor:
        return self.temporal(self.spatial(x, frame_chunk), num_frames)


def _run_video_block(block: VideoResBlock, h: list[torch.Tensor], num_frames: int, chunk: int | None) -> None:
    """Apply `block` to `h[0]` in place of it, releasing the input before the temporal part runs.

    Why the list: a plain `h = block(h)` keeps the input alive in the caller for the whole call, and
    for the last level that input is the largest tensor of the decoder (256 channels, full resolution).
    """
    spatial = block.spatial(h.pop(), chunk)
    h.append(block.temporal(spatial, num_frames))


class ConvCombiner(nn.Module):
    """Adds a 1x1 conv of the reference features to the first and the last frame of each clip.

    With autograd off it adds into `x` in place (the decoder passes fresh block outputs it owns).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=1, padding=0)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, n_ref, h, w = context.shape
        ref = self.conv(context.permute(0, 2, 1, 3, 4).reshape(b * n_ref, c, h, w))
        ref = ref.reshape(b, n_ref, c, h, w)
        # In inference the decoder owns `x` (a block's fresh output), so add in place instead of copying.
        video = _to_video(x if not torch.is_grad_enabled() else x.clone(), x.shape[0] // b)
        # Sequential adds, as the reference: with a single frame both references land on it.
        video[:, :, 0] += ref[:, 0]
        video[:, :, -1] += ref[:, -1]
        return _to_frames(video)


class AttentionCombiner(nn.Module):
    """Every frame's pixels attend to the tokens of both reference frames (8 heads x 64, residual)."""

    def __init__(self, query_dim: int, heads: int = 8, dim_head: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        inner_dim = heads * dim_head
        self.heads = heads
        self.dim_head = dim_head
        self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_k = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_v = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner_dim, query_dim), nn.Dropout(dropout))
        self.norm = vae_group_norm(query_dim)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        return x.reshape(n, length, self.heads, self.dim_head).transpose(1, 2)

    def forward(self, x: torch.Tensor, context: torch.Tensor, frame_chunk: int | None = None) -> torch.Tensor:
        bt, c, h, w = x.shape
        b, _, n_ref, ch, cw = context.shape
        t = bt // b
        # (b, c, l, h, w) -> (b, l*h*w, c): both reference frames' tokens in one key/value sequence.
        tokens = context.permute(0, 2, 3, 4, 1).reshape(b, n_ref * ch * cw, c)
        k = self._split_heads(self.to_k(tokens))  # (b, heads, l*h*w, d), shared by the clip's frames
        v = self._split_heads(self.to_v(tokens))
        frame_index = torch.arange(bt, device=x.device)

        def attend(idx: torch.Tensor) -> torch.Tensor:
            frames = x[idx[0] : idx[-1] + 1]
            clips = torch.div(idx, t, rounding_mode="floor")
            q = self._split_heads(
                self.to_q(self.norm(frames).flatten(2).transpose(1, 2))
            )  # (n, heads, hw, d)
            out = F.scaled_dot_product_attention(q, k.index_select(0, clips), v.index_select(0, clips))
            out = out.transpose(1, 2).reshape(len(idx), h * w, self.heads * self.dim_head)
            return frames + self.to_out(out).transpose(1, 2).reshape(len(idx), c, h, w)

        return per_frame(attend, frame_index, frame_chunk)


class TemporalMixConv2d(nn.Conv2d):
    """A Conv2d (keys `weight`/`bias`) followed by a Conv3d over time (`time_mix_conv`)."""

    def __init__(
        self, in_channels: int, out_channels: int, video_kernel_size: int | list[int] = (3, 1, 1), **kwargs
    ) -> None:
        super().__init__(in_channels, out_channels, **kwargs)
        self.time_mix_conv = nn.Conv3d(
            out_channels,
            out_channels,
            kernel_size=_kernel(video_kernel_size),
            padding=_temporal_padding(video_kernel_size),
        )

    def forward(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:  # type: ignore[override]
        return _to_frames(temporal_conv(self.time_mix_conv, _to_video(super().forward(x), num_frames)))


class _VideoMiddle(_Middle):
    def forward(self, h: torch.Tensor, num_frames: int, frame_chunk: int | None = None) -> torch.Tensor:
        held = [h]
        del h
        _run_video_block(self.block_1, held, num_frames, frame_chunk)
        held.append(per_frame(self.attn_1, held.pop(), frame_chunk))
        _run_video_block(self.block_2, held, num_frames, frame_chunk)
        return held.pop()


class Upsample(nn.Module):
    """Nearest x2 then a 3x3 conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class VideoDecoder(nn.Module):
    def __init__(
        self,
        *,
        ch: int,
        out_ch: int,
        ch_mult: tuple[int, ...] | list[int],
        num_res_blocks: int,
        attn_resolutions: tuple[int, ...] | list[int],
        resolution: int,
        z_channels: int,
        dropout: float = 0.0,
        attn_level: tuple[int, ...] | list[int] = (2, 3),
        video_kernel_size: tuple[int, ...] | list[int] = (3, 1, 1),
        alpha: float = 0.0,
        merge_strategy: str = "learned",
    ) -> None:
        super().__init__()
        self.num_resolutions = len(ch_mult)
        self.num_res_blocks = num_res_blocks
        self.attn_level = tuple(attn_level)

        def res_block(cin: int, cout: int) -> VideoResBlock:
            return VideoResBlock(
                cin,
                cout,
                dropout=dropout,
                video_kernel_size=list(video_kernel_size),
                alpha=alpha,
                merge_strategy=merge_strategy,
            )

        block_in = ch * ch_mult[-1]
        curr_res = resolution // 2 ** (self.num_resolutions - 1)
        self.conv_in = nn.Conv2d(z_channels, block_in, kernel_size=3, stride=1, padding=1)
        self.mid = _VideoMiddle(
            res_block(block_in, block_in), SpatialSelfAttention(block_in), res_block(block_in, block_in)
        )

        ups: list[nn.Module] = []
        refinements: list[nn.Module] = []
        for i_level in reversed(range(self.num_resolutions)):
            level = _Level()
            block_out = ch * ch_mult[i_level]
            for _ in range(num_res_blocks + 1):
                level.block.append(res_block(block_in, block_out))
                block_in = block_out
                if curr_res in attn_resolutions:
                    level.attn.append(SpatialSelfAttention(block_in))
            if i_level != 0:
                level.upsample = Upsample(block_in)
                curr_res *= 2
            ups.insert(0, level)
            combiner = AttentionCombiner(block_in) if i_level in self.attn_level else ConvCombiner(block_in)
            refinements.insert(0, combiner)
        self.up = nn.ModuleList(ups)
        self.attn_refinement = nn.ModuleList([*refinements, ConvCombiner(block_in)])
        self.norm_out = vae_group_norm(block_in)
        self.conv_out = TemporalMixConv2d(
            block_in, out_ch, video_kernel_size=list(video_kernel_size), kernel_size=3, stride=1, padding=1
        )

    def forward(
        self,
        z: torch.Tensor,
        num_frames: int,
        ref_context: list[torch.Tensor] | None = None,
        frame_chunk: int | None = None,
    ) -> torch.Tensor:
        """z: (b*t, z_channels, h, w); ref_context: encoder hidden states, each (b, c, 2, h_i, w_i).

        `frame_chunk`: run the per-frame operations this many frames at a time (exact; saves memory).
        """
        chunk = frame_chunk
        h = self.mid(per_frame(self.conv_in, z, chunk), num_frames, chunk)
        for i_level in reversed(range(self.num_resolutions)):
            level = self.up[i_level]
            for i_block, block in enumerate(level.block):
                held = [h]
                del h
                _run_video_block(block, held, num_frames, chunk)
                h = held.pop()
                if len(level.attn) > 0:
                    h = per_frame(level.attn[i_block], h, chunk)
            if ref_context:
                combiner = self.attn_refinement[i_level]
                if isinstance(combiner, AttentionCombiner):
                    h = combiner(h, ref_context[i_level], frame_chunk=chunk)
                else:
                    h = combiner(h, ref_context[i_level])
            if i_level != 0:
                h = per_frame(level.upsample, h, chunk)
        h = per_frame(lambda f: F.silu(self.norm_out(f)), h, chunk)
        if ref_context:
            h = self.attn_refinement[-1](h, ref_context[-1])
        return self.conv_out(h, num_frames)
