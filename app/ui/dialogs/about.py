"""AboutBox: Help → About. The version comes from the installed package's metadata (the one number
`pyproject.toml` sets), so it is never a second copy to keep in step."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

DISTRIBUTION = "undo-studio"
LICENCE = "Apache-2.0"


def app_version() -> str | None:
    """The installed version, or None when the code runs from a tree that was never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


class AboutBox(QMessageBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Undo Studio"))
        self.setIcon(QMessageBox.Icon.Information)
        self.setTextFormat(Qt.TextFormat.RichText)
        ver = app_version() or self.tr("(not installed)")
        self.setText(f"<b>Undo Studio</b> {ver}")
        self.setInformativeText(
            "<p>"
            + self.tr("Shows how a finished artwork could have been painted, step by step.")
            + "</p><p><b>"
            + self.tr("Every process it shows is AI-simulated, not a recording of how the artwork was made.")
            + "</b></p><p>"
            + self.tr("Licence: %1").replace("%1", LICENCE)
            + "</p>"
        )
        self.setStandardButtons(QMessageBox.StandardButton.Close)
