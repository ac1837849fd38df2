"""CLIP text encoders: the single-frame one (ViT-L/14 text, 11 layers, quick_gelu) and the SD2.1 one
used by the multi-frame model (23 layers, gelu). Both are plain transformers `CLIPTextModel`s.

Why the key mapping: the published checkpoints (and the fixtures) use transformers-4 names with a
`text_model.` prefix; transformers 5 names its parameters without it. A bare `load_state_dict` with
`strict=False` then loads nothing at all. We map the names explicitly in whichever direction the
installed transformers needs and load strictly. (`CLIPTextModel.from_pretrained` maps the prefix too,
but loads a checkpoint with missing keys by randomly initialising them; see `checkpoint`'s docstring.)

Prompts are always padded/truncated to 77 tokens and encoded with `attention_mask=None` (only the
causal mask), and the conditioning is `last_hidden_state` (after `final_layer_norm`), as the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from app.errors import WeightsError
from app.inference.paints_undo import weights
from app.inference.paints_undo.single_frame.checkpoint import (
    assign_state_dict,
    check_config_counts,
    read_config,
    read_weights,
)

TEXT_PREFIX = "text_model."
MAX_TOKENS = 77
# Non-persistent in transformers >= 4.31 but persisted by some older exports: never part of a strict load.
_POSITION_IDS = "embeddings.position_ids"


def map_text_encoder_keys(state_dict: dict[str, torch.Tensor], module_keys: Sequence[str]) -> dict[str, Any]:
    """Rename checkpoint keys to the installed transformers' names (add or strip `text_model.`)."""
    module_prefixed = any(k.startswith(TEXT_PREFIX) for k in module_keys)
    out: dict[str, Any] = {}
    for key, value in state_dict.items():
        bare = key[len(TEXT_PREFIX) :] if key.startswith(TEXT_PREFIX) else key
        if bare == _POSITION_IDS:
            continue
        out[TEXT_PREFIX + bare if module_prefixed else bare] = value
    return out


def build_text_encoder(config: dict[str, Any], device: str | torch.device = "meta") -> torch.nn.Module:
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(**{k: v for k, v in config.items() if not k.startswith("_")})
    cfg._attn_implementation = "sdpa"
    with torch.device(device):
        return CLIPTextModel(cfg)


def _restore_position_ids(module: torch.nn.Module) -> None:
    """`position_ids` is a non-persistent buffer (arange), so a meta-built model must recreate it."""
    for name, buf in list(module.named_buffers()):
        if name.endswith("position_ids") and buf.is_meta:
            owner = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
            ids = torch.arange(buf.shape[-1], dtype=torch.long).expand(tuple(buf.shape))
            owner.register_buffer("position_ids", ids, persistent=False)


def text_encoder_from_state_dict(
    config: dict[str, Any],
    state_dict: dict[str, torch.Tensor],
    dtype: torch.dtype = torch.float32,
    what: str = "",
) -> torch.nn.Module:
    model = build_text_encoder(config)
    mapped = map_text_encoder_keys(state_dict, list(model.state_dict()))
    return assign_state_dict(
        model, mapped, what or "the CLIP text encoder", dtype=dtype, fix_buffers=_restore_position_ids
    )


def load_text_encoder(folder: Path, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """Load `<component>/text_encoder` (config.json + model.safetensors) onto the CPU in `dtype`."""
    folder = Path(folder)
    config = read_config(folder)
    check_config_counts(folder, config, "single_frame_text_encoder", "CLIP text encoder")
    state_dict = read_weights(folder, dtype)
    with weights.config_errors(folder / "config.json", "CLIP text encoder"):
        return text_encoder_from_state_dict(config, state_dict, dtype, what=f"the text encoder ({folder})")


def load_tokenizer(folder: Path) -> Any:
    """A CLIPTokenizer from `<component>/tokenizer` (vocab.json, merges.txt, ...)."""
    from transformers import CLIPTokenizer

    folder = Path(folder)
    if not (folder / "vocab.json").is_file() or not (folder / "merges.txt").is_file():
        raise WeightsError(
            f"Missing tokenizer files in {folder} (vocab.json, merges.txt).",
            "Download the tokenizer folder of the checkpoint again.",
        )
    try:
        return CLIPTokenizer.from_pretrained(str(folder))
    except Exception as exc:  # transformers raises assorted errors for damaged tokenizer files
        raise WeightsError(f"Cannot load the tokenizer in {folder}: {exc}.", "Download it again.") from exc


class LazyTokenizer:
    """Loads the tokenizer on first use: building the app's engine list must not parse tokenizers."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._tokenizer: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.folder)
        return self._tokenizer(*args, **kwargs)


def tokenize(tokenizer: Any, prompts: Sequence[str], max_length: int = MAX_TOKENS) -> torch.Tensor:
    """(B, 77) int64 token ids, padded and truncated like the reference's encode_cropped_prompt_77tokens."""
    batch = tokenizer(
        list(prompts), padding="max_length", max_length=max_length, truncation=True, return_tensors="pt"
    )
    ids = batch["input_ids"] if isinstance(batch, dict) or hasattr(batch, "keys") else batch.input_ids
    return torch.as_tensor(ids, dtype=torch.long)


@torch.inference_mode()
def encode_ids(text_encoder: torch.nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """`last_hidden_state` for (B, 77) ids, with no padding mask (the reference's call)."""
    device = next(text_encoder.parameters()).device
    return text_encoder(input_ids.to(device), attention_mask=None).last_hidden_state


def encode_prompts(text_encoder: torch.nn.Module, tokenizer: Any, prompts: Sequence[str]) -> torch.Tensor:
    return encode_ids(text_encoder, tokenize(tokenizer, prompts))
