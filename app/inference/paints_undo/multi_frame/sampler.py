"""Dynamic-TSNR sampler of the multi-frame model (reference `SamplerDynamicTSNR`), same maths, faster call.

Schedule: scaled-linear betas 0.00085..0.012 (float64), `rescale_zero_terminal_snr` (so
`alphas_cumprod[999] == 0`), buffers cast to float32. Sampling: v-prediction, DDIM with eta=1 over
uniform trailing timesteps (high -> low), `pred_x0 *= scale[t_prev] / scale[t]` with a scale ramp
1 -> 0.7 over t=0..399, CFG followed by `rescale_noise_cfg(0.7)` (unbiased std over non-batch dims). The
last step's "previous" timestep is 0, so noise is added even at the last step, exactly as the reference.

Differences from the reference, none of which changes its numbers where it is finite:
* positive and negative conditions go through the UNet as ONE batch of 2b (the reference makes two calls);
* the DDIM direction term `sqrt(1 - a_prev - sigma_t^2)` has its argument clamped at 0. At t=999 the
  argument is 0 in exact arithmetic but rounds slightly negative for some step counts (fp32: 6 and 25),
  which makes the reference's whole video NaN;
* the sampler arithmetic always runs in float32 whatever the UNet's dtype (inputs are cast for the UNet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress

# step index, x before the step, t given to the UNet (float32, b), model output after CFG + rescale
StepCallback = Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], None]
# step index, tensor to imitate -> standard normal noise of its shape/dtype/device
NoiseSource = Callable[[int, torch.Tensor], torch.Tensor]


def rescale_zero_terminal_snr(betas: np.ndarray) -> np.ndarray:
    """Shift/scale sqrt(alphas_cumprod) so the last one is exactly 0 and the first one is unchanged."""
    sqrt_ab = np.sqrt(np.cumprod(1.0 - betas, axis=0))
    first, last = sqrt_ab[0].copy(), sqrt_ab[-1].copy()
    sqrt_ab = (sqrt_ab - last) * (first / (first - last))
    ab = sqrt_ab**2
    alphas = np.concatenate([ab[0:1], ab[1:] / ab[:-1]])
    return 1 - alphas


def rescale_noise_cfg(
    noise_cfg: torch.Tensor, noise_pred_text: torch.Tensor, guidance_rescale: float
) -> torch.Tensor:
    """Blend the CFG result with a copy rescaled to the positive prediction's std (fixes over-exposure)."""
    dims = list(range(1, noise_pred_text.ndim))
    std_text = noise_pred_text.std(dim=dims, keepdim=True)
    std_cfg = noise_cfg.std(dim=dims, keepdim=True)
    rescaled = noise_cfg * (std_text / std_cfg)
    return guidance_rescale * rescaled + (1 - guidance_rescale) * noise_cfg


@dataclass(frozen=True)
class VideoCondition:
    """One side of CFG for `UNet3DModel.forward`: text `(b,77,C)`, image `(b,t,L,C)`, concat `(b,4,t,h,w)`, fs `(b,)`."""

    context_text: torch.Tensor
    context_img: torch.Tensor
    concat_cond: torch.Tensor
    fs: torch.Tensor

    def as_kwargs(self) -> dict[str, torch.Tensor]:
        return {
            "context_text": self.context_text,
            "context_img": self.context_img,
            "concat_cond": self.concat_cond,
            "fs": self.fs,
        }

    @staticmethod
    def stack(first: VideoCondition, second: VideoCondition) -> VideoCondition:
        """Both sides along the batch dimension (first, then second): one UNet call for CFG."""
        return VideoCondition(
            *(
                torch.cat([a, b])
                for a, b in zip(
                    (first.context_text, first.context_img, first.concat_cond, first.fs),
                    (second.context_text, second.context_img, second.concat_cond, second.fs),
                    strict=True,
                )
            )
        )


