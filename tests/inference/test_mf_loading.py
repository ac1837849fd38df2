"""Loading a (tiny) `paints_undo_multi_frame/` folder: configs from config.json + weights, precise errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from app.core.cancel import CancelToken
from app.errors import CancelledError, WeightsError
from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder
from app.inference.paints_undo.multi_frame.loading import (
    MultiFrameComponents,
    infer_resampler_config,
    infer_vae_config,
    load_image_projection,
    load_multi_frame,
    load_unet,
    load_vae,
)
from app.inference.paints_undo.multi_frame.resampler import Resampler
from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

VAE = dict(double_z=True, z_channels=4, resolution=32, in_channels=3, out_ch=3, ch=32, ch_mult=[1, 2],
           num_res_blocks=1, attn_resolutions=[], dropout=0.0)  # fmt: skip
RESAMPLER = dict(dim=48, depth=2, dim_head=8, heads=3, num_queries=4, embedding_dim=32, output_dim=32, ff_mult=2,
                 video_length=4, input_frames_length=2)  # fmt: skip
CLIP = dict(hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=2, num_attention_heads=4,
            patch_size=14, image_size=224, hidden_act="gelu", model_type="clip_vision_model")  # fmt: skip
TEXT = dict(vocab_size=64, hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=2,
            num_attention_heads=4, max_position_embeddings=77, hidden_act="gelu", model_type="clip_text_model",
            bos_token_id=0, eos_token_id=1, pad_token_id=1)  # fmt: skip
UNET = dict(in_channels=8, out_channels=4, model_channels=32, attention_resolutions=[1], num_res_blocks=1,
            channel_mult=[1], dropout=0.1, num_head_channels=8, transformer_depth=1, context_dim=32,
            use_linear=True, temporal_conv=True, temporal_attention=True, temporal_selfatt_only=True,
            use_relative_position=False, use_causal_attention=False, temporal_length=4, addition_attention=True,
            image_cross_attention=True, image_cross_attention_scale_learnable=False, default_fs=24,
            fs_condition=True)  # fmt: skip


def _write(folder: Path, config: dict[str, Any] | None, state: dict[str, torch.Tensor],
           name: str = "model.safetensors") -> None:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
    save_file({k: v.detach().contiguous().clone() for k, v in state.items()}, str(folder / name))


def _tokenizer(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "a</w>": 2, "b</w>": 3, "a": 4, "b": 5}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")


def _unet_state(config: dict[str, Any]) -> dict[str, torch.Tensor]:
    from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel

    torch.manual_seed(0)
    return UNet3DModel(**config).state_dict()


@pytest.fixture(scope="module")
def reference_modules() -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {
        "vae": VideoAutoencoderKL(**VAE).eval(),
        "image_projection": Resampler(**RESAMPLER).eval(),
        "image_encoder": build_image_encoder(CLIP),
    }


@pytest.fixture
def folder(tmp_path: Path, reference_modules: dict[str, torch.nn.Module]) -> Path:
    from transformers import CLIPTextConfig, CLIPTextModel

    root = tmp_path / "paints_undo_multi_frame"
    _write(root / "vae", {**VAE, "_class_name": "VideoAutoencoderKL"}, reference_modules["vae"].state_dict())
    _write(root / "image_projection", RESAMPLER, reference_modules["image_projection"].state_dict())
    _write(root / "image_encoder", {**CLIP, "architectures": ["ImprovedCLIPVisionModelWithProjection"]},
           reference_modules["image_encoder"].state_dict())  # fmt: skip
    text = CLIPTextModel(CLIPTextConfig(**TEXT))
    text_state = {
        (k if k.startswith("text_model.") else "text_model." + k): v for k, v in text.state_dict().items()
    }
    _write(root / "text_encoder", TEXT, text_state)
    _tokenizer(root / "tokenizer")
    _write(
        root / "unet",
        {**UNET, "_class_name": "UNet3DModel", "_diffusers_version": "0.28.0"},
        _unet_state(UNET),
    )
    return root


def test_loads_every_component_with_matching_weights(folder: Path, reference_modules) -> None:
    seen: list[float] = []
    comps = load_multi_frame(folder, progress=lambda f, m: seen.append(f))
    assert isinstance(comps, MultiFrameComponents)
    assert set(comps.modules()) == {"unet", "vae", "text_encoder", "image_encoder", "image_projection"}
    assert comps.tokenizer is not None
    for name in ("vae", "image_projection", "image_encoder"):
        ours, ref = comps.modules()[name].state_dict(), reference_modules[name].state_dict()
        assert set(ours) == set(ref)
        assert all(torch.equal(ours[k], ref[k]) for k in ref), name
        assert not comps.modules()[name].training
    assert comps.configs["vae"]["ch_mult"] == [1, 2]
    assert comps.configs["image_projection"]["num_queries"] == 4
    assert any("_class_name" in n for n in comps.notes)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    # the loaded modules run
    with torch.inference_mode():
        z, hidden = comps.vae.encode_latents(torch.zeros(1, 3, 2, 32, 32))
        assert comps.vae.decode_latents(torch.zeros(1, 4, 3, 16, 16), hidden).shape == (1, 3, 3, 32, 32)
        tokens = comps.image_encoder(torch.zeros(2, 3, 32, 48)).last_hidden_state
        assert comps.image_projection(tokens.reshape(1, 2, *tokens.shape[1:])).shape == (1, 4, 4, 32)


def test_dtype_and_subset(folder: Path) -> None:
    comps = load_multi_frame(folder, dtype=torch.float16, components=["vae", "image_projection"])
    assert comps.unet is None and comps.tokenizer is None
    assert comps.vae.dtype == torch.float16 and comps.image_projection.dtype == torch.float16


def test_cancel_between_components(folder: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        load_multi_frame(folder, components=["vae"], cancel=token)


def test_wrong_shape_names_key_shapes_and_file(folder: Path, reference_modules) -> None:
    state = dict(reference_modules["vae"].state_dict())
    state["decoder.conv_out.time_mix_conv.weight"] = torch.zeros(3, 3, 5, 1, 1)
    _write(folder / "vae", VAE, state)
    with pytest.raises(WeightsError) as info:
        load_vae(folder / "vae")
    text = str(info.value)
    assert "decoder.conv_out.time_mix_conv.weight" in text
    assert "[3, 3, 3, 1, 1]" in text and "[3, 3, 5, 1, 1]" in text
    assert "model.safetensors" in text


def test_missing_and_unexpected_keys_are_listed(folder: Path, reference_modules) -> None:
    state = dict(reference_modules["image_projection"].state_dict())
    del state["norm_out.weight"]
    state["extra.weight"] = torch.zeros(2)
    _write(folder / "image_projection", RESAMPLER, state)
    with pytest.raises(WeightsError) as info:
        load_image_projection(folder / "image_projection")
    assert "norm_out.weight" in str(info.value) and "extra.weight" in str(info.value)


def test_missing_weights_file_and_missing_component(folder: Path) -> None:
    (folder / "vae" / "model.safetensors").unlink()
    with pytest.raises(WeightsError, match="No weights file"):
        load_multi_frame(folder, components=["vae"])
    with pytest.raises(WeightsError, match="lacks 'image_projection/'"):
        import shutil

        shutil.rmtree(folder / "image_projection")
        load_multi_frame(folder, components=["image_projection"])
    with pytest.raises(WeightsError, match="does not exist"):
        load_multi_frame(folder / "nowhere")


def test_pickle_checkpoint_is_refused(folder: Path) -> None:
    (folder / "vae" / "model.safetensors").unlink()
    (folder / "vae" / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(WeightsError, match="pickle"):
        load_vae(folder / "vae")


def test_missing_config_falls_back_to_manifest_and_weights(folder: Path, reference_modules) -> None:
    (folder / "vae" / "config.json").unlink()
    notes: list[str] = []
    vae, config = load_vae(folder / "vae", notes=notes)
    assert config["ch"] == 32 and config["ch_mult"] == [1, 2] and config["num_res_blocks"] == 1
    assert any("no config.json" in n for n in notes)
    assert any("ch=32" in n for n in notes)  # the manifest said 128; the weights win
    ref = reference_modules["vae"].state_dict()
    assert all(torch.equal(vae.state_dict()[k], ref[k]) for k in ref)


def test_config_contradicting_weights_is_corrected_with_a_note(folder: Path) -> None:
    (folder / "image_projection" / "config.json").write_text(
        json.dumps({**RESAMPLER, "depth": 8, "dim": 1024})
    )
    notes: list[str] = []
    model, config = load_image_projection(folder / "image_projection", notes=notes)
    assert config["depth"] == 2 and config["dim"] == 48 and len(model.layers) == 2
    assert any("depth=2" in n for n in notes)


def test_infer_resampler_rejects_incompatible_heads() -> None:
    shapes = {k: tuple(v.shape) for k, v in Resampler(**RESAMPLER).state_dict().items()}
    with pytest.raises(WeightsError, match="attention width 24"):
        infer_resampler_config(shapes, {**RESAMPLER, "dim_head": 7}, [])
    with pytest.raises(WeightsError, match="multiple of"):
        infer_resampler_config(shapes, {**RESAMPLER, "video_length": 5}, [])


def test_infer_vae_config_reports_missing_essential_key() -> None:
    shapes = {k: tuple(v.shape) for k, v in VideoAutoencoderKL(**VAE).state_dict().items()}
    del shapes["decoder.conv_in.weight"]
    with pytest.raises(WeightsError, match="decoder.conv_in.weight"):
        infer_vae_config(shapes, VAE, [], "vae/model.safetensors")
    shapes["decoder.conv_in.weight"] = (64, 4, 3, 3)
    config = infer_vae_config(shapes, {}, [])
    assert config["attn_level"] == [] and config["double_z"] is True


def test_learnable_alpha_is_detected_from_weights(folder: Path) -> None:
    learnable = {**UNET, "image_cross_attention_scale_learnable": True}
    state = _unet_state(learnable)
    alpha_keys = [k for k in state if k.endswith("attn2.alpha")]
    assert alpha_keys
    _write(folder / "unet", UNET, state)  # config.json says False, as an inferred config would
    notes: list[str] = []
    unet, config = load_unet(folder / "unet", notes=notes)
    assert config["image_cross_attention_scale_learnable"] is True
    assert any("scale_learnable=True" in n for n in notes)
    assert set(unet.state_dict()) == set(state)

    _write(folder / "unet", learnable, _unet_state(UNET))  # and the other way round
    _, config = load_unet(folder / "unet")
    assert config["image_cross_attention_scale_learnable"] is False
