"""Arbitrary-aspect CLIP-vision image encoder: parity, sizes (banker's rounding), full-size skeleton."""

from __future__ import annotations

import pytest
import torch

from app.inference.paints_undo.multi_frame.clip_vision import (
    ArbitraryAspectCLIPVisionEmbeddings,
    build_image_encoder,
    preprocess,
    target_size,
)
from app.inference.paints_undo.weights import manifest as packaged_manifest

TINY = dict(hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=2, num_attention_heads=4,
            patch_size=14, image_size=224, hidden_act="gelu")  # fmt: skip


def test_clip_vision_parity_both_inputs(reference_file) -> None:
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi_io import HANDLERS

    case = ParityCase.load(reference_file("mf_clip_vision_nonsquare.json"))
    results = HANDLERS[case.component](case)
    assert len(results) == 8  # 4 outputs x 2 inputs
    assert {r.output for r in results} >= {"output.last_hidden_state", "output.large.last_hidden_state"}
    failed = [r for r in results if not r.passed]
    assert not failed, failed


def test_full_size_skeleton_matches_manifest() -> None:
    manifest = packaged_manifest("multi_frame_image_encoder")
    with torch.device("meta"):
        model = build_image_encoder(manifest["config"])
    sd = model.state_dict()
    assert list(sd) == manifest["state_dict_keys_in_order"]
    assert {k: list(v.shape) for k, v in sd.items()} == {k: manifest["params"][k] for k in sd}
    assert sum(p.numel() for p in model.parameters()) == manifest["num_params"]
    assert isinstance(model.vision_model.embeddings, ArbitraryAspectCLIPVisionEmbeddings)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((40, 64), (224, 364)),  # 25.6 -> 26 patches
        ((240, 250), (224, 238)),  # 16.67 -> 17
        ((32, 37), (224, 252)),  # 18.5 -> 18 (banker's rounding, not 19)
        ((32, 33), (224, 224)),  # 16.5 -> 16
        ((64, 40), (364, 224)),
        ((320, 512), (224, 364)),  # the app's 512x320 frames
    ],
)
def test_target_size_uses_bankers_rounding(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert target_size(*size) == expected


def test_preprocess_normalises_with_clip_mean_std() -> None:
    grey = torch.full((1, 3, 224, 224), 0.5)
    out = preprocess(grey)
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073])
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711])
    torch.testing.assert_close(out[0, :, 0, 0], (0.5 - mean) / std)


def test_position_grid_is_nearest_resized_and_keeps_cls() -> None:
    model = build_image_encoder(TINY)
    emb = model.embeddings
    grid = emb.position_grid(16, 32)  # width doubled -> each learned column used twice
    weight = emb.position_embedding.weight
    assert grid.shape == (1, 1 + 16 * 32, 32)
    torch.testing.assert_close(grid[0, 0], weight[0])
    learned = weight[1:].reshape(16, 16, -1)
    resized = grid[0, 1:].reshape(16, 32, -1)
    torch.testing.assert_close(resized[:, 0::2], learned)
    torch.testing.assert_close(resized[:, 1::2], learned)
    torch.testing.assert_close(emb.position_grid(16, 16)[0], weight)


def test_forward_on_nonsquare_input_gives_token_grid() -> None:
    model = build_image_encoder(TINY)
    with torch.inference_mode():
        out = model(torch.rand(2, 3, 40, 64) * 2 - 1)
    assert out.last_hidden_state.shape == (2, 1 + 16 * 26, 32)
    assert out.image_embeds.shape == (2, 16)


def test_wrong_patch_or_image_size_is_refused() -> None:
    with pytest.raises(ValueError, match="patch_size 14"):
        build_image_encoder({**TINY, "patch_size": 16})
