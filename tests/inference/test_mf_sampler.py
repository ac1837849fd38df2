"""Dynamic-TSNR sampler: reference chain parity, the first-step NaN fix, batched CFG, cancel and progress."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.paints_undo.multi_frame.sampler import (
    DynamicTSNRSampler,
    VideoCondition,
    rescale_noise_cfg,
)


def test_sampler_chain_matches_reference(reference_file):
    from tools.parity.case import ParityCase
    from tools.parity.handlers_multi import HANDLERS

    case = ParityCase.load(reference_file("mf_tsnr_sampler.json"))
    results = HANDLERS[case.component](case)
    outputs = {r.output for r in results}
    steps = case.meta["sampler_config"]["steps"]
    for i in range(steps):
        assert {f"output.step{i}.x", f"output.step{i}.t", f"output.step{i}.model_output"} <= outputs
    assert "output.latents" in outputs
    failed = [r for r in results if not r.passed]
    assert not failed, failed


def test_schedule_is_zero_terminal_snr_and_trailing():
    sampler = DynamicTSNRSampler()
    assert sampler.alphas_cumprod[-1].item() == 0.0
    assert sampler.alphas_cumprod[0].item() == pytest.approx(1 - 0.00085, rel=1e-6)
    assert sampler.timesteps(4).tolist() == [249, 499, 749, 999]
    assert sampler.scale_arr[0].item() == 1.0 and sampler.scale_arr[399].item() == pytest.approx(0.7)
    assert torch.all(sampler.scale_arr[400:] == sampler.scale_arr[999])


@pytest.mark.parametrize("steps", [6, 25])
def test_first_step_sqrt_argument_would_be_nan_in_reference_but_we_stay_finite(steps):
    sampler = DynamicTSNRSampler()
    argument = sampler.step_coefficients(steps)["dir_arg_unclamped"][-1]  # the first (t=999) step
    assert argument.item() < 0  # the reference takes sqrt of this: NaN for the whole video
    assert torch.isnan(argument.sqrt())

    def unet(x, t, **_):
        return 0.5 * x + 0.1

    cond = _conditions(frames=2)
    latents = sampler.sample(
        unet, *cond, steps=steps, guidance_scale=7.5, generator=torch.Generator().manual_seed(0)
    )
    assert torch.isfinite(latents).all()


@pytest.mark.parametrize("steps", [4, 5])
def test_clamp_changes_nothing_where_reference_is_finite(steps):
    argument = DynamicTSNRSampler().step_coefficients(steps)["dir_arg_unclamped"]
    assert torch.all(argument >= 0)  # clamp(min=0) is the identity there


def _conditions(frames: int, batch: int = 1):
    g = torch.Generator().manual_seed(3)
    concat = torch.randn(batch, 4, frames, 3, 3, generator=g)
    fs = torch.full((batch,), 3, dtype=torch.long)

    def side():
        return VideoCondition(
            torch.randn(batch, 5, 8, generator=g), torch.randn(batch, frames, 2, 8, generator=g), concat, fs
        )

    return side(), side()


class _CountingUNet(torch.nn.Module):
    """Tiny conditional model: output depends on every condition and on t, and counts its calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.proj = torch.nn.Linear(8, 4)

    def forward(self, x, t, context_text, context_img, concat_cond, fs):
        self.calls += 1
        bias = self.proj(context_text.mean(1) + context_img.mean((1, 2)))[:, :, None, None, None]
        return torch.tanh(
            x * (t[:, None, None, None, None] / 1000)
            + concat_cond
            + bias
            + fs[:, None, None, None, None] / 10
        )


def test_batched_cfg_equals_two_calls_and_halves_the_calls():
    torch.manual_seed(0)
    unet = _CountingUNet()
    sampler = DynamicTSNRSampler()
    pos, neg = _conditions(frames=3, batch=2)
    noise = torch.randn(2, 4, 3, 3, 3)
    step_noise = [torch.randn(2, 4, 3, 3, 3) for _ in range(5)]
    with torch.no_grad():
        kwargs = dict(steps=5, guidance_scale=7.5, initial_noise=noise, noise=lambda i, _x: step_noise[i])
        ours = sampler.sample(unet, pos, neg, batched_cfg=True, **kwargs)
        assert unet.calls == 5
        unet.calls = 0
        reference_way = sampler.sample(unet, pos, neg, batched_cfg=False, **kwargs)
        assert unet.calls == 10
    torch.testing.assert_close(ours, reference_way, rtol=1e-5, atol=1e-5)


def test_rescale_noise_cfg_uses_unbiased_std_per_sample():
    g = torch.Generator().manual_seed(0)
    cfg, pos = torch.randn(2, 3, 4, generator=g), torch.randn(2, 3, 4, generator=g)
    out = rescale_noise_cfg(cfg, pos, 0.7)
    for b in range(2):
        ratio = np.std(pos[b].numpy(), ddof=1) / np.std(cfg[b].numpy(), ddof=1)
        expected = 0.7 * cfg[b].numpy() * ratio + 0.3 * cfg[b].numpy()
        np.testing.assert_allclose(out[b].numpy(), expected, rtol=1e-5, atol=1e-6)


def test_cancel_mid_sampling_stops_and_progress_is_per_step():
    unet = _CountingUNet()
    token = CancelToken()
    seen: list[float] = []

    def progress(fraction: float, _message: str) -> None:
        seen.append(fraction)
        if len(seen) == 2:
            token.cancel()

    with pytest.raises(CancelledError), torch.no_grad():
        DynamicTSNRSampler().sample(
            unet,
            *_conditions(frames=2),
            steps=6,
            guidance_scale=3.0,
            generator=torch.Generator().manual_seed(0),
            cancel=token,
            progress=progress,
        )
    assert unet.calls == 2  # stopped before the third UNet call
    assert seen == pytest.approx([1 / 6, 2 / 6])


def test_same_seed_same_result_and_steps_recorded():
    unet = _CountingUNet()
    sampler = DynamicTSNRSampler()
    cond = _conditions(frames=2)
    record = []
    with torch.no_grad():
        a = sampler.sample(
            unet,
            *cond,
            steps=3,
            guidance_scale=5.0,
            generator=torch.Generator().manual_seed(7),
            on_step=lambda i, x, t, v: record.append((i, t.tolist())),
        )
        b = sampler.sample(
            unet, *cond, steps=3, guidance_scale=5.0, generator=torch.Generator().manual_seed(7)
        )
        c = sampler.sample(
            unet, *cond, steps=3, guidance_scale=5.0, generator=torch.Generator().manual_seed(8)
        )
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert record == [(0, [999.0]), (1, [666.0]), (2, [332.0])]
