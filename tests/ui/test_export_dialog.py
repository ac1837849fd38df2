"""Issue 10 items 3 and 16 in the GUI: a PNG sequence carries process.json, a large GIF asks first, the
export dialog keeps its layout while running, remembers its choices and never proposes a taken name."""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QMessageBox
from ui_helpers import finish, open_small

from app.ui.dialogs import export_controller
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.dialogs.export_settings import default_base_name, load_choices, unique_path


def _short_export(dialog, out) -> None:
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(990)
    dialog.length.setCurrentIndex(0)
    dialog.hold_last.setValue(0.0)


def test_a_png_sequence_from_the_gui_writes_process_json_like_the_cli(
    qtbot, make_window, small_artwork, tmp_path
):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.compare_export.open_export()
    out = tmp_path / "frames"
    _short_export(dialog, out)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.path.setText(str(out))
    ctrl = w.controller.compare_export.export_controller
    assert finish(qtbot, ctrl.start(), 60000) is not None
    manifest = json.loads((out / "process.json").read_text())
    branch = w.document.active
    assert manifest["engine"] == branch.spec.engine and manifest["seed"] == branch.spec.seed
    assert manifest["artwork_hash"] == w.document.artwork.content_hash
    assert manifest["steps"] == list(range(999, 989, -1)) and manifest["ai_simulated_process"] is True
    assert len(manifest["frames"]) == len(list(out.glob("frame_*.png"))) == 10
    dialog.close()


def test_a_gif_over_the_warning_size_asks_first(qtbot, make_window, small_artwork, tmp_path, monkeypatch):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.compare_export.open_export()
    out = tmp_path / "big.gif"
    _short_export(dialog, out)
    ctrl = w.controller.compare_export.export_controller
    asked: list[str] = []
    answer = QMessageBox.StandardButton.No

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    assert finish(qtbot, ctrl.start(), 60000) is not None  # a few KB: no question
    assert asked == [] and out.is_file()
    out.unlink()
    monkeypatch.setattr(export_controller, "GIF_WARN_BYTES", 1000)
    assert finish(qtbot, ctrl.start(), 60000) is None  # "No": nothing rendered, nothing written
    assert len(asked) == 1 and "MB" in asked[0] and not out.exists() and not ctrl.running
    answer = QMessageBox.StandardButton.Yes
    assert finish(qtbot, ctrl.start(), 60000) is not None and out.is_file()
    dialog.close()


def _at(widget, dialog) -> QPoint:
    return widget.mapTo(dialog, QPoint(0, 0))


def test_the_dialog_keeps_its_layout_while_running_with_cancel_where_export_was(qtbot, tmp_path):
    dialog = ExportDialog("house-Seed-0-process")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    export_at, close_at, size = (
        _at(dialog.export_button, dialog),
        _at(dialog.close_button, dialog),
        dialog.geometry().size(),
    )
    dialog.set_running(True)
    qtbot.wait(10)
    assert dialog.cancel_button.isVisible() and not dialog.export_button.isVisible()
    assert _at(dialog.cancel_button, dialog) == export_at and _at(dialog.close_button, dialog) == close_at
    assert dialog.geometry().size() == size and dialog.progress.isVisible()
    dialog.progress.setValue(400)
    dialog.status.setText("Could not write the file. Check free disk space and that the folder is writable.")
    dialog.set_running(False)
    qtbot.wait(10)
    assert dialog.export_button.isVisible() and _at(dialog.export_button, dialog) == export_at
    assert _at(dialog.close_button, dialog) == close_at and dialog.geometry().size() == size
    dialog.close()


def test_the_dialog_remembers_its_choices_and_checks_what_it_reads(qtbot, tmp_path):
    first = ExportDialog("a-Seed-0-process")
    qtbot.addWidget(first)
    first.format.setCurrentIndex(first.format.findData("webp"))
    first.fps.setValue(24)
    first.length.setCurrentIndex(first.length.findData("full"))
    first.size.setCurrentIndex(first.size.findData(512))
    first.hold_last.setValue(2.5)
    first.final_first.setChecked(True)
    first.label.setChecked(False)
    first.path.setText(str(tmp_path / "mine.webp"))
    first.remember()
    again = ExportDialog("a-Seed-0-process")
    qtbot.addWidget(again)
    assert again.format.currentData() == "webp" and again.fps.value() == 24
    assert again.length.currentData() == "full" and again.size.currentData() == 512
    assert again.hold_last.value() == 2.5 and again.final_first.isChecked() and not again.label.isChecked()
    assert again.output_path() == tmp_path / "a-Seed-0-process.webp"  # the folder is remembered
    settings = QSettings()
    for key, bad in [
        ("format", "avi"),
        ("fps", "1e9"),
        ("length", "5m"),
        ("size", "777"),
        ("hold_last_s", "nan"),
        ("final_first", "maybe"),
        ("label", "[]"),
        ("folder", str(tmp_path / "gone")),
    ]:
        settings.setValue(f"export/{key}", bad)
    settings.sync()
    damaged = ExportDialog("a-Seed-0-process")
    qtbot.addWidget(damaged)
    assert load_choices().format == "mp4" and damaged.format.currentData() == "mp4"
    assert damaged.fps.value() == 30 and damaged.length.currentData() == "30s"
    assert damaged.size.currentData() is None and damaged.hold_last.value() == 1.0
    assert not damaged.final_first.isChecked() and damaged.label.isChecked()
    assert damaged.output_path().parent != tmp_path / "gone"


def test_default_names_name_the_branch_and_never_reuse_an_existing_export(
    qtbot, make_window, small_artwork, tmp_path
):
    assert default_base_name("house", ["Seed 7"]) == "house-Seed-7-process"
    assert default_base_name("house", ["Seed 0", "种子 7"]) == "house-Seed-0-vs-种子-7-comparison"
    assert default_base_name("", ["a/b:c"]) == "process-a-b-c-process"
    (tmp_path / "house-Seed-7-process.mp4").write_bytes(b"an earlier export")
    (tmp_path / "house-Seed-7-process-2.mp4").write_bytes(b"another")
    assert unique_path(tmp_path, "house-Seed-7-process", "mp4").name == "house-Seed-7-process-3.mp4"
    assert unique_path(tmp_path, "house-Seed-7-process", "png").name == "house-Seed-7-process"

    w = make_window()
    open_small(qtbot, w, small_artwork)
    QSettings().setValue("export/folder", str(tmp_path))
    names = []
    for branch in (w.document.active, w.document.duplicate_branch(w.document.active_id)):
        w.document.set_active(branch.id)
        dialog = w.controller.compare_export.open_export()
        names.append(dialog.output_path().name)
        assert dialog.output_path().parent == tmp_path and not dialog.output_path().exists()
        dialog.close()
    stem = small_artwork.stem
    assert names[0].startswith(stem) and names[0].endswith("-process.mp4") and names[0] != names[1]
