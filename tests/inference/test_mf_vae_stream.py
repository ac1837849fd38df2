"""The low-memory streaming video decode (`vae_stream`) gives the one-shot decode's numbers exactly."""

from __future__ import annotations

import pytest
import torch

from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL
from app.inference.paints_undo.multi_frame.vae_stream import (
    decode_streaming,
    group_norm_into,
    temporal_conv_inplace,
    time_stack_lowmem,
)
from tests.inference.test_mf_vae import TINY, _randomize


def _one_shot(vae: VideoAutoencoderKL, latents: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
    """The reference's way: every layer on the whole clip, out of place (the autograd-safe forward)."""
    vae.requires_grad_(False)
    with torch.enable_grad():
        return vae.decode_latents(latents, [h.clone() for h in hidden])


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    return float((a - b).abs().max())


@pytest.mark.parametrize(
    "config",
    [
        {**TINY, "ch_mult": [1, 2, 2], "attn_level": [1, 2]},
        {**TINY, "num_res_blocks": 2, "attn_resolutions": [8]},
    ],
)
def test_streaming_decode_equals_one_shot_exactly(config: dict) -> None:
    vae = _randomize(VideoAutoencoderKL(**config), seed=7)
    frames = torch.rand(2, 3, 2, 32, 32) * 2 - 1
    side = 32 // 2 ** (len(config["ch_mult"]) - 1)
    latents = torch.randn(2, 4, 6, side, side)
    with torch.no_grad():
        _, hidden = vae.encode_latents(frames)
    reference = _one_shot(vae, latents, hidden)
    with torch.no_grad():
        for chunk in (2, 4, 0):
            assert _max_diff(vae.decode_latents(latents, hidden, frame_chunk=chunk), reference) == 0.0
        # One frame at a time: oneDNN may pick another kernel for a batch of one (float rounding only).
        single = vae.decode_latents(latents, hidden, frame_chunk=1)
    assert _max_diff(single, reference) <= 1e-5 * float(reference.abs().max())


def test_streaming_decode_on_the_reference_fixture(reference_file) -> None:
    from tools.parity.case import ParityCase

    case = ParityCase.load(reference_file("mf_vae.json"))
    vae = VideoAutoencoderKL(**case.config)
    vae.load_state_dict(case.weights())
    vae.eval()
    t = case.tensors()
    hidden = [t[k] for k in sorted(k for k in t if k.startswith("output.hidden_states."))]
    hidden = [t[f"output.hidden_states.{i}"] for i in range(len(hidden))]
    latents = t["input.latents_to_decode"]
    one_shot = _one_shot(vae, latents, hidden)
    with torch.inference_mode():
        streamed = vae.decode_latents(latents, hidden, frame_chunk=2)
    assert _max_diff(streamed, one_shot) == 0.0
    expected = t["output.pixels"]
    assert _max_diff(streamed, expected) <= 1e-5 * float(expected.abs().max())


def test_group_norm_into_and_in_place_temporal_conv_are_exact() -> None:
    torch.manual_seed(0)
    video = torch.randn(2, 64, 5, 6, 7)
    norm = torch.nn.GroupNorm(32, 64, eps=1e-5)
    with torch.no_grad():
        norm.weight.normal_()
        out = torch.empty_like(video)
        group_norm_into(norm, video, out)
        assert _max_diff(out, norm(video)) == 0.0
        conv = torch.nn.Conv3d(64, 64, (3, 1, 1), padding=(1, 0, 0))
        expected = conv(video)
        work = video.clone()
        assert temporal_conv_inplace(conv, work) is work  # written over its input
        assert _max_diff(work, expected) == 0.0


def test_time_stack_lowmem_keeps_its_input_and_matches_the_block() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=3)
    stack = vae.decoder.mid.block_1.time_stack
    video = torch.randn(1, 64, 4, 5, 5)
    kept = video.clone()
    expected = _one_shot_stack(stack, video)
    with torch.no_grad():
        got = time_stack_lowmem(stack, video)
    assert _max_diff(got, expected) == 0.0
    torch.testing.assert_close(video, kept, rtol=0, atol=0)


def _one_shot_stack(stack: torch.nn.Module, video: torch.Tensor) -> torch.Tensor:
    stack.requires_grad_(False)
    with torch.enable_grad():
        return stack(video.clone())


def test_streaming_decode_refuses_autograd() -> None:
    vae = _randomize(VideoAutoencoderKL(**TINY), seed=1)
    with torch.enable_grad(), pytest.raises(RuntimeError, match="no_grad"):
        decode_streaming(vae.decoder, torch.zeros(2, 4, 4, 4), 2, None)
