"""Device resolution with overrides, dtype choice and the memory policy decision."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from app.errors import DeviceError
from app.inference import devices
from app.inference.devices import GB, DeviceInfo


def cuda(free_gb: float, bf16: bool = True) -> DeviceInfo:
    return DeviceInfo("cuda", "Fake GPU", int(free_gb * GB), int(free_gb * GB), True, bf16)


def test_import_does_not_import_torch() -> None:
    modules = [
        "app.inference.devices",
        "app.inference.model_manager",
        "app.inference.paints_undo.layout",
        "app.inference.paints_undo.weights",
        "app.inference.paints_undo.hub",
        "app.inference.paints_undo.tagger",
        "app.inference.paints_undo.preprocess",
        "tools.parity.handlers_misc",
    ]
    code = f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
    code += "print(sorted(m for m in ('torch', 'onnxruntime', 'huggingface_hub', 'cv2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cpu_by_argument_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devices.ENV_DEVICE, "cpu")
    info = devices.resolve_device()
    assert info.kind == "cpu" and info.torch_device == "cpu" and info.total_bytes > 0
    assert not info.supports_fp16
    monkeypatch.setenv(devices.ENV_DEVICE, "cuda")
    assert devices.resolve_device("cpu").kind == "cpu"  # the argument wins over the env var


def test_unavailable_explicit_device_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv(devices.ENV_DEVICE, raising=False)
    with pytest.raises(DeviceError, match="CUDA device 'cuda:1' is not available"):
        devices.resolve_device("cuda:1")
    monkeypatch.setenv(devices.ENV_DEVICE, "cuda")
    with pytest.raises(DeviceError, match="not available"):
        devices.resolve_device()
    with pytest.raises(DeviceError, match="Unknown device 'tpu'"):
        devices.resolve_device("tpu")


def test_auto_picks_cuda_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devices.ENV_DEVICE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(devices, "_cuda_info", lambda index: cuda(8))
    assert devices.resolve_device().kind == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.resolve_device("auto").kind == "cpu"


def test_dtype_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devices.ENV_DTYPE, raising=False)
    gpu = cuda(8)
    assert devices.choose_dtype(gpu, "single_frame_unet") == torch.float16
    assert devices.choose_dtype(gpu, "single_frame_vae") == torch.bfloat16
    assert devices.choose_dtype(cuda(8, bf16=False), "single_frame_vae") == torch.float32
    assert devices.choose_dtype(gpu, "multi_frame_vae") == torch.float16
    cpu_bf16 = DeviceInfo("cpu", "cpu", GB, GB, False, True)
    cpu_old = DeviceInfo("cpu", "cpu", GB, GB, False, False)
    assert devices.choose_dtype(cpu_bf16, "multi_frame_unet") == torch.bfloat16
    assert devices.choose_dtype(cpu_bf16, "single_frame_text_encoder") == torch.float32
    assert devices.choose_dtype(cpu_old, "single_frame_unet") == torch.float32
    mps = DeviceInfo("mps", "mps", GB, GB, True, False)
    assert devices.choose_dtype(mps, "single_frame_unet") == torch.float16
    assert devices.choose_dtype(mps, "single_frame_vae") == torch.float32
    monkeypatch.setenv(devices.ENV_DTYPE, "float32")
    assert devices.choose_dtype(gpu, "single_frame_unet") == torch.float32


def test_component_sizes_come_from_manifests() -> None:
    sizes = devices.component_bytes(cuda(8))
    assert sizes["single_frame_unet"] == 861_501_124 * 2
    assert sizes["multi_frame_unet"] == 1_438_854_980 * 2
    assert set(sizes) == set(devices.ALL_COMPONENTS)


def test_memory_policy_modes() -> None:
    big = devices.choose_memory_policy(cuda(80))
    assert big.mode == "resident" and big.model_budget_bytes == sum(big.weights_bytes.values())
    eight = devices.choose_memory_policy(cuda(8))
    assert eight.mode == "offload"  # 7.2 GB of fp16 weights + working memory do not fit, each stage does
    assert eight.model_budget_bytes >= eight.weights_bytes["multi_frame_unet"]
    assert eight.model_budget_bytes + devices.ACTIVATION_BYTES["multi_frame_unet"] <= 8 * GB
    tight = devices.choose_memory_policy(cuda(4))
    assert tight.mode == "sequential" and "largest stage" in tight.reason
    sf_only = devices.choose_memory_policy(cuda(6), devices.SINGLE_FRAME)
    assert sf_only.mode == "resident"


def test_the_auto_device_found_once_is_known_without_discovery(monkeypatch):
    """The start page's probe resolves "auto" on the worker; the Paints-UNDO settings form then asks the
    kind on the UI thread without importing torch or starting CUDA there."""
    from app.inference import devices
    from app.inference.paints_undo.engine import PaintsUndoEngine

    monkeypatch.delenv(devices.ENV_DEVICE, raising=False)
    monkeypatch.setattr(devices, "_AUTO_KIND", [])
    assert devices.known_auto_kind() is None
    info = devices.resolve_device()  # what probe_system does on the worker
    assert devices.known_auto_kind() == info.kind

    def no_discovery(*_args, **_kwargs):
        raise AssertionError("the device was discovered again")

    monkeypatch.setattr(devices, "resolve_device", no_discovery)
    assert PaintsUndoEngine().device_kind() == info.kind
