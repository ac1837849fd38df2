"""Parity of the single-frame model, both text encoders and the VAE against the reference fixtures,
through the same handlers the parity runner uses (configs read from each case's JSON)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.parity.case import ParityCase
from tools.parity.handlers_single import HANDLERS
from tools.parity.runner import collect_handlers, handler_for, run_case

CASES = ["sf_unet_forward", "sf_sampler", "text_encoder_clip_skip", "text_encoder_sd21", "vae_roundtrip"]


@pytest.mark.parametrize("name", CASES)
def test_single_frame_case_passes(reference_dir: Path, name: str) -> None:
    case = ParityCase.load(reference_dir / f"{name}.json")
    key, handler = handler_for(case, HANDLERS)
    assert handler is not None, f"no single-frame handler for {name}"
    results = run_case(case, HANDLERS)
    failed = [r for r in results if not r.passed]
    assert results and not failed, "\n".join(
        f"{r.output}: {r.max_abs_err:.3e} > {r.tolerance:.3e} {r.note}" for r in failed
    )


def test_sampler_case_checks_every_step_and_the_final_latents(reference_dir: Path) -> None:
    case = ParityCase.load(reference_dir / "sf_sampler.json")
    outputs = {r.output for r in run_case(case, HANDLERS)}
    steps = int(case.meta["sampler_config"]["num_inference_steps"])
    for i in range(steps):
        for part in ("x", "sigma", "t", "eps_positive", "eps_negative", "denoised"):
            assert f"output.step{i}.{part}" in outputs
    assert {"output.latents", "output.sigmas", "output.latents_start"} <= outputs


def test_unet_subclass_matches_stock_diffusers_bit_for_bit(reference_dir: Path) -> None:
    """Our subclass must compute exactly what stock diffusers computes for the same maths.

    The reference README saw diffusers 0.42 reproduce sf_unet_forward bit-exactly on its machine; on
    other CPUs the kernels sum in another order (1.8e-6 here on an AMD EPYC, well inside tolerance), so
    the bit-level check is against a stock `UNet2DConditionModel` on this machine: 8 input channels and
    the undo-step embedding as diffusers' own "projection" class embedding (added to the time embedding,
    as our `add_embedding` is), fed the same 256-wide sinusoid.
    """
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import AttnProcessor2_0
    from diffusers.models.embeddings import Timesteps

    from app.inference.paints_undo.single_frame.unet import unet_from_state_dict, unet_init_kwargs

    case = ParityCase.load(reference_dir / "sf_unet_forward.json")
    weights, t = case.weights(), case.tensors()
    kwargs = unet_init_kwargs(case.config)
    kwargs.update(in_channels=8, class_embed_type="projection", projection_class_embeddings_input_dim=256)
    stock = UNet2DConditionModel(**kwargs)
    stock.set_attn_processor(AttnProcessor2_0())
    stock.load_state_dict(
        {k.replace("add_embedding.", "class_embedding."): v.float() for k, v in weights.items()}, strict=True
    )
    stock.eval()
    ours = unet_from_state_dict(case.config, weights, torch.float32)
    x = t["input.sample"]
    batch = x.shape[0]
    concat = t["input.concat_conds"].repeat(batch // t["input.concat_conds"].shape[0], 1, 1, 1)
    coded = t["input.coded_conds"].repeat(batch // t["input.coded_conds"].shape[0])
    sinusoid = Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0)(coded)
    with torch.inference_mode():
        expected = stock(
            torch.cat([x, concat], 1),
            t["input.timestep"],
            t["input.encoder_hidden_states"],
            class_labels=sinusoid,
        ).sample
        got = ours(
            x,
            t["input.timestep"],
            t["input.encoder_hidden_states"],
            t["input.concat_conds"],
            t["input.coded_conds"],
        )
    assert torch.equal(got, expected)
    assert (got - t["output.eps"]).abs().max().item() < 1e-5 * t["output.eps"].abs().max().item()


def test_runner_dispatches_single_frame_cases_to_these_handlers(reference_dir: Path) -> None:
    handlers, _problems = collect_handlers()
    for name in CASES:
        key, handler = handler_for(ParityCase.load(reference_dir / f"{name}.json"), handlers)
        assert handler is HANDLERS[key]
