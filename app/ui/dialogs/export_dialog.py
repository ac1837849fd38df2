"""ExportDialog (layout): format, file, range, fps, length preset, size, final-first, hold-last and the
"AI-simulated process" label (on by default). `export_controller` runs the export.

The layout does not move while an export runs: Cancel takes Export's place (one stacked slot), the
progress bar keeps its space when hidden and the status line has room for two lines. The choices are
remembered between openings (`export_settings`), and the default file name names the branch and is
never one that exists already.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.export import ExportOptions
from app.core.frames import MAX_STEP, MIN_STEP
from app.ui.dialogs.export_settings import (
    ExportChoices,
    default_folder,
    load_choices,
    save_choices,
    unique_path,
)
from app.ui.icons import icon

FORMATS = (("mp4", "MP4 (H.264)"), ("webm", "WebM (VP9)"), ("gif", "GIF"), ("webp", "WebP"), ("png", "PNG"))
SIZES = ((None, "Original"), (1024, "1024 px"), (720, "720 px"), (512, "512 px"))


class ExportDialog(QDialog):
    def __init__(self, base_name: str, title: str = "", parent: QWidget | None = None) -> None:
        """`base_name`: the default file name without suffix (`export_settings.default_base_name`)."""
        super().__init__(parent)
        stored = load_choices()
        self._base_name = base_name
        self._auto_path = True  # the path is still our default: a format change picks a free name again
        self.setWindowTitle(title or self.tr("Export process"))
        self.setMinimumWidth(600)
        self.format = QComboBox()
        for key, label in FORMATS:
            self.format.addItem(label if key != "png" else self.tr("PNG sequence (folder)"), key)
        folder = stored.folder or default_folder()
        self.path = QLineEdit(str(unique_path(folder, base_name, stored.format)))
        self.path.textEdited.connect(self._path_edited)
        browse = QPushButton(icon("folder"), self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.start = QSpinBox()
        self.end = QSpinBox()
        for w in (self.start, self.end):
            w.setRange(MIN_STEP, MAX_STEP)
        self.start.setValue(MAX_STEP)
        self.end.setValue(MIN_STEP)
        range_row = QHBoxLayout()
        range_row.addWidget(QLabel(self.tr("from step")))
        range_row.addWidget(self.start)
        range_row.addWidget(QLabel(self.tr("to step")))
        range_row.addWidget(self.end)
        range_row.addStretch(1)
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setValue(30)
        self.length = QComboBox()
        self.length.addItem(self.tr("Full (every step)"), "full")
        for secs in (15, 30, 60):
            self.length.addItem(self.tr("%1 seconds").replace("%1", str(secs)), f"{secs}s")
        self.length.setCurrentIndex(2)
        self.size = QComboBox()
        for value, label in SIZES:
            self.size.addItem(self.tr("Original") if value is None else label, value)
        self.final_first = QCheckBox(self.tr("Show the finished artwork first"))
        self.hold_last = QDoubleSpinBox()
        self.hold_last.setRange(0.0, 10.0)
        self.hold_last.setValue(1.0)
        self.hold_last.setSuffix(self.tr(" s"))
        self.label = QCheckBox(self.tr('Label frames "AI-simulated process"'))
        self.label.setChecked(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        keep_space = self.progress.sizePolicy()
        keep_space.setRetainSizeWhenHidden(True)  # showing it must not push the buttons down
        self.progress.setSizePolicy(keep_space)
        self.status = QLabel()
        self.status.setObjectName("simLabel")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.export_button = QPushButton(icon("export"), self.tr("Export"))
        self.export_button.setObjectName("primary")
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton(icon("cancel"), self.tr("Cancel"))
        self.action_slot = QStackedWidget()  # Export, or Cancel in the same place while running
        self.action_slot.addWidget(self.export_button)
        self.action_slot.addWidget(self.cancel_button)
        self.action_slot.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)

        self._running = False
        self.inputs = (
            self.format, self.path, browse, self.start, self.end, self.fps, self.length, self.size,
            self.hold_last, self.final_first, self.label,
        )  # fmt: skip
        form = QFormLayout()
        form.addRow(self.tr("Format"), self.format)
        form.addRow(self.tr("Save to"), path_row)
        form.addRow(self.tr("Range"), range_row)
        form.addRow(self.tr("Frame rate"), self.fps)
        form.addRow(self.tr("Length"), self.length)
        form.addRow(self.tr("Size"), self.size)
        form.addRow(self.tr("Hold last frame"), self.hold_last)
        form.addRow("", self.final_first)
        form.addRow("", self.label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.action_slot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 18, 18, 14)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self._apply(stored)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.set_running(False)

    def _apply(self, stored: ExportChoices) -> None:
        """Show the remembered choices (already checked by `load_choices`)."""
        self.format.setCurrentIndex(max(0, self.format.findData(stored.format)))
        self.fps.setValue(stored.fps)
        self.length.setCurrentIndex(max(0, self.length.findData(stored.length)))
        self.size.setCurrentIndex(max(0, self.size.findData(stored.size)))
        self.hold_last.setValue(stored.hold_last_s)
        self.final_first.setChecked(stored.final_first)
        self.label.setChecked(stored.label)

    def remember(self) -> None:
        """Store the choices for the next opening (the controller calls it when an export starts)."""
        save_choices(
            ExportChoices(
                format=self.format.currentData(),
                fps=self.fps.value(),
                length=self.length.currentData(),
                size=self.size.currentData(),
                hold_last_s=self.hold_last.value(),
                final_first=self.final_first.isChecked(),
                label=self.label.isChecked(),
                folder=self.output_path().parent,
            )
        )

    def _path_edited(self) -> None:
        self._auto_path = False

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        p = Path(self.path.text())
        if self._auto_path:
            self.path.setText(str(unique_path(p.parent, self._base_name, fmt)))
            return
        base = p.with_suffix("") if p.suffix else p
        self.path.setText(str(base if fmt == "png" else base.with_suffix("." + fmt)))

    def _browse(self) -> None:
        fmt = self.format.currentData()
        if fmt == "png":
            folder = QFileDialog.getExistingDirectory(
                self, self.tr("Choose a folder"), str(Path(self.path.text()).parent)
            )
            if folder:
                self._auto_path = False
                self.path.setText(str(Path(folder) / Path(self.path.text()).name))
            return
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export to"), self.path.text(), f"*.{fmt}")
        if name:
            self._auto_path = False
            self.path.setText(name)

    def output_path(self) -> Path:
        return Path(self.path.text()).expanduser()

    def steps(self) -> list[int]:
        """Playback order: from the larger step (earlier in painting) to the smaller."""
        a, b = self.start.value(), self.end.value()
        return list(range(a, b - 1, -1)) if a >= b else list(range(a, b + 1))

    def options(self) -> ExportOptions:
        return ExportOptions(
            fps=self.fps.value(),
            length=self.length.currentData(),
            max_size=self.size.currentData(),
            show_final_first=self.final_first.isChecked(),
            hold_last_s=self.hold_last.value(),
            label=self.label.isChecked(),
        )

    def reject(self) -> None:
        """Esc or the window's close button while exporting cancels the export (the dialog stays to
        report it) instead of hiding a dialog whose export would go on unseen."""
        if self._running:
            self.cancel_button.click()
            return
        super().reject()

    def set_running(self, running: bool) -> None:
        self._running = running
        for widget in self.inputs:  # the running export uses the values it started with
            widget.setEnabled(not running)
        self.export_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.action_slot.setCurrentWidget(self.cancel_button if running else self.export_button)
        self.close_button.setEnabled(not running)
        self.progress.setVisible(running or self.progress.value() > 0)
