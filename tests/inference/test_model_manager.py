"""ModelManager: lazy loading, LRU eviction within a byte budget, pinning, thread safety.

A fake CUDA DeviceInfo plus a bookkeeping mover makes eviction decisions testable on a CPU machine.
"""

from __future__ import annotations

import threading

import pytest
import torch

from app.errors import EngineError
from app.inference.devices import DeviceInfo
from app.inference.model_manager import ModelManager, module_bytes

FAKE_GPU = DeviceInfo("cuda", "Fake GPU", 1000, 1000, True, True)
CPU = DeviceInfo("cpu", "CPU", 1000, 1000, False, False)


class Moves:
    """Records moves instead of performing them."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.where: dict[int, str] = {}

    def __call__(self, module: torch.nn.Module, target: str) -> torch.nn.Module:
        self.log.append((module.tag, target))
        self.where[id(module)] = target
        return module


def make(tag: str, loads: list[str]):
    def loader() -> torch.nn.Module:
        loads.append(tag)
        module = torch.nn.Linear(2, 2)
        module.tag = tag
        return module

    return loader


@pytest.fixture
def setup():
    moves, loads = Moves(), []
    manager = ModelManager(FAKE_GPU, budget_bytes=100, mover=moves)
    for name, size in (("a", 40), ("b", 40), ("c", 40)):
        manager.register(name, make(name, loads), size_bytes=size)
    return manager, moves, loads


def test_loads_lazily_once(setup) -> None:
    manager, moves, loads = setup
    assert loads == [] and manager.resident() == []
    with manager.use("a") as a:
        assert a.tag == "a"
    with manager.use("a"):
        pass
    assert loads == ["a"] and moves.log == [("a", "cuda:0")]
    assert manager.resident() == ["a"] and manager.device_bytes() == 40


def test_evicts_least_recently_used_to_cpu(setup) -> None:
    manager, moves, _ = setup
    for name in ("a", "b", "a", "c"):  # b is now least recently used
        with manager.use(name):
            pass
    assert manager.resident() == ["a", "c"]
    assert manager.location("b") == "cpu"
    assert ("b", "cpu") in moves.log and manager.device_bytes() == 80
    with manager.use("b"):  # back from CPU without reloading
        pass
    assert manager.resident() == ["c", "b"] and manager.location("a") == "cpu"


def test_headroom_counts_against_budget() -> None:
    moves, loads = Moves(), []
    manager = ModelManager(FAKE_GPU, budget_bytes=100, headroom_bytes=30, mover=moves)
    manager.register("a", make("a", loads), 40)
    manager.register("b", make("b", loads), 40)
    with manager.use("a"):
        pass
    with manager.use("b"):
        pass
    assert manager.resident() == ["b"]  # 80 > 100 - 30


def test_models_in_use_are_never_evicted(setup) -> None:
    manager, _, _ = setup
    with manager.use("a"), manager.use("b"), manager.use("c"):
        assert set(manager.resident()) == {"a", "b", "c"}  # over budget rather than evict a pinned model
    with manager.use("a"):
        pass
    assert manager.device_bytes() <= 100
    with manager.use("a"), pytest.raises(EngineError, match="in use"):
        manager.unload("a")


def test_cpu_device_drops_instead_of_offloading() -> None:
    loads: list[str] = []
    manager = ModelManager(CPU, budget_bytes=100, mover=Moves())
    for name in ("a", "b", "c"):
        manager.register(name, make(name, loads), 40)
        with manager.use(name):
            pass
    assert manager.resident() == ["b", "c"] and manager.loaded() == ["b", "c"]
    with manager.use("a"):
        pass
    assert loads == ["a", "b", "c", "a"]  # dropped models reload


def test_size_measured_when_not_given() -> None:
    manager = ModelManager(FAKE_GPU, budget_bytes=10**6, mover=Moves())
    manager.register("x", make("x", []))
    with manager.use("x") as module:
        assert manager.device_bytes() == module_bytes(module) == 6 * 4


def test_unload_all_and_unknown_name(setup) -> None:
    manager, _, loads = setup
    with manager.use("a"):
        pass
    manager.unload_all()
    assert manager.loaded() == []
    with manager.use("a"):
        pass
    assert loads == ["a", "a"]
    with pytest.raises(EngineError, match="not registered"), manager.use("zzz"):
        pass


def test_offload_all_moves_to_cpu(setup) -> None:
    manager, _, _ = setup
    with manager.use("a"):
        pass
    manager.offload_all()
    assert manager.resident() == [] and manager.location("a") == "cpu"


def test_real_move_on_cpu_keeps_module_usable() -> None:
    manager = ModelManager(CPU, budget_bytes=10**6)
    manager.register("lin", lambda: torch.nn.Linear(3, 1))
    with manager.use("lin") as lin:
        assert lin(torch.ones(1, 3)).shape == (1, 1)


def test_thread_safety_keeps_budget() -> None:
    moves = Moves()
    manager = ModelManager(FAKE_GPU, budget_bytes=100, mover=moves)
    for i in range(6):
        manager.register(f"m{i}", make(f"m{i}", []), 30)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            for j in range(200):
                with manager.use(f"m{(seed + j) % 6}"):
                    pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert manager.device_bytes() <= 100
    resident = set(manager.resident())
    assert all(moves.where[id(manager._entries[n].module)] == "cuda:0" for n in resident)
