"""Parity of the single-frame model, both text encoders and the VAE against the reference fixtures,
through the same handlers the parity runner uses (configs read from each case's JSON)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.inference.paints_undo.parity.case import ParityCase
from app.inference.paints_undo.parity.handlers_single import HANDLERS
from app.inference.paints_undo.parity.runner import collect_handlers, handler_for, run_case

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


def test_unet_parity_is_exact_in_float32(reference_dir: Path) -> None:
    """diffusers 0.42 reproduces sf_unet_forward bit-exactly (README); a subclass must not lose that."""
    case = ParityCase.load(reference_dir / "sf_unet_forward.json")
    (result,) = run_case(case, HANDLERS)
    assert result.max_abs_err == 0.0


def test_runner_dispatches_single_frame_cases_to_these_handlers(reference_dir: Path) -> None:
    handlers, _problems = collect_handlers()
    for name in CASES:
        key, handler = handler_for(ParityCase.load(reference_dir / f"{name}.json"), handlers)
        assert handler is HANDLERS[key]
