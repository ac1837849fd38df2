"""Design §2: imports only point down. The core and the procedural engine stay Qt-free and torch-free,
and the UI never imports the neural stack. Each check runs in a fresh interpreter so nothing else in
the test session has already imported the modules."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "diffusers", "transformers", "onnxruntime")


def _imported_after(statement: str, watched: tuple[str, ...]) -> list[str]:
    code = f"import sys\n{statement}\nprint(','.join(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize(
    "statement",
    [
        "import app.core",
        "import app.core.artwork, app.core.timeline, app.core.frame_cache, app.core.export, app.core.segments",
        "import app.core.project_store, app.core.scheduler",
        "import app.inference.procedural",
        "import app.analysis.sources, app.analysis.align, app.analysis.score",
    ],
)
def test_core_and_procedural_import_neither_qt_nor_torch(statement: str) -> None:
    assert _imported_after(statement, ("PySide6", *HEAVY)) == []


def test_registry_and_cli_import_no_engine_stack() -> None:
    assert _imported_after("import app.inference.registry, app.cli", ("PySide6", *HEAVY)) == []


def test_batch_imports_neither_qt_nor_the_engine_stack_nor_ray() -> None:
    """Ray comes with the optional `cluster` extra: only a batch run with --ray imports it."""
    statement = "import app.batch, app.batch.local, app.cli.batch; app.cli.build_parser()"
    assert _imported_after(statement, ("PySide6", "ray", *HEAVY)) == []


def test_ui_imports_no_neural_stack() -> None:
    assert _imported_after("import app.ui.main_window, app.ui.launch", HEAVY) == []


def test_app_never_imports_the_developer_tools() -> None:
    """`tools/` (parity harness, not shipped in the wheel) may import `app`; `app` must not import `tools`."""
    import ast
    from pathlib import Path

    offenders = []
    for path in sorted((Path(__file__).resolve().parents[1] / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if n == "tools" or n.startswith("tools.")]
    assert offenders == []
