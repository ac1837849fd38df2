"""The only code that moves models between devices (design §2, §9 "ComfyUI").

Why one owner: when every pipeline moved its own modules, two stages could each think the GPU was
theirs and run out of memory. Here models are registered with a loader; `use(name)` loads on first
use, moves the model to the device and, to stay within the byte budget (minus headroom), first moves
the least-recently-used idle models back to CPU RAM (or drops them, on a CPU device or when
`offload_to_cpu=False`). Models in use are pinned and never evicted. Thread-safe (one re-entrant lock
around the bookkeeping; loading and moving happen under it so two threads never move the same model).

Public API:
    manager = ModelManager(device_info, budget_bytes, headroom_bytes=0, offload_to_cpu=True, mover=None)
    manager.register("single_frame_unet", loader, size_bytes=None)   # loader: () -> nn.Module
    with manager.use("single_frame_unet") as unet: ...               # on the device while inside
    manager.resident() -> list[str]      # on the device, least recently used first
    manager.loaded() -> list[str]        # in memory anywhere (device or CPU)
    manager.device_bytes() -> int; manager.unload(name); manager.unload_all(); manager.offload_all()

`mover(module, target)` moves a module to "cpu" or the device string and returns it; the default
calls `module.to(target)`. Tests pass a bookkeeping mover to exercise eviction on a CPU-only machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.errors import DeviceError, EngineError
from app.inference.devices import DeviceInfo

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)
Mover = Callable[[Any, str], Any]


def module_bytes(module: Any) -> int:
    """Bytes of a module's parameters and buffers at their current dtypes."""
    total = 0
    for tensor in list(module.parameters()) + list(module.buffers()):
        total += tensor.numel() * tensor.element_size()
    return total


def _default_mover(module: Any, target: str) -> Any:
    return module.to(target)


@dataclass
class _Entry:
    loader: Callable[[], torch.nn.Module]
    size_bytes: int | None
    module: Any = None
    location: str | None = None  # None (not loaded), "cpu" or the device string
    pins: int = 0
    last_used: int = 0


