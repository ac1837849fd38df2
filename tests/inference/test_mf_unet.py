"""Multi-frame UNet3D: reference parity, full-size skeleton vs the manifest, config inference, temporal window."""

from __future__ import annotations

import pytest
import torch

from app.errors import WeightsError
from app.inference.paints_undo.multi_frame.attention import temporal_window
from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel
from app.inference.paints_undo.multi_frame.unet3d_config import infer_unet3d_config
from app.inference.paints_undo.weights import manifest as packaged_manifest


def _manifest() -> dict:
    """The packaged manifest (an unchanged copy of the reference folder's manifests/multi_frame_unet.json)."""
    return packaged_manifest("multi_frame_unet")


@pytest.mark.parametrize("name", ["mf_unet_forward", "mf_unet_forward_learnable_alpha"])
def test_unet_forward_matches_reference(name, reference_file):
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi import HANDLERS

    case = ParityCase.load(reference_file(f"{name}.json"))
    results = HANDLERS[case.component](case)
    assert results and all(r.passed for r in results), results
    # README tolerance: 1e-5 x max|ref| for a single forward
    assert all(r.tolerance <= 1e-5 * 2.6 for r in results)


def test_learnable_alpha_changes_the_output(reference_file):
    """The alpha scalars are really used: the same weights without them give another output."""
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi import _load_unet_weights

    case = ParityCase.load(reference_file("mf_unet_forward_learnable_alpha.json"))
    state = _load_unet_weights(case)
    alphas = [k for k in state if k.endswith("attn2.alpha")]
    assert alphas and all(state[k].shape == () for k in alphas)
    model = UNet3DModel(**case.config).eval()
    model.load_state_dict(state)
    t = case.tensors()
    args = (
        t["input.x"],
        t["input.timesteps"],
        t["input.context_text"],
        t["input.context_img"],
        t["input.concat_cond"],
        t["input.fs"],
    )
    with torch.no_grad():
        with_alpha = model(*args)
        for key in alphas:
            model.get_parameter(key).fill_(0.0)  # tanh(0)+1 == 1 -> the non-learnable formula
        plain = model(*args)
    assert (with_alpha - plain).abs().max() > 1e-3


def test_full_size_skeleton_matches_manifest_on_meta():
    manifest = _manifest()
    with torch.device("meta"):
        model = UNet3DModel(**manifest["config"])
    state = model.state_dict()
    assert all(v.is_meta for v in state.values())  # nothing allocated
    assert list(state) == manifest["state_dict_keys_in_order"]
    expected = {**manifest["params"], **manifest["buffers"]}
    assert {k: list(v.shape) for k, v in state.items()} == expected
    assert sum(p.numel() for p in model.parameters()) == manifest["num_params"]

    with torch.device("meta"):
        learnable = UNet3DModel(**manifest["config"], image_cross_attention_scale_learnable=True)
    extra = set(learnable.state_dict()) - set(state)
    assert extra == set(manifest["extra_keys_if_image_cross_attention_scale_learnable"])


def test_infer_config_from_manifest_shapes():
    manifest = _manifest()
    shapes = {**manifest["params"], **manifest["buffers"]}
    base = {
        **manifest["config"],
        "in_channels": 4,
        "context_dim": 77,
        "image_cross_attention_scale_learnable": True,
    }
    config = infer_unet3d_config(shapes, base)
    assert config["in_channels"] == 8 and config["model_channels"] == 320 and config["out_channels"] == 4
    assert config["context_dim"] == 1024
    assert config["image_cross_attention_scale_learnable"] is False  # no alpha keys in these weights
    assert config["temporal_conv"] and config["addition_attention"] and config["fs_condition"]

    with_alpha = dict(shapes, **manifest["extra_keys_if_image_cross_attention_scale_learnable"])
    assert (
        infer_unet3d_config(with_alpha, manifest["config"])["image_cross_attention_scale_learnable"] is True
    )


def test_infer_config_names_the_keys_that_do_not_fit():
    manifest = _manifest()
    shapes = dict(manifest["params"])
    del shapes["middle_block.0.in_layers.2.weight"]
    shapes["input_blocks.1.0.emb_layers.1.weight"] = [999, 1280]
    shapes["bogus.weight"] = [1]
    with pytest.raises(WeightsError) as info:
        infer_unet3d_config(shapes, manifest["config"])
    text = str(info.value)
    assert "middle_block.0.in_layers.2.weight" in text and "bogus.weight" in text
    assert "input_blocks.1.0.emb_layers.1.weight (999, 1280)" in text
    with pytest.raises(WeightsError):
        infer_unet3d_config({"foo": [1]}, manifest["config"])


def test_temporal_window_layouts():
    frames = torch.arange(3, dtype=torch.float32).view(3, 1, 1).expand(3, 2, 1).contiguous()  # (b t)=3, n=2
    prv = temporal_window(frames, 3, "prv")[:, :, 0]
    assert prv.tolist() == [[0, 0, 0, 0], [1, 1, 0, 0], [2, 2, 1, 1]]
    first = temporal_window(frames, 3, "first")[:, :, 0]
    assert first.tolist() == [[0, 0, 0, 0], [1, 1, 0, 0], [2, 2, 0, 0]]
    roll = temporal_window(frames, 3, "roll")[:, :, 0]
    assert roll.tolist() == [[2, 2, 0, 0, 1, 1], [0, 0, 1, 1, 2, 2], [1, 1, 2, 2, 0, 0]]
    with pytest.raises(ValueError):
        temporal_window(frames, 3, "next")


