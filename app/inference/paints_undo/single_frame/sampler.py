"""The single-frame sampler: the reference `KDiffusionSampler` maths (README "KDiffusionSampler"),
DPM-Solver++(2M) on Karras sigmas with classifier-free guidance, as a small maths module.

Same numbers as the reference, less work per step:
* positive and negative prompts go through the UNet in ONE call (stacked on the batch axis) instead
  of two; the image latent and undo steps are tiled inside the UNet, not copied per call;
* the sampler state `x` stays float32 even when the UNet runs in fp16/bf16 (only its input/output are
  cast), so a half-precision run drifts less than the reference's all-fp16 state;
* the text context is one tensor for the whole run, so a UNet prepared with the "context_memo" CPU
  technique projects it to each cross-attention's keys and values once, not once per step
  (`context_memo.py`; bit-identical).

Schedule (all as the reference, including where it rounds):
linear betas 0.00085..0.020 in float64 -> alphas_cumprod cast to float32 -> sigmas_train
= sqrt((1-a)/a); Karras rho=7 between sigmas_train[0] and sigmas_train[-1] over int(steps/strength)
points, the last `steps` (+ a trailing 0) kept; the UNet sees t = argmin |log sigma - log sigmas_train|
(int64) and x / sqrt(sigma^2 + 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.inference.context_memo import reuse_context_projections, wants_context_memo

# eps = model(x_in, t, context, concat, coded); x_in (N,4,h,w), t int64 (N,), context (N,77,C)
EpsModel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
StepCallback = Callable[[int, dict[str, torch.Tensor]], None]


@dataclass
class KarrasSchedule:
    """Training sigmas of the linear-beta schedule and the Karras inference sigmas over them."""

    linear_start: float = 0.00085
    linear_end: float = 0.020
    num_train_timesteps: int = 1000
    linear: bool = True
    rho: float = 7.0
    sigmas_train: torch.Tensor = field(init=False, repr=False)
    log_sigmas: torch.Tensor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.linear:
            betas = torch.linspace(
                self.linear_start, self.linear_end, self.num_train_timesteps, dtype=torch.float64
            )
        else:
            betas = (
                torch.linspace(
                    self.linear_start**0.5,
                    self.linear_end**0.5,
                    self.num_train_timesteps,
                    dtype=torch.float64,
                )
                ** 2
            )
        alphas_cumprod = torch.tensor(np.cumprod((1.0 - betas).numpy(), axis=0), dtype=torch.float32)
        self.sigmas_train = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        self.log_sigmas = self.sigmas_train.log()

    @property
    def sigma_min(self) -> torch.Tensor:
        return self.sigmas_train[0]

    @property
    def sigma_max(self) -> torch.Tensor:
        return self.sigmas_train[-1]

    def karras(self, n: int) -> torch.Tensor:
        ramp = torch.linspace(0, 1, n)
        min_inv_rho = self.sigma_min ** (1 / self.rho)
        max_inv_rho = self.sigma_max ** (1 / self.rho)
        sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** self.rho
        return torch.cat([sigmas, sigmas.new_zeros([1])])

    def set_timesteps(self, steps: int, strength: float = 1.0) -> torch.Tensor:
        """The `steps + 1` sigmas actually used, float32, ending at 0."""
        if steps < 1:
            raise ValueError("sampler steps must be >= 1")
        return self.karras(int(steps / strength))[-(steps + 1) :]

    def timestep(self, sigma: torch.Tensor) -> torch.Tensor:
        """int64 index of the nearest training sigma in log space (ties: the first)."""
        dists = sigma.log().cpu() - self.log_sigmas[:, None]
        return dists.abs().argmin(dim=0).view(sigma.shape).to(sigma.device)


class DPMPP2M:
    """DPM-Solver++(2M) state machine, diffusers style: `set_timesteps`, then `step` once per sigma.

    The first step and the step to sigma 0 are first order, so the result at sigma 0 is exactly the
    last `denoised` (as in the reference).
    """

    def __init__(self, schedule: KarrasSchedule | None = None) -> None:
        self.schedule = schedule or KarrasSchedule()
        self.sigmas = torch.zeros(0)
        self._old_denoised: torch.Tensor | None = None

    def set_timesteps(self, steps: int, strength: float = 1.0) -> torch.Tensor:
        self.sigmas = self.schedule.set_timesteps(steps, strength)
        self._old_denoised = None
        return self.sigmas

    def step(self, i: int, x: torch.Tensor, denoised: torch.Tensor) -> torch.Tensor:
        sigmas = self.sigmas
        t, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
        h = t_next - t
        ratio = (-t_next).exp() / (-t).exp()
        if self._old_denoised is None or sigmas[i + 1] == 0:
            x = ratio * x - (-h).expm1() * denoised
        else:
            h_last = t - (-sigmas[i - 1].log())
            r = h_last / h
            denoised_d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * self._old_denoised
            x = ratio * x - (-h).expm1() * denoised_d
        self._old_denoised = denoised
        return x


def start_latents(
    noise: torch.Tensor, batch: int, sigma0: torch.Tensor, initial_latent: torch.Tensor | None = None
) -> torch.Tensor:
    """`same_noise_in_batch`: ONE latent-shaped noise repeated over the batch of undo steps."""
    noise = noise.float()
    if noise.shape[0] == 1:
        noise = noise.repeat(batch, 1, 1, 1)
    base = (
        torch.zeros_like(noise) if initial_latent is None else initial_latent.float().repeat(batch, 1, 1, 1)
    )
    return base + noise * sigma0.to(noise)


def seeded_noise(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Noise from a CPU generator, so a seed gives the same frames on CPU, CUDA and MPS."""
    gen = torch.Generator("cpu").manual_seed(int(seed))
    return torch.randn(shape, generator=gen, dtype=torch.float32)


