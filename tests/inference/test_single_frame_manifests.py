"""Full-size skeletons on the `meta` device (no weights allocated) built from the manifests' full-size
configs must have exactly the reference's state-dict keys and shapes, so the published checkpoints load."""

from __future__ import annotations

import pytest

from app.inference.paints_undo import weights
from app.inference.paints_undo.single_frame.text_encoder import TEXT_PREFIX, build_text_encoder
from app.inference.paints_undo.single_frame.unet import build_unet
from app.inference.paints_undo.single_frame.vae import build_vae


def _expected(name: str) -> dict[str, tuple[int, ...]]:
    m = weights.manifest(name)
    shapes = {**m["buffers"], **m["params"]}
    return {k: tuple(shapes[k]) for k in m["state_dict_keys_in_order"]}


def _shapes(module, prefix: str = "") -> dict[str, tuple[int, ...]]:
    return {prefix + k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_unet_skeleton_matches_the_manifest_exactly() -> None:
    m = weights.manifest("single_frame_unet")
    assert m["config"]["in_channels"] == 4 and m["config"]["addition_embed_type"] is None  # the trap
    unet = build_unet(m["config"], concat_channels=4, coded_conds_count=1)
    assert all(p.is_meta for p in unet.parameters())
    assert _shapes(unet) == _expected("single_frame_unet")
    assert list(unet.state_dict()) == m["state_dict_keys_in_order"]
    assert sum(p.numel() for p in unet.parameters()) == m["num_params"] == 861_501_124
    assert tuple(unet.conv_in.weight.shape) == (320, 8, 3, 3)
    assert tuple(unet.add_embedding.linear_1.weight.shape) == (1280, 256)


@pytest.mark.parametrize("name", ["single_frame_text_encoder", "multi_frame_text_encoder"])
def test_text_encoder_skeletons_match_modulo_the_text_model_prefix(name: str) -> None:
    m = weights.manifest(name)
    model = build_text_encoder(m["config"])
    prefixed = any(k.startswith(TEXT_PREFIX) for k in model.state_dict())
    assert _shapes(model, "" if prefixed else TEXT_PREFIX) == _expected(name)
    assert sum(p.numel() for p in model.parameters()) == m["num_params"]
    assert weights.compare_module_with_manifest(model, name) == []


def test_vae_skeleton_matches_the_manifest_exactly() -> None:
    m = weights.manifest("single_frame_vae")
    vae = build_vae(m["config"])
    assert _shapes(vae) == _expected("single_frame_vae")
    assert sum(p.numel() for p in vae.parameters()) == m["num_params"]


def test_unet_loader_reads_the_extra_widths_from_the_weights() -> None:
    """The published config says in_channels 4 and no addition embedding: the shapes decide."""
    from test_single_frame_tiny import UNET_CONFIG, make_unet

    from app.inference.paints_undo.single_frame.unet import unet_from_state_dict

    sd = make_unet().state_dict()
    assert sd["conv_in.weight"].shape[1] == 8
    unet = unet_from_state_dict(dict(UNET_CONFIG), sd)
    assert unet.conv_in.in_channels == 8 and unet.concat_channels == 4
    assert unet.config.in_channels == 4  # the config stays as published (save/load round-trips)
