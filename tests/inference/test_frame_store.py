"""DeviceFrameStore: FrameStore protocol, byte budget, spill to CPU, better-kind rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.frame_cache import FrameStore
from app.core.frames import Frame, FrameKey, FrameKind, Keyframe
from app.inference.devices import DeviceInfo
from app.inference.frame_store import DeviceFrameStore

FRAME_BYTES = 4 * 4 * 3


def key(step: int) -> FrameKey:
    return FrameKey("art", "branch", Keyframe(step))


def frame(step: int, kind: FrameKind = FrameKind.EXACT, value: int | None = None) -> Frame:
    return Frame(np.full((4, 4, 3), step % 256 if value is None else value, np.uint8), step, kind)


class FakeGpuStore(DeviceFrameStore):
    """A 'GPU' store whose device tensors live on the CPU, so spilling logic runs everywhere."""

    def __init__(self, budget: int, spill: int) -> None:
        super().__init__(budget, DeviceInfo("cuda", "Fake", 1, 1, True, True), spill)
        self.device = DeviceInfo("cpu", "Fake", 1, 1, True, True)  # .to("cpu") for the tensors
        self.on_device = True


def test_implements_core_protocol() -> None:
    assert isinstance(DeviceFrameStore(100), FrameStore)


def test_cpu_store_is_a_numpy_lru() -> None:
    store = DeviceFrameStore(2 * FRAME_BYTES)
    assert store.put(key(1), frame(1)) and store.put(key(2), frame(2))
    assert store.get(key(1)).pixels[0, 0, 0] == 1  # touch 1: 2 becomes least recent
    store.put(key(3), frame(3))
    assert store.contains(key(1)) and key(3) in store and not store.contains(key(2))
    assert store.bytes_used == 2 * FRAME_BYTES and store.budget_bytes == 2 * FRAME_BYTES
    got = store.get(key(1))
    assert isinstance(got.pixels, np.ndarray) and not got.pixels.flags.writeable
    assert store.put(key(9), Frame(np.zeros((10, 10, 3), np.uint8), 9, FrameKind.EXACT)) is False  # too big
    store.discard(key(1))
    assert store.keys() == [key(3)] and len(store) == 1
    store.clear()
    assert store.bytes_used == 0 and store.get(key(3)) is None


def test_better_kind_is_not_replaced() -> None:
    store = DeviceFrameStore(10 * FRAME_BYTES)
    store.put(key(5), frame(5, FrameKind.EXACT, value=1))
    assert store.put(key(5), frame(5, FrameKind.PREVIEW, value=2)) is False
    assert store.get(key(5)).pixels[0, 0, 0] == 1 and store.get(key(5)).kind is FrameKind.EXACT
    store.put(key(6), frame(6, FrameKind.PREVIEW, value=2))
    assert store.put(key(6), frame(6, FrameKind.EXACT, value=3))
    assert store.get(key(6)).pixels[0, 0, 0] == 3


def test_rejects_non_uint8() -> None:
    with pytest.raises(ValueError, match="uint8"):
        DeviceFrameStore(100).put(key(1), Frame(np.zeros((2, 2, 3), np.float32), 1, FrameKind.EXACT))


def test_device_tier_spills_to_host_then_drops() -> None:
    store = FakeGpuStore(budget=2 * FRAME_BYTES, spill=1 * FRAME_BYTES)
    for step in (1, 2, 3):
        store.put(key(step), frame(step))
    assert store.device_bytes_used() == 2 * FRAME_BYTES and store.host_bytes_used() == FRAME_BYTES
    assert store.get(key(1)).pixels[0, 0, 0] == 1  # spilled, still served as numpy
    store.put(key(4), frame(4))  # 2 spills, pushing 1 out of the host tier
    assert not store.contains(key(1)) and store.contains(key(2))
    assert store.bytes_used == 3 * FRAME_BYTES


def test_get_tensor_promotes_spilled_frame() -> None:
    store = FakeGpuStore(budget=2 * FRAME_BYTES, spill=2 * FRAME_BYTES)
    for step in (1, 2, 3):
        store.put(key(step), frame(step))
    tensor = store.get_tensor(key(1))
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.uint8 and int(tensor[0, 0, 0]) == 1
    assert store.device_bytes_used() == 2 * FRAME_BYTES
    assert store.get_tensor(key(42)) is None


def test_accepts_tensor_pixels() -> None:
    store = DeviceFrameStore(10 * FRAME_BYTES)
    store.put(key(1), Frame(torch.full((4, 4, 3), 7, dtype=torch.uint8), 1, FrameKind.EXACT))  # type: ignore[arg-type]
    assert store.get(key(1)).pixels.dtype == np.uint8 and store.get(key(1)).pixels[0, 0, 0] == 7
