"""Safetensors-only loading, header parsing, manifest checks and load_into error reporting."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from app.errors import WeightsError
from app.inference.paints_undo import safetensors_files, weights


def _tiny_state() -> dict[str, torch.Tensor]:
    return {"conv.weight": torch.randn(4, 3, 3, 3), "conv.bias": torch.randn(4), "step": torch.arange(3)}


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)


def test_header_is_read_without_data(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_file({k: v.half() if v.is_floating_point() else v for k, v in _tiny_state().items()}, str(path))
    infos = safetensors_files.read_safetensors_header(path)
    assert infos["conv.weight"] == safetensors_files.TensorInfo("float16", (4, 3, 3, 3), 4 * 27 * 2)
    assert infos["step"].dtype == "int64"
    assert safetensors_files.dtype_summary(infos) == "float16"


def test_load_single_file_casts_floats_only(tmp_path: Path) -> None:
    state = _tiny_state()
    save_file(state, str(tmp_path / "model.safetensors"))
    loaded = weights.load_safetensors(tmp_path, dtype=torch.float16)
    assert loaded["conv.weight"].dtype == torch.float16
    assert loaded["step"].dtype == torch.int64
    assert torch.equal(loaded["conv.bias"], state["conv.bias"].half())


def test_folder_prefers_plain_file_then_fp16_variant(tmp_path: Path) -> None:
    save_file({"a": torch.zeros(2)}, str(tmp_path / "diffusion_pytorch_model.fp16.safetensors"))
    assert safetensors_files.weight_files(tmp_path)[0].name == "diffusion_pytorch_model.fp16.safetensors"
    save_file({"a": torch.ones(2)}, str(tmp_path / "diffusion_pytorch_model.safetensors"))
    assert safetensors_files.weight_files(tmp_path)[0].name == "diffusion_pytorch_model.safetensors"
    assert (
        safetensors_files.weight_files(tmp_path, variant="fp16")[0].name
        == "diffusion_pytorch_model.fp16.safetensors"
    )


def test_sharded_index_is_followed(tmp_path: Path) -> None:
    save_file({"a": torch.zeros(2)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"b": torch.ones(3)}, str(tmp_path / "model-00002-of-00002.safetensors"))
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    loaded = weights.load_safetensors(tmp_path)
    assert set(loaded) == {"a", "b"} and loaded["b"].shape == (3,)
    assert safetensors_files.read_shapes(tmp_path) == {"a": (2,), "b": (3,)}
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(WeightsError, match="model-00002-of-00002.safetensors.*missing"):
        weights.load_safetensors(tmp_path)


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.ckpt", "weights.pt", "x.pth"])
def test_pickle_checkpoints_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("torch.load must never be called")

    monkeypatch.setattr(torch, "load", boom)
    path = tmp_path / name
    path.write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(WeightsError, match="safetensors files only") as err:
        weights.load_safetensors(path)
    assert "save_file" in err.value.hint  # says how to convert
    with pytest.raises(WeightsError, match="pickle"):
        weights.load_safetensors(tmp_path)  # a folder holding only a pickle


def test_truncated_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file({"w": torch.randn(64, 64)}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(WeightsError, match="truncated: tensor 'w'"):
        weights.load_safetensors(path)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"abc",
        struct.pack("<Q", 10**12) + b"{}",
        struct.pack("<Q", 5) + b"nojso",
        struct.pack("<Q", 2) + b"[]",
    ],
)
def test_corrupt_files_are_reported(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(payload)
    with pytest.raises(WeightsError, match="corrupt|not a safetensors"):
        safetensors_files.read_safetensors_header(path)


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="does not exist"):
        safetensors_files.weight_files(tmp_path / "nope")
    with pytest.raises(WeightsError, match="No weights file.*diffusion_pytorch_model.safetensors"):
        safetensors_files.weight_files(tmp_path)


def test_manifest_shapes_and_optional_keys() -> None:
    required, optional = weights.manifest_shapes("multi_frame_unet")
    assert len(required) == weights.manifest("multi_frame_unet")["num_state_dict_keys"] == 1516
    assert len(optional) == 16 and all(k.endswith("attn2.alpha") for k in optional)
    assert "single_frame_unet" in weights.manifest_names()
    with pytest.raises(WeightsError, match="Unknown manifest"):
        weights.manifest("nope")


def test_verify_against_manifest_messages() -> None:
    required, _ = weights.manifest_shapes("single_frame_unet")
    assert weights.verify_against_manifest(required, "single_frame_unet") == []
    shapes = dict(required)
    shapes["conv_in.weight"] = (320, 4, 3, 3)  # the un-widened SD1.5 conv_in
    del shapes["add_embedding.linear_1.weight"]
    shapes["extra.weight"] = (1,)
    problems = weights.verify_against_manifest(shapes, "single_frame_unet", source="unet.safetensors")
    assert "1 of 690 keys missing in unet.safetensors: add_embedding.linear_1.weight" in problems
    assert "1 unexpected keys in unet.safetensors: extra.weight" in problems
    assert (
        "shape mismatch in unet.safetensors: conv_in.weight: expected [320, 8, 3, 3], found [320, 4, 3, 3]"
        in problems
    )


def test_verify_text_encoder_modulo_prefix_and_position_ids() -> None:
    required, _ = weights.manifest_shapes("single_frame_text_encoder")
    unprefixed = {k.removeprefix("text_model."): v for k, v in required.items()}
    assert weights.verify_against_manifest(unprefixed, "single_frame_text_encoder") == []
    with_buffer = {**required, "text_model.embeddings.position_ids": (1, 77)}  # transformers 4.x files
    assert weights.verify_against_manifest(with_buffer, "single_frame_text_encoder") == []
    # the prefix rule is for text encoders only
    vae, _ = weights.manifest_shapes("single_frame_vae")
    assert weights.verify_against_manifest({"x." + k: v for k, v in vae.items()}, "single_frame_vae")


def test_learnable_alpha_keys_are_optional_but_shape_checked() -> None:
    required, optional = weights.manifest_shapes("multi_frame_unet")
    assert weights.verify_against_manifest({**required, **optional}, "multi_frame_unet") == []
    key = next(iter(optional))
    problems = weights.verify_against_manifest({**required, key: (2,)}, "multi_frame_unet")
    assert problems == [f"shape mismatch: {key}: expected [], found [2]"]


def test_load_into_success_and_shape_mismatch() -> None:
    module = Tiny()
    state = {"conv.weight": torch.ones(4, 3, 3, 3), "conv.bias": torch.zeros(4)}
    result = weights.load_into(module, state)
    assert result.loaded == 2 and torch.equal(module.conv.weight, torch.ones(4, 3, 3, 3))
    bad = {"conv.weight": torch.ones(4, 8, 3, 3), "conv.bias": torch.zeros(4)}
    with pytest.raises(
        WeightsError, match=r"conv.weight: expected \[4, 3, 3, 3\], found \[4, 8, 3, 3\]"
    ) as err:
        weights.load_into(module, bad, source="unet/diffusion_pytorch_model.safetensors")
    assert "unet/diffusion_pytorch_model.safetensors" in str(err.value)


def test_load_into_missing_unexpected_and_nothing_matched() -> None:
    module = Tiny()
    with pytest.raises(WeightsError, match="1 of 2 keys missing: conv.bias"):
        weights.load_into(module, {"conv.weight": torch.ones(4, 3, 3, 3)})
    result = weights.load_into(module, {"conv.weight": torch.ones(4, 3, 3, 3)}, strict=False)
    assert result.missing == ("conv.bias",)
    with pytest.raises(WeightsError, match="unexpected keys: other"):
        weights.load_into(
            module,
            {"conv.weight": torch.ones(4, 3, 3, 3), "conv.bias": torch.ones(4), "other": torch.ones(1)},
        )
    with pytest.raises(WeightsError, match="no key matched"):
        weights.load_into(module, {"a.b": torch.ones(1)}, strict=False)


def test_load_into_key_map_and_prefix_alignment() -> None:
    module = Tiny()
    weights.load_into(
        module,
        {"w": torch.ones(4, 3, 3, 3), "b": torch.ones(4)},
        key_map={"w": "conv.weight", "b": "conv.bias"},
    )
    assert float(module.conv.bias.detach().sum()) == 4
    prefixed = {"text_model.conv.weight": torch.zeros(4, 3, 3, 3), "text_model.conv.bias": torch.zeros(4)}
    weights.load_into(module, prefixed)  # transformers 4 names into a transformers 5 module
    assert float(module.conv.bias.detach().abs().sum()) == 0
    dropped = weights.load_into(
        module, {**prefixed, "text_model.x": torch.ones(1)}, key_map=lambda k: None if k.endswith(".x") else k
    )
    assert dropped.loaded == 2


def test_clip_text_checkpoint_loads_into_transformers5_module() -> None:
    transformers = pytest.importorskip("transformers")
    cfg = transformers.CLIPTextConfig(
        vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
        max_position_embeddings=7, bos_token_id=0, eos_token_id=2, pad_token_id=1,
    )  # fmt: skip
    source = transformers.CLIPTextModel(cfg)
    file_state = {"text_model." + k: v.clone() for k, v in source.state_dict().items()}
    file_state["text_model.embeddings.position_ids"] = torch.arange(7)[None]  # what transformers 4 saved
    target = transformers.CLIPTextModel(cfg)
    weights.load_into(target, file_state)
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value)


def test_meta_module_loads_with_assign() -> None:
    module = weights.meta_module(Tiny)
    assert module.conv.weight.is_meta
    weights.load_into(module, {"conv.weight": torch.ones(4, 3, 3, 3), "conv.bias": torch.zeros(4)})
    assert not module.conv.weight.is_meta and float(module.conv.weight.detach().sum()) == 108


def test_full_size_skeletons_match_manifests() -> None:
    diffusers = pytest.importorskip("diffusers")
    transformers = pytest.importorskip("transformers")
    cfg = {k: v for k, v in weights.manifest("single_frame_vae")["config"].items() if not k.startswith("_")}
    vae = weights.meta_module(lambda: diffusers.AutoencoderKL(**cfg))
    assert weights.compare_module_with_manifest(vae, "single_frame_vae") == []
    text = weights.manifest("single_frame_text_encoder")["config"]
    keep = ("vocab_size", "hidden_size", "intermediate_size", "projection_dim", "num_hidden_layers")
    keep += ("num_attention_heads", "max_position_embeddings", "layer_norm_eps", "hidden_act")
    te = weights.meta_module(
        lambda: transformers.CLIPTextModel(transformers.CLIPTextConfig(**{k: text[k] for k in keep}))
    )
    assert weights.compare_module_with_manifest(te, "single_frame_text_encoder") == []
    small = weights.meta_module(
        lambda: transformers.CLIPTextModel(
            transformers.CLIPTextConfig(**{**{k: text[k] for k in keep}, "num_hidden_layers": 12})
        )
    )
    problems = weights.compare_module_with_manifest(small, "single_frame_text_encoder")
    assert problems and "unexpected keys in CLIPTextModel: encoder.layers.11." in problems[0]
