"""The text context's key/value projections computed once per sampling run, not once per step.

Why: every cross-attention layer of the UNet projects the text context (77 tokens per prompt) to its
keys and values on every sampler step, although the context is the same tensor for the whole run. The
reference (diffusers' `AttnProcessor2_0`) recomputes them each time; here the sampler holds ONE context
tensor for its run, and inside `reuse_context_projections` each cross-attention's `to_k`/`to_v` returns
its output of the first step again whenever it is given that same tensor. Nothing else is cached and
nothing outlives the run, so the numbers are bit-identical and no memory stays behind (16 layers' keys
and values: about 30 MB at fp32 for a batch of 4). A CPU technique of `app/inference/cpu_tuning.py`
("context_memo"); measured by `bench/single_frame.py`'s `techniques`.

Written here because neither diffusers nor torch offers it: diffusers' processors take the context per
call and have no notion of a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

FLAG = "reuse_context_projections"  # the module attribute `cpu_tuning.prepare_module` sets


def wants_context_memo(model: Any) -> bool:
    """Whether `model` (a UNet the tuning prepared) asks its sampler to reuse context projections."""
    return bool(getattr(model, FLAG, False))


def set_context_memo(model: torch.nn.Module, on: bool) -> None:
    setattr(model, FLAG, bool(on))


class _Memo:
    """A Linear's forward that computes once for `context` and returns that output again for it."""

    def __init__(self, linear: torch.nn.Linear, context: torch.Tensor) -> None:
        self.linear = linear
        self.context = context
        self.output: torch.Tensor | None = None
        self.calls = 0  # projections actually computed (the tests count them)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x is not self.context:
            return torch.nn.Linear.forward(self.linear, x)
        if self.output is None:
            self.output = torch.nn.Linear.forward(self.linear, x)
            self.calls += 1
        return self.output


def context_projections(model: torch.nn.Module) -> list[torch.nn.Linear]:
    """The `to_k`/`to_v` Linears of every cross-attention in `model` (diffusers `Attention` modules
    whose keys come from an encoder context and are not normalised first)."""
    found: list[torch.nn.Linear] = []
    for module in model.modules():
        if not getattr(module, "is_cross_attention", False) or getattr(module, "norm_cross", None):
            continue
        for name in ("to_k", "to_v"):
            linear = getattr(module, name, None)
            if type(linear) is torch.nn.Linear:  # a subclass (LoRA, quantised) keeps its own forward
                found.append(linear)
    return found


@contextmanager
def reuse_context_projections(
    model: Any, context: torch.Tensor, enabled: bool = True
) -> Iterator[list[_Memo]]:
    """Within the block, `model`'s cross-attention keys/values of `context` are computed once. Yields
    the memos (empty when disabled or `model` is not a module); the Linears are restored on exit."""
    memos: list[_Memo] = []
    if enabled and isinstance(model, torch.nn.Module):
        memos = [_Memo(linear, context) for linear in context_projections(model)]
    for memo in memos:
        memo.linear.forward = memo
    try:
        yield memos
    finally:
        for memo in memos:
            del memo.linear.forward
            memo.output = None
