"""`VideoAutoencoderKL`: the multi-frame model's dual-reference video VAE (ToonCrafter's, as Paints-UNDO ships it).

Constructor arguments are exactly the reference's (`double_z, z_channels, resolution, in_channels, out_ch,
ch, ch_mult, num_res_blocks, attn_resolutions, dropout`), which is what the published `vae/config.json`
holds; the VideoDecoder extras (`attn_level, video_kernel_size, alpha, merge_strategy`) are accepted too
with the reference defaults. `state_dict()` keys equal the checkpoint's.

Use the pipeline-level helpers (they mirror `LatentVideoDiffusionPipeline.encode_latents/decode_latents`):

    z, refs = vae.encode_latents(frames)        # frames (b, 3, t, H, W) in [-1, 1]; z (b, 4, t, H/8, W/8)
    pixels = vae.decode_latents(latents, refs)  # latents (b, 4, T, h, w) -> pixels (b, 3, T, H, W)

Quirks kept on purpose: z is `posterior mean * 0.18215` (hard-coded scale, no sampling); decoding with
reference context skips `post_quant_conv` (its weights exist but the reference never uses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from app.inference.paints_undo.multi_frame.module_info import DeviceDtypeMixin

from .vae_decoder import VideoDecoder
from .vae_encoder import Encoder
from .vae_stream import decode_streaming

SCALE_FACTOR = 0.18215
# Frames per chunk of the decoder's per-frame layers when the caller does not say: the chunk's
# temporaries are small next to the two clip-sized tensors the temporal layers need (see vae_stream).
DEFAULT_DECODE_FRAME_CHUNK = 2

# The reference constructor's arguments and the VideoDecoder extras; anything else in a config is ignored.
VAE_CONFIG_KEYS = (
    "double_z",
    "z_channels",
    "resolution",
    "in_channels",
    "out_ch",
    "ch",
    "ch_mult",
    "num_res_blocks",
    "attn_resolutions",
    "dropout",
    "attn_level",
    "video_kernel_size",
    "alpha",
    "merge_strategy",
)


class VideoAutoencoderKL(DeviceDtypeMixin, nn.Module):
    def __init__(
        self,
        double_z: bool = True,
        z_channels: int = 4,
        resolution: int = 256,
        in_channels: int = 3,
        out_ch: int = 3,
        ch: int = 128,
        ch_mult: Sequence[int] = (1, 2, 4, 4),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (),
        dropout: float = 0.0,
        attn_level: Sequence[int] = (2, 3),
        video_kernel_size: Sequence[int] = (3, 1, 1),
        alpha: float = 0.0,
        merge_strategy: str = "learned",
    ) -> None:
        super().__init__()
        self.config: dict[str, Any] = {
            "double_z": bool(double_z),
            "z_channels": int(z_channels),
            "resolution": int(resolution),
            "in_channels": int(in_channels),
            "out_ch": int(out_ch),
            "ch": int(ch),
            "ch_mult": [int(m) for m in ch_mult],
            "num_res_blocks": int(num_res_blocks),
            "attn_resolutions": [int(r) for r in attn_resolutions],
            "dropout": float(dropout),
            "attn_level": [int(v) for v in attn_level],
            "video_kernel_size": [int(k) for k in video_kernel_size],
            "alpha": float(alpha),
            "merge_strategy": str(merge_strategy),
        }
        common = dict(
            ch=ch,
            ch_mult=tuple(ch_mult),
            num_res_blocks=num_res_blocks,
            attn_resolutions=tuple(attn_resolutions),
            resolution=resolution,
            z_channels=z_channels,
            dropout=dropout,
        )
        self.encoder = Encoder(in_channels=in_channels, double_z=double_z, **common)
        self.decoder = VideoDecoder(
            out_ch=out_ch,
            attn_level=tuple(attn_level),
            video_kernel_size=tuple(video_kernel_size),
            alpha=alpha,
            merge_strategy=merge_strategy,
            **common,
        )
        self.quant_conv = nn.Conv2d(2 * z_channels, 2 * z_channels, 1)
        self.post_quant_conv = nn.Conv2d(z_channels, z_channels, 1)
        self.scale_factor = SCALE_FACTOR

    # -- frame level (flat batches of frames, (n, c, h, w)) ------------------------------------------
    def encode_frames(
        self, x: torch.Tensor, return_hidden_states: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """Posterior mean (unscaled) of each frame and, optionally, the encoder hidden states."""
        if return_hidden_states:
            h, hidden = self.encoder(x, return_hidden_states=True)
        else:
            h, hidden = self.encoder(x), None
        moments = self.quant_conv(h)
        mean, _logvar = torch.chunk(moments, 2, dim=1)  # the logvar only matters for sampling, never used
        return mean, hidden

    def decode_frames(
        self,
        z: torch.Tensor,
        num_frames: int,
        ref_context: list[torch.Tensor],
        frame_chunk: int | None = None,
    ) -> torch.Tensor:
        """z (b*t, c, h, w), unscaled -> pixels (b*t, 3, H, W). No post_quant_conv (reference quirk).

        Without autograd this is the low-memory streaming decode (`vae_stream`, identical numbers);
        with autograd on, the decoder's one-shot forward.
        """
        if not ref_context:
            raise ValueError(
                "the dual-reference decoder needs the encoder hidden states of the reference frames"
            )
        if torch.is_grad_enabled():
            return self.decoder(
                z, num_frames=num_frames, ref_context=list(ref_context), frame_chunk=frame_chunk
            )
        return decode_streaming(self.decoder, z, num_frames, list(ref_context), frame_chunk=frame_chunk)

    # -- pipeline level (videos, (b, c, t, h, w)) -------------------------------------------------------
    def encode_latents(
        self, frames: torch.Tensor, return_hidden_states: bool = True, frame_chunk: int | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """frames (b, 3, t, H, W) in [-1, 1] -> z (b, 4, t, H/f, W/f) [, hidden states].

        Hidden states are (b, C_i, 2, h_i, w_i): only the first and last frame are kept, which is all the
        decoder needs. Frames are encoded independently, so `frame_chunk` (frames per encoder call) caps
        memory without changing any number.
        """
        b, _, t, height, width = frames.shape
        flat = frames.permute(0, 2, 1, 3, 4).reshape(b * t, -1, height, width)
        flat = flat.to(device=self.device, dtype=self.dtype)
        step = frame_chunk if frame_chunk and frame_chunk > 0 else b * t
        means: list[torch.Tensor] = []
        hiddens: list[list[torch.Tensor]] = []
        for start in range(0, b * t, step):
            mean, hidden = self.encode_frames(flat[start : start + step], return_hidden_states)
            means.append(mean)
            if hidden is not None:
                hiddens.append(hidden)
        z = torch.cat(means) * self.scale_factor
        z = z.reshape(b, t, *z.shape[1:]).permute(0, 2, 1, 3, 4)
        if not return_hidden_states:
            return z
        hidden_states = []
        for per_level in zip(*hiddens, strict=True):
            hs = torch.cat(per_level)
            hs = hs.reshape(b, t, *hs.shape[1:]).permute(0, 2, 1, 3, 4)
            hidden_states.append(hs[:, :, [0, -1]])
        return z, hidden_states

    def decode_latents(
        self,
        latents: torch.Tensor,
        hidden_states: list[torch.Tensor],
        batch_chunk: int | None = None,
        frame_chunk: int | None = None,
    ) -> torch.Tensor:
        """latents (b, 4, T, h, w) (scaled) + hidden states from `encode_latents` -> pixels (b, 3, T, H, W).

        All T frames of a clip are decoded together (see vae_decoder's docstring: temporal chunking
        would change the result). Both knobs only cap memory and leave the numbers unchanged:
        `batch_chunk` decodes that many clips at a time; `frame_chunk` runs the per-frame (spatial)
        layers that many frames at a time (default `DEFAULT_DECODE_FRAME_CHUNK`; 0 = all at once).
        """
        if frame_chunk is None:
            frame_chunk = DEFAULT_DECODE_FRAME_CHUNK
        b, c, t, h, w = latents.shape
        latents = latents.to(device=self.device, dtype=self.dtype) / self.scale_factor
        refs = [hs.to(device=self.device, dtype=self.dtype) for hs in hidden_states]
        step = batch_chunk if batch_chunk and batch_chunk > 0 else b
        outs = []
        for start in range(0, b, step):
            part = latents[start : start + step]
            n = part.shape[0]
            flat = part.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)
            ctx = [r[start : start + step] for r in refs]
            pixels = self.decode_frames(flat, t, ctx, frame_chunk=frame_chunk)
            outs.append(pixels.reshape(n, t, *pixels.shape[1:]).permute(0, 2, 1, 3, 4))
        return torch.cat(outs)


def vae_config_from_dict(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Split a saved config into constructor kwargs and the ignored keys (e.g. `_class_name`)."""
    kwargs = {k: v for k, v in config.items() if k in VAE_CONFIG_KEYS}
    ignored = sorted(k for k in config if k not in VAE_CONFIG_KEYS)
    return kwargs, ignored