class DynamicTSNRSampler:
    """See module docstring. Buffers are float32 CPU tensors; `sample` moves what it needs to x's device."""

    def __init__(
        self,
        num_train_timesteps: int = 1000,
        linear_start: float = 0.00085,
        linear_end: float = 0.012,
        terminal_scale: float = 0.7,
        turning_step: int = 400,
        guidance_rescale: float = 0.7,
        eta: float = 1.0,
    ) -> None:
        self.num_train_timesteps = num_train_timesteps
        self.guidance_rescale = guidance_rescale
        self.eta = eta
        betas = np.linspace(linear_start**0.5, linear_end**0.5, num_train_timesteps, dtype=np.float64) ** 2
        alphas_cumprod = np.cumprod(1.0 - rescale_zero_terminal_snr(betas), axis=0)
        self.alphas_cumprod = torch.tensor(alphas_cumprod, dtype=torch.float32)
        self.sqrt_alphas_cumprod = torch.tensor(np.sqrt(alphas_cumprod), dtype=torch.float32)
        self.sqrt_one_minus_alphas_cumprod = torch.tensor(np.sqrt(1.0 - alphas_cumprod), dtype=torch.float32)
        scale = np.concatenate(
            [
                np.linspace(1.0, terminal_scale, turning_step),
                np.full(num_train_timesteps - turning_step, terminal_scale),
            ]
        )
        self.scale_arr = torch.tensor(scale, dtype=torch.float32)

    def timesteps(self, steps: int) -> torch.Tensor:
        """Uniform trailing timesteps, ascending (e.g. [249, 499, 749, 999] for 4); sampling runs them reversed."""
        if steps < 1:
            raise ValueError("steps must be at least 1")
        c = self.num_train_timesteps / steps
        return torch.tensor(
            np.flip(np.round(np.arange(self.num_train_timesteps, 0, -c))).astype(np.int64) - 1
        )

    def step_coefficients(self, steps: int) -> dict[str, torch.Tensor]:
        """Per-step float32 coefficients in the reference's exact operation order (index = ascending position)."""
        ts = self.timesteps(steps)
        prev = torch.nn.functional.pad(ts[:-1], (1, 0))
        a, a_prev = self.alphas_cumprod[ts], self.alphas_cumprod[prev]
        # The reference evaluates `np.sqrt(ndarray / tensor * (1 - tensor / ndarray))`: torch turns the
        # reflected division into reciprocal-then-multiply and numpy takes the square root. We keep exactly
        # that float32 operation order, so the sigmas (and the first-step NaN cases) are bit-identical.
        ratio = torch.reciprocal(1 - a) * (1 - a_prev)
        sigma = torch.from_numpy(np.sqrt((ratio * (1 - a / a_prev)).numpy())) * self.eta
        dir_arg = 1.0 - a_prev - sigma**2
        return {
            "timesteps": ts,
            "timesteps_prev": prev,
            "alphas_prev": a_prev,
            "sigmas": sigma,
            "scale": self.scale_arr[ts],
            "scale_prev": self.scale_arr[prev],
            "dir_arg_unclamped": dir_arg,
        }

    def model_output(
        self,
        unet: Callable[..., torch.Tensor],
        x: torch.Tensor,
        t: torch.Tensor,
        positive: VideoCondition,
        negative: VideoCondition,
        guidance_scale: float,
        batched: bool = True,
    ) -> torch.Tensor:
        """CFG + guidance rescale. `batched`: one UNet call on 2b samples (ours) instead of two (reference)."""
        dtype = _module_dtype(unet, x.dtype)
        xin, tin = x.to(dtype), t
        if batched:
            both = VideoCondition.stack(positive, negative)
            out = unet(torch.cat([xin, xin]), torch.cat([tin, tin]), **_cast(both.as_kwargs(), dtype)).float()
            p, n = out.chunk(2)
        else:
            p = unet(xin, tin, **_cast(positive.as_kwargs(), dtype)).float()
            n = unet(xin, tin, **_cast(negative.as_kwargs(), dtype)).float()
        o = n + guidance_scale * (p - n)
        return rescale_noise_cfg(o, p, self.guidance_rescale)

    @torch.no_grad()
    def sample(
        self,
        unet: Callable[..., torch.Tensor],
        positive: VideoCondition,
        negative: VideoCondition,
        steps: int,
        guidance_scale: float,
        initial_noise: torch.Tensor | None = None,
        noise: NoiseSource | None = None,
        generator: torch.Generator | None = None,
        batched_cfg: bool = True,
        cancel: CancelToken = NEVER_CANCELLED,
        progress: ProgressCallback = no_progress,
        on_step: StepCallback | None = None,
    ) -> torch.Tensor:
        """Run the chain from pure noise; returns float32 latents shaped like `positive.concat_cond`.

        `initial_noise`/`noise` inject recorded draws (parity); otherwise both come from `generator`.
        """
        shape = positive.concat_cond.shape
        device = positive.concat_cond.device
        if initial_noise is None:
            initial_noise = torch.randn(
                shape, generator=generator, device=generator.device if generator else "cpu"
            )
        x = initial_noise.to(device=device, dtype=torch.float32)
        if noise is None:

            def noise(_i: int, like: torch.Tensor) -> torch.Tensor:
                draw = torch.randn(
                    like.shape,
                    generator=generator,
                    device=generator.device if generator else "cpu",
                    dtype=torch.float32,
                )
                return draw.to(like.device)

        k = {name: value.to(device) for name, value in self.step_coefficients(steps).items()}
        sqrt_ac, sqrt_1m_ac = (
            self.sqrt_alphas_cumprod.to(device),
            self.sqrt_one_minus_alphas_cumprod.to(device),
        )
        bcast = (1,) * x.ndim
        ones = torch.ones(x.shape[0], device=device)
        for i in range(steps):
            cancel.raise_if_cancelled()
            index = steps - 1 - i
            t = int(k["timesteps"][index])
            t_in = t * ones
            v = self.model_output(unet, x, t_in, positive, negative, guidance_scale, batched=batched_cfg)
            if on_step is not None:
                on_step(i, x, t_in, v)
            e_t = sqrt_ac[t] * v + sqrt_1m_ac[t] * x
            pred_x0 = sqrt_ac[t] * x - sqrt_1m_ac[t] * v
            pred_x0 = pred_x0 * (k["scale_prev"][index] / k["scale"][index]).view(bcast)
            a_prev = k["alphas_prev"][index].view(bcast)
            sigma = k["sigmas"][index].view(bcast)
            dir_xt = (1.0 - a_prev - sigma**2).clamp(min=0).sqrt() * e_t  # THE NaN fix: clamp at 0
            x = a_prev.sqrt() * pred_x0 + dir_xt + sigma * noise(i, x)
            progress((i + 1) / steps, f"Denoising step {i + 1}/{steps}")
        return x


def _module_dtype(unet: Any, default: torch.dtype) -> torch.dtype:
    dtype = getattr(unet, "dtype", None)
    return dtype if isinstance(dtype, torch.dtype) else default


def _cast(kwargs: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in kwargs.items()}
