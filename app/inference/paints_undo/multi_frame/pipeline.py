"""One 16-frame segment between two keyframes: the reference's `process_video_inner`, orchestrated only.

Stages (numbered as in `interpolate`): pick the bucket and crop both frames; encode the prompt and the empty
negative prompt (one text-encoder batch); CLIP-vision tokens of both frames and of a grey (zeros in
[-1,1]) image (one image-encoder batch) -> resampler -> per-frame image tokens; video VAE latents + hidden
states of the two frames; `concat_cond` = first latent at frame 0, last latent at frame T-1, zeros between;
dynamic-TSNR sampling with batched CFG; dual-reference VAE decode; uint8 frames (truncated, as the
reference's video writer does).

Components are duck-typed so the pipeline can be tested with tiny stand-ins:

* `unet(x, timesteps, context_text=, context_img=, concat_cond=, fs=) -> v` (`UNet3DModel`);
* `vae.encode_latents(frames(b,3,t,H,W), return_hidden_states=True) -> (z(b,4,t,h,w), hidden_states)` and
  `vae.decode_latents(latents, hidden_states) -> pixels(b,3,T,H,W)` in [-1,1] (`VideoAutoencoderKL`);
* `image_encoder(pixels(n,3,H,W) in [-1,1])` -> tensor `(n,L,C)` or an object with `.last_hidden_state`
  (no post-layernorm; `ImprovedCLIPVision...`);
* `image_projection(tokens(b,2,L,C)) -> (b,T,Q,C')` (`Resampler`; T is the number of frames produced);
* `text_encoder` + `tokenizer`: a transformers CLIPTextModel (SD2.1) and its tokenizer, 77 tokens, no mask.

Each may expose `.dtype`/`.device` (modules do); inputs are moved to them. `prepare_module(name)` is called
before a component is used, so a model manager can bring it onto the device (and offload others).

Encodings go through an `EncodingCache` (`encodings.py`; the engine passes the branch's own, so it outlives
this pipeline object): the prompt's embeddings, and per keyframe its CLIP-vision tokens and its VAE latent
with hidden states. A keyframe shared by two segments, and the prompt, are encoded once per branch; the
resampler, which mixes the two keyframes' tokens, runs per segment. On a GPU the engine also passes the
branch's `DeviceFrames` (`device_frames.py`): `interpolate_video` keeps a segment's latents there until
decoded and its frames as uint8 device tensors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress, scaled_progress
from app.inference.paints_undo.device_frames import DeviceFrames
from app.inference.paints_undo.encodings import EncodingCache, frame_key
from app.inference.paints_undo.preprocess import VIDEO_BUCKETS  # (h, w) buckets of process_video_inner

from .sampler import DynamicTSNRSampler, VideoCondition


def _bucket_and_crop(image: np.ndarray, buckets: Sequence[tuple[int, int]], like: np.ndarray) -> np.ndarray:
    """The reference's `find_best_bucket` (by `like`'s aspect) + `resize_and_center_crop` (cv2 INTER_AREA)."""
    from app.inference.paints_undo.preprocess import find_best_bucket, resize_and_center_crop

    height, width = find_best_bucket(like.shape[0], like.shape[1], list(buckets))
    return resize_and_center_crop(image, target_width=width, target_height=height)


def _device_dtype(module: Any, fallback: torch.device | str = "cpu") -> tuple[torch.device, torch.dtype]:
    dev = getattr(module, "device", None)
    dtype = getattr(module, "dtype", None)
    if not isinstance(dev, torch.device) or not isinstance(dtype, torch.dtype):
        try:
            param = next(module.parameters())
            return param.device, param.dtype
        except (AttributeError, StopIteration):
            return torch.device(fallback), torch.float32
    return dev, dtype


def _last_hidden_state(output: Any) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output.last_hidden_state


class MultiFramePipeline:
    """Interpolates one segment; see the module docstring for the component interfaces."""

    def __init__(
        self,
        unet: Any,
        vae: Any,
        image_encoder: Any,
        image_projection: Any,
        text_encoder: Any,
        tokenizer: Any,
        sampler: DynamicTSNRSampler | None = None,
        buckets: Sequence[tuple[int, int]] = VIDEO_BUCKETS,
        prepare_module: Callable[[str], None] | None = None,
        batched_cfg: bool | None = None,
        cache: EncodingCache | None = None,
        frames: DeviceFrames | None = None,
    ) -> None:
        """`batched_cfg`: run CFG's two sides as one UNet batch. None = automatic: batched on GPUs, two
        calls on CPU, where the full-size bench measured batching slower (0.93x CPU time) and heavier
        (+0.7 GB activations) at 320x512. Both give the same numbers (see bench/multi_frame.py)."""
        self.unet, self.vae = unet, vae
        self.image_encoder, self.image_projection = image_encoder, image_projection
        self.text_encoder, self.tokenizer = text_encoder, tokenizer
        self.sampler = sampler or DynamicTSNRSampler()
        self.buckets = tuple(buckets)
        self._prepare = prepare_module or (lambda _name: None)
        self.batched_cfg = batched_cfg
        self.cache = cache if cache is not None else EncodingCache(0)
        self.frames = frames  # a GPU branch's DeviceFrames (segment latents and frames); None on a CPU

    # -- encoders (each usable on its own, so an engine can encode once per branch) ------------------
    @torch.inference_mode()
    def encode_prompt(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(positive, negative) text tokens `(1,77,C)`; negative is the empty prompt. Cached per prompt."""

        def encode() -> tuple[torch.Tensor, torch.Tensor]:
            from app.inference.paints_undo.single_frame.text_encoder import tokenize

            self._prepare("text_encoder")
            device, _ = _device_dtype(self.text_encoder)
            hidden = self.text_encoder(tokenize(self.tokenizer, [prompt, ""]).to(device), attention_mask=None)
            out = _last_hidden_state(hidden).float()
            return out[:1], out[1:]

        key = "text:" + hashlib.blake2b(prompt.encode(), digest_size=16).hexdigest()
        pos, neg = self.cache.get_or_encode(key, encode)
        return pos, neg

    @torch.inference_mode()
    def encode_images(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """frames `(1,3,2,H,W)` in [-1,1] -> (positive, negative) image tokens `(1,T,Q,C)`.

        The negative side is the encoding of zeros (grey), as in the reference; both sides go through the
        image encoder and the resampler as one batch. (A segment takes the same path through the cache:
        `_cached_image_tokens`.)
        """
        b, c, t, h, w = frames.shape
        flat = frames.transpose(1, 2).reshape(b * t, c, h, w)
        tokens = self._clip_tokens(torch.cat([flat, torch.zeros_like(flat)]))
        return self._project(tokens.reshape(2 * b, t, *tokens.shape[1:]), b)

    def _clip_tokens(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels `(n,3,H,W)` in [-1,1] -> the image encoder's tokens `(n,L,C)`, on its device."""
        self._prepare("image_encoder")
        device, dtype = _device_dtype(self.image_encoder)
        return _last_hidden_state(self.image_encoder(pixels.to(device=device, dtype=dtype)))

    def _project(self, tokens: torch.Tensor, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens `(2b,2,L,C)` (b positive rows, then b negative) -> the resampler's (positive, negative)."""
        self._prepare("image_projection")
        device, dtype = _device_dtype(self.image_projection)
        projected = self.image_projection(tokens.to(device=device, dtype=dtype)).float().cpu()
        return projected[:b], projected[b:]

    @torch.inference_mode()
    def encode_keyframes(self, frames: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """frames `(1,3,2,H,W)` -> (latents `(1,4,2,h,w)`, VAE hidden states of the first/last frame)."""
        self._prepare("vae")
        device, dtype = _device_dtype(self.vae)
        z, hidden = self.vae.encode_latents(frames.to(device=device, dtype=dtype), return_hidden_states=True)
        return z.float(), list(hidden)

    # -- per-keyframe encodings through the cache ------------------------------------------------------
    def _cached_image_tokens(
        self, crops: Sequence[np.ndarray], frames: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`encode_images(frames)` with each keyframe's CLIP-vision tokens (and the grey image's) from
        the cache; the missing ones go through the image encoder as one batch."""
        _, _, _, h, w = frames.shape
        keys = [frame_key("clip", crop) for crop in crops] + [f"clip-grey:{h}x{w}"]
        pixels = [frames[0, :, 0], frames[0, :, 1], torch.zeros_like(frames[0, :, 0])]
        found = self._lookup(keys)
        todo = [i for i, key in enumerate(keys) if key not in found and keys.index(key) == i]
        if todo:
            tokens = self._clip_tokens(torch.stack([pixels[i] for i in todo]))
            for row, i in enumerate(todo):
                found[keys[i]] = self.cache.put(keys[i], (tokens[row : row + 1],))
        a, b, grey = (found[key][0] for key in keys)
        both = torch.cat([t.to(a.device) for t in (a, b, grey, grey)])
        return self._project(both.reshape(2, 2, *a.shape[1:]), 1)

    def _cached_keyframes(
        self, crops: Sequence[np.ndarray], frames: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """`encode_keyframes(frames)` with each keyframe's VAE latent and hidden states from the cache
        (frames are encoded independently, so one keyframe's entry serves every segment it touches)."""
        keys = [frame_key("vae", crop) for crop in crops]
        found = self._lookup(keys)
        todo = [i for i, key in enumerate(keys) if key not in found and keys.index(key) == i]
        if todo:
            z, hidden = self.encode_keyframes(frames[:, :, todo])
            for j, i in enumerate(todo):
                # hidden states keep the first and last frame of what was encoded: j is one of those
                pick = 0 if j == 0 else -1
                found[keys[i]] = self.cache.put(keys[i], (z[:, :, j], *(hs[:, :, pick] for hs in hidden)))
        a, b = found[keys[0]], found[keys[1]]
        latents = torch.stack([a[0], b[0].to(a[0].device)], dim=2).float()
        hidden_states = [
            torch.stack([ha, hb.to(ha.device)], dim=2) for ha, hb in zip(a[1:], b[1:], strict=True)
        ]
        return latents, hidden_states

    def _lookup(self, keys: Sequence[str]) -> dict[str, tuple[torch.Tensor, ...]]:
        """The cached entries among `keys`, held here so that encoding the others cannot drop them."""
        found: dict[str, tuple[torch.Tensor, ...]] = {}
        for key in keys:
            entry = self.cache.get(key) if key not in found else None
            if entry is not None:
                found[key] = entry
        return found

    # -- the segment -------------------------------------------------------------------------------
    def interpolate(
        self,
        frame_a: np.ndarray,
        frame_b: np.ndarray,
        prompt: str,
        seed: int,
        steps: int = 50,
        cfg: float = 7.5,
        fs: int = 3,
        cancel: CancelToken = NEVER_CANCELLED,
        progress: ProgressCallback = no_progress,
        noise: torch.Tensor | None = None,
    ) -> list[np.ndarray]:
        """Frames from `frame_a` (index 0) to `frame_b` (index T-1), each `(H,W,3)` uint8 at the bucket size.

        `noise` injects the initial latent noise `(1,4,T,h,w)`; the per-step noise comes from a CPU
        generator seeded with `seed` (the reference draws on the CUDA generator: same maths, other numbers).
        """
        video = self.interpolate_video(
            frame_a, frame_b, prompt, seed, steps, cfg, fs, cancel=cancel, progress=progress, noise=noise
        )
        return [np.ascontiguousarray(frame.cpu().numpy()) for frame in video.unbind(0)]

    @torch.inference_mode()
    def interpolate_video(
        self,
        frame_a: np.ndarray,
        frame_b: np.ndarray,
        prompt: str,
        seed: int,
        steps: int = 50,
        cfg: float = 7.5,
        fs: int = 3,
        cancel: CancelToken = NEVER_CANCELLED,
        progress: ProgressCallback = no_progress,
        noise: torch.Tensor | None = None,
        segment: str | None = None,
    ) -> torch.Tensor:
        """`interpolate`'s frames as one `(T,H,W,3)` uint8 tensor on the VAE's device. With `self.frames`
        (a GPU's `DeviceFrames`) and a `segment` key, the sampled latents are kept there until the decode
        succeeds (a cancelled decode resumes from them, without sampling) and the frames after it."""
        # 1. inputs: bucket by frame_a's aspect (the reference's rule), crop both frames, to [-1, 1]
        for name, image in (("frame_a", frame_a), ("frame_b", frame_b)):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(
                    f"{name} must be an (H, W, 3) uint8 RGB array, got {image.shape} {image.dtype}"
                )
        crops = [_bucket_and_crop(img, self.buckets, frame_a) for img in (frame_a, frame_b)]
        from app.inference.paints_undo.preprocess import numpy2pytorch

        frames = numpy2pytorch(crops).movedim(0, 1).unsqueeze(0)  # (2,3,H,W) in [-1,1] -> (1,3,2,H,W)
        cancel.raise_if_cancelled()
        store = self.frames if segment is not None else None
        latents = store.latents(segment) if store is not None and segment is not None else None
        if latents is None:
            latents, hidden_states = self._sample(
                crops, frames, prompt, seed, steps, cfg, fs, cancel, progress, noise
            )
            if store is not None and segment is not None:
                store.put_latents(segment, latents)
        else:  # sampled before, the decode did not finish: only the decoder's reference context is needed
            _, hidden_states = self._cached_keyframes(crops, frames)
        cancel.raise_if_cancelled()
        # 4. decode with the keyframes' hidden states as reference context
        progress(0.9, "Decoding frames")
        self._prepare("vae")
        vae_device, vae_dtype = _device_dtype(self.vae)
        pixels = self.vae.decode_latents(latents.to(device=vae_device, dtype=vae_dtype), hidden_states)
        video = to_uint8_video(pixels)
        if store is not None and segment is not None:
            store.put_frames(segment, video)  # frees the latents
        progress(1.0, "Segment done")
        return video

    def _sample(
        self,
        crops: Sequence[np.ndarray],
        frames: torch.Tensor,
        prompt: str,
        seed: int,
        steps: int,
        cfg: float,
        fs: int,
        cancel: CancelToken,
        progress: ProgressCallback,
        noise: torch.Tensor | None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Stages 2-3: the conditions, then dynamic-TSNR sampling -> (latents on the UNet's device, the
        keyframes' VAE hidden states for the decode)."""
        # 2. conditions
        progress(0.0, "Encoding prompt")
        text_pos, text_neg = self.encode_prompt(prompt)
        cancel.raise_if_cancelled()
        progress(0.03, "Encoding keyframes")
        img_pos, img_neg = self._cached_image_tokens(crops, frames)
        cancel.raise_if_cancelled()
        latents_ab, hidden_states = self._cached_keyframes(crops, frames)
        num_frames = img_pos.shape[1]
        first, last = latents_ab[:, :, 0], latents_ab[:, :, -1]
        zeros = [torch.zeros_like(first)] * (num_frames - 2)
        concat_cond = torch.stack([first, *zeros, last], dim=2)
        cancel.raise_if_cancelled()
        # 3. denoise (batched CFG)
        self._prepare("unet")
        device, _ = _device_dtype(self.unet)
        fs_tensor = torch.tensor([fs], dtype=torch.long, device=device)
        concat_cond = concat_cond.to(device)
        positive = VideoCondition(text_pos.to(device), img_pos.to(device), concat_cond, fs_tensor)
        negative = VideoCondition(text_neg.to(device), img_neg.to(device), concat_cond, fs_tensor)
        generator = torch.Generator("cpu").manual_seed(int(seed))
        latents = self.sampler.sample(
            self.unet,
            positive,
            negative,
            steps,
            cfg,
            initial_noise=noise,
            generator=generator,
            batched_cfg=self.batched_cfg if self.batched_cfg is not None else device.type != "cpu",
            cancel=cancel,
            progress=scaled_progress(progress, 0.1, 0.9),
        )
        return latents, hidden_states


def to_uint8_video(pixels: torch.Tensor) -> torch.Tensor:
    """`(1,3,T,H,W)` in [-1,1] -> `(T,H,W,3)` uint8 on the same device; clamps then truncates like the
    reference's video writer."""
    video = (pixels[0].float().clamp(-1.0, 1.0) * 127.5 + 127.5).to(torch.uint8)
    return video.permute(1, 2, 3, 0)
