"""Compute device discovery, dtype choice and the memory policy (design §4, §9 "ComfyUI").

Why: the same engine runs on CUDA, Apple MPS and CPU. Discovery happens on demand (never at import;
torch is imported inside the functions), the user can force a device with `UNDO_STUDIO_DEVICE` or an
argument, and the memory mode is decided once from the hardware and the model sizes (taken from the
shipped manifests: parameters x bytes per dtype), so the whole Paints-UNDO pipeline fits 8 GB of VRAM.

Public API:
- `DeviceInfo(kind, name, total_bytes, free_bytes, supports_fp16, supports_bf16, index=0)`;
  `.torch_device` ("cuda:0" / "mps" / "cpu").
- `resolve_device(preference=None) -> DeviceInfo`: preference or `$UNDO_STUDIO_DEVICE` ("auto", "cpu",
  "cuda", "cuda:1", "mps"); raises `DeviceError` for an unavailable explicit choice.
- `choose_dtype(info, component) -> torch.dtype`; `dtype_name(info, component) -> str` (no torch).
- `component_bytes(info, components=None) -> dict[str, int]`.
- `MemoryPolicy` / `choose_memory_policy(info, components=None) -> MemoryPolicy` with mode "resident",
  "offload" or "sequential" and `model_budget_bytes` for `ModelManager`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.errors import DeviceError

if TYPE_CHECKING:  # pragma: no cover
    import torch

ENV_DEVICE = "UNDO_STUDIO_DEVICE"
ENV_DTYPE = "UNDO_STUDIO_DTYPE"  # "float32" / "float16" / "bfloat16": force one dtype for every model
GB = 1024**3

# Manifest names of the torch components, per pipeline stage (one stage runs at a time).
SINGLE_FRAME = ("single_frame_text_encoder", "single_frame_unet", "single_frame_vae")
MULTI_FRAME = (
    "multi_frame_image_encoder",
    "multi_frame_image_projection",
    "multi_frame_text_encoder",
    "multi_frame_unet",
    "multi_frame_vae",
)
ALL_COMPONENTS = SINGLE_FRAME + MULTI_FRAME
# Working memory (activations, attention, VAE decode buffers) the stage needs on top of its weights,
# fp16 at the app's sizes (single frame: batch of 6 keyframes x CFG at 320x512 latents 40x64;
# multi frame: 16 frames x CFG; VAE: 16-frame decode). Estimates; SDPA keeps attention memory linear.
ACTIVATION_BYTES = {
    "single_frame_text_encoder": GB // 4,
    "single_frame_unet": int(1.5 * GB),
    "single_frame_vae": int(1.5 * GB),
    "multi_frame_image_encoder": GB // 2,
    "multi_frame_image_projection": GB // 4,
    "multi_frame_text_encoder": GB // 4,
    "multi_frame_unet": int(2.5 * GB),
    "multi_frame_vae": int(2.5 * GB),
}
# Never plan to use the last bit of device memory (driver, other apps, fragmentation).
RESERVE_FRACTION = 0.08
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" | "mps" | "cpu"
    name: str
    total_bytes: int
    free_bytes: int
    supports_fp16: bool
    supports_bf16: bool
    index: int = 0
    # CPU: whether bf16 measured faster than fp32 here (dtype_calibration.py); None: not measured, the
    # bf16 flag decides
    prefers_bf16: bool | None = None

    @property
    def torch_device(self) -> str:
        return f"cuda:{self.index}" if self.kind == "cuda" else self.kind

    def describe(self) -> str:
        return f"{self.name} ({self.kind}, {self.free_bytes / GB:.1f} of {self.total_bytes / GB:.1f} GB free)"


def _system_memory() -> tuple[int, int]:
    """(total, available) RAM in bytes; (0, 0) when the platform does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in fh if ":" in line}
        return info.get("MemTotal", 0), info.get("MemAvailable", info.get("MemFree", 0))
    except (OSError, ValueError, IndexError):
        pass
    try:
        page, total = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_PHYS_PAGES")
        return page * total, page * total // 2
    except (ValueError, OSError, AttributeError):
        return 0, 0


