"""Tiny random single-frame components shared by the single-frame/engine tests, plus tests of the
tokenizer path they rely on. Imported by the other test_single_frame*/test_engine_paints_undo* files.

The shapes mirror SD1.5's structure (4 VAE levels -> factor 8, UNet with cross-attention, add_embedding
of width 1280, which the reference hard-codes) at widths small enough for a 2-core CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

CROSS_DIM = 16
UNET_CONFIG: dict[str, Any] = {
    "sample_size": 8,
    "in_channels": 4,
    "out_channels": 4,
    "block_out_channels": [16, 32],
    "layers_per_block": 1,
    "cross_attention_dim": CROSS_DIM,
    "attention_head_dim": 2,
    "norm_num_groups": 8,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "time_embedding_dim": 1280,
}
VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [8, 8, 8, 8],
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 4,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}
WORDS = ["a", "girl", "red", "hair", "sky", "lowres", "bad", "hands", "cropped", "worst", "quality", "cat"]


def vocab() -> dict[str, int]:
    tokens = ["<|startoftext|>", "<|endoftext|>"]
    for ch in "abcdefghijklmnopqrstuvwxyz,":
        tokens += [ch, ch + "</w>"]
    tokens += [w + "</w>" for w in WORDS]
    return {t: i for i, t in enumerate(dict.fromkeys(tokens))}


def merges() -> list[str]:
    """BPE merges that build each word of WORDS from its letters (so whole words become one token)."""
    out: list[str] = []
    for word in WORDS:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            out.append(f"{pieces[0]} {pieces[1]}")
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
    return list(dict.fromkeys(out))


def text_config() -> dict[str, Any]:
    return {
        "vocab_size": 256,
        "hidden_size": CROSS_DIM,
        "intermediate_size": 32,
        "projection_dim": CROSS_DIM,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "bos_token_id": 0,
        "eos_token_id": 1,
        "pad_token_id": 1,
    }


def write_tokenizer(folder: Path) -> Path:
    """A real CLIPTokenizer folder (vocab.json + merges.txt) with whole-word tokens for WORDS."""
    folder.mkdir(parents=True, exist_ok=True)
    table = vocab()
    for merge in merges():
        table.setdefault(merge.replace(" ", ""), len(table))
    (folder / "vocab.json").write_text(json.dumps(table), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges()) + "\n", encoding="utf-8")
    return folder


def make_tokenizer(tmp_path: Path) -> Any:
    from app.inference.paints_undo.single_frame.text_encoder import load_tokenizer

    return load_tokenizer(write_tokenizer(tmp_path / "tokenizer"))


def _randomize(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Non-zero everything (zero-initialised layers too), like the reference fixtures' randomize_."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            if p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in**0.5)
            elif name.endswith("weight") and "norm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    return module.eval().requires_grad_(False)


def make_unet(seed: int = 1) -> torch.nn.Module:
    from app.inference.paints_undo.single_frame.unet import build_unet

    return _randomize(build_unet(UNET_CONFIG, device="cpu"), seed)


def make_vae(seed: int = 2) -> torch.nn.Module:
    from app.inference.paints_undo.single_frame.vae import build_vae

    return _randomize(build_vae(VAE_CONFIG, device="cpu"), seed)


def make_text_encoder(seed: int = 3) -> torch.nn.Module:
    from app.inference.paints_undo.single_frame.text_encoder import build_text_encoder

    model = build_text_encoder(text_config(), device="cpu")
    return _randomize(model, seed)


def make_components(tmp_path: Path) -> dict[str, Any]:
    return {
        "unet": make_unet(),
        "vae": make_vae(),
        "text_encoder": make_text_encoder(),
        "tokenizer": make_tokenizer(tmp_path),
    }


def artwork(h: int = 48, w: int = 40, seed: int = 0) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


# --------------------------------------------------------------------------------------------- tests
def test_tokenizer_pads_and_truncates_to_77(tmp_path: Path) -> None:
    from app.inference.paints_undo.single_frame.text_encoder import tokenize

    tok = make_tokenizer(tmp_path)
    ids = tokenize(tok, ["a girl, red hair", "", " ".join(["cat"] * 200)])
    assert ids.shape == (3, 77) and ids.dtype == torch.long
    table = vocab()
    assert ids[0, 0] == table["<|startoftext|>"]
    assert ids[0, 1] == json.loads((tmp_path / "tokenizer" / "vocab.json").read_text())["a</w>"]
    assert ids[1, 1] == table["<|endoftext|>"]  # empty prompt: bos, eos, then padding
    assert ids[2, -1] == table["<|endoftext|>"]  # truncated: the last token is still eos
    assert int(ids.max()) < text_config()["vocab_size"]


def test_lazy_tokenizer_loads_on_first_use(tmp_path: Path) -> None:
    from app.inference.paints_undo.single_frame.text_encoder import LazyTokenizer, tokenize

    lazy = LazyTokenizer(tmp_path / "tok")  # the folder does not exist yet: constructing must not fail
    write_tokenizer(tmp_path / "tok")
    assert tokenize(lazy, ["sky"]).shape == (1, 77)


def test_missing_tokenizer_is_a_weights_error(tmp_path: Path) -> None:
    import pytest

    from app.errors import WeightsError
    from app.inference.paints_undo.single_frame.text_encoder import LazyTokenizer, tokenize

    with pytest.raises(WeightsError, match="vocab.json"):
        tokenize(LazyTokenizer(tmp_path / "nothing"), ["sky"])


def write_models_dir(root: Path, components: dict[str, Any], dtype: torch.dtype = torch.float32) -> Path:
    """`<root>/paints_undo_single_frame/{unet,vae,text_encoder,tokenizer}` like the published checkpoint:
    diffusers/transformers-4 file names, config.json with in_channels 4, `text_model.`-prefixed CLIP keys."""
    from safetensors.torch import save_file

    base = root / "paints_undo_single_frame"

    def save(sub: str, file: str, module: torch.nn.Module, config: dict[str, Any], prefix: str = "") -> None:
        folder = base / sub
        folder.mkdir(parents=True, exist_ok=True)
        sd = {prefix + k: v.detach().to(dtype).contiguous() for k, v in module.state_dict().items()}
        save_file(sd, str(folder / file))
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")

    save("unet", "diffusion_pytorch_model.safetensors", components["unet"],
         {"_class_name": "UNet2DConditionModel", **UNET_CONFIG})  # fmt: skip
    save(
        "vae",
        "diffusion_pytorch_model.safetensors",
        components["vae"],
        {"_class_name": "AutoencoderKL", **VAE_CONFIG},
    )
    save("text_encoder", "model.safetensors", components["text_encoder"],
         {"architectures": ["CLIPTextModel"], "model_type": "clip_text_model", **text_config()}, prefix="text_model.")  # fmt: skip
    write_tokenizer(base / "tokenizer")
    return root
