"""Errors from the core and the engines read in the UI language: a headline per error class and the
translated hint first, the original English message kept as the detail (app/ui/error_text.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from ui_helpers import finish, open_artwork, open_small

from app.errors import ArtworkError, DeviceError, EngineError, ExportError, ProjectError, WeightsError

HEADLINE = "无法打开这幅作品"
HINT = "请重新复制或下载它，或在绘画软件中打开它并重新导出为 PNG。"


@pytest.fixture
def truncated_png(tmp_path):
    """A PNG cut off halfway, as an interrupted copy or download leaves it."""
    path = tmp_path / "damaged.png"
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_a_damaged_image_reads_in_chinese_with_the_english_detail(qtbot, make_window, truncated_png, chinese):
    w = make_window()
    w.controller.modal_errors = True
    assert not open_artwork(qtbot, w, truncated_png)

    box = w.controller.error_box
    assert box is not None
    try:
        assert box.text().startswith(HEADLINE)
        assert HINT in box.text()
        assert "Copy or download it again" not in box.text()  # the hint is not repeated in English
        assert "'damaged.png' is cut off (truncated)." in box.informativeText()  # the English detail
    finally:
        box.done(0)

    shown = w.status.error_label.text().removeprefix("⚠ ")
    assert shown.startswith(HEADLINE)
    assert HINT in shown and "'damaged.png' is cut off (truncated)." in shown
    assert "\n" not in shown  # one status bar line
    assert w.status.error_label.toolTip().startswith(HEADLINE + "\n" + HINT)


def test_each_error_class_has_its_chinese_headline(chinese):
    from app.ui.error_text import describe

    expected = [
        (ArtworkError("a", ""), "无法打开这幅作品"),
        (ProjectError("p", ""), "项目文件出错"),
        (ExportError("e", ""), "导出失败"),
        (WeightsError("w", ""), "模型文件有问题"),  # before its base class, EngineError
        (DeviceError("d", ""), "计算设备有问题"),
        (EngineError("g", ""), "引擎未能完成处理"),
        (RuntimeError("boom"), "出现了错误"),
    ]
    for exc, headline in expected:
        text = describe(exc)
        assert text.summary == headline, type(exc).__name__
        assert text.detail == str(exc)


def test_a_hint_built_at_run_time_stays_english_under_the_headline(chinese):
    from app.ui.error_text import describe

    text = describe(ExportError("Writing 'x.mp4' failed.", "Choose one of: a, b, c."))
    assert text.summary == "导出失败\nChoose one of: a, b, c."
    assert text.text() == "导出失败\nChoose one of: a, b, c.\n\nWriting 'x.mp4' failed."


def test_a_failed_export_reads_in_chinese_in_the_export_dialog(
    qtbot, make_window, small_artwork, chinese, monkeypatch
):
    from app.ui.dialogs import export_controller

    def failing_export(*args, **kwargs):
        raise ExportError("Writing 'out.mp4' failed.", "Choose another location.")

    monkeypatch.setattr(export_controller, "export_process", failing_export)
    w = make_window()
    open_small(qtbot, w, small_artwork)
    w.controller.compare_export.open_export()
    ctrl = w.controller.compare_export.export_controller
    assert finish(qtbot, ctrl.start()) is None
    status = ctrl.dialog.status.text()
    assert status.startswith("导出失败\n请选择其他位置。")
    assert "Writing 'out.mp4' failed." in status
    ctrl.dialog.reject()


def test_the_english_ui_shows_errors_as_before(qapp):
    from app.ui.error_text import describe, one_line

    exc = ArtworkError("'bad.png' is cut off (truncated).", "Copy or download it again.")
    assert describe(exc).text() == exc.user_text()  # no headline, nothing twice
    assert describe(exc).detail == ""
    assert one_line(exc.user_text()) == exc.user_text()
