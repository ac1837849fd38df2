"""Fixes from a user-eyed review: what a user saw going wrong, each pinned by a test."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox, QPushButton, QVBoxLayout, QWidget
from ui_helpers import finish, open_artwork, open_project, open_small

from app.inference.runner import CallJob


def _saved_project(qtbot, w, small_artwork, tmp_path):
    open_small(qtbot, w, small_artwork, step=600)
    path = tmp_path / "kept.undoproj"
    assert w.controller.files.save(path=path)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    return path


def test_a_damaged_image_does_not_close_the_open_project(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    path = _saved_project(qtbot, w, small_artwork, tmp_path)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    assert not open_artwork(qtbot, w, bad)
    assert "broken.png" in w.status.error_label.text()
    assert w.projects.path == path  # still attached to its file: autosave goes on
    assert w.document.artwork is not None and w.pages.currentWidget() is w.viewer_page


def test_a_damaged_project_does_not_close_the_open_project(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    path = _saved_project(qtbot, w, small_artwork, tmp_path)
    bad = tmp_path / "broken.undoproj"
    bad.write_bytes(b"this is not a database" * 100)
    assert not open_project(qtbot, w, bad)
    assert "broken.undoproj" in w.status.error_label.text()
    assert w.projects.path == path
    assert w.pages.currentWidget() is w.viewer_page


def test_opening_an_artwork_does_not_cancel_the_start_page_probe(qtbot, make_window, small_artwork):
    """The probe (engines ready?, which device) used to be cancelled with the document's work, leaving
    the start page at "Device: checking…" and raw engine ids for the whole session. Here the probe is
    still queued when the open leaves the (empty) document and cancels its work."""
    w = make_window()
    start, opened = threading.Event(), threading.Event()
    w.worker.submit(CallJob(lambda cancel, progress: start.wait(10)), -1000, "hold")
    task = w.controller.files.open_artwork(small_artwork)
    qtbot.waitUntil(lambda: w.controller.files.loading)  # its read is queued behind the hold
    w.worker.submit(CallJob(lambda cancel, progress: opened.wait(10)), 0, "hold")  # after the read

    def probe(cancel, progress):
        return {
            "engines": [("Procedural (no weights)", True, "")],
            "device": {"name": "CPU (x86_64, 2 cores)", "kind": "cpu", "total": 4 * 1024**3, "free": 1024**3},
        }

    w.controller.start.start_probe(probe)
    start.set()
    assert finish(qtbot, task)  # left the empty document: its work cancelled
    assert w.controller.start.probing
    opened.set()
    qtbot.waitUntil(lambda: not w.controller.start.probing, timeout=30000)
    assert w.start_page.device_label.text() == "Device: CPU (x86_64, 2 cores) · 4.0 GB, 1.0 GB free"


def test_device_text_names_the_kind_once(make_window):
    w = make_window()
    gib = 1024**3
    cuda = {"name": "NVIDIA H200", "kind": "cuda", "total": 140 * gib, "free": 139 * gib}
    assert w.controller.start.device_text(cuda) == "NVIDIA H200 (cuda) · 140.0 GB, 139.0 GB free"
    cpu = {"name": "CPU (x86_64, 2 cores)", "kind": "cpu", "total": 2 * gib, "free": gib}
    assert w.controller.start.device_text(cpu).startswith("CPU (x86_64, 2 cores) · ")


def test_escape_during_an_export_cancels_it_and_keeps_the_dialog(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.compare_export.open_export()
    dialog.path.setText(str(tmp_path / "out.mp4"))
    dialog.length.setCurrentIndex(0)  # every step: long enough to still run when Esc comes
    ctrl = w.controller.compare_export.export_controller
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctrl.running)
    assert not dialog.format.isEnabled() and not dialog.path.isEnabled()  # inputs locked while running
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()  # not hidden with the export going on unseen
    qtbot.waitUntil(lambda: not ctrl.running, timeout=30000)
    assert ctrl.result is None and "cancelled" in dialog.status.text()
    assert dialog.format.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # now it closes
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def test_a_long_error_does_not_widen_the_window(qtbot, make_window):
    w = make_window()
    w.status.show_error("This error message is far too long for one status bar line. " * 20)
    qtbot.wait(50)  # let the layout take in the label's new size
    assert w.minimumSizeHint().width() < 1200 and w.width() <= 1440
    assert w.status.error_label.toolTip().startswith("This error message")


def test_status_bar_says_when_the_project_is_being_written(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork, step=600)
    assert w.controller.files.save(path=tmp_path / "p.undoproj")
    assert w.projects.busy()
    w.controller.update_stats()
    assert w.status.saving_label.isVisibleTo(w.status)
    qtbot.waitUntil(lambda: not w.projects.busy(), timeout=30000)
    w.controller.update_stats()
    assert not w.status.saving_label.isVisibleTo(w.status)


def test_engine_progress_and_qt_buttons_are_translated(qtbot, make_window, qapp):
    from app.ui.i18n import install_translator, remove_qt_translators, tr_progress

    translator = install_translator("zh_CN")
    try:
        assert tr_progress("Measuring regions") == "正在测量区域"
        assert tr_progress("Rendered step 492") == "已渲染第 492 步"
        assert tr_progress("Sampling step 3/8") == "采样第 3/8 步"
        assert tr_progress("Something new 5") == "Something new 5"  # unknown: shown as it is
        w = make_window()
        w.document.progress.emit(0.5, "Rendered step 12")
        assert w.status.message.text() == "已渲染第 12 步"
        box = QMessageBox(QMessageBox.Icon.Question, "t", "x", QMessageBox.StandardButton.Cancel)
        assert box.button(QMessageBox.StandardButton.Cancel).text() == "取消"  # Qt's own strings too
    finally:
        remove_qt_translators()
        if translator is not None:
            qapp.removeTranslator(translator)
        install_translator("en")  # back to the language the other tests expect


def test_a_disabled_primary_button_looks_disabled(qtbot):
    from app.ui.theme import ACCENT, STYLESHEET

    host = QWidget()
    host.setStyleSheet(STYLESHEET)
    button = QPushButton("Export")
    button.setObjectName("primary")
    button.setFixedSize(200, 40)
    QVBoxLayout(host).addWidget(button)
    qtbot.addWidget(host)
    host.show()
    accent = QColor(ACCENT)

    def background() -> QColor:
        return button.grab().toImage().pixelColor(12, 20)

    assert background() == accent
    button.setEnabled(False)
    assert background() != accent


def test_duplicate_is_named_after_its_seed_and_long_names_wrap(qtbot, make_window, small_artwork):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    copy = w.document.duplicate_branch(w.document.active_id)
    assert copy.name == f"Seed {copy.spec.seed}"
    lst = w.branches_panel.list
    assert lst.wordWrap() and lst.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert all(lst.item(i).toolTip() for i in range(lst.count()))


def test_choosing_a_language_says_it_applies_after_a_restart(make_window):
    w = make_window()
    w.controller.shortcuts.language.setCurrentIndex(1)
    assert "restart" in w.status.message.text()
    w.controller.shortcuts.language.setCurrentIndex(0)
    assert w.status.message.text() == ""


def test_dialog_buttons_have_no_stock_icons(qapp):
    """Fusion's green arrow and red cross on OK/Cancel clashed with the app's line icons (seen in the
    Preferences dialog's screenshot); the theme's style turns them off."""
    from PySide6.QtWidgets import QDialogButtonBox

    from app.ui.theme import apply_theme

    sheet, palette, style = qapp.styleSheet(), qapp.palette(), qapp.style().name()
    apply_theme(qapp)
    try:
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        assert box.button(QDialogButtonBox.StandardButton.Ok).icon().isNull()
        assert box.button(QDialogButtonBox.StandardButton.Cancel).icon().isNull()
        box.deleteLater()
    finally:
        qapp.setStyle(style)
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)


def test_the_theme_style_refuses_button_icons_where_the_platform_wants_them(qapp):
    """Offscreen Qt asks for no icons anyway; under X11 (xcb) it does: a base style that wants them
    stands in for that platform."""
    from PySide6.QtWidgets import QProxyStyle, QStyle

    from app.ui.theme import _Style

    hint = QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons

    class WantsIcons(QProxyStyle):
        def styleHint(self, h, option=None, widget=None, data=None):
            return 1 if h == hint else super().styleHint(h, option, widget, data)

    assert WantsIcons("Fusion").styleHint(hint) == 1
    assert _Style(WantsIcons("Fusion")).styleHint(hint) == 0


def test_a_toolbar_overflow_button_shows_the_apps_light_chevrons(qapp, themed):
    """At the window's smallest the language chooser moves into the toolbar's overflow button, which
    showed nothing: Fusion's arrow is dark on the dark toolbar, and the toolbar buttons' padding left the
    12 px button no room for an icon. The theme gives it the app's own chevrons, drawn light."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QComboBox, QMainWindow, QStyle, QToolBar, QToolButton

    from app.ui.icons import icon
    from app.ui.theme import _Style

    more = icon("more")
    extension_icon = QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton
    assert not more.isNull() and _Style("Fusion").standardIcon(extension_icon).cacheKey() == more.cacheKey()
    window = QMainWindow()
    bar = QToolBar()
    window.addToolBar(bar)
    for _ in range(8):
        bar.addWidget(QComboBox())
    window.resize(200, 80)
    window.show()
    qapp.processEvents()
    button = bar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert button is not None and button.isVisible()
    assert button.icon().cacheKey() == more.cacheKey()
    image = button.grab().toImage()
    light = sum(
        QColor(image.pixel(x, y)).lightness() > 120
        for x in range(image.width())
        for y in range(image.height())
    )
    assert light >= 10, "the overflow button draws no visible icon"
    window.close()


def test_no_button_state_changes_the_font_its_size_was_measured_with():
    """A dialog's default button is made default after it was sized: a bolder font in the `:default`
    rule was painted in a button sized for the regular one, so "Add as recording" was clipped. Only
    rules matched when a button is polished (its object name) may set the weight."""
    import re

    from app.ui.theme import STYLESHEET

    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", STYLESHEET):
        if "QPushButton:" in selectors and "font" in body:
            raise AssertionError(f"a button state sets its font: {selectors.strip()} {{{body}}}")
