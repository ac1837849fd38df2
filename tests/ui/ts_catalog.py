"""The finished translations of a Qt Linguist `.ts` file, read directly (for the completeness tests;
the app itself loads the compiled `.qm`, see app/ui/i18n.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from app.paths import TRANSLATIONS_DIR

ZH_CN_TS = TRANSLATIONS_DIR / "undo_studio_zh_CN.ts"


def finished_translations(path: Path = ZH_CN_TS) -> dict[tuple[str, str], str]:
    """(context, source) -> translation, for every message with a finished, non-empty translation."""
    out: dict[tuple[str, str], str] = {}
    for ctx in ET.parse(path).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            if tr is None or not tr.text or tr.get("type") in ("unfinished", "obsolete", "vanished"):
                continue
            out[(name, msg.findtext("source") or "")] = tr.text
    return out
