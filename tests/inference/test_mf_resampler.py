"""Image projection Resampler: parity, full-size skeleton, shapes and the input-frame position term."""

from __future__ import annotations

import torch

from app.inference.paints_undo.multi_frame.resampler import Resampler, resampler_config_from_dict
from app.inference.paints_undo.weights import manifest as packaged_manifest

TINY = dict(dim=48, depth=2, dim_head=8, heads=3, num_queries=4, embedding_dim=40, output_dim=32, ff_mult=2,
            video_length=4, input_frames_length=2)  # fmt: skip


def test_resampler_parity(reference_file) -> None:
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi_io import HANDLERS

    case = ParityCase.load(reference_file("mf_resampler.json"))
    results = HANDLERS[case.component](case)
    assert [r.output for r in results] == ["output.image_cond"]
    assert all(r.passed for r in results), results


def test_full_size_skeleton_matches_manifest() -> None:
    manifest = packaged_manifest("multi_frame_image_projection")
    with torch.device("meta"):
        model = Resampler(**manifest["config"])
    sd = model.state_dict()
    assert list(sd) == manifest["state_dict_keys_in_order"]
    assert {k: list(v.shape) for k, v in sd.items()} == manifest["params"]
    assert sum(p.numel() for p in model.parameters()) == manifest["num_params"]


def test_output_shape_and_input_frame_position_matters() -> None:
    torch.manual_seed(0)
    model = Resampler(**TINY).eval()
    x = torch.randn(3, 2, 17, 40)
    with torch.inference_mode():
        out = model(x)
        model.input_pos[:, 1].add_(1.0)  # only the second input frame's tokens move
        moved = model(x)
    assert out.shape == (3, 4, 4, 32)
    assert (out - moved).abs().max() > 1e-4


def test_batch_items_are_independent() -> None:
    torch.manual_seed(1)
    model = Resampler(**TINY).eval()
    x = torch.randn(2, 2, 5, 40)
    with torch.inference_mode():
        both = model(x)
        single = model(x[1:])
    assert float((both[1:] - single).abs().max()) < 1e-5


def test_config_split() -> None:
    kwargs, ignored = resampler_config_from_dict({**TINY, "_class_name": "Resampler"})
    assert kwargs == TINY and ignored == ["_class_name"]
