"""Parity handlers for the single-frame model: UNet forward, the KDiffusion sampler chain, both CLIP
text encoders and the VAE round trip. Every config is read from the case JSON, never hard-coded.

The sampler case stores no weights of its own; its JSON names the file that holds them
(`weights_file`, README: "sf_sampler uses the UNet weights in sf_unet_forward.safetensors") and the
UNet config lives in that file's JSON. The recorded initial noise is injected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tools.parity.case import ParityCase, ParityHandler, ParityResult
from tools.parity.runner import FORWARD_REL, SAMPLER_REL, compare


def _outputs(case: ParityCase) -> dict[str, Any]:
    return {k: v for k, v in case.tensors().items() if k.startswith("output.")}


def single_frame_unet(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.single_frame.unet import unet_from_state_dict

    unet = unet_from_state_dict(case.config, case.weights(), torch.float32, what=case.name)
    t = case.tensors()
    with torch.inference_mode():
        eps = unet(
            t["input.sample"],
            t["input.timestep"],
            t["input.encoder_hidden_states"],
            t["input.concat_conds"],
            t["input.coded_conds"],
        )
    return [compare(case.name, "output.eps", eps, t["output.eps"], FORWARD_REL)]


def _shared_weights(case: ParityCase) -> tuple[dict[str, Any], dict[str, Any]]:
    """(UNet config, UNet weights) of a case whose weights live in another fixture's file."""
    own = case.weights()
    config = case.meta.get("config")
    if own and isinstance(config, dict):
        return dict(config), own
    hint = str(case.meta.get("weights_file", ""))
    names = re.findall(r"[\w.\-]+\.safetensors", hint)
    if not names:
        raise ValueError(f"{case.name}: no weights of its own and no `weights_file` naming where they are")
    source = ParityCase.load(case.folder / Path(names[0]).with_suffix(".json"))
    return source.config, source.weights()


def single_frame_sampler(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.single_frame.sampler import KarrasSchedule, sample
    from app.inference.paints_undo.single_frame.unet import unet_from_state_dict

    config, weights = _shared_weights(case)
    unet = unet_from_state_dict(config, weights, torch.float32, what=case.name)
    sc = case.meta["sampler_config"]
    schedule = KarrasSchedule(
        linear_start=float(sc["linear_start"]),
        linear_end=float(sc["linear_end"]),
        num_train_timesteps=int(sc["timesteps"]),
        linear=bool(sc.get("linear", True)),
    )
    steps, strength = int(sc["num_inference_steps"]), float(sc.get("strength", 1.0))
    t = case.tensors()
    coded = t["input.coded_conds"]
    if int(sc.get("batch_size", coded.shape[0])) != coded.shape[0]:
        raise ValueError(f"{case.name}: batch_size {sc['batch_size']} != {coded.shape[0]} undo steps")
    if not sc.get("same_noise_in_batch", True):
        raise ValueError(f"{case.name}: only same_noise_in_batch=True is implemented (the app's setting)")
    recorded: dict[str, Any] = {}

    def record(i: int, tensors: dict[str, Any]) -> None:
        recorded.update({f"output.step{i}.{k}": v.clone() for k, v in tensors.items()})

    latents = sample(
        unet,
        t["input.initial_noise"],
        t["input.prompt_embeds"],
        t["input.negative_prompt_embeds"],
        t["input.concat_conds"],
        coded,
        steps,
        float(sc["guidance_scale"]),
        strength=strength,
        initial_latent=t.get("input.initial_latent"),
        schedule=schedule,
        callback=record,
    )
    recorded["output.latents"] = latents
    recorded["output.sigmas"] = schedule.set_timesteps(steps, strength)
    if "output.step0.x" in recorded:
        recorded["output.latents_start"] = recorded["output.step0.x"]
    results = []
    for name, reference in sorted(_outputs(case).items()):
        if name not in recorded:
            results.append(ParityResult(case.name, name, float("inf"), 0.0, False, "not produced"))
            continue
        results.append(compare(case.name, name, recorded[name], reference, SAMPLER_REL))
    return results


def text_encoder(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.single_frame.text_encoder import encode_ids, text_encoder_from_state_dict

    model = text_encoder_from_state_dict(case.config, case.weights(), torch.float32, what=case.name)
    t = case.tensors()
    hidden = encode_ids(model, t["input.input_ids"])
    return [
        compare(case.name, "output.last_hidden_state", hidden, t["output.last_hidden_state"], FORWARD_REL)
    ]


def vae_roundtrip(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.single_frame.vae import decode_latents, encode_image, vae_from_state_dict

    vae = vae_from_state_dict(case.config, case.weights(), torch.float32, what=case.name)
    t = case.tensors()
    latents = encode_image(vae, t["input.pixels"])
    ours = {
        "output.latents": latents,
        "output.decoded": decode_latents(vae, t["input.latents_to_decode"]),
        "output.roundtrip": decode_latents(vae, latents),
    }
    return [
        compare(case.name, k, ours[k], ref, FORWARD_REL)
        if k in ours
        else ParityResult(case.name, k, float("inf"), 0.0, False, "not produced")
        for k, ref in sorted(_outputs(case).items())
    ]


HANDLERS: dict[str, ParityHandler] = {
    "single_frame_unet": single_frame_unet,
    "single_frame_sampler": single_frame_sampler,
    "text_encoder": text_encoder,
    "vae_roundtrip": vae_roundtrip,
}
