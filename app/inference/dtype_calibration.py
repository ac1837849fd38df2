"""Whether the CPU runs the UNets faster in bf16 than in fp32: measured once per machine, then cached.

Why: a CPU flag (AVX512-BF16, AMX) says bf16 instructions exist, not that bf16 is the faster choice
for our convolutions and matmuls on this machine (thread count, oneDNN's kernels for this CPU, memory
bandwidth all decide), and bf16 is not fp32's numbers, so it is only worth taking where it clearly
pays. Issue 14 part 5 asks for the device policy's dtype to come from a measurement. The workload is
two layers shaped like the UNet's (a 3x3 320->320 convolution at 32x32, batch 2, and a 2048x640x640
matmul), one untimed call each to set oneDNN up, then the best of `REPEATS` timed calls per dtype:
about 0.2 s on a 2-core machine with native bf16, and bounded where bf16 is emulated (a small workload,
a slow dtype stops being timed after one call that took over `SLOW_S`). bf16 is preferred when it takes
at most 1 / `MARGIN` of fp32's time.

The result is kept in the user cache folder (`cpu_dtype.json`), keyed by the CPU's name, its CPU count,
the thread count and torch's version, so a new torch or another machine measures again. A damaged
cache measures again; a cache that cannot be written is no error.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from dataclasses import asdict, dataclass

from app.paths import cached_entry, remember_entry

log = logging.getLogger(__name__)

CACHE_FILE = "cpu_dtype.json"
MARGIN = 1.2  # bf16 must be at least this much faster than fp32
REPEATS = 3
SLOW_S = 0.5  # one call this slow: no more repeats of that dtype (emulated bf16)
_LOCK = threading.Lock()
_MEMO: dict[str, DtypeMeasurement] = {}


@dataclass(frozen=True)
class DtypeMeasurement:
    """Seconds of the calibration workload in each dtype (best of the repeats) on this CPU."""

    fp32_s: float
    bf16_s: float

    @property
    def speedup(self) -> float:
        return self.fp32_s / self.bf16_s if self.bf16_s > 0 else 0.0

    @property
    def prefers_bf16(self) -> bool:
        return self.speedup >= MARGIN


def machine_key() -> str:
    import torch

    name = platform.processor() or platform.machine() or "cpu"
    return f"{name}|{os.cpu_count() or 1} cpus|{torch.get_num_threads()} threads|torch {torch.__version__}"


def cpu_dtype_measurement() -> DtypeMeasurement:
    """This machine's measurement: from this process, the cache file, or measured now (and kept)."""
    key = machine_key()
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
        found = _cached(key)
        if found is None:
            found = measure()
            log.info(
                "CPU dtype calibration: fp32 %.3f s, bf16 %.3f s (%.2fx) -> %s",
                found.fp32_s,
                found.bf16_s,
                found.speedup,
                "bf16" if found.prefers_bf16 else "fp32",
            )
            _remember(key, found)
        _MEMO[key] = found
        return found


def measure() -> DtypeMeasurement:
    """Time the workload in fp32 and in bf16 (see the module docstring)."""
    import torch

    return DtypeMeasurement(_time_workload(torch.float32), _time_workload(torch.bfloat16))


def _time_workload(dtype: object) -> float:
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 320, 32, 32, generator=gen).to(dtype)
    w = (torch.randn(320, 320, 3, 3, generator=gen) / 54).to(dtype)
    a = torch.randn(2048, 640, generator=gen).to(dtype)
    b = (torch.randn(640, 640, generator=gen) / 25).to(dtype)

    def once() -> float:
        start = time.perf_counter()
        F.conv2d(x, w, padding=1)
        torch.mm(a, b)
        return time.perf_counter() - start

    with torch.inference_mode():
        best = once()  # untimed in spirit: oneDNN primitive set-up; kept if nothing is faster
        if best > SLOW_S:
            return best
        for _ in range(REPEATS):
            best = min(best, once())
    return best


def _cached(key: str) -> DtypeMeasurement | None:
    entry = cached_entry(CACHE_FILE, key)
    try:
        found = DtypeMeasurement(float(entry["fp32_s"]), float(entry["bf16_s"]))
    except (ValueError, KeyError, TypeError):
        return None  # none yet, or a damaged entry: measure again
    return found if found.fp32_s > 0 and found.bf16_s > 0 else None


def _remember(key: str, found: DtypeMeasurement) -> None:
    remember_entry(CACHE_FILE, key, asdict(found))
