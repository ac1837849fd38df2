"""Every fixed hint the core and the engines give with an error has a finished Simplified Chinese
translation in the `Errors` context, where `app/ui/error_text.py` looks it up by exact text.

A hint added to `app/core`, `app/inference`, `app/analysis` or `app/batch` without a `.ts` entry shows up in English in the Chinese
UI; this test names it and where it is raised. "Fixed" means known without running the code: a string
literal, a module-level string constant, `+` of those, or an f-string whose parts are such constants.
Hints built from run-time values (a path, a list of names) stay English and are not listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ts_catalog import finished_translations

ROOT = Path(__file__).resolve().parents[2]
SCANNED = tuple(ROOT / "app" / part for part in ("core", "inference", "analysis", "batch"))
ERROR_CLASSES = {
    "UndoStudioError",
    "ArtworkError",
    "DiskFullError",
    "ProjectReadOnlyError",
    "RecordingError",
    "BatchError",
    "ProjectError",
    "ExportError",
    "EngineError",
    "WeightsError",
    "DeviceError",
    "CancelledError",
}


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "literal"` (or a fixed expression of earlier constants)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _fixed(node.value, found)
            if value is not None:
                found[node.targets[0].id] = value
    return found


def _fixed(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The string `node` always evaluates to, or None when it depends on run-time values."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fixed(node.left, constants), _fixed(node.right, constants)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.conversion != -1 or value.format_spec is not None:
                    return None
                value = value.value
            part = _fixed(value, constants)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    return None


def fixed_hints() -> dict[str, list[str]]:
    """hint -> ["path:line", ...] for every error raised in app/core and app/inference with a fixed
    hint (second positional argument or `hint=` of a call to one of the error classes)."""
    hints: dict[str, list[str]] = {}
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = _constants(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name not in ERROR_CLASSES:
                    continue
                arg = node.args[1] if len(node.args) > 1 else None
                arg = next((k.value for k in node.keywords if k.arg == "hint"), arg)
                hint = None if arg is None else _fixed(arg, constants)
                if hint and hint.strip():
                    hints.setdefault(hint, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return hints


def test_every_fixed_error_hint_has_a_chinese_translation() -> None:
    translated = finished_translations()
    hints = fixed_hints()
    assert len(hints) > 80  # the scan found the hints (about 90 when this was written)
    assert "Open it in your painting app and export it again as PNG." in hints  # a module constant
    missing = [f"{where[0]}: {hint!r}" for hint, where in hints.items() if ("Errors", hint) not in translated]
    assert not missing, "Error hints without a Chinese translation in the Errors context:\n" + "\n".join(
        missing
    )
    untranslated = [hint for hint in hints if translated[("Errors", hint)] == hint]
    assert not untranslated, f"Hints 'translated' to the English text: {untranslated}"
