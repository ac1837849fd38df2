"""Same-numbers speed-ups of the CPU path (issue 14 part 5): the device policy's CPU techniques.

Why: side by side with the reference code in fp32, our keyframes cost about the same CPU time, and a
profile shows where the rest goes. Each technique here keeps the numbers (the bench compares the final
latents) and is measured on/off by `bench/single_frame.py` (its `techniques`):

* **allocator** (in the policy; Linux glibc only, a no-op elsewhere): every fp32 convolution reorders
  its weight into oneDNN's blocked layout on every call (a 3x3 1280->1280 conv: a 59 MB buffer per
  call), and large activations are as big. glibc serves anything above its mmap threshold (at most
  32 MiB however it adapts) with a fresh `mmap` and unmaps it on free, so each buffer is page-faulted in
  again on the next call: ~1.8 GB of page faults per full-size UNet call at 128 px, 10-30 % of the
  process's CPU time in the kernel. `mallopt` raises the mmap threshold, the trim threshold and the top
  pad at run time, so these buffers come from the heap and are reused within a run (at 256²: 17-22 %
  of the CPU time under load, 0-20 % on an idle machine, where part of the kernel time saved comes
  back as user time: a freshly faulted page is also a zeroed, cached one). The engine gives the free heap back after each keyframe batch (`release_memory`),
  so the memory does not stay with the app between runs.
* **context_memo** (in the policy): the sampler passes one text-context tensor for its whole run and
  each cross-attention projects it to keys and values once instead of once per step
  (`context_memo.py`); bit-identical, no memory kept after the run.
* **phase_upsample** (in the policy): the VAE decoder's and the UNet's upsamplers (nearest x2, then a
  3x3 conv) as one 2x2 conv of the low-resolution input per output phase with pre-summed kernels
  (`phase_upsample.py`): 4/9 of the multiply-adds and no 4x-sized intermediate; the numbers change only
  by float rounding (~4e-7 relative in fp32). A 512->512 upsampler at 256² costs 1.8 instead of 3.4 CPU
  s; in the SD VAE decode of a 256² keyframe the upsamplers take 1.2-1.35 instead of 2.2 CPU s of ~9.
  Calls under 128 low-res pixels (the UNet's 4x4 ones) keep the written form, which is faster there.
* **channels_last** (a candidate, left off): oneDNN's native layout for the UNet's and the VAE's
  convolutions; it bought nothing measurable in fp32 here, so `prepare_module` applies it only when
  asked for.

Not techniques, with the measurement that says why (docs/DESIGN.md "Speed on a CPU, same numbers"):
thread settings (torch already runs one thread per CPU of the affinity mask), `torch.compile` (70 s to
compile even the tiny test UNet on 2 cores). The fp32/bf16 choice is not a technique here (it changes
the numbers): `dtype_calibration.py` measures it once per machine.

`$UNDO_STUDIO_CPU_TUNING`: the comma list of techniques to use instead of the policy ("allocator",
"channels_last", "context_memo", "phase_upsample"; "none" for none), for comparisons and for a platform where one misbehaves.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)

ENV_TUNING = "UNDO_STUDIO_CPU_TUNING"
TECHNIQUES = ("allocator", "channels_last", "context_memo", "phase_upsample")
# what pays on a CPU (bench/single_frame.py's `techniques`)
CPU_POLICY = frozenset({"allocator", "context_memo", "phase_upsample"})
MIB = 1024**2

# mallopt parameter numbers (glibc <malloc.h>)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
# Tuned: buffers up to 1 GiB from the heap; up to 1 GiB of free heap top kept; the heap grown in 64 MiB.
TUNED = {M_MMAP_THRESHOLD: 1024 * MIB, M_TRIM_THRESHOLD: 1024 * MIB, M_TOP_PAD: 64 * MIB}
# glibc's defaults in their steady state (the dynamic mmap threshold at its 32 MiB maximum, the trim
# threshold twice it, the default top pad): what "off" restores, for the bench's side-by-side runs.
GLIBC_STEADY = {M_MMAP_THRESHOLD: 32 * MIB, M_TRIM_THRESHOLD: 64 * MIB, M_TOP_PAD: 128 * 1024}
_STATE = {"tuned": False}  # whether this process's allocator is tuned (set_allocator)


@dataclass(frozen=True)
class CpuTuning:
    """Which techniques the device policy uses on this device (all off on GPUs)."""

    allocator: bool = False
    channels_last: bool = False
    context_memo: bool = False
    phase_upsample: bool = False

    def enabled(self) -> list[str]:
        return [name for name in TECHNIQUES if getattr(self, name)]


def choose_cpu_tuning(kind: str) -> CpuTuning:
    """The techniques for a device kind ("cpu", "cuda", "mps"): `CPU_POLICY` on a CPU, or the comma
    list in `$UNDO_STUDIO_CPU_TUNING` ("none" for none); nothing on a GPU."""
    if kind != "cpu":
        return CpuTuning()
    raw = os.environ.get(ENV_TUNING, "").strip().lower()
    if not raw:
        return CpuTuning(**{name: name in CPU_POLICY for name in TECHNIQUES})
    wanted = {part.strip() for part in raw.split(",") if part.strip()} - {"none"}
    unknown = wanted - set(TECHNIQUES)
    if unknown:
        log.warning("%s: unknown technique(s) %s ignored", ENV_TUNING, ", ".join(sorted(unknown)))
    return CpuTuning(**{name: name in wanted for name in TECHNIQUES})


def is_glibc() -> bool:
    return sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def set_allocator(tuned: bool) -> bool:
    """glibc: the tuned `mallopt` settings (or, `tuned=False`, glibc's steady-state defaults).
    Returns whether they were applied: False off glibc, or when the C library refuses one."""
    if not is_glibc():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    values = TUNED if tuned else GLIBC_STEADY
    ok = all(
        int(libc.mallopt(ctypes.c_int(param), ctypes.c_int(value))) == 1 for param, value in values.items()
    )
    if not ok:
        log.warning("mallopt refused the allocator settings %s", values)
    _STATE["tuned"] = ok and tuned
    return ok


def release_memory() -> bool:
    """After a batch of work (a keyframe batch): a tuned allocator gives its free heap back to the OS
    (`malloc_trim`), so the app's memory falls back between runs while the buffers were reused within
    the run. Returns whether it trimmed (only where `set_allocator(True)` succeeded)."""
    if not _STATE["tuned"]:
        return False
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(ctypes.c_size_t(0))
    except (OSError, AttributeError):
        return False
    return True


def apply_process_tuning(tuning: CpuTuning) -> None:
    """What the tuning sets for the whole process (the allocator), once, before models run."""
    if tuning.allocator:
        log.info("CPU allocator tuned (mallopt): %s", "applied" if set_allocator(True) else "not glibc")


def prepare_module(module: torch.nn.Module, tuning: CpuTuning) -> torch.nn.Module:
    """A model (UNet, VAE) set up for the tuning's in-model techniques; same module object. The memory
    format is changed only to channels_last (a GPU loader may have chosen it already); the other
    techniques (context memo, phase upsamplers) follow `tuning` both ways, so the bench switches them
    between batches."""
    from app.inference.context_memo import set_context_memo
    from app.inference.phase_upsample import enable_phase_upsample

    if tuning.channels_last:
        import torch

        module.to(memory_format=torch.channels_last)
    set_context_memo(module, tuning.context_memo)
    enable_phase_upsample(module, tuning.phase_upsample)
    return module
