"""Languages: English source strings, Simplified Chinese from resources/translations (design §1).

Which language: `--lang` beats the saved setting, which beats the system locale. The `.ts` file is the
source of truth; we compile it to `.qm` with `pyside6-lrelease` into the user's cache when that tool is
there, and otherwise read the `.ts` XML directly (`TsTranslator`), so translations work without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QSettings,
    QStandardPaths,
    QTranslator,
)

from app.paths import TRANSLATIONS_DIR

SUPPORTED = ("en", "zh_CN")
SETTINGS_KEY = "ui/language"
_current = "en"


def current_language() -> str:
    """The language the running app was started in."""
    return _current


class TsTranslator(QTranslator):
    """Reads a Qt Linguist `.ts` file. Lookup by (context, source), then by source alone."""

    def __init__(self, path: Path, parent=None) -> None:
        super().__init__(parent)
        self.by_context: dict[tuple[str, str], str] = {}
        self.by_source: dict[str, str] = {}
        root = ET.parse(path).getroot()
        for ctx in root.iter("context"):
            name = ctx.findtext("name") or ""
            for msg in ctx.iter("message"):
                source = msg.findtext("source") or ""
                tr = msg.find("translation")
                if (
                    tr is None
                    or not (tr.text or "")
                    or tr.get("type") in ("unfinished", "obsolete", "vanished")
                ):
                    continue
                self.by_context[(name, source)] = tr.text or ""
                self.by_source.setdefault(source, tr.text or "")

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: D401 - Qt override
        return self.by_context.get((context, source_text)) or self.by_source.get(source_text) or ""

    def isEmpty(self) -> bool:  # noqa: N802
        return not self.by_source


def choose_language(explicit: str | None = None) -> str:
    lang = explicit or str(QSettings().value(SETTINGS_KEY, "") or "") or QLocale.system().name()
    return "zh_CN" if lang.lower().startswith("zh") else "en"


def save_language(lang: str) -> None:
    QSettings().setValue(SETTINGS_KEY, lang)


def _lrelease() -> str | None:
    local = Path(sys.executable).parent / "pyside6-lrelease"
    return str(local) if local.is_file() else shutil.which("pyside6-lrelease")


def _compiled_qm(ts: Path) -> Path | None:
    """Compile `ts` to a `.qm` in the cache (once per change of the .ts); None when no tool is there."""
    tool = _lrelease()
    if tool is None:
        return None
    cache = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation) or "/tmp")
    qm = cache / "translations" / (ts.stem + ".qm")
    try:
        if not qm.is_file() or qm.stat().st_mtime < ts.stat().st_mtime:
            qm.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [tool, "-silent", str(ts), "-qm", str(qm)], check=True, timeout=30, capture_output=True
            )
        return qm if qm.is_file() else None
    except (OSError, subprocess.SubprocessError):
        return None


def install_translator(lang: str) -> QTranslator | None:
    """Install the translator for `lang` on the running application; returns it (keep a reference)."""
    global _current
    app = QCoreApplication.instance()
    _current = lang
    if app is None or lang == "en":
        return None
    ts = TRANSLATIONS_DIR / f"undo_studio_{lang}.ts"
    if not ts.is_file():
        return None
    translator: QTranslator | None = None
    qm = _compiled_qm(ts)
    if qm is not None:
        candidate = QTranslator(app)
        if candidate.load(str(qm)):
            translator = candidate
    if translator is None:
        translator = TsTranslator(ts, app)
    app.installTranslator(translator)
    install_qt_translator(lang)
    return translator


_qt_translators: list[QTranslator] = []


def install_qt_translator(lang: str) -> QTranslator | None:
    """Qt's own strings (OK / Cancel / Save / Discard, the file dialog) come from Qt's `qtbase_<lang>.qm`,
    which PySide6 ships; without it the standard buttons and dialogs stay English."""
    app = QCoreApplication.instance()
    if app is None or lang == "en":
        return None
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load(f"qtbase_{lang}", folder):
        return None
    app.installTranslator(translator)
    _qt_translators.append(translator)  # keep the Python wrapper alive with the application
    return translator


def remove_qt_translators() -> None:
    app = QCoreApplication.instance()
    while _qt_translators:
        translator = _qt_translators.pop()
        if app is not None:
            app.removeTranslator(translator)


def tr_engine(text: str) -> str:
    """Engine-provided text (display names, setting labels and choices, availability headlines) is
    English in the engines; the UI translates it here, in the `Engine` context of the .ts file."""
    return QCoreApplication.translate("Engine", text) or text


_TRAILING_NUMBERS = re.compile(r"^(.*\S)\s+(\d+)(?:/(\d+))?$")


def tr_progress(message: str) -> str:
    """Engine progress messages ("Finding line art", "Rendered step 492", "Sampling step 3/8") are
    English in the engines. Whole messages are looked up in the `Engine` context; a message ending in a
    number (or N/M) is looked up with `%1` (and `%2`) in place of the numbers ("Rendered step %1")."""
    translated = QCoreApplication.translate("Engine", message)
    if translated and translated != message:
        return translated
    match = _TRAILING_NUMBERS.match(message)
    if match is not None:
        text, first, second = match.groups()
        pattern = f"{text} %1" + ("/%2" if second is not None else "")
        translated = QCoreApplication.translate("Engine", pattern)
        if translated and translated != pattern:
            return translated.replace("%1", first).replace("%2", second or "")
    return message
