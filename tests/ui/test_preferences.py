"""Preferences (issue 10, item 15): models folder, memory cache budget, language and default export
folder are saved, and each applies where it should (the cache at once, the export dialog's proposal,
the models folder and language at the next start)."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import open_small

from app.ui.preferences import MIB, MODELS_ENV, Preferences


def test_preferences_dialog_saves_and_applies(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.menus.show_preferences()
    dialog.models.setText(str(tmp_path / "weights"))
    dialog.cache.setValue(512)
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.export.setText(str(tmp_path / "exports"))
    dialog.accept()
    prefs = Preferences.load()
    assert prefs == Preferences(tmp_path / "weights", 512, "zh_CN", tmp_path / "exports")
    assert w.document.cache_budget() == 512 * MIB, "the cache budget applies at once"
    assert w.controller.shortcuts.language.currentData() == "zh_CN"
    assert "restart" in w.status.message.text()
    export = w.controller.compare_export.open_export()
    assert Path(export.path.text()).parent == tmp_path / "exports"
    export.reject()


def test_preferences_apply_at_the_next_start(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_ENV, "")  # unset for the app; the test restores the real state
    Preferences(models_dir=tmp_path / "weights", cache_mb=300).save()
    w = make_window()
    import os

    assert os.environ[MODELS_ENV] == str(tmp_path / "weights")
    assert w.document.cache_budget() == 300 * MIB


def test_damaged_preferences_fall_back_to_defaults():
    from PySide6.QtCore import QSettings

    from app.ui.preferences import CACHE_KEY, DEFAULT_CACHE_MB

    QSettings().setValue(CACHE_KEY, "lots")
    assert Preferences.load().cache_mb == DEFAULT_CACHE_MB
    QSettings().setValue(CACHE_KEY, 10**9)
    assert Preferences.load().cache_mb == 65536
