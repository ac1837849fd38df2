"""WindowController: the window's behaviour. Actions (open, save, export, compare, zoom), the start
page's data, keyboard shortcuts, drag and drop, status bar updates, the title's unsaved mark, and a
close that loses nothing (autosave when there is a project file, otherwise ask)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QSizePolicy, QWidget

from app.core.artwork import SUPPORTED_SUFFIXES, load_artwork
from app.core.frames import MAX_STEP, MIN_STEP
from app.core.project import PROJECT_SUFFIX
from app.errors import UndoStudioError
from app.inference.registry import engine_names
from app.inference.runner import CallJob, Request
from app.paths import default_models_dir, sample_artworks
from app.ui.dialogs.export_controller import ExportController
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.error_text import ErrorText, describe, error_text
from app.ui.i18n import current_language, save_language, tr_progress
from app.ui.project_controller import recent_projects

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PRIORITY_PROBE = 300


def probe_system(cancel, progress) -> dict[str, Any]:
    """Runs on the worker: engine readiness and the compute device (may import torch there, never in the UI)."""
    from app.inference.registry import create_engine

    engines = []
    for name in engine_names():
        try:
            engine = create_engine(name, default_models_dir())
            avail = engine.availability()
            engines.append((engine.display_name, bool(avail.ready), avail.reason))
        except Exception as exc:  # noqa: BLE001 - an engine that cannot even load is "not ready"
            engines.append((name, False, exc))  # worded in the UI thread (`_on_probe`), in its language
    device: dict[str, Any]
    try:
        from app.inference.devices import resolve_device

        info = resolve_device()
        device = {"name": info.name, "kind": info.kind, "total": info.total_bytes, "free": info.free_bytes}
    except Exception as exc:  # noqa: BLE001
        device = {"name": "CPU", "kind": "cpu", "error": exc}
    return {"engines": engines, "device": device}


class WindowController(QObject):
    modal_errors = True  # tests switch message boxes off
    open_folder_after_export = True

    def __init__(self, window: MainWindow, probe_system: bool = True) -> None:
        super().__init__(window)
        self.w = window
        w = window
        self.export_dialog: ExportDialog | None = None
        self.export_controller: ExportController | None = None
        self.confirm_close = self._ask_save  # returns "save", "discard" or "cancel"
        self._probe: Request | None = None
        self._error_box: QMessageBox | None = None
        self._closed = False

        sp = w.start_page
        sp.open_artwork.connect(self.open_artwork)
        sp.open_project.connect(self.open_project)
        sp.browse_artwork.connect(self.browse_artwork)
        sp.browse_project.connect(self.browse_project)
        sp.resume.connect(lambda: self.show_page(start=False))
        sp.open_models_folder.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(default_models_dir())))
        )
        sp.set_samples(sample_artworks())
        sp.set_recent(recent_projects())
        sp.set_models_dir(default_models_dir())
        sp.set_engines([(n, n == "procedural", "") for n in engine_names()])

        w.home_action.triggered.connect(lambda: self.show_page(start=True))
        w.open_action.triggered.connect(self.browse_artwork)
        w.save_action.triggered.connect(lambda: self.save(ask=False))
        w.save_as_action.triggered.connect(lambda: self.save(ask=True))
        w.export_action.triggered.connect(self.open_export)
        w.compare_action.toggled.connect(self.set_comparing)
        w.fit_action.triggered.connect(self._fit)
        w.zoom_action.triggered.connect(self._actual_size)
        w.compare.close_requested.connect(lambda: w.compare_action.setChecked(False))
        w.compare.export_requested.connect(lambda: self.open_export())
        w.branches.compare_requested.connect(self.compare_branches)

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

        doc = w.document
        doc.error.connect(self.show_error)
        doc.dirty_changed.connect(lambda _d: self.update_title())
        w.projects.error.connect(self.show_error)
        w.projects.saved.connect(lambda _p: self.update_title())
        doc.progress.connect(lambda f, m: w.status.set_progress(f, tr_progress(m)))
        w.worker.queue_changed.connect(w.status.set_queue)
        w.status.cancel_button.clicked.connect(self.cancel_work)

        self.stats_timer = QTimer(self)
        self.stats_timer.setInterval(500)
        self.stats_timer.timeout.connect(self._update_stats)
        self.stats_timer.start()

        def key(seq: QKeySequence | str, fn) -> None:
            sc = QShortcut(QKeySequence(seq), w)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)

        pb = w.playback
        key("Space", lambda: self._viewer_only(pb.toggle))
        key("Left", lambda: self._viewer_only(lambda: pb.step_by(-1)))
        key("Right", lambda: self._viewer_only(lambda: pb.step_by(+1)))
        key("Shift+Left", lambda: self._viewer_only(lambda: pb.jump_keyframe(-1)))
        key("Shift+Right", lambda: self._viewer_only(lambda: pb.jump_keyframe(+1)))
        key("Home", lambda: self._viewer_only(lambda: pb.set_step(MAX_STEP)))
        key("End", lambda: self._viewer_only(lambda: pb.set_step(MIN_STEP)))

        self.show_page(start=True)
        self.update_title()
        if probe_system:
            self._probe = w.worker.submit(
                CallJob(probe_system_job, "probe"), PRIORITY_PROBE, "probe", on_result=self._on_probe
            )

    def _language_chosen(self, _index: int) -> None:
        """The language applies at the next start; say so, or the choice looks like it did nothing."""
        lang = self.language.currentData()
        save_language(lang)
        if lang != current_language():
            self.w.status.message.setText(self.tr("The language changes when Undo Studio is restarted."))
        else:
            self.w.status.message.setText("")

    # -- pages -----------------------------------------------------------------------------------
    def show_page(self, start: bool) -> None:
        w = self.w
        w.start_page.resume_button.setVisible(w.document.artwork is not None)
        if start or w.document.artwork is None:
            w.start_page.set_recent(recent_projects())
            w.pages.setCurrentWidget(w.start_page)
            w.branches_dock.hide()
        else:
            w.pages.setCurrentWidget(w.viewer_page)
            w.branches_dock.show()
        for a in (w.save_action, w.export_action, w.compare_action, w.fit_action, w.zoom_action):
            a.setEnabled(w.document.artwork is not None)

    def _viewer_only(self, fn) -> None:
        if self.w.pages.currentWidget() is self.w.viewer_page:
            fn()

    def update_title(self) -> None:
        doc, path = self.w.document, self.w.projects.path
        name = path.stem if path else (doc.artwork.source.name if doc.artwork and doc.artwork.source else "")
        mark = "*" if doc.dirty else ""
        self.w.setWindowTitle(f"{name}{mark} — Undo Studio" if name else "Undo Studio")

    # -- errors / status -------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """`text` is an `error_text(exc)` or a plain UI message. The box shows the part in the UI
        language first and the original English message (if any) under it."""
        self.w.status.show_error(text)
        if self.modal_errors and not self._closed and self._error_box is None:  # one box at a time
            parts = ErrorText.from_text(text)
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Undo Studio", parts.summary, QMessageBox.StandardButton.Ok, self.w
            )
            if parts.detail:
                box.setInformativeText(parts.detail)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(lambda _r: setattr(self, "_error_box", None))
            self._error_box = box
            box.open()

    def _update_stats(self) -> None:
        doc = self.w.document
        self.w.status.set_cache(doc.cache_bytes(), doc.cache_budget())
        self.w.status.set_queue(self.w.worker.queue_length())
        self.w.status.set_saving(self.w.projects.busy())

    def cancel_work(self) -> None:
        self.w.document.cancel_all()
        self.w.viewer.refresh()

    def _on_probe(self, _req: Request, result: Any) -> None:
        self._probe = None
        self.w.start_page.set_engines(
            [
                (name, ready, error_text(reason) if isinstance(reason, BaseException) else reason)
                for name, ready, reason in result["engines"]
            ]
        )
        self.w.start_page.set_device(self.tr("Device: %1").replace("%1", self.device_text(result["device"])))

    def device_text(self, device: dict[str, Any]) -> str:
        """The probe's facts in the user's language (the worker only gathers them)."""
        name, kind = str(device.get("name", "")), str(device.get("kind", ""))
        if kind and kind.lower() not in name.lower():
            name = f"{name} ({kind})"
        if "error" in device:
            error = device["error"]
            return f"{name} ({describe(error).line() if isinstance(error, BaseException) else error})"
        gib = 1024**3
        return (
            self.tr("%1 · %2 GB, %3 GB free")
            .replace("%1", name)
            .replace("%2", f"{device['total'] / gib:.1f}")
            .replace("%3", f"{device['free'] / gib:.1f}")
        )

    # -- open / save -----------------------------------------------------------------------------
    def browse_artwork(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES))
        name, _ = QFileDialog.getOpenFileName(
            self.w,
            self.tr("Open artwork or project"),
            "",
            f"{self.tr('Images and projects')} ({patterns} *{PROJECT_SUFFIX})",
        )
        if name:
            self.open_path(Path(name))

    def browse_project(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self.w, self.tr("Open project"), "", f"Undo Studio (*{PROJECT_SUFFIX})"
        )
        if name:
            self.open_project(Path(name))

    def open_path(self, path: Path) -> None:
        if path.suffix.lower() == PROJECT_SUFFIX:
            self.open_project(path)
        else:
            self.open_artwork(path)

    def _leave_current(self) -> bool:
        """Before replacing the document: save or discard what is open. False = the user cancelled."""
        doc, projects = self.w.document, self.w.projects
        if doc.artwork is not None and doc.dirty and projects.project is None:
            choice = self.confirm_close()
            if choice == "cancel":
                return False
            if choice == "save" and not self.save(ask=True):
                return False
        self.w.playback.pause()
        projects.close_project()  # saves the view (step, compare) as the user left it
        self.w.compare_action.setChecked(False)
        doc.cancel_all()
        return True

    def open_artwork(self, path: Path, step: int | None = None) -> bool:
        # read the file before leaving the current document: a damaged file must not close what is open
        try:
            artwork = load_artwork(Path(path))
        except UndoStudioError as exc:
            self.show_error(error_text(exc))
            return False
        if not self._leave_current():
            return False
        self.w.document.open_artwork(artwork)
        self.show_page(start=False)
        self.w.canvas.fit()
        self.w.playback.set_step(MAX_STEP if step is None else step)
        self.w.playback.refresh()
        self.update_title()
        return True

    def open_project(self, path: Path) -> bool:
        # open the file before leaving the current document: a damaged file must not close what is open
        project = self.w.projects.read(Path(path))
        if project is None:
            return False
        if not self._leave_current():
            project.close()
            return False
        viewer = self.w.viewer
        viewer.set_suspended(True)  # no frame requests for the default step while restoring the view
        try:
            state = self.w.projects.adopt(project)
            self.show_page(start=False)
            self.w.canvas.fit()
            self.w.playback.set_step(int(state.get("step", MAX_STEP)))
            compare = [i for i in state.get("compare", []) if self.w.document.has_branch(i)]
            if len(compare) >= 2:
                self.compare_branches(compare)
        finally:
            viewer.set_suspended(False)
        self.w.document.prefetch(self.w.playback.step)
        self.update_title()
        return True

    def save(self, ask: bool = False, path: Path | None = None) -> bool:
        projects, doc = self.w.projects, self.w.document
        if doc.artwork is None:
            return False
        if path is None and (ask or projects.path is None):
            stem = doc.artwork.source.stem if doc.artwork.source else "untitled"
            name, _ = QFileDialog.getSaveFileName(
                self.w,
                self.tr("Save project"),
                str(Path.home() / f"{stem}{PROJECT_SUFFIX}"),
                f"Undo Studio (*{PROJECT_SUFFIX})",
            )
            if not name:
                return False
            path = Path(name)
        ok = projects.save(path)
        self.update_title()
        return ok

    # -- compare / export ------------------------------------------------------------------------
    def compare_branches(self, ids: list[str]) -> None:
        if len(ids) < 2:
            self.show_error(self.tr("Create a second branch to compare (Duplicate with a new seed)."))
            self.w.compare_action.setChecked(False)
            return
        self.w.viewer.set_compare(ids)
        self.w.branches.set_checked(self.w.viewer.compare_ids)
        self.w.canvas_stack.setCurrentWidget(self.w.compare)
        self.w.compare_action.blockSignals(True)
        self.w.compare_action.setChecked(True)
        self.w.compare_action.blockSignals(False)

    def set_comparing(self, on: bool) -> None:
        if on:
            self.compare_branches(self.w.branches.compare_ids())
        else:
            self.w.viewer.set_compare([])
            self.w.canvas_stack.setCurrentWidget(self.w.canvas)

    def open_export(self) -> ExportDialog | None:
        doc = self.w.document
        if doc.artwork is None:
            return None
        ids = self.w.viewer.visible_ids()
        stem = doc.artwork.source.stem if doc.artwork.source else "process"
        suffix = "comparison" if len(ids) > 1 else "process"
        default = Path.home() / "Videos" / f"{stem}-{suffix}.mp4"
        title = self.tr("Export comparison") if len(ids) > 1 else self.tr("Export process")
        dialog = ExportDialog(default, title, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ctrl = ExportController(dialog, doc, self.w.worker, ids, dialog)
        ctrl.open_folder_when_done = self.open_folder_after_export
        self.export_dialog, self.export_controller = dialog, ctrl
        dialog.open()
        return dialog

    def _fit(self) -> None:
        self.w.canvas.fit()
        for pane in self.w.compare.panes:
            pane.canvas.fit()

    def _actual_size(self) -> None:
        self.w.canvas.actual_size()
        for pane in self.w.compare.panes:
            pane.canvas.actual_size()

    # -- drag and drop / close -------------------------------------------------------------------
    def drag_enter(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def drop(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                event.acceptProposedAction()
                self.open_path(Path(url.toLocalFile()))
                return

    def _ask_save(self) -> str:
        box = QMessageBox(self.w)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Undo Studio")
        box.setText(self.tr("Save the reconstruction before closing?"))
        box.setInformativeText(self.tr("Generated frames and branches are kept in a project file."))
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def close_event(self, event) -> None:
        if self._closed:
            event.accept()
            return
        if not self._leave_current():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every timer and the worker thread (nothing may outlive the window)."""
        self._closed = True
        w = self.w
        self.stats_timer.stop()
        w.playback.pause()
        w.playback.timer.stop()
        w.viewer.track_timer.stop()
        w.viewer.plan_timer.stop()
        w.status.error_timer.stop()
        w.projects.timer.stop()
        w.document.cancel_all()
        w.projects.close_project()
        w.worker.shutdown()


probe_system_job = probe_system
