"""The parity runner: discovery, dispatch, defensive handler import, error capture, report format."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tools.parity import runner
from tools.parity.case import ParityResult


def _link_case(reference_dir: Path, folder: Path, name: str) -> None:
    for suffix in (".json", ".safetensors"):
        (folder / f"{name}{suffix}").symlink_to(reference_dir / f"{name}{suffix}")


def _write_case(folder: Path, name: str, meta: dict, with_tensors: bool = True) -> None:
    (folder / f"{name}.json").write_text(json.dumps(meta))
    if with_tensors:
        import torch
        from safetensors.torch import save_file

        save_file({"output.y": torch.ones(2)}, str(folder / f"{name}.safetensors"))


@pytest.fixture()
def fake_handlers(monkeypatch):
    module = types.ModuleType("fake_parity_handlers")

    def boom(case):
        raise RuntimeError("handler exploded")

    def exact(case):
        return [ParityResult(case.name, "output.y", 0.0, 1e-6, True)]

    module.HANDLERS = {"boom_component": boom, "prefix_case": exact}
    monkeypatch.setitem(sys.modules, "fake_parity_handlers", module)
    monkeypatch.setattr(
        runner, "HANDLER_MODULES", (*runner.HANDLER_MODULES, "fake_parity_handlers", "app.no_such_handlers")
    )
    return module


def test_runner_reports_pass_fail_not_implemented_and_errors(
    tmp_path: Path, reference_dir: Path, fake_handlers
) -> None:
    _link_case(reference_dir, tmp_path, "sf_unet_forward")
    _write_case(tmp_path, "zz_unknown", {"component": "nobody_handles_this"})
    _write_case(tmp_path, "broken", {"component": "boom_component"})
    _write_case(tmp_path, "prefix_case_2", {"case": "prefix_case_2"}, with_tensors=False)  # by name prefix
    (tmp_path / "notes.json").write_text(json.dumps({"just": "a config"}))  # not a case: ignored
    results = runner.run_parity(tmp_path)
    by_case = {r.case: r for r in results}
    assert set(by_case) == {"sf_unet_forward", "zz_unknown", "broken", "prefix_case_2"}
    assert by_case["sf_unet_forward"].passed
    assert not by_case["zz_unknown"].passed and "not implemented" in by_case["zz_unknown"].note
    assert not by_case["broken"].passed and "handler exploded" in by_case["broken"].note
    assert by_case["prefix_case_2"].passed
    report = runner.format_results(results)
    lines = report.splitlines()
    assert len(lines) == len(results) + 1
    assert lines[-1] == "2 passed, 2 failed"
    assert any("sf_unet_forward" in ln and "output.eps" in ln and "PASS" in ln for ln in lines)
    assert any("zz_unknown" in ln and "FAIL" in ln for ln in lines)


def test_main_exit_codes(tmp_path: Path, reference_dir: Path, capsys) -> None:
    good = tmp_path / "good"
    good.mkdir()
    _link_case(reference_dir, good, "sf_unet_forward")
    assert runner.main(good) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1 passed, 0 failed"
    bad = tmp_path / "bad"
    bad.mkdir()
    _write_case(bad, "zz_unknown", {"component": "nobody"})
    assert runner.main(bad) == 1
    assert runner.main(tmp_path / "missing") == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.main(empty) == 1  # nothing ran is not a pass


def test_compare_is_relative_and_exact_for_integers() -> None:
    import torch

    ref = torch.tensor([100.0, -200.0])
    assert runner.compare("c", "o", ref + 1e-3, ref, 1e-5).passed  # tol = 2e-3
    assert not runner.compare("c", "o", ref + 1e-2, ref, 1e-5).passed
    assert not runner.compare("c", "o", torch.tensor([float("nan"), 0.0]), ref, 1e-5).passed
    ints = torch.tensor([999, 0])
    assert runner.compare("c", "t", ints.clone(), ints, 1e-4).passed
    assert not runner.compare("c", "t", torch.tensor([998, 0]), ints, 1e-4).passed
    assert not runner.compare("c", "o", torch.zeros(3), ref, 1e-5).passed  # shape mismatch


def test_missing_handler_modules_are_tolerated(monkeypatch) -> None:
    monkeypatch.setattr(runner, "HANDLER_MODULES", ("app.no_such_handlers",))
    handlers, problems = runner.collect_handlers()
    assert handlers == {} and problems == []
