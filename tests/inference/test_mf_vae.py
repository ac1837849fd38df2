"""Multi-frame dual-reference video VAE: reference parity, full-size key/shape skeleton, exact chunking."""

from __future__ import annotations

import pytest
import torch

from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL, vae_config_from_dict
from app.inference.paints_undo.weights import manifest as packaged_manifest

TINY = dict(ch=32, ch_mult=[1, 2], num_res_blocks=1, attn_resolutions=[], resolution=16, z_channels=4)


def _assert_same(a: torch.Tensor, b: torch.Tensor) -> None:
    """Equal up to float32 rounding (different batch sizes may pick different conv kernels)."""
    assert a.shape == b.shape
    assert float((a - b).abs().max()) <= 1e-5 * float(b.abs().max()) + 1e-7


def _randomize(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """The reference fixtures' scheme: everything non-zero (the reference zero-inits combiners and out
    convs, which would hide bugs), weights N(0,1)/sqrt(fan_in), norms 1+0.1N, biases 0.1N."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=g)
            if p.dim() > 1:
                p.copy_(noise / p[0].numel() ** 0.5)
            elif name.endswith("weight"):
                p.copy_(1 + 0.1 * noise)
            else:
                p.copy_((0.5 if name.endswith("mix_factor") else 0.1) * noise)
    return module.eval()


def test_mf_vae_parity_with_reference(reference_file) -> None:
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi_io import HANDLERS

    case = ParityCase.load(reference_file("mf_vae.json"))
    results = HANDLERS[case.component](case)
    outputs = {r.output for r in results}
    assert {"output.z", "output.pixels", "output.hidden_states.0", "output.hidden_states.3"} <= outputs
    failed = [r for r in results if not r.passed]
    assert not failed, failed


def test_full_size_skeleton_matches_manifest_keys_order_and_shapes() -> None:
    manifest = packaged_manifest("multi_frame_vae")
    with torch.device("meta"):
        vae = VideoAutoencoderKL(**manifest["config"])
    sd = vae.state_dict()
    assert list(sd) == manifest["state_dict_keys_in_order"]
    assert {k: list(v.shape) for k, v in sd.items()} == manifest["params"]
    assert sum(p.numel() for p in vae.parameters()) == manifest["num_params"]
    assert all(t.is_meta for t in sd.values())  # nothing allocated


def test_attn_level_selects_combiner_kinds() -> None:
    from app.inference.paints_undo.multi_frame.vae_decoder import AttentionCombiner, ConvCombiner

    vae = VideoAutoencoderKL(**{**TINY, "ch_mult": [1, 2, 2]}, attn_level=[1])
    kinds = [type(m) for m in vae.decoder.attn_refinement]
    assert kinds == [ConvCombiner, AttentionCombiner, ConvCombiner, ConvCombiner]


def test_fixed_merge_strategy_uses_buffer_and_unknown_raises() -> None:
    vae = VideoAutoencoderKL(**TINY, merge_strategy="fixed", alpha=0.25)
    block = vae.decoder.mid.block_1
    assert "mix_factor" in dict(block.named_buffers())
    assert float(block.mix_weight()) == 0.25
    with pytest.raises(ValueError, match="merge strategy"):
        VideoAutoencoderKL(**TINY, merge_strategy="nope")


def test_encode_shapes_and_hidden_states_keep_first_and_last_frame() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY))
    frames = torch.rand(2, 3, 3, 16, 16) * 2 - 1
    with torch.inference_mode():
        z, hidden = vae.encode_latents(frames)
        # frame-by-frame encoding of the first/last frame gives the same hidden states
        z_first, hidden_first = vae.encode_latents(frames[:, :, [0, 2]])
    assert z.shape == (2, 4, 3, 8, 8)
    assert [tuple(h.shape) for h in hidden] == [(2, 32, 2, 16, 16), (2, 64, 2, 8, 8), (2, 32, 2, 16, 16)]
    for a, b in zip(hidden, hidden_first, strict=True):
        _assert_same(a, b)
    _assert_same(z[:, :, [0, 2]], z_first)


def test_chunked_encode_and_batch_chunked_decode_are_exact() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=1)
    frames = torch.rand(2, 3, 2, 16, 16) * 2 - 1
    latents = torch.randn(2, 4, 3, 8, 8)
    with torch.inference_mode():
        z, hidden = vae.encode_latents(frames)
        z_c, hidden_c = vae.encode_latents(frames, frame_chunk=1)
        full = vae.decode_latents(latents, hidden)
        chunked = vae.decode_latents(latents, hidden, batch_chunk=1)
    _assert_same(z, z_c)
    for a, b in zip(hidden, hidden_c, strict=True):
        _assert_same(a, b)
    assert full.shape == (2, 3, 3, 16, 16)
    _assert_same(full, chunked)


def test_frame_chunked_decode_is_exact_and_does_not_touch_inputs() -> None:
    vae = _randomize(VideoAutoencoderKL(**{**TINY, "ch_mult": [1, 2, 2]}, attn_level=[1, 2]), seed=4)
    frames = torch.rand(2, 3, 2, 16, 16) * 2 - 1
    latents = torch.randn(2, 4, 5, 4, 4)
    kept = latents.clone()
    with torch.inference_mode():
        _, hidden = vae.encode_latents(frames)
        kept_hidden = [h.clone() for h in hidden]
        full = vae.decode_latents(latents, hidden)
        for chunk in (1, 2, 3):
            _assert_same(vae.decode_latents(latents, hidden, frame_chunk=chunk), full)
    torch.testing.assert_close(latents, kept, rtol=0, atol=0)
    for a, b in zip(hidden, kept_hidden, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_grad_mode_decode_matches_inference_mode() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=5)
    frames = torch.rand(1, 3, 2, 16, 16) * 2 - 1
    latents = torch.randn(1, 4, 3, 8, 8)
    with torch.inference_mode():
        _, hidden = vae.encode_latents(frames)
        fast = vae.decode_latents(latents, hidden)
    with torch.enable_grad():
        slow = vae.decode_latents(latents, [h.clone() for h in hidden])
    _assert_same(slow.detach(), fast)


def test_decoder_mixes_time_so_temporal_chunking_would_change_frames() -> None:
    """Documents why decode_latents never splits a clip over time: frames depend on their neighbours."""
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=2)
    frames = torch.rand(1, 3, 2, 16, 16) * 2 - 1
    latents = torch.randn(1, 4, 4, 8, 8)
    with torch.inference_mode():
        _, hidden = vae.encode_latents(frames)
        full = vae.decode_latents(latents, hidden)
        first_half = vae.decode_latents(latents[:, :, :2], hidden)
    assert (full[:, :, :2] - first_half).abs().max() > 1e-3


def test_decode_without_reference_context_is_refused() -> None:
    vae = VideoAutoencoderKL(**TINY)
    with pytest.raises(ValueError, match="hidden states"):
        vae.decode_frames(torch.zeros(2, 4, 8, 8), 2, [])


def test_post_quant_conv_is_not_used_by_decode() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=3)
    frames = torch.rand(1, 3, 2, 16, 16) * 2 - 1
    latents = torch.randn(1, 4, 2, 8, 8)
    with torch.inference_mode():
        _, hidden = vae.encode_latents(frames)
        before = vae.decode_latents(latents, hidden)
        vae.post_quant_conv.weight.mul_(3.0)
        after = vae.decode_latents(latents, hidden)
    torch.testing.assert_close(before, after, rtol=0, atol=0)


def test_config_split_ignores_bookkeeping_keys() -> None:
    kwargs, ignored = vae_config_from_dict(
        {**TINY, "_class_name": "VideoAutoencoderKL", "_diffusers_version": "x"}
    )
    assert ignored == ["_class_name", "_diffusers_version"]
    assert kwargs == TINY
    VideoAutoencoderKL(**kwargs)
