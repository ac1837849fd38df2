"""The CPU's dtype for the UNets comes from a measurement (issue 14 part 5), cached per machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.inference import devices, dtype_calibration
from app.inference.devices import DeviceInfo, dtype_name
from app.inference.dtype_calibration import MARGIN, DtypeMeasurement, cpu_dtype_measurement


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UNDO_STUDIO_CACHE", str(tmp_path))
    monkeypatch.setattr(dtype_calibration, "_MEMO", {})
    return tmp_path / dtype_calibration.CACHE_FILE


def _measuring(monkeypatch: pytest.MonkeyPatch, fp32_s: float, bf16_s: float) -> list[int]:
    calls: list[int] = []

    def measure() -> DtypeMeasurement:
        calls.append(1)
        return DtypeMeasurement(fp32_s, bf16_s)

    monkeypatch.setattr(dtype_calibration, "measure", measure)
    return calls


@pytest.mark.parametrize(
    ("fp32_s", "bf16_s", "bf16"), [(1.0, 0.5, True), (1.0, 0.9, False), (0.2, 0.8, False)]
)
def test_bf16_is_preferred_only_when_it_measured_clearly_faster(
    cache: Path, monkeypatch: pytest.MonkeyPatch, fp32_s: float, bf16_s: float, bf16: bool
) -> None:
    _measuring(monkeypatch, fp32_s, bf16_s)
    found = cpu_dtype_measurement()
    assert found.prefers_bf16 is bf16 and (found.speedup >= MARGIN) is bf16


def test_the_measurement_is_cached_per_machine_and_a_damaged_cache_measures_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _measuring(monkeypatch, 1.0, 0.5)
    cpu_dtype_measurement()
    assert len(calls) == 1 and cache.is_file()
    monkeypatch.setattr(dtype_calibration, "_MEMO", {})  # a new process: the file answers
    assert cpu_dtype_measurement() == DtypeMeasurement(1.0, 0.5) and len(calls) == 1
    entry = json.loads(cache.read_text(encoding="utf-8"))
    assert list(entry) == [dtype_calibration.machine_key()]
    cache.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(dtype_calibration, "_MEMO", {})
    assert cpu_dtype_measurement().prefers_bf16 and len(calls) == 2  # measured again, file rewritten
    assert json.loads(cache.read_text(encoding="utf-8"))


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("UNDO_STUDIO_CACHE", str(blocker / "sub"))  # a folder under a file: unwritable
    monkeypatch.setattr(dtype_calibration, "_MEMO", {})
    _measuring(monkeypatch, 1.0, 0.9)
    assert not cpu_dtype_measurement().prefers_bf16


def test_the_real_workload_runs_and_times_both_dtypes() -> None:
    found = dtype_calibration.measure()
    assert found.fp32_s > 0 and found.bf16_s > 0


def _cpu(native: bool, prefers: bool | None) -> DeviceInfo:
    return DeviceInfo("cpu", "CPU", 8 << 30, 4 << 30, False, native, 0, prefers)


def test_the_measured_choice_decides_the_unet_dtype_over_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devices.ENV_DTYPE, raising=False)
    assert dtype_name(_cpu(True, False), "single_frame_unet") == "float32"  # flag yes, measured no
    assert dtype_name(_cpu(False, True), "multi_frame_unet") == "bfloat16"
    assert dtype_name(_cpu(True, None), "single_frame_unet") == "bfloat16"  # not measured: the flag
    assert dtype_name(_cpu(True, True), "single_frame_vae") == "float32"  # VAEs stay fp32
    monkeypatch.setenv(devices.ENV_DTYPE, "float32")
    assert dtype_name(_cpu(True, True), "single_frame_unet") == "float32"


def test_a_cpu_device_carries_the_measurement(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devices.ENV_DTYPE, raising=False)
    calls = _measuring(monkeypatch, 1.0, 0.9)
    assert devices.resolve_device("cpu").prefers_bf16 is False and calls == [1]
    monkeypatch.setenv(devices.ENV_DTYPE, "bfloat16")  # forced: nothing to measure
    monkeypatch.setattr(dtype_calibration, "_MEMO", {})
    assert devices.resolve_device("cpu").prefers_bf16 is None and calls == [1]


def test_a_failing_measurement_leaves_the_flag_to_decide(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(devices.ENV_DTYPE, raising=False)

    def broken() -> DtypeMeasurement:
        raise RuntimeError("no oneDNN here")

    monkeypatch.setattr(dtype_calibration, "measure", broken)
    assert devices.resolve_device("cpu").prefers_bf16 is None
