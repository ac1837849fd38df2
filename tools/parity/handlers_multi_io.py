"""Parity handlers for the multi-frame model's input/output components.

* `multi_frame_vae` (mf_vae): `encode_latents` -> z and every hidden state, then `decode_latents` -> pixels.
* `multi_frame_image_encoder` (mf_clip_vision_nonsquare): for both inputs the preprocessed pixels, the
  embeddings (nearest-resized position grid), last_hidden_state and image_embeds.
* `multi_frame_image_projection` (mf_resampler): the Resampler output.

Configs come from each case JSON; weights are loaded strictly (a missing or extra key fails the case).
Tolerances follow the reference README: 1e-5 x max|ref| for single forwards, 1e-4 for CLIP-vision (float32
antialiased bicubic resampling weights dominate there).
"""

from __future__ import annotations

from typing import Any

from .case import ParityCase, ParityHandler, ParityResult, relative_tolerance

FORWARD_REL = 1e-5
CLIP_VISION_REL = 1e-4


def _compare(case: str, output: str, ours: Any, reference: Any, rel: float) -> ParityResult:
    ref = reference.double()
    if tuple(ours.shape) != tuple(ref.shape):
        return ParityResult(
            case, output, float("inf"), 0.0, False, f"shape {tuple(ours.shape)} != {tuple(ref.shape)}"
        )
    err = float((ours.detach().double() - ref).abs().max()) if ref.numel() else 0.0
    if err != err:  # NaN
        err = float("inf")
    tol = relative_tolerance(float(ref.abs().max()) if ref.numel() else 0.0, rel)
    return ParityResult(case, output, err, tol, err <= tol)


def _load_strict(module: Any, case: ParityCase) -> Any:
    missing, unexpected = module.load_state_dict(case.weights(), strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{case.name}: weights do not fit {type(module).__name__}: "
            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    return module.eval()


def multi_frame_vae(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

    vae = _load_strict(VideoAutoencoderKL(**case.config), case)
    t = case.tensors()
    with torch.inference_mode():
        z, hidden = vae.encode_latents(t["input.frames"], return_hidden_states=True)
        # Decode from the REFERENCE hidden states so a decoder problem is not masked by/blamed on the encoder.
        ref_hidden = [t[f"output.hidden_states.{i}"] for i in range(len(hidden))]
        pixels = vae.decode_latents(t["input.latents_to_decode"], ref_hidden)
        pixels_own = vae.decode_latents(t["input.latents_to_decode"], hidden)
    results = [_compare(case.name, "output.z", z, t["output.z"], FORWARD_REL)]
    expected = sorted(k for k in t if k.startswith("output.hidden_states."))
    if len(expected) != len(hidden):
        results.append(
            ParityResult(
                case.name,
                "output.hidden_states",
                float("inf"),
                0.0,
                False,
                f"{len(hidden)} hidden states, reference has {len(expected)}",
            )  # fmt: skip
        )
    for i, h in enumerate(hidden):
        key = f"output.hidden_states.{i}"
        if key in t:
            results.append(_compare(case.name, key, h, t[key], FORWARD_REL))
    results.append(_compare(case.name, "output.pixels", pixels, t["output.pixels"], FORWARD_REL))
    own = _compare(case.name, "output.pixels", pixels_own, t["output.pixels"], FORWARD_REL)
    results.append(ParityResult(own.case, "output.pixels (own hidden states)", own.max_abs_err, own.tolerance,
                                own.passed, "decoded with our encoder's hidden states (end to end)"))  # fmt: skip
    return results


def multi_frame_image_encoder(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder, preprocess

    model = _load_strict(build_image_encoder(case.config), case)
    t = case.tensors()
    results: list[ParityResult] = []
    for key in sorted(k for k in t if k.startswith("input.pixel_values")):
        suffix = key[len("input.pixel_values") :].lstrip("_")  # "" or "large"
        prefix = f"output.{suffix}." if suffix else "output."
        x = t[key]
        with torch.inference_mode():
            outputs = {
                "preprocessed_pixels": preprocess(x * 0.5 + 0.5),
                "embeddings": model.embeddings(x),
            }
            out = model(x)
            outputs["last_hidden_state"] = out.last_hidden_state
            outputs["image_embeds"] = out.image_embeds
        for name, value in outputs.items():
            ref_key = prefix + name
            if ref_key in t:
                results.append(_compare(case.name, ref_key, value, t[ref_key], CLIP_VISION_REL))
    return results


def multi_frame_image_projection(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.multi_frame.resampler import Resampler

    model = _load_strict(Resampler(**case.config), case)
    t = case.tensors()
    with torch.inference_mode():
        out = model(t["input.x"])
    return [_compare(case.name, "output.image_cond", out, t["output.image_cond"], FORWARD_REL)]


HANDLERS: dict[str, ParityHandler] = {
    "multi_frame_vae": multi_frame_vae,
    "multi_frame_image_encoder": multi_frame_image_encoder,
    "multi_frame_image_projection": multi_frame_image_projection,
}
