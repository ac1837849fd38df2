"""Keyframes for a batch of undo steps: the reference app's `process`, orchestrated only.

One call: artwork (RGB uint8) + prompt + negative prompt + undo steps + seed + sampler steps + cfg
-> one RGB uint8 image per undo step at the working size (a multiple of 64, the artwork resized to
cover it and centre-cropped, like the reference). Stages, as numbered in `__call__`:
1. check inputs  2. encode the image and the prompts (cached)  3. prepare the noise
4. denoise (batched CFG, progress + cancel per step)  5. decode (in tiles where `vae_tiling` says:
single_frame/vae.py)  6. release.

Faster than the reference with the same numbers: one UNet call per step for both CFG branches, the
image latent and prompt embeddings computed once and cached, decode one image at a time (lower peak).
Half precision (bf16/fp16, chosen by whoever loaded the models) falls back to fp32 automatically for
the stage whose result is NaN or black.

Models are reached through a provider with `use(name)` (a context manager yielding the module on the
compute device): the model manager (`ModelManager`) in the engine, `StaticModels` for explicitly
given components.
Names: "single_frame_unet", "single_frame_vae", "single_frame_text_encoder".
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
import torch

from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress, scaled_progress
from app.inference.paints_undo.preprocess import numpy2pytorch, pytorch2numpy, resize_and_center_crop
from app.inference.paints_undo.single_frame.sampler import KarrasSchedule, sample, seeded_noise
from app.inference.paints_undo.single_frame.text_encoder import encode_ids, tokenize
from app.inference.paints_undo.single_frame.vae import decode_latents, encode_image, wants_tiling

log = logging.getLogger(__name__)

UNET, VAE, TEXT_ENCODER = "single_frame_unet", "single_frame_vae", "single_frame_text_encoder"
SIZE_MULTIPLE = 64
_CACHE_ENTRIES = 8


class ModelProvider(Protocol):
    def use(self, name: str) -> Any:  # a context manager yielding the module on the device
        ...


class StaticModels:
    """Components given directly (tests, benchmarks): moved to `device` on first use and kept there."""

    def __init__(self, modules: dict[str, torch.nn.Module], device: str | torch.device = "cpu") -> None:
        self.modules = dict(modules)
        self.device = torch.device(device)

    @contextmanager
    def use(self, name: str) -> Iterator[torch.nn.Module]:
        module = self.modules[name]
        if _place(module)[0] != self.device:
            module = self.modules[name] = module.to(self.device)
        yield module


def _place(module: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(module.parameters())
    return p.device, p.dtype


@contextmanager
def _in_dtype(module: torch.nn.Module, dtype: torch.dtype) -> Iterator[torch.nn.Module]:
    """Temporarily run a module in `dtype` (the fp32 retry); fp16/bf16 -> fp32 -> back is lossless."""
    original = _place(module)[1]
    if original == dtype:
        yield module
        return
    torch.nn.Module.to(module, dtype)
    try:
        yield module
    finally:
        torch.nn.Module.to(module, original)


def degenerate(pixels_or_latents: torch.Tensor, pixels: bool) -> bool:
    """NaN/inf anywhere, or (pixels) an all-black result: what fp16/bf16 overflow looks like."""
    if not bool(torch.isfinite(pixels_or_latents).all()):
        return True
    if pixels:
        return bool((pixels_or_latents > -0.98).float().mean() < 1e-4)
    return bool(pixels_or_latents.abs().max() == 0)


def working_size(
    width: int, height: int, long_side: int = 640, multiple: int = SIZE_MULTIPLE
) -> tuple[int, int]:
    """(w, h), multiples of `multiple`, the longer side `long_side`, the artwork's aspect (rounded)."""
    scale = long_side / max(width, height)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


