"""The text context's key/value projections are computed once per sampling run (the "context_memo"
CPU technique), with bit-identical latents and nothing left patched or held afterwards."""

from __future__ import annotations

import pytest
import torch
from test_single_frame_tiny import make_components

from app.inference.context_memo import (
    context_projections,
    reuse_context_projections,
    set_context_memo,
    wants_context_memo,
)
from app.inference.cpu_tuning import CpuTuning, choose_cpu_tuning, prepare_module
from app.inference.paints_undo.single_frame.sampler import sample


@pytest.fixture(scope="module")
def unet(tmp_path_factory: pytest.TempPathFactory) -> torch.nn.Module:
    return make_components(tmp_path_factory.mktemp("memo"))["unet"]


def _inputs() -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(3)
    noise = torch.randn(1, 4, 4, 4, generator=gen)
    pos, neg = torch.randn(1, 77, 16, generator=gen), torch.randn(1, 77, 16, generator=gen)
    concat = torch.randn(1, 4, 4, 4, generator=gen)
    return noise, pos, neg, concat, torch.tensor([400, 900])


def _count_projections(unet: torch.nn.Module, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls of every context to_k/to_v (through Linear's class forward)."""
    calls = [0]
    original = torch.nn.Linear.forward
    targets = {id(m) for m in context_projections(unet)}

    def counting(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
        calls[0] += id(self) in targets
        return original(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", counting)
    return calls


def test_the_tiny_unet_has_context_projections(unet: torch.nn.Module) -> None:
    found = context_projections(unet)
    assert found and len(found) % 2 == 0
    assert all(type(m) is torch.nn.Linear for m in found)


def test_sampling_with_the_memo_is_bit_identical_and_projects_once(
    unet: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _inputs()
    steps, layers = 4, len(context_projections(unet))
    calls = _count_projections(unet, monkeypatch)
    results, counts = {}, {}
    for on in (False, True):
        set_context_memo(unet, on)
        calls[0] = 0
        results[on] = sample(unet, *args, steps=steps, cfg=3.0)
        counts[on] = calls[0]
    set_context_memo(unet, False)
    assert torch.equal(results[True], results[False])  # bit-identical
    assert counts[False] == steps * layers  # the reference way: every step projects again
    assert counts[True] == layers  # once per run


def test_the_memo_leaves_nothing_behind(unet: torch.nn.Module) -> None:
    context = torch.randn(2, 77, 16)
    with torch.inference_mode(), reuse_context_projections(unet, context) as memos:
        assert memos and all(m.linear.forward is m for m in memos)
        layer = memos[0].linear
        first = layer(context)
        assert layer(context) is first  # the same tensor: the stored output
        other = layer(context.clone())  # another tensor, even with equal values: computed
        assert other is not first and torch.equal(other, first)
    assert all("forward" not in m.linear.__dict__ and m.output is None for m in memos)


def test_the_memo_is_restored_when_sampling_fails(unet: torch.nn.Module) -> None:
    context = torch.randn(2, 77, 16)
    with pytest.raises(RuntimeError), reuse_context_projections(unet, context):
        raise RuntimeError("cancelled mid-run")
    assert all("forward" not in m.__dict__ for m in context_projections(unet))


def test_disabled_or_not_a_module_changes_nothing(unet: torch.nn.Module) -> None:
    context = torch.randn(2, 77, 16)
    with reuse_context_projections(unet, context, enabled=False) as memos:
        assert memos == []
    with reuse_context_projections(lambda *a: a, context) as memos:
        assert memos == []


def test_the_policy_prepares_the_unet_for_it(unet: torch.nn.Module) -> None:
    assert choose_cpu_tuning("cpu").context_memo
    assert not choose_cpu_tuning("cuda").context_memo
    prepare_module(unet, CpuTuning(context_memo=True))
    assert wants_context_memo(unet)
    prepare_module(unet, CpuTuning())
    assert not wants_context_memo(unet)
