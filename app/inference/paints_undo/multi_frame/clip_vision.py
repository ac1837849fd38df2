"""Arbitrary-aspect CLIP-Vision (ViT-H/14) image encoder of the multi-frame model.

Paints-UNDO feeds CLIP-vision whole, non-square frames: the input (in [-1, 1], like the VAE's) is mapped to
[0, 1], resized so that its SHORT side becomes 224 while keeping the aspect (bicubic, antialiased, each side
rounded to a whole number of 14-pixel patches with Python's banker's rounding), normalised with the OpenAI
CLIP mean/std, and the learned 16x16 position grid (cls excluded) is resized with NEAREST interpolation to the
patch grid. The pipeline uses `last_hidden_state` (before `post_layernorm`, cls token included).

This builds on transformers' `CLIPVisionModelWithProjection`: only the embeddings module is replaced by a
subclass with the arbitrary-aspect forward, so every checkpoint key (`vision_model.embeddings...`,
`vision_model.pre_layrnorm`, `visual_projection` ...) loads unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
from transformers.models.clip.modeling_clip import CLIPVisionEmbeddings

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
GRID = 16  # the learned position grid is 16x16 (image 224 / patch 14); the reference hard-codes it
PATCH = 14  # the reference hard-codes the patch factor in its resize


def target_size(height: int, width: int) -> tuple[int, int]:
    """Resized (H, W): short side -> 16 patches, each side a multiple of 14 (Python `round`, banker's)."""
    scale = GRID / min(height, width)
    return PATCH * round(scale * height), PATCH * round(scale * width)


def preprocess(pixels01: torch.Tensor) -> torch.Tensor:
    """(n, 3, H, W) in [0, 1] -> resized, CLIP-normalised pixels (n, 3, 14*gh, 14*gw)."""
    mean = torch.tensor(CLIP_MEAN, device=pixels01.device, dtype=pixels01.dtype)[None, :, None, None]
    std = torch.tensor(CLIP_STD, device=pixels01.device, dtype=pixels01.dtype)[None, :, None, None]
    resized = F.interpolate(
        pixels01, size=target_size(pixels01.shape[2], pixels01.shape[3]), mode="bicubic", antialias=True
    )
    return (resized - mean) / std


class ArbitraryAspectCLIPVisionEmbeddings(CLIPVisionEmbeddings):
    """CLIP patch + position embeddings for any aspect ratio; input pixels in [-1, 1] (not preprocessed)."""

    def __init__(self, config: CLIPVisionConfig) -> None:
        if config.image_size // config.patch_size != GRID or config.patch_size != PATCH:
            raise ValueError(
                f"the arbitrary-aspect CLIP-vision needs patch_size {PATCH} and image_size {GRID * PATCH} "
                f"(got {config.patch_size} / {config.image_size})"
            )
        super().__init__(config)

    def position_grid(self, grid_h: int, grid_w: int) -> torch.Tensor:
        """(1, 1 + grid_h*grid_w, hidden): the cls position, then the 16x16 grid nearest-resized."""
        weight = self.position_embedding.weight
        cls, grid = weight[:1], weight[1:]
        grid = grid.reshape(GRID, GRID, -1).permute(2, 0, 1).unsqueeze(0)
        grid = F.interpolate(grid, size=(grid_h, grid_w), mode="nearest")
        grid = grid.squeeze(0).permute(1, 2, 0).reshape(grid_h * grid_w, -1)
        return torch.cat([cls, grid])[None]

    def embed_preprocessed(self, pixel_values: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(pixel_values.to(dtype=self.patch_embedding.weight.dtype))
        _, _, grid_h, grid_w = patches.shape
        patches = patches.flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(patches.shape[0], 1, -1)
        return torch.cat([cls, patches], dim=1) + self.position_grid(grid_h, grid_w)

    def forward(self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False) -> torch.Tensor:
        # `interpolate_pos_encoding` is part of the parent's signature; the grid is always resized here.
        # The resize runs in float32 whatever the model dtype: half-precision antialiased bicubic is not
        # available on every device, and float32 is what the parity reference computed.
        return self.embed_preprocessed(preprocess(pixel_values.float() * 0.5 + 0.5))


class ImprovedCLIPVisionModelWithProjection(CLIPVisionModelWithProjection):
    """CLIPVisionModelWithProjection whose embeddings accept any aspect ratio and [-1, 1] pixels.

    `model(pixels).last_hidden_state` is what the multi-frame pipeline feeds to the Resampler.
    """

    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__(config)
        old = self.vision_model.embeddings
        new = ArbitraryAspectCLIPVisionEmbeddings(config)
        new.to(device=old.class_embedding.device, dtype=old.class_embedding.dtype)
        new.load_state_dict(old.state_dict(), assign=True)  # keep whatever init/meta tensors the parent made
        self.vision_model.embeddings = new

    @property
    def embeddings(self) -> ArbitraryAspectCLIPVisionEmbeddings:
        return self.vision_model.embeddings  # type: ignore[return-value]


def clip_vision_config(config: dict[str, Any]) -> CLIPVisionConfig:
    """A CLIPVisionConfig from a saved config.json (transformers ignores/keeps bookkeeping keys itself)."""
    cfg = dict(config)
    if "vision_config" in cfg and isinstance(cfg["vision_config"], dict):  # a full CLIPConfig was saved
        cfg = dict(cfg["vision_config"])
    return CLIPVisionConfig.from_dict(cfg)


def build_image_encoder(config: dict[str, Any] | CLIPVisionConfig) -> ImprovedCLIPVisionModelWithProjection:
    """Builds the model (eval mode) on the current default device; weights are loaded separately."""
    cfg = config if isinstance(config, CLIPVisionConfig) else clip_vision_config(config)
    return ImprovedCLIPVisionModelWithProjection(cfg).eval()
