"""Run every parity fixture in a folder against our implementation and report one line per output.

A case is a top-level `<case>.json` with a matching `<case>.safetensors`, or a JSON that names itself a
case (`"case"`/`"component"` keys; e.g. `wd14.json` with its own .onnx/.csv/.npy files). Each case is
dispatched by its JSON `component`, else by the longest registered case-name prefix ("text_encoder",
"vae_roundtrip", "wd14", "app_preprocess"), to a handler from the `handlers_*` modules, each exposing
`HANDLERS: dict[str, ParityHandler]`. Those modules are written by different people and imported
defensively: a missing module or key gives one failed result "not implemented", and a handler that
raises gives a failed result with the error text, never a crash of the whole run.

    python -m tools.parity [folder]     # from the repo root; default tests/fixtures/reference;
                                        # exit code 1 on any failure, 2 when the folder is missing
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

from tools.parity.case import ParityCase, ParityHandler, ParityResult, relative_tolerance

log = logging.getLogger(__name__)

HANDLER_MODULES = (
    "tools.parity.handlers_single",
    "tools.parity.handlers_misc",
    "tools.parity.handlers_multi",
    "tools.parity.handlers_multi_io",
)
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "reference"
FORWARD_REL = 1e-5  # README: single forward passes
SAMPLER_REL = 1e-4  # README: sampler chains and CLIP-vision


def collect_handlers(modules: tuple[str, ...] | None = None) -> tuple[dict[str, ParityHandler], list[str]]:
    """(handlers by key, import problems). A module that is absent or broken contributes nothing."""
    handlers: dict[str, ParityHandler] = {}
    problems: list[str] = []
    for name in HANDLER_MODULES if modules is None else modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of ITS imports is missing
                problems.append(f"{name}: {exc}")
            continue
        except Exception as exc:  # a broken handler module must not stop the other cases
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        table = getattr(module, "HANDLERS", None)
        if isinstance(table, dict):
            handlers.update({str(k): v for k, v in table.items() if callable(v)})
        else:
            problems.append(f"{name}: no HANDLERS dict")
    return handlers, problems


def discover_cases(folder: Path) -> list[ParityCase]:
    """Every case in `folder` (not recursive), sorted by name."""
    cases = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("skipping unreadable JSON %s", path)
            continue
        if not isinstance(meta, dict):
            continue
        if path.with_suffix(".safetensors").is_file() or "case" in meta or "component" in meta:
            cases.append(ParityCase(name=path.stem, folder=path.parent, meta=meta))
    return cases


def handler_for(case: ParityCase, handlers: dict[str, ParityHandler]) -> tuple[str, ParityHandler | None]:
    """(key, handler): the JSON's component first, else the longest key the case name starts with."""
    component = case.component
    if component and component in handlers:
        return component, handlers[component]
    prefixes = sorted((k for k in handlers if case.name.startswith(k)), key=len, reverse=True)
    if prefixes:
        return prefixes[0], handlers[prefixes[0]]
    return component or case.name, None


def run_case(case: ParityCase, handlers: dict[str, ParityHandler]) -> list[ParityResult]:
    key, handler = handler_for(case, handlers)
    if handler is None:
        return [
            ParityResult(case.name, "-", math.inf, 0.0, False, f"not implemented (no handler for '{key}')")
        ]
    try:
        results = list(handler(case))
    except Exception as exc:  # report, do not crash: other cases still run
        log.debug("parity handler %s failed", key, exc_info=True)
        return [ParityResult(case.name, "-", math.inf, 0.0, False, f"error: {type(exc).__name__}: {exc}")]
    if not results:
        return [ParityResult(case.name, "-", math.inf, 0.0, False, "handler compared nothing")]
    return results


def run_parity(folder: Path) -> list[ParityResult]:
    """Results of every case in `folder`, in case-name order."""
    handlers, problems = collect_handlers()
    for problem in problems:
        log.warning("parity handler module problem: %s", problem)
    results: list[ParityResult] = []
    for case in discover_cases(Path(folder)):
        results.extend(run_case(case, handlers))
    return results


def format_results(results: list[ParityResult]) -> str:
    """One line per compared output, then exactly `N passed, M failed`."""
    width_case = max([len(r.case) for r in results] + [4])
    width_out = max([len(r.output) for r in results] + [6])
    lines = []
    for r in results:
        status = "PASS" if r.passed else "FAIL"
        line = f"{r.case:<{width_case}}  {r.output:<{width_out}}  err={r.max_abs_err:.3e}  tol={r.tolerance:.3e}  {status}"
        lines.append(line + (f"  {r.note}" if r.note else ""))
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)


def main(folder: str | Path | None = None) -> int:
    """Print the report; 0 when everything passed (and something ran), 1 otherwise."""
    if folder is None:
        folder = DEFAULT_FOLDER
    folder = Path(folder)
    if not folder.is_dir():
        print(f"parity folder not found: {folder}", file=sys.stderr)
        return 2
    results = run_parity(folder)
    print(format_results(results))
    return 0 if results and all(r.passed for r in results) else 1


# -- helpers for handler modules ------------------------------------------------------------------------
def compare(case: str, output: str, ours: Any, reference: Any, rel: float, note: str = "") -> ParityResult:
    """Max abs error of `ours` vs `reference` (torch tensors) against `rel * max|reference|`.

    Integer references (timestep indices, token ids) must match exactly.
    """
    ref = reference.detach().cpu()
    got = ours.detach().cpu()
    if got.numel() != ref.numel():
        return ParityResult(
            case, output, math.inf, 0.0, False, f"shape {tuple(got.shape)} != {tuple(ref.shape)}"
        )
    got = got.reshape(ref.shape)
    if not ref.is_floating_point():
        err = float((got.long() - ref.long()).abs().max()) if ref.numel() else 0.0
        return ParityResult(case, output, err, 0.0, err == 0.0, note or "exact")
    diff = (got.double() - ref.double()).abs()
    err = float(diff.max()) if ref.numel() else 0.0
    if math.isnan(err):
        err = math.inf
    tol = relative_tolerance(float(ref.double().abs().max()) if ref.numel() else 0.0, rel)
    return ParityResult(case, output, err, tol, err <= tol, note)
