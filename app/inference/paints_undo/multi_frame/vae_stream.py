"""Low-memory, numerically identical inference decode of the video VAE (`VideoDecoder`).

Why this exists: decoded the reference way, every layer of the dual-reference decoder holds the whole
clip at once, and at the last level a 16-frame 320x512 clip is 1.3 GB per 128-channel tensor (2.7 GB at
256 channels), with several such temporaries alive per ResnetBlock: the reference peaks at about +10 GB
in this decode. Only a few operations really need the whole clip at once; this module runs everything
else `frame_chunk` frames at a time and the whole-clip parts without full-size temporaries:

* **Per-frame chains.** Every operation between two temporal parts (2D ResnetBlocks, spatial attention,
  upsampling, the reference combiners, `norm_out`, `conv_out`'s Conv2d) only looks at one frame, so
  the chain between two temporal parts runs frame chunk by frame chunk and writes into one output: the
  large intermediates (and e.g. the 256-channel input of the last level after upsampling) exist for a
  chunk only.
* **Whole-clip parts** (a VideoResBlock's `time_stack` and mix, `time_mix_conv`):
  the time_stack GroupNorm pools statistics over the whole clip, but per group of channels: it runs a
  few groups at a time (each group's numbers are exactly those of the one-shot call) into one work
  buffer; the temporal convs have a (3, 1, 1) kernel, so each pixel's output only depends on that pixel
  over time and the conv runs pixel-chunk by pixel-chunk in place in that buffer. The mix writes back
  into the block's spatial output. So a VideoResBlock holds two clip-sized tensors, never five.

Every operation is the same call on the same numbers as the one-shot decode (only the slicing differs),
so fp32 results are identical (tests check max_abs_diff == 0). Inference only: it works in place, so it
is used under `torch.no_grad()`; `VideoDecoder.forward` remains the autograd-safe one-shot path.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .vae_decoder import (
    AttentionCombiner,
    ConvCombiner,
    TimeStackBlock,
    VideoDecoder,
    VideoResBlock,
    _to_frames,
    _to_video,
    temporal_conv,
)

# A per-frame operation: (frames chunk (n, c, h, w), index of its first frame in the flat batch) -> frames.
FrameOp = Callable[[torch.Tensor, int], torch.Tensor]

# Elements per slice of the whole-clip operations: small next to a clip-sized tensor, large enough
# that the per-call overhead does not show.
_SLICE_ELEMENTS = 1 << 22


def run_chain(ops: list[FrameOp], x: torch.Tensor, frame_chunk: int) -> torch.Tensor:
    """All `ops` in order on `x`, `frame_chunk` frames at a time, into one preallocated output."""
    n = x.shape[0]
    out: torch.Tensor | None = None
    for start in range(0, n, frame_chunk):
        y = x[start : start + frame_chunk]
        for op in ops:
            y = op(y, start)
        if out is None:
            if frame_chunk >= n:
                return y
            out = y.new_empty((n, *y.shape[1:]))
        out[start : start + y.shape[0]] = y
    assert out is not None
    return out


def group_norm_into(norm: nn.GroupNorm, x: torch.Tensor, out: torch.Tensor) -> None:
    """`out[:] = norm(x)` computed a few groups at a time (exact: each group's statistics are its own).

    `out` may be `x` itself: a group's output only depends on that group's input.
    """
    channels = x.shape[1]
    per_group = channels // norm.num_groups
    group_elements = max(1, x[:, :per_group].numel())
    step = max(1, min(norm.num_groups, _SLICE_ELEMENTS // group_elements))
    for g in range(0, norm.num_groups, step):
        k = min(step, norm.num_groups - g)
        cs = slice(g * per_group, (g + k) * per_group)
        weight = norm.weight[cs] if norm.weight is not None else None
        bias = norm.bias[cs] if norm.bias is not None else None
        out[:, cs] = F.group_norm(x[:, cs], k, weight, bias, norm.eps)


def temporal_conv_inplace(conv: nn.Conv3d, video: torch.Tensor) -> torch.Tensor:
    """`conv(video)` for a (k, 1, 1) kernel that keeps the channel count, written over `video` (b,c,t,h,w).

    Each output pixel only depends on the same pixel over time, so the conv runs over pixel slices and
    each slice's result replaces its input. Other kernels fall back to the one-shot `temporal_conv`.
    """
    kh, kw = conv.kernel_size[1:]
    b, c, t, h, w = video.shape
    if (kh, kw) != (1, 1) or conv.out_channels != c or not video.is_contiguous():
        return temporal_conv(conv, video)
    if conv.padding[1:] != (0, 0) or conv.stride != (1, 1, 1) or conv.groups != 1:
        return temporal_conv(conv, video)
    flat = video.view(b, c, t, h * w)
    weight = conv.weight.squeeze(-1)
    step = max(1, _SLICE_ELEMENTS // max(1, b * c * t))
    for s in range(0, h * w, step):
        flat[..., s : s + step] = F.conv2d(
            flat[..., s : s + step], weight, conv.bias, padding=(conv.padding[0], 0)
        )
    return video


def time_stack_lowmem(stack: TimeStackBlock, video: torch.Tensor) -> torch.Tensor:
    """`stack(video)` (norm-SiLU-conv twice plus the input) in one new clip-sized buffer; `video` is kept."""
    norm_in, _, conv_in = stack.in_layers
    norm_out, _, dropout, conv_out = stack.out_layers
    work = torch.empty(video.shape, dtype=video.dtype, device=video.device)
    group_norm_into(norm_in, video, work)
    work = temporal_conv_inplace(conv_in, F.silu(work, inplace=True))
    group_norm_into(norm_out, work, work)
    work = temporal_conv_inplace(conv_out, dropout(F.silu(work, inplace=True)))
    return work.add_(video)


def video_block_temporal(block: VideoResBlock, spatial: list[torch.Tensor], num_frames: int) -> torch.Tensor:
    """The temporal part of `block` on its spatial output (popped from `spatial`, consumed in place)."""
    frames = spatial.pop()
    video = _to_video(frames, num_frames)
    temporal = time_stack_lowmem(block.time_stack, video)
    alpha = block.mix_weight()
    # The one-shot mix is temporal*a + video*(1-a); float addition commutes, so adding into `video`
    # gives the same numbers and keeps the result in the flat frames layout (no transposed copy).
    video.mul_(1.0 - alpha).add_(temporal.mul_(alpha))
    del temporal
    return frames


def _combiner_op(combiner: nn.Module, context: torch.Tensor, num_frames: int) -> FrameOp:
    """A reference combiner as a per-frame operation (its reference features computed once)."""
    if isinstance(combiner, ConvCombiner):
        b, c, n_ref, h, w = context.shape
        ref = combiner.conv(context.permute(0, 2, 1, 3, 4).reshape(b * n_ref, c, h, w))
        ref = ref.reshape(b, n_ref, c, h, w)

        def add_refs(x: torch.Tensor, start: int) -> torch.Tensor:
            for i in range(x.shape[0]):
                clip, position = divmod(start + i, num_frames)
                # Sequential adds as the one-shot combiner: a one-frame clip gets both, first then last.
                if position == 0:
                    x[i] += ref[clip, 0]
                if position == num_frames - 1:
                    x[i] += ref[clip, 1]
            return x

        return add_refs
    assert isinstance(combiner, AttentionCombiner)
    tokens = context.permute(0, 2, 3, 4, 1).reshape(context.shape[0], -1, context.shape[1])
    k = combiner._split_heads(combiner.to_k(tokens))
    v = combiner._split_heads(combiner.to_v(tokens))

    def attend(x: torch.Tensor, start: int) -> torch.Tensor:
        n, c, h, w = x.shape
        clips = torch.div(torch.arange(start, start + n, device=x.device), num_frames, rounding_mode="floor")
        q = combiner._split_heads(combiner.to_q(combiner.norm(x).flatten(2).transpose(1, 2)))
        out = F.scaled_dot_product_attention(q, k.index_select(0, clips), v.index_select(0, clips))
        out = out.transpose(1, 2).reshape(n, h * w, combiner.heads * combiner.dim_head)
        return x + combiner.to_out(out).transpose(1, 2).reshape(n, c, h, w)

    return attend


def _frame(fn: Callable[[torch.Tensor], torch.Tensor]) -> FrameOp:
    return lambda x, _start: fn(x)


def decode_streaming(
    decoder: VideoDecoder,
    z: torch.Tensor,
    num_frames: int,
    ref_context: list[torch.Tensor] | None = None,
    frame_chunk: int | None = None,
) -> torch.Tensor:
    """Same result as `decoder(z, num_frames, ref_context)`, with the memory of `frame_chunk` frames.

    z: (b*t, z_channels, h, w); ref_context: encoder hidden states, each (b, c, 2, h_i, w_i).
    Call it under `torch.no_grad()` (it works in place).
    """
    if torch.is_grad_enabled():
        raise RuntimeError("decode_streaming works in place: call it under torch.no_grad()")
    chunk = frame_chunk if frame_chunk and frame_chunk > 0 else z.shape[0]
    pending: list[FrameOp] = []
    held = [z]

    def flush() -> None:
        if pending:
            held.append(run_chain(list(pending), held.pop(), chunk))
            pending.clear()

    def video_block(block: VideoResBlock) -> None:
        pending.append(_frame(block.spatial))
        flush()
        held.append(video_block_temporal(block, held, num_frames))

    pending.append(_frame(decoder.conv_in))
    video_block(decoder.mid.block_1)
    pending.append(_frame(decoder.mid.attn_1))
    video_block(decoder.mid.block_2)
    for i_level in reversed(range(decoder.num_resolutions)):
        level = decoder.up[i_level]
        for i_block, block in enumerate(level.block):
            video_block(block)
            if len(level.attn) > 0:
                pending.append(_frame(level.attn[i_block]))
        if ref_context:
            pending.append(_combiner_op(decoder.attn_refinement[i_level], ref_context[i_level], num_frames))
        if i_level != 0:
            pending.append(_frame(level.upsample))
    pending.append(_frame(lambda f: F.silu(decoder.norm_out(f), inplace=True)))
    if ref_context:
        pending.append(_combiner_op(decoder.attn_refinement[-1], ref_context[-1], num_frames))
    conv_out = decoder.conv_out
    pending.append(_frame(lambda f: nn.Conv2d.forward(conv_out, f)))  # the Conv2d part only
    flush()
    pixels = held.pop()
    return _to_frames(temporal_conv(conv_out.time_mix_conv, _to_video(pixels, num_frames)))
