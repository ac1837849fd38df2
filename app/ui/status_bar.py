"""StatusBar (layout + tiny behaviour): task progress, queue length, cache use, errors, and a cancel
button for long tasks. Fed by the worker's signals."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QToolButton, QWidget

from app.ui.error_text import one_line
from app.ui.icons import icon

SAVE_COUNT_FROM = 50  # a save of this many frames or more shows how far it is


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel()
        # engine progress lines change every frame: their width must not be the window's minimum (it is
        # cut, the progress bar's tooltip has it)
        self.message.setMinimumWidth(80)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setStyleSheet("color: #ff8a80;")
        self.error_label.setWordWrap(False)
        # a long message must not widen the window past the screen: it is cut, the tooltip has it all
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.saving_label = QLabel(self.tr("Saving project…"))
        self.saving_label.setToolTip(self.tr("Frames are being written to the project file."))
        self.saving_label.setVisible(False)
        self.unsaved_label = QLabel()  # frames the project file could not take yet (a full disk)
        self.unsaved_label.setObjectName("unsavedLabel")
        self.unsaved_label.setStyleSheet("color: #ffb74d;")
        self.unsaved_label.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(160)
        self.progress.setVisible(False)
        self.queue_label = QLabel()
        self.cache_label = QLabel()
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setToolTip(self.tr("Cancel running work"))
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setVisible(False)
        self.addWidget(self.message)
        self.addWidget(self.error_label, 1)
        self.addPermanentWidget(self.unsaved_label)
        self.addPermanentWidget(self.saving_label)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel_button)
        self.addPermanentWidget(self.queue_label)
        self.addPermanentWidget(self.cache_label)
        self._last_progress = 0.0
        self._task = ""  # a flow's own line ("Opening x.png…"): engine progress never replaces it
        self.error_timer = QTimer(self)
        self.error_timer.setSingleShot(True)
        self.error_timer.setInterval(12000)
        self.error_timer.timeout.connect(lambda: self.error_label.setText(""))

    def show_error(self, text: str) -> None:
        """`text` may have several lines (`error_text`): the bar shows them as one, the tooltip as they are."""
        self.error_label.setText("⚠ " + one_line(text))
        self.error_label.setToolTip(text)
        self.error_timer.start()

    def set_task(self, text: str) -> None:
        """Say what a flow the user started is doing ("Opening x.png…"); "" ends it. While it shows,
        progress lines from engine work queued before it (a neighbour's "Rendered step 983") do not
        replace it: the bar says what the user is waiting for."""
        self._task = text
        self.message.setText(text)

    def set_progress(self, fraction: float, message: str) -> None:
        """Throttled to ~10 updates a second: engines report per frame, and a styled progress bar
        repaint costs ~2 ms of UI thread each time."""
        now = time.monotonic()
        if now - self._last_progress < 0.1 and fraction < 1.0:
            return
        self._last_progress = now
        if not self.progress.isVisible():
            self.progress.setVisible(True)
        self.progress.setValue(int(fraction * 1000))
        self.progress.setToolTip(message)
        if message and not self._task and message != self.message.text():
            self.message.setText(message)

    def set_saving(self, saving: bool) -> None:
        saving = saving and not self.unsaved_label.isVisible()  # "not saved" says more while it shows
        if self.saving_label.isVisible() != saving:
            self.saving_label.setVisible(saving)

    def set_save_progress(self, written: int, total: int) -> None:
        """A save writing `total` frames has `written` of them in the file (0, 0: nothing waits). A save of
        a few frames keeps the plain label; a long first save counts, so it never looks stuck."""
        text = self.tr("Saving project…")
        if total >= SAVE_COUNT_FROM:
            text = (
                self.tr("Saving project: %1 / %2 frames")
                .replace("%1", str(written))
                .replace("%2", str(total))
            )
        if text != self.saving_label.text():
            self.saving_label.setText(text)
        if total >= SAVE_COUNT_FROM:
            self.set_saving(True)

    def set_unsaved(self, count: int, steps: str) -> None:
        """`count` frames (at undo `steps`, "120-140,500") are kept in memory because the project file
        could not take them; 0 hides the mark."""
        self.unsaved_label.setVisible(count > 0)
        if count > 0:
            self.unsaved_label.setText("⚠ " + self.tr("Not saved: %1 frames").replace("%1", str(count)))
            self.unsaved_label.setToolTip(
                self.tr(
                    "These frames are not in the project file yet (steps %1). They are kept and written "
                    "as soon as the file can take them."
                ).replace("%1", steps)
            )
            self.saving_label.setVisible(False)

    def set_queue(self, n: int) -> None:
        text = self.tr("Queue: %1").replace("%1", str(n))
        if text != self.queue_label.text():
            self.queue_label.setText(text)
        if self.cancel_button.isVisible() != (n > 0):
            self.cancel_button.setVisible(n > 0)
        if n == 0 and self.progress.isVisible():
            self.progress.setVisible(False)
            self.message.setText(self._task)

    def set_cache(self, used: int, budget: int) -> None:
        mib = 1024 * 1024
        self.cache_label.setText(
            self.tr("Cache: %1 / %2 MB").replace("%1", str(used // mib)).replace("%2", str(budget // mib))
        )
