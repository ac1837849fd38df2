"""Shortcuts: what each command is wired to. The toolbar's actions, the start page's open buttons, the
compare view's buttons, the language chooser and the playback keys (active on the viewer page only, so
Space or the arrows still work in the start page's lists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from app.core.frames import MAX_STEP, MIN_STEP
from app.ui.i18n import current_language, save_language

if TYPE_CHECKING:
    from app.ui.compare_export import CompareExport
    from app.ui.main_window import MainWindow
    from app.ui.open_save import OpenSave
    from app.ui.start_controller import StartController


class Shortcuts(QObject):
    def __init__(
        self, window: MainWindow, start: StartController, files: OpenSave, compare: CompareExport
    ) -> None:
        super().__init__(window)
        self.w = w = window

        sp = w.start_page
        sp.open_artwork.connect(files.open_artwork)
        sp.open_project.connect(files.open_project)
        sp.browse_artwork.connect(files.browse_artwork)
        sp.browse_project.connect(files.browse_project)

        w.home_action.triggered.connect(lambda: start.show_page(start=True))
        w.open_action.triggered.connect(files.browse_artwork)
        w.save_action.triggered.connect(lambda: files.save(ask=False))
        w.save_as_action.triggered.connect(lambda: files.save(ask=True))
        w.export_action.triggered.connect(compare.open_export)
        w.compare_action.toggled.connect(compare.set_comparing)
        w.fit_action.triggered.connect(self.fit)
        w.zoom_action.triggered.connect(self.actual_size)
        w.compare.close_requested.connect(lambda: w.compare_action.setChecked(False))
        w.compare.export_requested.connect(lambda: compare.open_export())
        w.branches.compare_requested.connect(compare.compare_branches)

        self.language = QComboBox()
        self.language.addItem("English", "en")
        self.language.addItem("简体中文", "zh_CN")
        self.language.setCurrentIndex(1 if current_language() == "zh_CN" else 0)
        self.language.setToolTip(self.tr("Language (applies after a restart)"))
        self.language.currentIndexChanged.connect(self._language_chosen)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        w.toolbar.addWidget(spacer)
        w.toolbar.addWidget(self.language)

        pb = w.playback
        self.playback_keys: list[tuple[str, str]] = []  # (keys, what) for the shortcuts sheet
        self._key("Space", pb.toggle, self.tr("Play or pause"))
        self._key("Left", lambda: pb.step_by(-1), self.tr("One step back (towards the first stroke)"))
        self._key("Right", lambda: pb.step_by(+1), self.tr("One step on (towards the finished artwork)"))
        self._key("Shift+Left", lambda: pb.jump_keyframe(-1), self.tr("Previous keyframe"))
        self._key("Shift+Right", lambda: pb.jump_keyframe(+1), self.tr("Next keyframe"))
        self._key("Home", lambda: pb.set_step(MAX_STEP), self.tr("First stroke (step 999)"))
        self._key("End", lambda: pb.set_step(MIN_STEP), self.tr("Finished artwork (step 0)"))

    def _key(self, seq: str, fn: Callable[[], object], what: str) -> None:
        """A window-wide key that acts on the viewer page only."""
        self.playback_keys.append((QKeySequence(seq).toString(QKeySequence.SequenceFormat.NativeText), what))
        sc = QShortcut(QKeySequence(seq), self.w)
        sc.setContext(Qt.ShortcutContext.WindowShortcut)
        sc.activated.connect(lambda: fn() if self.w.pages.currentWidget() is self.w.viewer_page else None)

    def _language_chosen(self, _index: int) -> None:
        """The language applies at the next start; say so, or the choice looks like it did nothing."""
        lang = self.language.currentData()
        save_language(lang)
        if lang != current_language():
            self.w.status.message.setText(self.tr("The language changes when Undo Studio is restarted."))
        else:
            self.w.status.message.setText("")

    def fit(self) -> None:
        self.w.canvas.fit()
        for pane in self.w.compare.panes:
            pane.canvas.fit()

    def actual_size(self) -> None:
        self.w.canvas.actual_size()
        for pane in self.w.compare.panes:
            pane.canvas.actual_size()
