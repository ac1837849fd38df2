"""Random-weight Paints-UNDO models for benchmarks: full-size architectures (the packaged manifests) or
tiny ones with the same structure, built straight in their dtype (meta -> dtype -> memory), and loaders
for a `ModelManager` so a bench runs the app's own memory policy. Never used by the app or the tests'
parity checks: the weights are random (bench/single_frame.py's `_fill`: outputs stay in half range).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.single_frame import HashTokenizer, _fill

VOCAB = 49408  # HashTokenizer's ids are CLIP ids, so even tiny text encoders keep CLIP's vocabulary
TINY_CONTEXT = 32

TINY_SF = {
    "single_frame_unet": {
        "sample_size": 8,
        "in_channels": 4,
        "out_channels": 4,
        "block_out_channels": [32, 64],
        "layers_per_block": 1,
        "cross_attention_dim": TINY_CONTEXT,
        "attention_head_dim": 4,
        "norm_num_groups": 16,
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "time_embedding_dim": 1280,
    },
    "single_frame_vae": {
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
        "block_out_channels": [16, 16, 32, 32],
        "layers_per_block": 1,
        "latent_channels": 4,
        "norm_num_groups": 8,
        "sample_size": 64,
        "scaling_factor": 0.18215,
    },
    "single_frame_text_encoder": {
        "vocab_size": VOCAB,
        "hidden_size": TINY_CONTEXT,
        "intermediate_size": 64,
        "projection_dim": TINY_CONTEXT,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
    },
}
TINY_MF = {
    "multi_frame_unet": {
        "in_channels": 8,
        "out_channels": 4,
        "model_channels": 32,
        "attention_resolutions": [2],
        "num_res_blocks": 1,
        "channel_mult": [1, 2],
        "num_head_channels": 16,
        "context_dim": TINY_CONTEXT,
        "use_linear": True,
        "temporal_conv": True,
        "temporal_attention": True,
        "use_relative_position": False,
        "temporal_length": 16,
        "addition_attention": True,
        "image_cross_attention": True,
        "fs_condition": True,
        "default_fs": 24,
    },
    "multi_frame_vae": {"ch": 32, "ch_mult": [1, 2, 2, 2], "num_res_blocks": 1, "attn_resolutions": []},
    "multi_frame_image_encoder": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "patch_size": 14,
        "image_size": 224,
        "projection_dim": 16,
    },
    "multi_frame_image_projection": {
        "dim": 32,
        "depth": 1,
        "dim_head": 8,
        "heads": 2,
        "num_queries": 2,
        "embedding_dim": 32,
        "output_dim": TINY_CONTEXT,
        "ff_mult": 2,
        "video_length": 16,
        "input_frames_length": 2,
    },
    "multi_frame_text_encoder": {
        "vocab_size": VOCAB,
        "hidden_size": TINY_CONTEXT,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "max_position_embeddings": 77,
        "hidden_act": "gelu",
        "projection_dim": TINY_CONTEXT,
    },
}


def config(component: str, tiny: bool) -> dict[str, Any]:
    from app.inference.paints_undo.weights import manifest

    if tiny:
        return dict({**TINY_SF, **TINY_MF}[component])
    cfg = dict(manifest(component)["config"])
    return {k: v for k, v in cfg.items() if k not in ("transformers_version", "model_type")}


def _factory(component: str, cfg: dict[str, Any]) -> Callable[[], Any]:
    if component == "single_frame_unet":
        from app.inference.paints_undo.single_frame.unet import build_unet

        return lambda: build_unet(cfg)
    if component == "single_frame_vae":
        from app.inference.paints_undo.single_frame.vae import build_vae

        return lambda: build_vae(cfg)
    if component == "single_frame_text_encoder":
        from app.inference.paints_undo.single_frame.text_encoder import build_text_encoder

        return lambda: build_text_encoder(cfg)
    if component == "multi_frame_unet":
        from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel

        return lambda: UNet3DModel(**cfg)
    if component == "multi_frame_vae":
        from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

        return lambda: VideoAutoencoderKL(**cfg)
    if component == "multi_frame_image_encoder":
        from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder

        return lambda: build_image_encoder(cfg)
    if component == "multi_frame_image_projection":
        from app.inference.paints_undo.multi_frame.resampler import Resampler

        return lambda: Resampler(**cfg)
    if component == "multi_frame_text_encoder":
        from transformers import CLIPTextConfig, CLIPTextModel

        return lambda: CLIPTextModel(CLIPTextConfig(**cfg))
    raise ValueError(f"unknown component {component!r}")


def build(component: str, dtype: Any, *, tiny: bool, device: str = "cpu", seed: int = 0) -> Any:
    """One component with deterministic random weights, allocated directly in `dtype` on `device`."""
    import torch

    with torch.device("meta"):
        module = _factory(component, config(component, tiny))()
    module = torch.nn.Module.to(module, dtype).to_empty(device=device)
    _fill(module, seed=seed)
    for name, buf in module.named_buffers():
        if name.endswith("position_ids"):
            buf.copy_(torch.arange(buf.shape[-1], device=buf.device)[None])
        elif buf.is_floating_point() and not name.endswith("position_ids"):
            buf.zero_()
    if component == "multi_frame_vae":
        with torch.no_grad():  # the video VAE's learned mix factors: a real blend of both paths
            for name, p in module.named_parameters():
                if name.endswith("mix_factor"):
                    p.fill_(0.5)
    return module.eval().requires_grad_(False)


def tokenizer() -> HashTokenizer:
    return HashTokenizer()
