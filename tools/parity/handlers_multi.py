"""Parity handlers for the multi-frame UNet3D forward and the dynamic-TSNR sampler chain.

Configs come from each case JSON (`config`, or `unet_config` + `sampler_config` for the sampler); nothing
about the tiny fixtures is hard-coded. Cases that share weights name the shared file in `weights_file`
(README: "load that file first, then this one"); without that hint we look for the case name with its
trailing `_suffix` parts removed (`mf_unet_forward_learnable_alpha` -> `mf_unet_forward`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .case import ParityCase, ParityHandler, ParityResult, relative_tolerance

FORWARD_REL = 1e-5  # README: single forward passes
SAMPLER_REL = 1e-4  # README: sampler chains
BUFFER_REL = 1e-6  # schedule buffers are computed by the same float64 -> float32 recipe


def _compare(case: str, output: str, ours, reference, rel: float, note: str = "") -> ParityResult:
    ref = reference.double()
    got = ours.detach().double().reshape(ref.shape) if ours.numel() == ref.numel() else None
    if got is None:
        return ParityResult(
            case, output, float("inf"), 0.0, False, f"shape {tuple(ours.shape)} != {tuple(ref.shape)}"
        )
    err = float((got - ref).abs().max()) if ref.numel() else 0.0
    if err != err:  # NaN
        err = float("inf")
    tol = relative_tolerance(float(ref.abs().max()) if ref.numel() else 0.0, rel)
    return ParityResult(case, output, err, tol, err <= tol, note)


def _base_weight_files(case: ParityCase) -> list[Path]:
    """Weight files to load before the case's own weights (shared-weights rule)."""
    hint = case.meta.get("weights_file")
    if isinstance(hint, str):
        names = re.findall(r"[\w.\-]+\.safetensors", hint)
        files = [case.folder / n for n in names if n != f"{case.name}.safetensors"]
        found = [f for f in files if f.is_file()]
        if found:
            return found
    parts = case.name.split("_")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = case.folder / ("_".join(parts[:cut]) + ".safetensors")
        if candidate.is_file() and candidate.stem != case.name:
            return [candidate]
    return []


def _load_unet_weights(case: ParityCase, own_weights: bool = True) -> dict[str, Any]:
    from safetensors.torch import load_file

    state: dict[str, Any] = {}
    for path in _base_weight_files(case):
        for key, value in load_file(str(path)).items():
            if key.startswith("weights."):
                state[key[len("weights.") :]] = value.float()
    if own_weights:
        state.update(case.weights())
    return state


def _build_unet(config: dict[str, Any], state: dict[str, Any]):
    from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel

    unet = UNet3DModel(**config).eval()
    missing, unexpected = unet.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"UNet3D weights do not fit: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    return unet


def multi_frame_unet(case: ParityCase) -> list[ParityResult]:
    import torch

    unet = _build_unet(case.config, _load_unet_weights(case))
    t = case.tensors()
    with torch.inference_mode():
        y = unet(
            t["input.x"],
            t["input.timesteps"],
            context_text=t["input.context_text"],
            context_img=t["input.context_img"],
            fs=t["input.fs"],
            concat_cond=t["input.concat_cond"],
        )
    return [_compare(case.name, "output.model_output", y, t["output.model_output"], FORWARD_REL)]


def multi_frame_sampler(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.multi_frame.sampler import DynamicTSNRSampler, VideoCondition

    unet_config = case.meta.get("unet_config") or case.config
    sc = dict(case.meta.get("sampler_config") or {})
    unet = _build_unet(unet_config, _load_unet_weights(case))
    t = case.tensors()
    sampler = DynamicTSNRSampler(
        linear_start=sc.get("linear_start", 0.00085),
        linear_end=sc.get("linear_end", 0.012),
        terminal_scale=sc.get("terminal_scale", 0.7),
        turning_step=sc.get("turning_step", 400),
        guidance_rescale=sc.get("guidance_rescale", 0.7),
        eta=sc.get("eta", 1.0),
    )
    steps, batch = int(sc.get("steps", 4)), int(sc.get("batch_size", 1))
    fs = torch.full((batch,), int(sc.get("fs", 3)), dtype=torch.long)
    concat = t["input.concat_cond"].repeat(batch, 1, 1, 1, 1)

    def condition(side: str) -> VideoCondition:
        return VideoCondition(
            t[f"input.{side}_text_cond"].repeat(batch, 1, 1),
            t[f"input.{side}_image_cond"].repeat(batch, 1, 1, 1),
            concat,
            fs,
        )

    recorded: dict[int, tuple[Any, Any, Any]] = {}
    with torch.inference_mode():
        latents = sampler.sample(
            unet,
            condition("positive"),
            condition("negative"),
            steps,
            float(sc.get("guidance_scale", 7.5)),
            initial_noise=t["input.initial_x"],
            noise=lambda i, _like: t[f"input.step{i}.randn_like"],
            on_step=lambda i, x, tt, mo: recorded.__setitem__(i, (x.clone(), tt.clone(), mo.clone())),
        )
    results = [
        _compare(case.name, "output.timesteps", sampler.timesteps(steps), t["output.timesteps"], BUFFER_REL),
        _compare(
            case.name, "output.alphas_cumprod", sampler.alphas_cumprod, t["output.alphas_cumprod"], BUFFER_REL
        ),
        _compare(case.name, "output.scale_arr", sampler.scale_arr, t["output.scale_arr"], BUFFER_REL),
    ]
    for i in range(steps):
        x, tt, mo = recorded[i]
        results += [
            _compare(case.name, f"output.step{i}.x", x, t[f"output.step{i}.x"], SAMPLER_REL),
            _compare(case.name, f"output.step{i}.t", tt, t[f"output.step{i}.t"], BUFFER_REL),
            _compare(
                case.name,
                f"output.step{i}.model_output",
                mo,
                t[f"output.step{i}.model_output"],
                SAMPLER_REL,
                "batched CFG (one UNet call)",
            ),
        ]
    results.append(_compare(case.name, "output.latents", latents, t["output.latents"], SAMPLER_REL))
    return results


HANDLERS: dict[str, ParityHandler] = {
    "multi_frame_unet": multi_frame_unet,
    "multi_frame_sampler": multi_frame_sampler,
}
