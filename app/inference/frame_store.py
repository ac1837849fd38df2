"""Generated frames kept on the compute device within a byte budget, spilling to CPU memory.

Why: the multi-frame stage reuses keyframes as conditioning and the UI needs them as numpy; keeping
recent frames as uint8 tensors on the GPU avoids a host round trip per reuse, but GPU memory is the
scarce resource, so the device tier is a byte-budget LRU whose evictions spill to a CPU tier (numpy,
its own budget) before being dropped. On a CPU device there is only the numpy tier and torch is never
imported. Implements the core's `FrameStore` protocol (app/core/frame_cache.py) with the same
replacing rule: a frame never replaces a better kind of frame for the same key.

Public API:
    store = DeviceFrameStore(budget_bytes, device=None, spill_budget_bytes=0)
    store.put(key, frame: Frame) -> bool           # False: too big for both tiers, or a better kind is there
    store.get(key) -> Frame | None                 # pixels: read-only numpy (copied from the device if needed)
    store.get_tensor(key) -> torch.Tensor | None   # (H, W, 3) uint8 on the device, promoted from the CPU tier
    store.contains(key) / key in store; store.discard(key); store.clear(); store.keys(); len(store)
    store.bytes_used (both tiers), store.budget_bytes (device tier), store.spill_budget_bytes,
    store.device_bytes_used(), store.host_bytes_used()
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.frames import Frame, FrameKey, FrameKind
from app.inference.devices import DeviceInfo


@dataclass(frozen=True, slots=True)
class _Stored:
    pixels: Any  # np.ndarray (host) or torch.Tensor (device)
    step: int
    kind: FrameKind
    nbytes: int


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class _Tier:
    """A byte-budget LRU (not thread-safe; the store locks)."""

    def __init__(self, budget: int) -> None:
        self.budget = int(budget)
        self.items: OrderedDict[Hashable, _Stored] = OrderedDict()
        self.used = 0

    def fits(self, item: _Stored) -> bool:
        return item.nbytes <= self.budget

    def put(self, key: Hashable, item: _Stored) -> list[tuple[Hashable, _Stored]]:
        """Insert as most recent (caller checked `fits`); return evicted pairs, oldest first."""
        self.pop(key)
        self.items[key] = item
        self.used += item.nbytes
        evicted = []
        while self.used > self.budget:
            old_key, old = self.items.popitem(last=False)
            self.used -= old.nbytes
            evicted.append((old_key, old))
        return evicted

    def get(self, key: Hashable) -> _Stored | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def pop(self, key: Hashable) -> _Stored | None:
        item = self.items.pop(key, None)
        if item is not None:
            self.used -= item.nbytes
        return item


class DeviceFrameStore:
    def __init__(
        self, budget_bytes: int, device: DeviceInfo | None = None, spill_budget_bytes: int = 0
    ) -> None:
        if budget_bytes < 0 or spill_budget_bytes < 0:
            raise ValueError("budgets must be >= 0")
        self.device = device
        self.on_device = device is not None and device.kind != "cpu"
        self._device = _Tier(budget_bytes)
        self._host = _Tier(spill_budget_bytes if self.on_device else 0)
        self._lock = threading.Lock()

    @property
    def budget_bytes(self) -> int:
        return self._device.budget

    @property
    def spill_budget_bytes(self) -> int:
        return self._host.budget

    @property
    def bytes_used(self) -> int:
        with self._lock:
            return self._device.used + self._host.used

    def device_bytes_used(self) -> int:
        with self._lock:
            return self._device.used

    def host_bytes_used(self) -> int:
        with self._lock:
            return self._host.used

    # ----------------------------------------------------------------------------- conversions
    def _upload(self, pixels: Any) -> Any:
        if not self.on_device:
            return _readonly(self._download(pixels))
        import torch

        if isinstance(pixels, np.ndarray):
            pixels = torch.from_numpy(np.require(pixels, requirements=["C", "W"]))  # copies read-only arrays
        return pixels.to(self.device.torch_device)  # type: ignore[union-attr]

    @staticmethod
    def _download(pixels: Any) -> np.ndarray:
        if isinstance(pixels, np.ndarray):
            return pixels
        return pixels.detach().to("cpu").numpy()

    def _spill(self, evicted: list[tuple[Hashable, _Stored]]) -> None:
        for key, item in evicted:
            if self.on_device and self._host.fits(item):
                host = _Stored(_readonly(self._download(item.pixels)), item.step, item.kind, item.nbytes)
                self._host.put(key, host)  # what the host tier evicts is dropped

    # ------------------------------------------------------------------------------- protocol
    def put(self, key: FrameKey, frame: Frame) -> bool:
        pixels = frame.pixels
        ok = (
            pixels.dtype == np.uint8 if isinstance(pixels, np.ndarray) else str(pixels.dtype) == "torch.uint8"
        )
        if not ok:
            raise ValueError(f"frame pixels must be uint8, got {pixels.dtype}")
        nbytes = int(pixels.nbytes) if isinstance(pixels, np.ndarray) else int(pixels.numel())
        with self._lock:
            old = self._device.items.get(key) or self._host.items.get(key)
            if old is not None and old.kind.rank < frame.kind.rank:
                return False
            probe = _Stored(None, frame.step, frame.kind, nbytes)
            if not self._device.fits(probe) and not self._host.fits(probe):
                return False
        stored = _Stored(
            self._upload(pixels) if self._device.fits(probe) else None, frame.step, frame.kind, nbytes
        )
        with self._lock:
            self._device.pop(key)
            self._host.pop(key)
            if stored.pixels is not None:
                self._spill(self._device.put(key, stored))
            else:  # larger than the device budget but fits the host tier
                self._host.put(
                    key, _Stored(_readonly(self._download(pixels)), frame.step, frame.kind, nbytes)
                )
        return True

    def get(self, key: FrameKey) -> Frame | None:
        with self._lock:
            item = self._device.get(key) or self._host.get(key)
        if item is None:
            return None
        pixels = (
            item.pixels if isinstance(item.pixels, np.ndarray) else _readonly(self._download(item.pixels))
        )
        return Frame(pixels, item.step, item.kind)

    def get_tensor(self, key: FrameKey) -> Any:
        """(H, W, 3) uint8 tensor on the device; a spilled frame moves back to the device tier."""
        import torch

        with self._lock:
            item = self._device.get(key)
        if item is None:
            frame = self.get(key)
            if frame is None:
                return None
            self.put(key, frame)
            with self._lock:
                item = self._device.get(key)
            if item is None:  # larger than the device budget: a temporary copy
                return torch.from_numpy(np.array(frame.pixels)).to(
                    self.device.torch_device if self.device else "cpu"
                )
        if isinstance(item.pixels, np.ndarray):
            return torch.from_numpy(np.array(item.pixels))
        return item.pixels

    def contains(self, key: FrameKey) -> bool:
        with self._lock:
            return key in self._device.items or key in self._host.items

    def __contains__(self, key: object) -> bool:
        return self.contains(key)  # type: ignore[arg-type]

    def discard(self, key: FrameKey) -> None:
        with self._lock:
            self._device.pop(key)
            self._host.pop(key)

    def clear(self) -> None:
        with self._lock:
            self._device = _Tier(self._device.budget)
            self._host = _Tier(self._host.budget)

    def keys(self) -> list[FrameKey]:
        """Snapshot, CPU tier first, then device tier, least recently used first within each."""
        with self._lock:
            return list(self._host.items) + list(self._device.items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._device.items) + len(self._host.items)
