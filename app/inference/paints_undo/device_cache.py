"""Tensors kept on the compute device within a byte budget, spilled to host memory LRU-first.

Why one class: a branch keeps two kinds of tensors for the next call on a GPU, its encodings
(`encodings.py`) and its segment latents and decoded frames (`device_frames.py`); both need the same
policy, so both are a `DeviceTensorCache`:

* on a GPU (CUDA/MPS) tensors stay **on the device** within `device_budget` bytes, so the next call
  starts without host->device copies; past the budget the least recently used entries **spill to host
  memory** (LRU first), and past `host_budget` the least recently used host entries are dropped (they
  are made again if needed);
* on a CPU the device is the host: one budget, entries dropped LRU first.

Entries are tuples of tensors that spill together. Where tensors live is decided by two move functions
(`to_device`, `to_host`), so tests use a fake device that records every move without a GPU; `stats`
counts hits, puts, spills and drops.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Self

import torch

MB = 1024 * 1024
CPU_BUDGET = 512 * MB  # host memory a branch keeps: two keyframes' VAE hidden states at the largest bucket
GPU_MIN_BUDGET = 64 * MB

Move = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class CacheStats:
    hits: int = 0
    encodes: int = 0  # misses: the caller made (encoded, decoded) the entry and `put` it
    spills: int = 0  # entries moved from the device to host memory
    drops: int = 0  # entries forgotten (host budget)
    encoded_keys: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    tensors: tuple[torch.Tensor, ...]
    nbytes: int
    on_device: bool


def _nbytes(tensors: Sequence[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _compact(t: torch.Tensor) -> torch.Tensor:
    """`t` in memory of its own size: a slice of a bigger tensor (one keyframe of a batch's encoding)
    would keep the whole batch's storage alive, and the budget counts only the slice."""
    if t.untyped_storage().nbytes() > t.numel() * t.element_size():
        return t.clone()
    return t


class DeviceTensorCache:
    """Tuples of tensors by key, on the device within `device_budget`, spilled to the host LRU-first
    (see the module docstring). `device_budget=0` keeps everything on the host (a CPU device)."""

    def __init__(
        self,
        device_budget: int,
        host_budget: int = CPU_BUDGET,
        to_device: Move | None = None,
        to_host: Move | None = None,
    ) -> None:
        self.device_budget = max(0, int(device_budget))
        self.host_budget = max(0, int(host_budget))
        self._to_device: Move = to_device or (lambda t: t)
        self._to_host: Move = to_host or (lambda t: t)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self.stats = CacheStats()

    @classmethod
    def for_device(cls, device: torch.device, usable_bytes: int, model_bytes: int) -> Self:
        """The cache for a branch on `device`: on CUDA/MPS a device budget of a tenth of what the
        models leave free (at least 64 MB), host budget `CPU_BUDGET`; on a CPU everything is host."""
        if device.type == "cpu":
            return cls(0, CPU_BUDGET)
        budget = max(GPU_MIN_BUDGET, (int(usable_bytes) - int(model_bytes)) // 10)
        return cls(
            budget,
            CPU_BUDGET,
            to_device=lambda t: t.to(device, non_blocking=True),
            to_host=lambda t: t.to("cpu"),
        )

    # -- reading and writing -----------------------------------------------------------------------
    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> tuple[torch.Tensor, ...] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        if not entry.on_device and self.device_budget >= entry.nbytes:
            self._make_room(entry.nbytes, keep=key)
            entry.tensors = tuple(self._to_device(t) for t in entry.tensors)
            entry.on_device = True
        return entry.tensors

    def put(self, key: str, tensors: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Keep `tensors` under `key` (on the device when the budget allows) and return them as kept."""
        self.stats.encodes += 1
        self.stats.encoded_keys.append(key)
        self._entries.pop(key, None)
        tensors = tuple(_compact(t) for t in tensors)
        nbytes = _nbytes(tensors)
        on_device = self.device_budget >= nbytes
        if on_device:
            self._make_room(nbytes, keep=key)
            kept = tuple(self._to_device(t) for t in tensors)
        else:
            kept = tuple(self._to_host(t) for t in tensors)
        self._entries[key] = _Entry(kept, nbytes, on_device)
        self._trim_host(keep=key)
        return kept

    def get_or_encode(
        self, key: str, encode: Callable[[], Sequence[torch.Tensor]]
    ) -> tuple[torch.Tensor, ...]:
        found = self.get(key)
        return found if found is not None else self.put(key, encode())

    # -- budgets ---------------------------------------------------------------------------------
    def device_bytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values() if e.on_device)

    def host_bytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values() if not e.on_device)

    def keys(self, on_device: bool | None = None) -> list[str]:
        """Keys, least recently used first (only those on the device / on the host when given)."""
        return [k for k, e in self._entries.items() if on_device is None or e.on_device == on_device]

    def _make_room(self, nbytes: int, keep: str) -> None:
        """Spill least recently used device entries to the host until `nbytes` more fit the budget."""
        for key in list(self._entries):
            if self.device_bytes() + nbytes <= self.device_budget:
                break
            entry = self._entries[key]
            if key == keep or not entry.on_device:
                continue
            entry.tensors = tuple(self._to_host(t) for t in entry.tensors)
            entry.on_device = False
            self.stats.spills += 1
        self._trim_host(keep=keep)

    def _trim_host(self, keep: str) -> None:
        for key in list(self._entries):
            if self.host_bytes() <= self.host_budget:
                break
            if key != keep and not self._entries[key].on_device:
                del self._entries[key]
                self.stats.drops += 1

    def discard(self, key: str) -> None:
        """Forget `key` (its tensors are freed once nobody else holds them)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
