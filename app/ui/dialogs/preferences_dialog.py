"""PreferencesDialog (layout + reading its fields): models folder, memory cache budget, language and
default export folder. `app/ui/preferences.py` saves and applies them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.paths import default_models_dir
from app.ui.preferences import CACHE_MB_RANGE, Preferences

LANGUAGES = (("en", "English"), ("zh_CN", "简体中文"))


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.models = self._folder_row(form, self.tr("Models folder"), prefs.models_dir)
        self.models.setPlaceholderText(str(default_models_dir()))
        self.cache = QSpinBox()
        self.cache.setRange(*CACHE_MB_RANGE)
        self.cache.setSingleStep(256)
        self.cache.setSuffix(" MB")
        self.cache.setValue(prefs.cache_mb)
        self.cache.setToolTip(self.tr("Frames kept in memory; the project file keeps the rest."))
        form.addRow(self.tr("Memory for frames"), self.cache)
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(prefs.language)))
        form.addRow(self.tr("Language"), self.language)
        self.export = self._folder_row(form, self.tr("Export folder"), prefs.export_dir)
        self.export.setPlaceholderText(str(Path.home() / "Videos"))
        note = QLabel(self.tr("The models folder and the language apply when Undo Studio is restarted."))
        note.setObjectName("simLabel")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def _folder_row(self, form: QFormLayout, label: str, value: Path | None) -> QLineEdit:
        edit = QLineEdit(str(value) if value else "")
        edit.setClearButtonEnabled(True)
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(lambda: self._browse(edit, label))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        form.addRow(label, row)
        return edit

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    def preferences(self) -> Preferences:
        """What the fields say (empty folders mean the defaults)."""
        models, export = self.models.text().strip(), self.export.text().strip()
        return Preferences(
            models_dir=Path(models).expanduser() if models else None,
            cache_mb=self.cache.value(),
            language=str(self.language.currentData()),
            export_dir=Path(export).expanduser() if export else None,
        )
