"""Why Paints-UNDO is not ready is on the start page itself (issue 10 item 18): the models report's reason
under the engine's row, in the UI language, selectable, with links to the models folder and the weights'
Hugging Face pages; not only an English tooltip."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from app.ui.start_controller import DOWNLOAD_COMMAND, models_facts

SINGLE_FRAME_REPO = "lllyasviel/paints_undo_single_frame"


def _probe_with(models_dir: Path):
    def probe(cancel, progress):
        return {
            "engines": [
                ("Procedural (no weights)", True, ""),
                ("Paints-UNDO", False, models_facts(models_dir)),
            ],
            "device": {"name": "CPU", "kind": "cpu", "total": 1024**3, "free": 1024**3},
        }

    return probe


def _reason_label(qtbot, w, models_dir: Path) -> QLabel:
    w.controller.start.start_probe(_probe_with(models_dir))
    qtbot.waitUntil(lambda: not w.controller.start.probing, timeout=30000)
    labels = w.start_page.findChildren(QLabel, "engineReason")
    assert len(labels) == 1  # the ready procedural engine has none
    return labels[0]


def test_models_facts_name_the_missing_folders_and_their_repository(tmp_path):
    facts = models_facts(tmp_path / "models")
    assert not facts.dir_exists
    assert "paints_undo_single_frame/unet" in facts.missing
    assert all(folder.startswith("paints_undo_single_frame/") for folder in facts.missing)
    assert SINGLE_FRAME_REPO in facts.repos
    assert facts.no_tagger and facts.no_multi_frame


def test_the_reason_is_on_the_page_selectable_with_a_link_to_the_models_folder(qtbot, make_window, tmp_path):
    models_dir = tmp_path / "models"
    w = make_window()
    label = _reason_label(qtbot, w, models_dir)
    qtbot.waitUntil(lambda: label.isVisibleTo(w.start_page))  # a layout shows a new child on the next loop
    assert not label.toolTip()
    shown = label.text()
    assert "Missing or unusable model folders" in shown
    assert "paints_undo_single_frame/unet" in shown
    assert DOWNLOAD_COMMAND in shown
    assert f"href='{QUrl.fromLocalFile(str(models_dir)).toString()}'" in shown
    assert f"href='https://huggingface.co/{SINGLE_FRAME_REPO}'" in shown
    flags = label.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert flags & Qt.TextInteractionFlag.LinksAccessibleByMouse
    assert label.openExternalLinks() and label.wordWrap()
    assert "details in the tooltip" not in shown


def test_the_reason_reads_in_chinese(qtbot, make_window, tmp_path, chinese):
    models_dir = tmp_path / "models"
    w = make_window()
    shown = _reason_label(qtbot, w, models_dir).text()
    assert "缺失或不可用的模型文件夹" in shown
    assert "模型文件夹：" in shown
    assert "Missing or unusable" not in shown
    assert str(models_dir) in shown  # dynamic parts stay as they are
    assert DOWNLOAD_COMMAND in shown


def test_a_plain_reason_is_escaped_and_keeps_its_lines(make_window):
    w = make_window()
    assert w.controller.start.reason_html("a <b> & c\nnext") == "a &lt;b&gt; &amp; c<br>next"


def test_a_long_reason_wraps_instead_of_widening_the_page(qtbot, make_window, tmp_path):
    """The page scrolls on a small screen (800x500 logical at 2x); the reason, with its long paths, must
    not make it scroll sideways."""
    from PySide6.QtWidgets import QWidget

    w = make_window()
    content = w.start_page.findChild(QWidget, "startContent")
    before = content.minimumSizeHint().width()
    label = _reason_label(qtbot, w, tmp_path / ("a-very-long-folder-name-" * 6) / "models")
    qtbot.waitUntil(lambda: label.isVisibleTo(w.start_page))
    assert content.minimumSizeHint().width() <= max(before, 780)


def test_links_are_readable_on_the_dark_theme(qapp):
    """Qt's default link colour (dark blue) could not be read on the theme's background."""
    from PySide6.QtGui import QPalette

    from app.ui.theme import BG, apply_theme

    sheet, palette = qapp.styleSheet(), qapp.palette()
    try:
        apply_theme(qapp)
        link, bg = qapp.palette().color(QPalette.ColorRole.Link), QColor(BG)
        assert link.lightness() - bg.lightness() > 100
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