def _tiny_config(**overrides) -> dict:
    config = dict(
        in_channels=8,
        out_channels=4,
        model_channels=32,
        attention_resolutions=[1],
        num_res_blocks=1,
        channel_mult=[1],
        num_head_channels=8,
        context_dim=16,
        use_linear=True,
        temporal_conv=True,
        temporal_attention=True,
        use_relative_position=False,
        temporal_length=3,
        addition_attention=True,
        image_cross_attention=True,
        fs_condition=True,
        use_checkpoint=True,
        use_fp16=False,
        dropout=0.1,
    )
    config.update(overrides)
    return config


def _inputs(frames_equal: bool, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 4, 1 if frames_equal else 3, 4, 4, generator=g)
    if frames_equal:
        x = x.expand(1, 4, 3, 4, 4).contiguous()
    return dict(
        x=x,
        timesteps=torch.tensor([500.0]),
        context_text=torch.randn(1, 5, 16, generator=g),
        context_img=torch.randn(1, 1, 2, 16, generator=g).expand(1, 3, 2, 16).contiguous(),
        concat_cond=torch.zeros(1, 4, 3, 4, 4),
        fs=torch.tensor([3]),
    )


def test_temporal_window_off_by_default_and_changes_only_mixed_frames():
    torch.manual_seed(0)
    # no temporal conv: its zero padding at the clip ends would make identical input frames differ
    model = UNet3DModel(**_tiny_config(temporal_conv=False)).eval()
    mixed, same = _inputs(False), _inputs(True)
    with torch.no_grad():
        base_mixed, base_same = model(**mixed), model(**same)
        for method in ("prv", "first", "roll"):
            model.set_temporal_window(method)
            # identical frames duplicate keys and values exactly, which leaves softmax attention unchanged
            assert torch.allclose(model(**same), base_same, atol=1e-5)
            assert (model(**mixed) - base_mixed).abs().max() > 1e-4
        model.set_temporal_window(None)
        assert torch.equal(model(**mixed), base_mixed)
    with pytest.raises(ValueError):
        model.set_temporal_window("next")


def test_unknown_config_keys_are_rejected_and_known_extras_ignored():
    UNet3DModel(**_tiny_config(use_checkpoint=False, use_fp16=True))
    with pytest.raises(TypeError, match="not_a_key"):
        UNet3DModel(**_tiny_config(not_a_key=1))


def test_default_fs_used_when_fs_missing():
    torch.manual_seed(1)
    model = UNet3DModel(**_tiny_config(default_fs=7)).eval()
    inputs = _inputs(False)
    with torch.no_grad():
        explicit = model(**{**inputs, "fs": torch.tensor([7])})
        default = model(**{**inputs, "fs": None})
        other = model(**{**inputs, "fs": torch.tensor([3])})
    assert torch.equal(explicit, default)
    assert not torch.allclose(explicit, other)


@pytest.mark.parametrize(
    "overrides",
    [
        {"use_relative_position": True},
        {"resblock_updown": True, "use_scale_shift_norm": True},
        {"num_head_channels": -1, "num_heads": 2, "conv_resample": False, "addition_attention": False},
        {"tempspatial_aware": True, "use_linear": False, "use_causal_attention": True},
    ],
)
def test_optional_reference_variants_build_and_run(overrides):
    torch.manual_seed(2)
    config = _tiny_config(channel_mult=[1, 2], attention_resolutions=[1, 2], **overrides)
    model = UNet3DModel(**config).eval()
    keys = set(model.state_dict())
    if overrides.get("use_relative_position"):
        assert "init_attn.0.transformer_blocks.0.attn1.relative_position_k.embeddings_table" in keys
    if overrides.get("resblock_updown"):
        assert not any(
            k.startswith("input_blocks.3.0.op") for k in keys
        )  # a ResBlock, not a conv, downsamples
    with torch.no_grad():
        out = model(**_inputs(False))
    assert out.shape == (1, 4, 3, 4, 4) and torch.isfinite(out).all()


def test_causal_temporal_attention_ignores_later_frames():
    """Causal temporal self-attention (the reference builds the mask but cannot run it): frame i sees <= i."""
    from app.inference.paints_undo.multi_frame.attention import BasicTransformerBlock

    torch.manual_seed(3)
    block = BasicTransformerBlock(16, 2, 8, None, temporal=True).eval()
    x = torch.randn(5, 4, 16)  # (b h w) positions, t frames, channels
    changed = x.clone()
    changed[:, 3] += torch.randn(5, 16)  # only the last frame changes (not a constant: LayerNorm removes it)
    with torch.no_grad():
        a, b = block(x, causal=True), block(changed, causal=True)
        full_a, full_b = block(x), block(changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert (a[:, 3] - b[:, 3]).abs().max() > 1e-4
    assert (full_a[:, :3] - full_b[:, :3]).abs().max() > 1e-4  # without the mask earlier frames see frame 3
