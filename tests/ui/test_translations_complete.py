"""Every literal the UI passes to Qt's translation has a finished Simplified Chinese translation.

A string added to the UI without a `.ts` entry shows up in English in the Chinese UI; this test names it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ts_catalog import finished_translations

UI_DIR = Path(__file__).resolve().parents[2] / "app" / "ui"


def _translated_literals() -> list[tuple[str, str]]:
    """(file:line, source text) of every `tr("…")`, `self.tr("…")` and `translate(ctx, "…")` call."""
    found = []
    for path in sorted(UI_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            index = {"tr": 0, "translate": 1}.get(name or "")
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip():
                found.append((f"{path.relative_to(UI_DIR)}:{node.lineno}", arg.value))
    return found


def test_every_ui_string_has_a_chinese_translation() -> None:
    translated_sources = {source for _, source in finished_translations()}
    literals = _translated_literals()
    assert len(literals) > 100  # the scan found the UI's strings
    missing = [f"{where}: {text!r}" for where, text in literals if text not in translated_sources]
    assert not missing, "Strings without a Chinese translation:\n" + "\n".join(missing)