def cfg_eps(
    model: EpsModel,
    x_in: torch.Tensor,
    t: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    concat_conds: torch.Tensor,
    coded_conds: torch.Tensor,
    cfg: float,
    context: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(eps_positive, eps_negative) from ONE batched UNet call ([positive; negative] on the batch).
    `context`: `cfg_context(...)` built once by the caller, so every step passes the same tensor."""
    b = x_in.shape[0]
    if context is None:
        context = cfg_context(positive, negative, b, cfg)
    if cfg == 1.0:  # the negative branch cannot change the result: neg + 1*(pos-neg) == pos
        eps = model(x_in, t, context, concat_conds, coded_conds)
        return eps, eps
    eps = model(torch.cat([x_in, x_in]), torch.cat([t, t]), context, concat_conds, coded_conds)
    return eps[:b], eps[b:]


def cfg_context(positive: torch.Tensor, negative: torch.Tensor, batch: int, cfg: float) -> torch.Tensor:
    """The UNet's text context for a CFG call: [positive x batch; negative x batch] (positive only at
    cfg 1)."""
    if cfg == 1.0:
        return positive.expand(batch, -1, -1)
    return torch.cat([positive.expand(batch, -1, -1), negative.expand(batch, -1, -1)])


@torch.inference_mode()
def sample(
    model: EpsModel,
    noise: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    concat_conds: torch.Tensor,
    coded_conds: torch.Tensor,
    steps: int,
    cfg: float,
    *,
    model_dtype: torch.dtype = torch.float32,
    strength: float = 1.0,
    initial_latent: torch.Tensor | None = None,
    schedule: KarrasSchedule | None = None,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
    callback: StepCallback | None = None,
) -> torch.Tensor:
    """Denoise a batch of len(coded_conds) latents; returns float32 latents (B,4,h,w) at sigma 0.

    `noise` is one latent (1,4,h,w) (repeated over the batch) or already (B,4,h,w). `positive` and
    `negative` are (1,77,C) prompt embeddings. `callback(i, tensors)` sees every step's x, sigma, t,
    eps_positive, eps_negative and denoised (the parity runner records them).
    """
    device = concat_conds.device
    solver = DPMPP2M(schedule)
    sigmas = solver.set_timesteps(steps, strength).to(device)
    batch = int(coded_conds.shape[0])
    x = start_latents(
        noise.to(device), batch, sigmas[0], None if initial_latent is None else initial_latent.to(device)
    )
    pos = positive.to(device=device, dtype=model_dtype)
    neg = negative.to(device=device, dtype=model_dtype)
    concat = concat_conds.to(dtype=model_dtype)
    coded = coded_conds.to(device=device, dtype=torch.long)
    ones = x.new_ones([batch])
    context = cfg_context(pos, neg, batch, cfg)  # ONE tensor for the run: its projections are reused
    with reuse_context_projections(model, context, enabled=wants_context_memo(model)):
        for i in range(len(sigmas) - 1):
            cancel.raise_if_cancelled()
            sigma = sigmas[i] * ones
            t = solver.schedule.timestep(sigma)
            x_in = x / (sigma[:, None, None, None] ** 2 + 1.0) ** 0.5
            eps_pos, eps_neg = cfg_eps(model, x_in.to(model_dtype), t, pos, neg, concat, coded, cfg, context)
            eps_pos, eps_neg = eps_pos.float(), eps_neg.float()
            denoised = x - (eps_neg + cfg * (eps_pos - eps_neg)) * sigma[:, None, None, None]
            if callback is not None:
                callback(i, _step_record(x, sigma, t, eps_pos, eps_neg, denoised))
            x = solver.step(i, x, denoised)
            progress((i + 1) / (len(sigmas) - 1), f"Sampling step {i + 1}/{len(sigmas) - 1}")
    return x


def _step_record(x: Any, sigma: Any, t: Any, eps_pos: Any, eps_neg: Any, denoised: Any) -> dict[str, Any]:
    return {
        "x": x,
        "sigma": sigma,
        "t": t,
        "eps_positive": eps_pos,
        "eps_negative": eps_neg,
        "denoised": denoised,
    }
