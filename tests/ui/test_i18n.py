"""Translations: the `.ts` compiles to a `.qm` that Qt loads; the app finds the installer's `.qm`,
compiles one into the cache in a source tree, and stays English (saying how to fix it) without one."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from ts_catalog import ZH_CN_TS

from app.ui import i18n


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A translations folder holding only the .ts, and an empty cache."""
    folder = tmp_path / "translations"
    folder.mkdir()
    shutil.copy(ZH_CN_TS, folder / ZH_CN_TS.name)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", folder)
    monkeypatch.setattr(i18n, "translations_cache", lambda: tmp_path / "cache")
    return folder


@pytest.fixture
def restore_english(qapp):
    yield
    i18n.remove_qt_translators()
    i18n.install_translator("en")


def test_ts_compiles_to_a_qm_that_qt_loads(qapp, tmp_path: Path) -> None:
    assert i18n.lrelease_tool() is not None, "pyside6-lrelease ships with PySide6-Essentials"
    qm = tmp_path / "zh_CN.qm"
    assert i18n.compile_ts(ZH_CN_TS, qm)
    translator = QTranslator()
    assert translator.load(str(qm))
    assert translator.translate("StartPage", "Open artwork…") == "打开作品…"
    assert i18n.choose_language("zh_CN") == "zh_CN" and i18n.choose_language("en") == "en"


def test_the_installers_qm_next_to_the_ts_is_used(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert i18n.compile_ts(tree / ZH_CN_TS.name, tree / "undo_studio_zh_CN.qm")
    monkeypatch.setattr(i18n, "lrelease_tool", lambda: None)  # nothing is compiled at run time
    assert i18n.qm_file("zh_CN") == tree / "undo_studio_zh_CN.qm"


def test_a_source_tree_compiles_into_the_cache_once(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_english
) -> None:
    qm = i18n.qm_file("zh_CN")
    assert qm.parent == tmp_path / "cache" and qm.name.startswith("undo_studio_zh_CN-") and qm.is_file()
    monkeypatch.setattr(i18n, "compile_ts", lambda ts, qm: pytest.fail("compiled twice"))
    assert i18n.qm_file("zh_CN") == qm
    translator = i18n.install_translator("zh_CN")
    assert translator is not None and i18n.current_language() == "zh_CN"
    i18n.QCoreApplication.instance().removeTranslator(translator)


def test_the_cache_follows_the_ts_content_not_its_time(tree: Path, tmp_path: Path) -> None:
    """Two checkouts share the user's cache: a .qm compiled from another .ts, even a newer file, is never
    taken for this one (a helper's new strings showed in English that way)."""
    first = i18n.qm_file("zh_CN")
    ts = tree / ZH_CN_TS.name
    ts.write_text(ts.read_text(encoding="utf-8").replace("打开作品…", "打开画作…"), encoding="utf-8")
    os.utime(ts, (first.stat().st_mtime - 60, first.stat().st_mtime - 60))  # older than the cached .qm
    second = i18n.qm_file("zh_CN")
    assert second != first and second.is_file() and first.is_file()
    translator = QTranslator()
    assert translator.load(str(second))
    assert translator.translate("StartPage", "Open artwork…") == "打开画作…"


def test_without_a_qm_or_lrelease_the_app_stays_english_and_says_how(
    tree: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, restore_english
) -> None:
    monkeypatch.setattr(i18n, "lrelease_tool", lambda: None)
    with caplog.at_level(logging.WARNING, logger=i18n.__name__):
        assert i18n.install_translator("zh_CN") is None
    assert i18n.current_language() == "en"
    assert "pyside6-lrelease" in caplog.text and "showing English" in caplog.text