class ModelManager:
    def __init__(
        self,
        device: DeviceInfo,
        budget_bytes: int,
        *,
        headroom_bytes: int = 0,
        offload_to_cpu: bool = True,
        mover: Mover | None = None,
    ) -> None:
        self.device = device
        self.target = device.torch_device
        self.budget_bytes = int(budget_bytes)
        self.headroom_bytes = int(headroom_bytes)
        # On a CPU device "offloading to CPU" would keep everything: drop instead.
        self.offload_to_cpu = offload_to_cpu and device.kind != "cpu"
        self._move = mover or _default_mover
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        self._clock = 0

    # ------------------------------------------------------------------ registration and queries
    def register(
        self, name: str, loader: Callable[[], torch.nn.Module], size_bytes: int | None = None
    ) -> None:
        """Register (or replace, dropping the old module) a model. Nothing is loaded yet."""
        with self._lock:
            old = self._entries.get(name)
            if old is not None and old.pins:
                raise EngineError(
                    f"Model '{name}' is in use and cannot be replaced.", "Try again when it is idle."
                )
            self._entries[name] = _Entry(loader, size_bytes)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def resident(self) -> list[str]:
        """Models on the device, least recently used first."""
        with self._lock:
            on = [(e.last_used, n) for n, e in self._entries.items() if e.location == self.target]
            return [n for _, n in sorted(on)]

    def loaded(self) -> list[str]:
        with self._lock:
            return [n for n, e in self._entries.items() if e.location is not None]

    def location(self, name: str) -> str | None:
        with self._lock:
            return self._entry(name).location

    def device_bytes(self) -> int:
        with self._lock:
            return sum(self._size(e) for e in self._entries.values() if e.location == self.target)

    @property
    def limit_bytes(self) -> int:
        return max(0, self.budget_bytes - self.headroom_bytes)

    # ------------------------------------------------------------------------------- use
    @contextmanager
    def use(self, name: str) -> Iterator[Any]:
        """The model on the device for the duration of the block (pinned: never evicted meanwhile)."""
        with self._lock:
            entry = self._entry(name)
            self._clock += 1
            entry.last_used = self._clock
            if entry.location != self.target:
                self._bring_to_device(name, entry)
            elif self.device_bytes() > self.limit_bytes:  # left over budget by earlier pinned loads
                self._make_room(self._size(entry), exclude=name)
            entry.pins += 1
            module = entry.module
        try:
            yield module
        finally:
            with self._lock:
                entry.pins -= 1

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise EngineError(
                f"Model '{name}' is not registered.", "This is a bug; please report it."
            ) from None

    def _size(self, entry: _Entry) -> int:
        if entry.size_bytes is None and entry.module is not None:
            entry.size_bytes = module_bytes(entry.module)
        return entry.size_bytes or 0

    def _bring_to_device(self, name: str, entry: _Entry) -> None:
        if entry.module is None:
            log.info("loading model %s", name)
            entry.module = entry.loader()
            entry.location = "cpu" if self.target != "cpu" else self.target
        need = self._size(entry)
        self._make_room(need, exclude=name)
        if self._used(exclude=name) + need > self.limit_bytes:
            log.warning(
                "model %s (%d MB) exceeds the device budget; loading it anyway with %d MB resident",
                name,
                need // 2**20,
                self._used(exclude=name) // 2**20,
            )
        if entry.location != self.target:
            try:
                entry.module = self._move(entry.module, self.target)
            except RuntimeError as exc:  # CUDA/MPS out of memory surfaces as RuntimeError subclasses
                raise DeviceError(
                    f"Not enough memory on {self.device.name} to load '{name}': {exc}",
                    "Close other GPU programs, or choose the CPU device.",
                ) from exc
            entry.location = self.target

    def _used(self, exclude: str) -> int:
        return sum(
            self._size(e) for n, e in self._entries.items() if n != exclude and e.location == self.target
        )

    def _make_room(self, need: int, exclude: str) -> None:
        """Evict idle models, least recently used first, until `need` more bytes fit the limit."""
        idle = sorted(
            (e.last_used, n)
            for n, e in self._entries.items()
            if n != exclude and e.location == self.target and e.pins == 0
        )
        for _, victim in idle:
            if self._used(exclude) + need <= self.limit_bytes:
                break
            self._evict(victim)
        self._release_cache()

    def _evict(self, name: str) -> None:
        entry = self._entries[name]
        if self.offload_to_cpu:
            log.info("offloading model %s to CPU", name)
            entry.module = self._move(entry.module, "cpu")
            entry.location = "cpu"
        else:
            log.info("dropping model %s", name)
            entry.module, entry.location = None, None

    def _release_cache(self) -> None:
        if self.device.kind == "cuda":
            try:
                import torch

                torch.cuda.empty_cache()
            except Exception:  # bookkeeping-only tests use a fake CUDA DeviceInfo on CPU machines
                pass

    # ------------------------------------------------------------------------------ unload
    def unload(self, name: str) -> None:
        """Drop a model from memory entirely (it reloads on next use). In-use models raise."""
        with self._lock:
            entry = self._entry(name)
            if entry.pins:
                raise EngineError(
                    f"Model '{name}' is in use and cannot be unloaded.", "Try again when it is idle."
                )
            entry.module, entry.location = None, None
            self._release_cache()

    def offload_all(self) -> None:
        """Move every idle model off the device (to CPU, or drop it when not offloading)."""
        with self._lock:
            for name, entry in self._entries.items():
                if entry.location == self.target and entry.pins == 0 and self.target != "cpu":
                    self._evict(name)
            self._release_cache()

    def unload_all(self) -> None:
        """Drop every idle model (e.g. when the user switches engine or closes the project)."""
        with self._lock:
            for entry in self._entries.values():
                if entry.pins == 0:
                    entry.module, entry.location = None, None
            self._release_cache()
