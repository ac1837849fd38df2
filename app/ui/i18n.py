"""Languages: English source strings, Simplified Chinese from resources/translations (design §1).

Which language: `--lang` beats the saved setting, which beats the system locale. The `.ts` file is the
source of truth and Qt loads its compiled `.qm` (build output, gitignored): `installer/setup_env.sh`
compiles it next to the `.ts` with `pyside6-lrelease` (shipped with PySide6-Essentials). A source tree
nobody ran the installer in compiles it once into the user's cache on start; without the tool the app
says in the log how to build it and stays English.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QSettings,
    QTranslator,
)

from app.paths import TRANSLATIONS_DIR, user_cache_dir

log = logging.getLogger(__name__)

SETTINGS_KEY = "ui/language"
_current = "en"


def current_language() -> str:
    """The language the running app was started in (English when its translations could not load)."""
    return _current


def choose_language(explicit: str | None = None) -> str:
    lang = explicit or str(QSettings().value(SETTINGS_KEY, "") or "") or QLocale.system().name()
    return "zh_CN" if lang.lower().startswith("zh") else "en"


def save_language(lang: str) -> None:
    QSettings().setValue(SETTINGS_KEY, lang)


def lrelease_tool() -> str | None:
    """`pyside6-lrelease` of this Python's environment, else one on PATH."""
    local = Path(sys.executable).parent / "pyside6-lrelease"
    return str(local) if local.is_file() else shutil.which("pyside6-lrelease")


def compile_ts(ts: Path, qm: Path) -> bool:
    """Compile a Qt Linguist `.ts` to `.qm` with `pyside6-lrelease`; False when that is not possible."""
    tool = lrelease_tool()
    if tool is None:
        return False
    try:
        qm.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [tool, "-silent", str(ts), "-qm", str(qm)], check=True, timeout=30, capture_output=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("pyside6-lrelease could not compile %s: %s", ts, exc)
        return False
    return qm.is_file()


def _fresh(qm: Path, ts: Path) -> bool:
    return qm.is_file() and (not ts.is_file() or qm.stat().st_mtime >= ts.stat().st_mtime)


def translations_cache() -> Path:
    """Where a source tree's translations are compiled on start (the app's user cache folder)."""
    return user_cache_dir() / "translations"


def qm_file(lang: str) -> Path | None:
    """The compiled translations for `lang`: the installer's next to the `.ts`, else one compiled now
    into the user's cache (once per content of the `.ts`); None (and a log line saying how to build it)
    when neither is possible."""
    ts = TRANSLATIONS_DIR / f"undo_studio_{lang}.ts"
    installed = ts.with_suffix(".qm")
    if _fresh(installed, ts):
        return installed
    if ts.is_file():
        # keyed by the .ts content, not its time: two checkouts (or an older one checked out later) share
        # the cache folder, and a newer .qm from other strings looked "fresh" by modification time
        digest = hashlib.sha256(ts.read_bytes()).hexdigest()[:16]
        cached = translations_cache() / f"{installed.stem}-{digest}.qm"
        if cached.is_file() or compile_ts(ts, cached):
            return cached
    if installed.is_file():  # older than its .ts, but better than English
        return installed
    log.warning(
        "No compiled %s translations (%s); showing English. Build them with: pyside6-lrelease %s -qm %s "
        "(installer/setup_env.sh does this).",
        lang,
        installed,
        ts,
        installed,
    )
    return None


def install_translator(lang: str) -> QTranslator | None:
    """Install the translator for `lang` on the running application; returns it (keep a reference).
    English (None) when `lang` is English or its compiled translations cannot be loaded."""
    global _current
    app = QCoreApplication.instance()
    _current = "en"
    if app is None or lang == "en":
        return None
    qm = qm_file(lang)
    if qm is None:
        return None
    translator = QTranslator(app)
    if not translator.load(str(qm)):
        log.warning("Qt could not load %s; showing English. Delete it and start again.", qm)
        translator.deleteLater()
        return None
    app.installTranslator(translator)
    install_qt_translator(lang)
    _current = lang
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
