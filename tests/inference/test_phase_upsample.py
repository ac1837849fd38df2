"""Nearest x2 + 3x3 conv as one 2x2 conv per output phase (phase_upsample.py, issue 14 part 5): the same
numbers as diffusers' `Upsample2D` (and the multi-frame models' own upsamplers) up to float rounding,
only where the replacement is exact, switchable at run time, the cached kernel following the weights,
state_dict untouched; a tiny SD VAE and UNet agree with it on and off; the CPU policy applies it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from diffusers.models.upsampling import Upsample2D
from test_mf_vae import TINY as MF_VAE_TINY
from test_single_frame_tiny import CROSS_DIM, make_components, make_unet, make_vae, write_models_dir

from app.inference import cpu_tuning, phase_upsample
from app.inference.paints_undo.multi_frame.unet3d_blocks import Upsample as UNet3DUpsample
from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL
from app.inference.paints_undo.multi_frame.vae_decoder import Upsample as VideoVaeUpsample
from app.inference.phase_upsample import enable_phase_upsample, is_phase_upsample


def _randomized(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * (0.3 if p.dim() > 1 else 0.1))
    return module.eval()


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).abs().max() / b.abs().max())


def _both(module: torch.nn.Module, *args: Any, call: Any = None) -> tuple[Any, Any]:
    """`call(*args)` (the module itself by default) with its upsamplers in their written form, then in
    the phase form (left on)."""
    run = call or module
    enable_phase_upsample(module, False)
    with torch.inference_mode():
        written = run(*args)
    assert enable_phase_upsample(module, True, min_pixels=0) >= 1  # small test shapes: always the phases
    with torch.inference_mode():
        phased = run(*args)
    return written, phased


@pytest.mark.parametrize(
    ("shape", "cout", "name"),
    [((1, 8, 5, 7), 8, "conv"), ((3, 6, 4, 9), 10, "conv"), ((2, 4, 1, 1), 4, "op"), ((1, 5, 6, 6), 3, "op")],
)
def test_the_phase_form_matches_diffusers_upsample2d_in_fp32(
    shape: tuple[int, ...], cout: int, name: str
) -> None:
    up = _randomized(Upsample2D(shape[1], use_conv=True, out_channels=cout, name=name), seed=sum(shape))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    written, phased = _both(up, x)
    assert phased.shape == (shape[0], cout, 2 * shape[2], 2 * shape[3])
    assert _rel(phased, written) <= 1e-5
    with torch.inference_mode():  # an explicit output size of exactly 2x is the same call
        assert _rel(up(x, (2 * shape[2], 2 * shape[3])), written) <= 1e-5
        assert _rel(up(x, output_size=[2 * shape[2], 2 * shape[3]]), written) <= 1e-5


def test_channels_last_in_gives_channels_last_out_with_the_same_numbers() -> None:
    up = _randomized(Upsample2D(8, use_conv=True, out_channels=12))
    x = torch.randn(2, 8, 7, 5).to(memory_format=torch.channels_last)
    written, phased = _both(up, x)
    assert _rel(phased, written) <= 1e-5
    assert phased.is_contiguous(memory_format=torch.channels_last)


def test_bf16_agrees_within_bf16_rounding() -> None:
    up = _randomized(Upsample2D(16, use_conv=True)).to(torch.bfloat16)
    x = torch.randn(2, 16, 6, 5).to(torch.bfloat16)
    written, phased = _both(up, x)
    assert phased.dtype == torch.bfloat16
    assert _rel(phased, written) <= 3e-2


@pytest.mark.parametrize(
    "case",
    [
        "output_size",
        "norm",
        "transpose",
        "no_conv",
        "no_interpolate",
        "kernel_1",
        "padding_reflect",
        "groups",
    ],
)
def test_what_it_cannot_replace_exactly_stays_bit_identical(case: str) -> None:
    kwargs: dict[str, Any] = {"use_conv": True}
    if case == "norm":
        kwargs.update(norm_type="rms_norm", eps=1e-5, elementwise_affine=True)
    elif case == "transpose":
        kwargs = {"use_conv_transpose": True}
    elif case == "no_conv":
        kwargs = {}
    elif case == "no_interpolate":
        kwargs.update(interpolate=False)
    elif case == "kernel_1":
        kwargs.update(kernel_size=1, padding=0)
    up = _randomized(Upsample2D(8, **kwargs))
    if case == "padding_reflect":
        up.conv.padding_mode = "reflect"
    elif case == "groups":
        up.conv = _randomized(torch.nn.Conv2d(8, 8, 3, padding=1, groups=2))
    x = torch.randn(1, 8, 5, 6)
    size = (11, 13) if case == "output_size" else None
    with torch.inference_mode():
        written = up(x, size)
        count = enable_phase_upsample(up, True, min_pixels=0)
        after = up(x, size)
    assert count == (1 if case == "output_size" else 0)
    assert torch.equal(after, written)


def test_the_switch_restores_the_written_forward_and_counts_the_upsamplers() -> None:
    model = torch.nn.Sequential(
        _randomized(Upsample2D(4, use_conv=True)), _randomized(Upsample2D(4, use_conv=True)), Upsample2D(4)
    )
    x = torch.randn(1, 4, 3, 3)
    with torch.inference_mode():
        written = model(x)
        assert enable_phase_upsample(model, True, min_pixels=0) == 2
        assert is_phase_upsample(model[0]) and is_phase_upsample(model[1]) and not is_phase_upsample(model[2])
        assert enable_phase_upsample(model, True, min_pixels=0) == 2  # idempotent
        assert not torch.equal(model(x), written)  # the phase form really ran (rounding differs)
        assert enable_phase_upsample(model, False) == 2
        assert not any(is_phase_upsample(m) for m in model)
        assert torch.equal(model(x), written)


def test_calls_below_min_pixels_keep_the_written_form() -> None:
    up = _randomized(Upsample2D(4, use_conv=True))
    small, large = torch.randn(1, 4, 8, 8), torch.randn(2, 4, 8, 8)  # 64 and 128 low-res pixels
    with torch.inference_mode():
        written = (up(small), up(large))
        enable_phase_upsample(up, True, min_pixels=128)
        assert torch.equal(up(small), written[0])
        phased = up(large)
    assert not torch.equal(phased, written[1]) and _rel(phased, written[1]) <= 1e-5


def test_the_kernel_is_summed_by_the_first_phase_call_and_again_only_when_the_weight_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sums: list[int] = []
    real = phase_upsample.phase_kernel
    monkeypatch.setattr(phase_upsample, "phase_kernel", lambda w, b: sums.append(1) or real(w, b))
    up = _randomized(Upsample2D(6, use_conv=True))
    x = torch.randn(1, 6, 4, 5)
    enable_phase_upsample(up, True, min_pixels=20)
    with torch.inference_mode():
        up(torch.randn(1, 6, 4, 4))  # 16 pixels: the written form, no kernel held for it
    assert len(sums) == 0
    with torch.inference_mode():
        up(x)
        up(x)
    assert len(sums) == 1
    with torch.no_grad():
        up.conv.bias.add_(1.0)
    with torch.inference_mode():
        up(x)
    assert len(sums) == 2
    enable_phase_upsample(up, False)
    enable_phase_upsample(up, True, min_pixels=0)
    with torch.inference_mode():
        up(x)
    assert len(sums) == 3


def test_a_changed_weight_invalidates_the_cached_kernel() -> None:
    up = _randomized(Upsample2D(6, use_conv=True))
    x = torch.randn(1, 6, 4, 5)
    enable_phase_upsample(up, True, min_pixels=0)
    with torch.inference_mode():
        up(x)
    with torch.no_grad():  # in place: same storage, new version
        up.conv.weight.mul_(-2.0)
        up.conv.bias.add_(1.0)
    written = F.conv2d(
        F.interpolate(x, scale_factor=2.0, mode="nearest"), up.conv.weight, up.conv.bias, padding=1
    )
    with torch.inference_mode():
        assert _rel(up(x), written) <= 1e-5
    up.load_state_dict({k: torch.randn_like(v) for k, v in up.state_dict().items()})
    up.to(torch.float64)  # new storage and dtype
    written = F.conv2d(
        F.interpolate(x.double(), scale_factor=2.0, mode="nearest"), up.conv.weight, up.conv.bias, padding=1
    )
    with torch.inference_mode():
        phased = up(x.double())
    assert phased.dtype == torch.float64 and _rel(phased, written) <= 1e-12


def test_with_autograd_on_the_kernel_is_differentiable() -> None:
    up = _randomized(Upsample2D(3, use_conv=True)).requires_grad_(True)
    x = torch.randn(1, 3, 4, 4)
    up(x).square().sum().backward()
    written_grad = up.conv.weight.grad.clone()
    up.zero_grad()
    enable_phase_upsample(up, True, min_pixels=0)
    up(x).square().sum().backward()
    assert _rel(up.conv.weight.grad, written_grad) <= 1e-5


def test_the_multi_frame_upsamplers_are_covered() -> None:
    for up in (_randomized(VideoVaeUpsample(6)), _randomized(UNet3DUpsample(6, True, 4))):
        written, phased = _both(up, torch.randn(3, 6, 5, 4))
        assert _rel(phased, written) <= 1e-5
    assert enable_phase_upsample(UNet3DUpsample(6, False), True) == 0
    vae = _randomized(VideoAutoencoderKL(**MF_VAE_TINY), seed=3)
    assert enable_phase_upsample(vae, True) == len(MF_VAE_TINY["ch_mult"]) - 1


def test_tiny_sd_vae_and_unet_agree_on_and_off_with_the_same_state_dict_keys() -> None:
    vae, unet = make_vae(), make_unet()
    keys = {"vae": list(vae.state_dict()), "unet": list(unet.state_dict())}
    z = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    written, phased = _both(vae, z, call=vae.decode)
    assert enable_phase_upsample(vae, True) == 3  # 4 up blocks, the last without an upsampler
    assert _rel(phased.sample, written.sample) <= 1e-4
    gen = torch.Generator().manual_seed(1)
    args = (
        torch.randn(2, 4, 8, 8, generator=gen),
        torch.tensor([10, 500]),
        torch.randn(2, 77, CROSS_DIM, generator=gen),
        torch.randn(1, 4, 8, 8, generator=gen),
        torch.tensor([400]),
    )
    written, phased = _both(unet, *args)
    assert isinstance(written, torch.Tensor)
    assert enable_phase_upsample(unet, True) == 1
    assert _rel(phased, written) <= 1e-4
    assert {"vae": list(vae.state_dict()), "unet": list(unet.state_dict())} == keys


@pytest.mark.parametrize("techniques", ["phase_upsample", "allocator"])
def test_the_engine_applies_phase_upsample_when_the_tuning_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, techniques: str
) -> None:
    from app.inference.paints_undo.engine import PaintsUndoEngine

    monkeypatch.setattr(cpu_tuning, "set_allocator", lambda tuned: True)
    monkeypatch.setenv(cpu_tuning.ENV_TUNING, techniques)
    models = write_models_dir(tmp_path / "models", make_components(tmp_path))
    manager = PaintsUndoEngine(models_dir=models, device="cpu")._model_manager()
    for name in ("single_frame_unet", "single_frame_vae"):
        with manager.use(name) as module:
            ups = [m for m in module.modules() if isinstance(m, Upsample2D)]
            assert ups and all(is_phase_upsample(m) == (techniques == "phase_upsample") for m in ups)


def test_weights_made_under_inference_mode_work_and_are_cached() -> None:
    with torch.inference_mode():  # as the model loaders make them: inference tensors, no version counter
        up = _randomized(Upsample2D(4, use_conv=True))
        x = torch.randn(2, 4, 8, 8)
        written = up(x)
    assert up.conv.weight.is_inference()
    enable_phase_upsample(up, True)
    with torch.inference_mode():
        assert _rel(up(x), written) <= 1e-5


def test_a_copy_or_a_pickled_model_keeps_the_phase_form_on_its_own_weights() -> None:
    import copy
    import io

    model = torch.nn.Sequential(_randomized(Upsample2D(4, use_conv=True)))
    enable_phase_upsample(model, True, min_pixels=0)
    x = torch.randn(1, 4, 5, 5)
    with torch.inference_mode():
        y = model(x)
    twin = copy.deepcopy(model)
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    for other in (twin, loaded):
        assert is_phase_upsample(other[0]) and list(other.state_dict()) == list(model.state_dict())
        with torch.no_grad():
            other[0].conv.weight.mul_(2.0)  # its own weights, its own cached kernel
        with torch.inference_mode():
            assert not torch.allclose(other(x), y) and torch.equal(model(x), y)
