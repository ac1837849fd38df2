"""The single-frame sampler maths and the keyframe pipeline, end to end on CPU with tiny random models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_single_frame_tiny import artwork, make_components

from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.paints_undo.single_frame.pipeline import (
    UNET,
    VAE,
    SingleFramePipeline,
    degenerate,
    working_size,
)
from app.inference.paints_undo.single_frame.sampler import DPMPP2M, KarrasSchedule, cfg_eps, sample

SIZE = (32, 32)  # latents 4x4 with the factor-8 tiny VAE


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_components(tmp_path_factory.mktemp("sf"))


@pytest.fixture()
def pipe(components: dict) -> SingleFramePipeline:
    c = components
    return SingleFramePipeline.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])


# ------------------------------------------------------------------------------------------ sampler
def test_schedule_matches_reference_numbers() -> None:
    sched = KarrasSchedule()
    assert float(sched.sigma_min) == pytest.approx(0.0291676, rel=1e-5)
    assert float(sched.sigma_max) == pytest.approx(190.1216, rel=1e-6)
    sigmas = sched.set_timesteps(6)
    assert sigmas.shape == (7,) and sigmas.dtype == torch.float32
    assert float(sigmas[-1]) == 0.0 and float(sigmas[0]) == pytest.approx(190.1216, rel=1e-6)
    assert torch.all(sigmas[:-1] > sigmas[1:])
    assert sched.timestep(sigmas[:1]).item() == 999 and sched.timestep(sigmas[5:6]).item() == 0


def test_last_step_is_first_order_so_result_is_last_denoised() -> None:
    solver = DPMPP2M()
    sigmas = solver.set_timesteps(3)
    x = torch.randn(1, 4, 2, 2)
    denoised = [torch.randn(1, 4, 2, 2) for _ in range(3)]
    for i in range(3):
        x = solver.step(i, x, denoised[i])
    assert float(sigmas[-1]) == 0.0
    assert torch.allclose(x, denoised[-1], atol=1e-6)


def test_one_batched_cfg_call_equals_two_separate_calls(components: dict) -> None:
    unet = components["unet"]
    x = torch.randn(2, 4, 4, 4)
    t = torch.tensor([999, 500])
    pos, neg = torch.randn(1, 77, 16), torch.randn(1, 77, 16)
    concat, coded = torch.randn(1, 4, 4, 4), torch.tensor([400, 900])
    calls = []

    def counting(*args):
        calls.append(args[0].shape[0])
        return unet(*args)

    with torch.inference_mode():
        eps_pos, eps_neg = cfg_eps(counting, x, t, pos, neg, concat, coded, 3.0)
        ref_pos = unet(x, t, pos.expand(2, -1, -1), concat, coded)
        ref_neg = unet(x, t, neg.expand(2, -1, -1), concat, coded)
    assert calls == [4]  # ONE call with [positive; negative] stacked
    assert torch.allclose(eps_pos, ref_pos, atol=1e-5) and torch.allclose(eps_neg, ref_neg, atol=1e-5)


def test_undo_step_conditioning_changes_the_output(components: dict) -> None:
    unet = components["unet"]
    x, t, ctx, concat = (
        torch.randn(1, 4, 4, 4),
        torch.tensor([500]),
        torch.randn(1, 77, 16),
        torch.randn(1, 4, 4, 4),
    )
    with torch.inference_mode():
        a = unet(x, t, ctx, concat, torch.tensor([100]))
        b = unet(x, t, ctx, concat, torch.tensor([900]))
        c = unet(x, t, ctx, torch.zeros_like(concat), torch.tensor([100]))
    assert not torch.allclose(a, b) and not torch.allclose(a, c)


# ----------------------------------------------------------------------------------------- pipeline
def test_keyframes_end_to_end(pipe: SingleFramePipeline) -> None:
    seen: list[float] = []
    images = pipe(
        artwork(), "a girl, red hair", "lowres", [400, 999], seed=1, steps=3, cfg=3.0, size=SIZE,
        progress=lambda f, _m: seen.append(f),
    )  # fmt: skip
    assert len(images) == 2
    for img in images:
        assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    assert not np.array_equal(images[0], images[1])  # the undo step matters
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_same_seed_same_frames_and_noise_injection(pipe: SingleFramePipeline) -> None:
    kw = {"seed": 5, "steps": 2, "cfg": 2.0, "size": SIZE}
    a = pipe(artwork(), "sky", "", [500], **kw)
    b = pipe(artwork(), "sky", "", [500], **kw)
    assert np.array_equal(a[0], b[0])
    noise = pipe.noise_for((1, 4, 4, 4), 5)
    c = pipe(artwork(), "sky", "", [500], noise=noise, **kw)
    assert np.array_equal(a[0], c[0])
    d = pipe(artwork(), "sky", "", [500], noise=torch.randn(1, 4, 4, 4), **kw)
    assert not np.array_equal(a[0], d[0])


def test_batch_of_six_equals_six_single_calls(pipe: SingleFramePipeline) -> None:
    steps = [400, 600, 800, 900, 950, 999]
    image = pipe.prepare_image(artwork(), SIZE)
    latent = pipe.encode_image(image)
    pos, neg = pipe.encode_prompts(["cat", "bad hands"])
    noise = pipe.noise_for(tuple(latent.shape), 3)
    batch = pipe.denoise(latent, pos, neg, steps, noise, 2, 3.0)
    singles = torch.cat([pipe.denoise(latent, pos, neg, [s], noise, 2, 3.0) for s in steps])
    # same noise -> same latents, up to float summation order (relative 1e-5 of |x| ~ 500)
    assert float((batch - singles).abs().max()) <= 1e-5 * float(singles.abs().max())
    images_batch = pipe.decode(batch)
    images_single = pipe.decode(singles)
    for one, many in zip(images_single, images_batch, strict=True):
        assert np.abs(one.astype(int) - many.astype(int)).max() <= 1  # truncation to uint8 may flip a level
    whole = pipe(artwork(), "cat", "bad hands", steps, seed=3, steps=2, cfg=3.0, size=SIZE)
    assert all(np.array_equal(a, b) for a, b in zip(whole, images_batch, strict=True))


def test_image_and_prompts_are_encoded_once(pipe: SingleFramePipeline, components: dict) -> None:
    encoder_calls, vae_encodes = [], []
    h1 = components["text_encoder"].register_forward_hook(lambda *a: encoder_calls.append(1))
    orig = components["vae"].encode
    components["vae"].encode = lambda *a, **k: (vae_encodes.append(1), orig(*a, **k))[1]
    try:
        art = artwork(seed=11)
        for steps in ([400], [600, 800]):
            pipe(art, "red sky", "worst quality", steps, seed=0, steps=1, size=SIZE)
    finally:
        h1.remove()
        components["vae"].encode = orig
    assert len(encoder_calls) == 1  # both prompts in one encoder batch, then cached
    assert len(vae_encodes) == 1


def test_cancel_between_sampler_steps(pipe: SingleFramePipeline) -> None:
    token = CancelToken()
    messages = []

    def progress(fraction: float, message: str) -> None:
        messages.append(message)
        if "Sampling step 2" in message:
            token.cancel()

    with pytest.raises(CancelledError):
        pipe(artwork(), "sky", "", [500], steps=5, size=SIZE, cancel=token, progress=progress)
    assert not any("Sampling step 3" in m for m in messages)


def test_nan_in_half_precision_retries_in_float32(tmp_path: Path) -> None:
    c = make_components(tmp_path)
    unet, vae = c["unet"].to(torch.bfloat16), c["vae"].to(torch.bfloat16)

    def nan_unless_fp32(module, args, output):
        return output if output.dtype == torch.float32 else torch.full_like(output, float("nan"))

    unet.conv_out.register_forward_hook(nan_unless_fp32)
    pipe = SingleFramePipeline.from_components(unet, vae, c["text_encoder"], c["tokenizer"])
    images = pipe(artwork(), "sky", "", [500], seed=0, steps=2, size=SIZE)
    assert pipe.last_run_dtypes[UNET] == "float32"
    assert next(unet.parameters()).dtype == torch.bfloat16  # restored after the retry
    assert images[0].shape == (32, 32, 3) and images[0].max() > 0


def test_black_vae_output_retries_decode_in_float32(tmp_path: Path) -> None:
    c = make_components(tmp_path)
    vae = c["vae"].to(torch.bfloat16)

    def black_unless_fp32(module, args, output):
        return output if output.dtype == torch.float32 else torch.full_like(output, -1.0)

    vae.decoder.register_forward_hook(black_unless_fp32)
    pipe = SingleFramePipeline.from_components(c["unet"], vae, c["text_encoder"], c["tokenizer"])
    images = pipe(artwork(), "sky", "", [500], seed=0, steps=1, size=SIZE)
    assert pipe.last_run_dtypes[VAE] == "float32"
    assert images[0].max() > 0


def test_degenerate_detection() -> None:
    assert degenerate(torch.tensor([0.0, float("nan")]), pixels=False)
    assert degenerate(torch.full((1, 3, 4, 4), -1.0), pixels=True)
    assert not degenerate(torch.zeros(1, 3, 4, 4), pixels=True)
    assert degenerate(torch.zeros(1, 4, 2, 2), pixels=False)


def test_input_checks(pipe: SingleFramePipeline) -> None:
    with pytest.raises(ValueError, match="undo steps"):
        pipe(artwork(), "", "", [1000], size=SIZE)
    with pytest.raises(ValueError, match="empty"):
        pipe(artwork(), "", "", [], size=SIZE)
    with pytest.raises(ValueError, match="uint8"):
        pipe(artwork().astype(np.float32), "", "", [1], size=SIZE)
    with pytest.raises(ValueError, match="noise"):
        pipe(artwork(), "", "", [1], size=SIZE, noise=torch.zeros(1, 4, 3, 3))


def test_working_size_keeps_aspect_in_multiples_of_64() -> None:
    assert working_size(1000, 1000, 640) == (640, 640)
    assert working_size(800, 1000, 640) == (512, 640)
    w, h = working_size(1920, 1080, 640)
    assert (w, h) == (640, 384) and w % 64 == 0 and h % 64 == 0
    assert working_size(10, 3000, 512) == (64, 512)


def test_sample_is_float32_even_with_bf16_model(components: dict) -> None:
    unet = components["unet"]
    out = sample(
        lambda *a: unet(*[x.float() if x.is_floating_point() else x for x in a]).to(torch.bfloat16),
        torch.randn(1, 4, 4, 4), torch.randn(1, 77, 16), torch.randn(1, 77, 16), torch.randn(1, 4, 4, 4),
        torch.tensor([500, 600]), 2, 3.0, model_dtype=torch.bfloat16,
    )  # fmt: skip
    assert out.dtype == torch.float32 and out.shape == (2, 4, 4, 4)