def _cpu_bf16() -> bool:
    """Native bf16 math (AVX512-BF16 / AMX). Without it bf16 on CPU is emulated and slower than fp32."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
                flags = fh.read()
            return "avx512_bf16" in flags or "amx_bf16" in flags
        except OSError:
            return False


def _cpu_info() -> DeviceInfo:
    import platform

    total, free = _system_memory()
    name = platform.processor() or platform.machine() or "CPU"
    native = _cpu_bf16()
    return DeviceInfo(
        "cpu",
        f"CPU ({name}, {os.cpu_count() or 1} cores)",
        total,
        free,
        False,
        native,
        0,
        _cpu_prefers_bf16(),
    )


def _cpu_prefers_bf16() -> bool | None:
    """The measured choice (cached per machine), or None where it cannot be measured."""
    if os.environ.get(ENV_DTYPE, "").strip():
        return None  # forced: no need to measure
    try:
        from app.inference.dtype_calibration import cpu_dtype_measurement

        return cpu_dtype_measurement().prefers_bf16
    except Exception:  # noqa: BLE001 - a calibration that fails leaves the flag to decide
        return None


def _cuda_info(index: int) -> DeviceInfo:
    import torch

    props = torch.cuda.get_device_properties(index)
    try:
        free, total = torch.cuda.mem_get_info(index)
    except RuntimeError:
        free, total = props.total_memory, props.total_memory
    bf16 = (
        bool(torch.cuda.is_bf16_supported()) if hasattr(torch.cuda, "is_bf16_supported") else props.major >= 8
    )
    return DeviceInfo("cuda", props.name, int(total), int(free), True, bf16, index)


def _mps_info() -> DeviceInfo:
    import torch

    total, free = _system_memory()  # unified memory
    try:
        limit = int(torch.mps.recommended_max_memory())
        total, free = limit, max(0, limit - int(torch.mps.current_allocated_memory()))
    except Exception:
        pass
    return DeviceInfo("mps", "Apple GPU (MPS)", total, free, True, False)


_AUTO_KIND: list[str] = []  # the kind "auto" resolved to in this process (it does not change while it runs)


def known_auto_kind() -> str | None:
    """The kind of device "auto" resolved to in this process, without any discovery (None before the
    first). The UI asks this on its own thread: the start page's probe resolves the device on the
    worker, so a settings form never imports torch or starts CUDA on the UI thread after it."""
    return _AUTO_KIND[0] if _AUTO_KIND else None


def resolve_device(preference: str | None = None) -> DeviceInfo:
    """The device to compute on. `preference` wins over `$UNDO_STUDIO_DEVICE`; "auto"/None picks CUDA,
    then MPS, then CPU. An explicit device that is not available raises `DeviceError`."""
    choice = (preference or os.environ.get(ENV_DEVICE) or "auto").strip().lower()
    info = _resolve(choice)
    if choice == "auto":
        _AUTO_KIND[:] = [info.kind]
    return info


def _resolve(choice: str) -> DeviceInfo:
    if choice == "cpu":
        return _cpu_info()
    import torch

    if choice.startswith("cuda"):
        index = int(choice.split(":", 1)[1]) if ":" in choice else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise DeviceError(
                f"CUDA device '{choice}' is not available.",
                "Install a CUDA build of PyTorch and a driver, or choose another device (cpu/auto).",
            )
        return _cuda_info(index)
    mps_ok = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if choice == "mps":
        if not mps_ok:
            raise DeviceError(
                "Apple MPS is not available.", "Use macOS 12.3+ on Apple silicon, or choose cpu."
            )
        return _mps_info()
    if choice != "auto":
        raise DeviceError(f"Unknown device '{choice}'.", "Use one of: auto, cpu, cuda, cuda:N, mps.")
    if torch.cuda.is_available():
        return _cuda_info(0)
    if mps_ok:
        return _mps_info()
    return _cpu_info()


def dtype_name(info: DeviceInfo, component: str) -> str:
    """ "float16" / "bfloat16" / "float32" for a component (manifest name, e.g. "single_frame_vae").

    CUDA: fp16, except the single-frame VAE in bf16 (the reference app does so; the SD VAE overflows
    fp16) or fp32 without bf16. MPS: fp16, VAEs in fp32. CPU: bf16 for the UNets where it measured
    clearly faster than fp32 on this machine (`dtype_calibration.py`, cached; about 2x here), fp32
    otherwise; where nothing was measured, the CPU's native-bf16 flag decides. `$UNDO_STUDIO_DTYPE`
    overrides all.
    Engines fall back to fp32 when a stage outputs NaN/black (design §4).
    """
    forced = os.environ.get(ENV_DTYPE, "").strip().lower()
    if forced in _DTYPE_BYTES:
        return forced
    if info.kind == "cuda":
        if component == "single_frame_vae":
            return "bfloat16" if info.supports_bf16 else "float32"
        return "float16"
    if info.kind == "mps":
        return "float32" if component.endswith("_vae") else "float16"
    bf16 = info.supports_bf16 if info.prefers_bf16 is None else info.prefers_bf16
    return "bfloat16" if bf16 and component.endswith("_unet") else "float32"


def choose_dtype(info: DeviceInfo, component: str) -> torch.dtype:
    import torch

    return getattr(torch, dtype_name(info, component))


def component_bytes(info: DeviceInfo, components: tuple[str, ...] = ALL_COMPONENTS) -> dict[str, int]:
    """Weight bytes of each component at the dtype it will run in (manifest params x dtype size)."""
    from app.inference.paints_undo.weights import manifest_num_params

    return {c: manifest_num_params(c) * _DTYPE_BYTES[dtype_name(info, c)] for c in components}


@dataclass(frozen=True)
class MemoryPolicy:
    """How models live on the device, decided once per device.

    resident:   every model stays on the device (no moves after the first load).
    offload:    models move to the device for their stage and back to CPU RAM when the budget needs it
                (ModelManager's LRU does this with `model_budget_bytes`).
    sequential: even one stage is tight; keep one model on the device at a time and free the cache
                after each use (and prefer smaller batches).
    """

    mode: str
    model_budget_bytes: int  # what ModelManager may keep resident on the device
    usable_bytes: int  # device memory we plan with (free minus reserve)
    weights_bytes: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def choose_memory_policy(info: DeviceInfo, components: tuple[str, ...] = ALL_COMPONENTS) -> MemoryPolicy:
    sizes = component_bytes(info, components)
    usable = int(info.free_bytes * (1 - RESERVE_FRACTION))
    total = sum(sizes.values())
    peak_activation = max(ACTIVATION_BYTES.get(c, GB // 2) for c in components)
    biggest_stage = max(sizes[c] + ACTIVATION_BYTES.get(c, GB // 2) for c in components)
    gb = f"{total / GB:.1f} GB of weights"
    if total + peak_activation <= usable:
        return MemoryPolicy(
            "resident", total, usable, sizes, f"{gb} + working memory fit in {usable / GB:.1f} GB"
        )
    if biggest_stage <= usable:
        return MemoryPolicy(
            "offload",
            usable - peak_activation,
            usable,
            sizes,
            f"{gb} do not all fit in {usable / GB:.1f} GB; each stage fits, models move per stage",
        )
    return MemoryPolicy(
        "sequential",
        max(0, usable - peak_activation),
        usable,
        sizes,
        f"the largest stage needs {biggest_stage / GB:.1f} GB but only {usable / GB:.1f} GB is usable",
    )