class SingleFramePipeline:
    """Keyframe generation; see the module docstring. Thread-compatible, not thread-safe (one worker)."""

    def __init__(
        self,
        models: ModelProvider,
        tokenizer: Any,
        schedule: KarrasSchedule | None = None,
        decode_batch: int = 1,
        vae_tiling: str = "auto",
    ) -> None:
        """`vae_tiling`: "auto", "on" or "off", how keyframes are decoded (`vae.wants_tiling`)."""
        self.models = models
        self.tokenizer = tokenizer
        self.schedule = schedule or KarrasSchedule()
        self.decode_batch = max(1, int(decode_batch))
        self.vae_tiling = vae_tiling
        self._prompt_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._image_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.last_run_dtypes: dict[str, str] = {}  # what actually ran (after any fp32 retry), for tests/logs

    @classmethod
    def from_components(
        cls,
        unet: Any,
        vae: Any,
        text_encoder: Any,
        tokenizer: Any,
        device: str | torch.device = "cpu",
        **kw: Any,
    ) -> SingleFramePipeline:
        models = StaticModels({UNET: unet, VAE: vae, TEXT_ENCODER: text_encoder}, device)
        return cls(models, tokenizer, **kw)

    # -- stage helpers (each usable alone: the engine encodes once per branch) -------------------------
    def prepare_image(self, artwork: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """The artwork resized to cover `size` (w, h) and centre-cropped (cv2 INTER_AREA, as the reference)."""
        w, h = size
        if (artwork.shape[1], artwork.shape[0]) == (w, h):
            return np.ascontiguousarray(artwork)
        return np.ascontiguousarray(resize_and_center_crop(artwork, target_width=w, target_height=h))

    @torch.inference_mode()
    def encode_prompts(self, prompts: Sequence[str]) -> list[torch.Tensor]:
        """(1,77,C) float32 CPU embeddings per prompt; uncached ones go through the encoder as one batch."""
        todo = list(dict.fromkeys(p for p in prompts if p not in self._prompt_cache))
        if todo:
            ids = tokenize(self.tokenizer, todo)
            with self.models.use(TEXT_ENCODER) as text_encoder:
                hidden = encode_ids(text_encoder, ids).float().cpu()
                if degenerate(hidden, pixels=False) and _place(text_encoder)[1] != torch.float32:
                    log.warning("text encoder gave NaN in %s; retrying in float32", _place(text_encoder)[1])
                    with _in_dtype(text_encoder, torch.float32):
                        hidden = encode_ids(text_encoder, ids).float().cpu()
            for i, prompt in enumerate(todo):
                _remember(self._prompt_cache, prompt, hidden[i : i + 1])
        out = []
        for prompt in prompts:
            self._prompt_cache.move_to_end(prompt)
            out.append(self._prompt_cache[prompt])
        return out

    @torch.inference_mode()
    def encode_image(self, image: np.ndarray) -> torch.Tensor:
        """(1,4,h/8,w/8) float32 CPU latent (`mode() * scaling_factor`) of an already-sized image; cached."""
        key = hashlib.sha256(repr(image.shape).encode() + image.tobytes()).hexdigest()
        if key not in self._image_cache:
            with self.models.use(VAE) as vae:
                latent = encode_image(vae, numpy2pytorch([image]))
                if degenerate(latent, pixels=False) and _place(vae)[1] != torch.float32:
                    log.warning("VAE encode gave NaN in %s; retrying in float32", _place(vae)[1])
                    with _in_dtype(vae, torch.float32):
                        latent = encode_image(vae, numpy2pytorch([image]))
            _remember(self._image_cache, key, latent.cpu())
        self._image_cache.move_to_end(key)
        return self._image_cache[key]

    def noise_for(self, latent_shape: tuple[int, ...], seed: int) -> torch.Tensor:
        return seeded_noise((1, *latent_shape[1:]), seed)

    @torch.inference_mode()
    def denoise(
        self,
        image_latent: torch.Tensor,
        positive: torch.Tensor,
        negative: torch.Tensor,
        undo_steps: Sequence[int],
        noise: torch.Tensor,
        steps: int,
        cfg: float,
        cancel: CancelToken = NEVER_CANCELLED,
        progress: ProgressCallback = no_progress,
    ) -> torch.Tensor:
        """Sampled latents (B,4,h,w) float32 for the undo steps; fp32 retry when half precision NaNs."""
        with self.models.use(UNET) as unet:
            device, dtype = _place(unet)
            args = (
                noise,
                positive,
                negative,
                image_latent.to(device),
                torch.tensor(list(undo_steps), dtype=torch.long, device=device),
                steps,
                cfg,
            )
            latents = sample(
                unet, *args, model_dtype=dtype, schedule=self.schedule, cancel=cancel, progress=progress
            )
            used = dtype
            if degenerate(latents, pixels=False) and dtype != torch.float32:
                log.warning("UNet sampling gave NaN/inf in %s; retrying in float32", dtype)
                with _in_dtype(unet, torch.float32):
                    latents = sample(
                        unet,
                        *args,
                        model_dtype=torch.float32,
                        schedule=self.schedule,
                        cancel=cancel,
                        progress=progress,
                    )
                used = torch.float32
        self.last_run_dtypes[UNET] = str(used).removeprefix("torch.")
        return latents

    @torch.inference_mode()
    def decode(
        self, latents: torch.Tensor, cancel: CancelToken = NEVER_CANCELLED, vae_tiling: str | None = None
    ) -> list[np.ndarray]:
        """Latents -> RGB uint8 images (truncated like the reference), `decode_batch` at a time;
        `vae_tiling` (a branch's setting) overrides the pipeline's."""
        tiling = self.vae_tiling if vae_tiling is None else vae_tiling
        images: list[np.ndarray] = []
        with self.models.use(VAE) as vae:
            dtype = _place(vae)[1]
            used = dtype
            for start in range(0, latents.shape[0], self.decode_batch):
                cancel.raise_if_cancelled()
                chunk = latents[start : start + self.decode_batch]
                tiled = wants_tiling(tiling, vae, chunk)
                pixels = decode_latents(vae, chunk, tiled=tiled)
                if degenerate(pixels, pixels=True) and dtype != torch.float32:
                    log.warning("VAE decode gave NaN/black in %s; retrying in float32", dtype)
                    with _in_dtype(vae, torch.float32):
                        pixels = decode_latents(vae, chunk, tiled=tiled)
                    used = torch.float32
                images.extend(np.ascontiguousarray(a) for a in pytorch2numpy(pixels.cpu()))
        self.last_run_dtypes[VAE] = str(used).removeprefix("torch.")
        return images

    # -- the whole call ------------------------------------------------------------------------------
    def __call__(
        self,
        artwork: np.ndarray,
        prompt: str,
        negative_prompt: str,
        undo_steps: Sequence[int],
        *,
        seed: int = 0,
        steps: int = 50,
        cfg: float = 3.0,
        size: tuple[int, int] | None = None,
        noise: torch.Tensor | None = None,
        cancel: CancelToken = NEVER_CANCELLED,
        progress: ProgressCallback = no_progress,
    ) -> list[np.ndarray]:
        # 1. check inputs
        if artwork.ndim != 3 or artwork.shape[2] != 3 or artwork.dtype != np.uint8:
            raise ValueError(
                f"artwork must be an (H, W, 3) uint8 RGB array, got {artwork.shape} {artwork.dtype}"
            )
        if not undo_steps:
            raise ValueError("undo_steps is empty")
        if any(not 0 <= int(s) <= 999 for s in undo_steps):
            raise ValueError(f"undo steps must be in 0..999, got {list(undo_steps)}")
        if steps < 1 or cfg <= 0:
            raise ValueError(f"need steps >= 1 and cfg > 0, got steps={steps}, cfg={cfg}")
        size = size or working_size(artwork.shape[1], artwork.shape[0])
        if size[0] % 8 or size[1] % 8:
            raise ValueError(f"size must be a multiple of 8, got {size}")
        cancel.raise_if_cancelled()
        # 2. encode (cached per image / per prompt)
        progress(0.0, "Encoding artwork and prompts")
        image = self.prepare_image(artwork, size)
        positive, negative = self.encode_prompts([prompt, negative_prompt])
        cancel.raise_if_cancelled()
        image_latent = self.encode_image(image)
        cancel.raise_if_cancelled()
        # 3. prepare latents: ONE noise for the whole batch (same_noise_in_batch)
        if noise is None:
            noise = self.noise_for(tuple(image_latent.shape), seed)
        elif tuple(noise.shape[1:]) != tuple(image_latent.shape[1:]):
            raise ValueError(
                f"noise shape {tuple(noise.shape)} does not fit latents {tuple(image_latent.shape)}"
            )
        # 4. denoise loop with progress
        latents = self.denoise(
            image_latent, positive, negative, undo_steps, noise, steps, cfg,
            cancel=cancel, progress=scaled_progress(progress, 0.05, 0.9),
        )  # fmt: skip
        cancel.raise_if_cancelled()
        # 5. decode
        progress(0.9, "Decoding keyframes")
        images = self.decode(latents, cancel)
        # 6. release: nothing is held on the device by the pipeline itself (the provider decides)
        del latents
        progress(1.0, "Keyframes done")
        return images


def _remember(cache: OrderedDict[str, torch.Tensor], key: str, value: torch.Tensor) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_ENTRIES:
        cache.popitem(last=False)
