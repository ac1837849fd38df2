"""OpenSave: opening artworks and projects (file dialogs, the start page, drag and drop), saving, leaving
the current document (asking to save first) and the window title with its unsaved mark.

Opening is a qasync coroutine: the file is read on the worker (a large PSD takes seconds to decode; a
project is SQLite plus an image), so the UI keeps running and the status bar's Cancel stops it. Only once
the file has been read does the open leave the current document: a damaged file costs nothing. The read
goes first in the worker's queue, but the worker runs one job at a time: it starts when the job running
then (an engine batch, the system probe) has ended.

One open at a time: a newer open request cancels one that is still reading its file (the newest choice
wins, the older read is cancelled on the worker too). Once a file has been read, its open is committed
(asking to save, then showing it): a request arriving then is ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.analysis.sources import is_animation
from app.core.artwork import SUPPORTED_SUFFIXES, Artwork, load_artwork
from app.core.cancel import CancelToken, ProgressCallback
from app.core.frames import MAX_STEP
from app.core.project import PROJECT_SUFFIX, Project
from app.errors import CancelledError, UndoStudioError
from app.inference.runner import CallJob
from app.ui.async_slot import async_slot
from app.ui.error_text import DETAIL_SEPARATOR, error_text
from app.ui.project_controller import open_project_file

if TYPE_CHECKING:
    from app.ui.compare_export import CompareExport
    from app.ui.main_window import MainWindow
    from app.ui.start_controller import StartController

PRIORITY_OPEN = -20  # before engine work: the user waits for it


# Files that are recordings, never artworks (an animated GIF or WebP is both: dropping one asks which).
RECORDING_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".procreate"})


def is_recording(path: Path) -> bool:
    """A folder (numbered frames) or a video / .procreate file."""
    return path.is_dir() or path.suffix.lower() in RECORDING_SUFFIXES


class OpenSave(QObject):
    error = Signal(str)  # a message for the user (the window shows it)

    def __init__(self, window: MainWindow, start: StartController, compare: CompareExport) -> None:
        super().__init__(window)
        self.w, self.start, self.compare = window, start, compare
        self.confirm_close: Callable[[], str] = self.ask_save  # "save", "discard" or "cancel"
        self.animation_choice: Callable[[Path], str] = self.ask_animation  # "recording", "artwork", "cancel"
        self._opening: asyncio.Task[bool] | None = None  # the open in progress
        self._reading = False  # ... and it is still reading its file (a newer request may cancel it)
        window.document.dirty_changed.connect(lambda _d: self.update_title())
        window.projects.saved.connect(lambda _p: self.update_title())
        window.projects.unsaved_changed.connect(window.status.set_unsaved)
        window.projects.save_progress.connect(window.status.set_save_progress)
        window.projects.file_lost.connect(self._file_lost)
        self._lost_box: QMessageBox | None = None
        self.update_title()

    def update_title(self) -> None:
        doc, path = self.w.document, self.w.projects.path
        name = path.stem if path else (doc.artwork.source.name if doc.artwork and doc.artwork.source else "")
        mark = "*" if doc.dirty else ""
        project = self.w.projects.project
        if project is not None and project.read_only:
            mark += " " + self.tr("(read-only)")
        self.w.setWindowTitle(f"{name}{mark} — Undo Studio" if name else "Undo Studio")

    # -- choosing a file -------------------------------------------------------------------------
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

    def open_path(self, path: Path) -> asyncio.Task[bool]:
        """Open an artwork or a project by its suffix; the open's task (its result: opened or not)."""
        if Path(path).suffix.lower() == PROJECT_SUFFIX:
            return self.open_project(path)
        return self.open_artwork(path)

    def drag_enter(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> None:
        """A dropped artwork or project opens; a video, a .procreate file or a folder of frames dropped
        on an open artwork becomes its Recorded branch; an animated GIF or WebP dropped on one may be
        either, so the user is asked (once the drop has returned: the drag source is not held)."""
        for url in event.mimeData().urls():
            if url.isLocalFile():
                event.acceptProposedAction()
                path = Path(url.toLocalFile())
                if self.w.document.artwork is not None and is_recording(path):
                    self.add_recording(path)
                elif self.w.document.artwork is not None and is_animation(path):
                    QTimer.singleShot(0, self, partial(self.animation_dropped, path))
                else:
                    self.open_path(path)
                return

    def animation_dropped(self, path: Path) -> None:
        """An animated GIF or WebP dropped on an open artwork: a recording of it, or a new artwork?"""
        choice = self.animation_choice(path)
        if choice == "recording":
            self.add_recording(path)
        elif choice == "artwork":
            self.open_path(path)

    def ask_animation(self, path: Path) -> str:
        """Ask what a dropped animation is: "recording", "artwork" or "cancel" (a modal question)."""
        box = QMessageBox(self.w)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Undo Studio")
        box.setText(self.tr("%1 is an animation.").replace("%1", path.name))
        box.setInformativeText(
            self.tr("Add it as a recording of the open artwork, or open it as a new artwork?")
        )
        recording = box.addButton(self.tr("Add as recording"), QMessageBox.ButtonRole.AcceptRole)
        artwork = box.addButton(self.tr("Open as artwork"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(recording)
        box.exec()
        clicked = box.clickedButton()
        return "recording" if clicked == recording else "artwork" if clicked == artwork else "cancel"

    def browse_recording(self) -> None:
        """Add recording…: a real time-lapse of the open artwork becomes a read-only Recorded branch."""
        if self.w.document.artwork is None:
            self.w.status.message.setText(self.tr("Open an artwork first, then add its recording."))
            return
        patterns = " ".join(f"*{s}" for s in sorted(RECORDING_SUFFIXES | {".gif", ".webp"}))
        name, _ = QFileDialog.getOpenFileName(
            self.w, self.tr("Add recording"), "", f"{self.tr('Time-lapse recordings')} ({patterns})"
        )
        if name:
            self.add_recording(Path(name))

    def add_recording(self, path: Path) -> None:
        """The recording as a Recorded branch, and the panel that scores branches against it."""
        if self.w.branches.add_recording(path) is not None:
            self.w.score_dock.show()

    # -- opening ---------------------------------------------------------------------------------
    @async_slot(object)
    async def open_artwork(self, path: Path, step: int | None = None) -> bool:
        """Read and decode the image on the worker, then leave the current document and show it at
        `step` (default: the first stroke). False: failed (error shown), cancelled or ignored."""
        path = Path(path)
        job = CallJob(lambda cancel, _progress: load_artwork(path, cancel=cancel), "open artwork")
        return await self._open(path, job, lambda artwork: self._show_artwork(artwork, step))

    @async_slot(object)
    async def open_project(self, path: Path) -> bool:
        """Open the project file on the worker (SQLite, its artwork), then leave the current document
        and restore the project's branches and view. False: failed (error shown), cancelled or ignored."""
        path = Path(path)

        def read(cancel: CancelToken, _progress: ProgressCallback) -> Project:
            project = open_project_file(path)
            if cancel.cancelled:  # nobody will take it: close the file here
                project.close()
                raise CancelledError()
            return project

        return await self._open(path, CallJob(read, "open project"), self._show_project, Project.close)

    @property
    def loading(self) -> bool:
        """An open is reading its file on the worker."""
        return self._opening is not None and self._reading

    def cancel_open(self) -> None:
        """Cancel an open that is still reading its file (the status bar's Cancel, closing the window)."""
        if self._opening is not None and self._reading:
            self._opening.cancel()

    async def _open(
        self,
        path: Path,
        job: CallJob,
        show: Callable[[Any], None],
        discard: Callable[[Any], None] = lambda _value: None,
    ) -> bool:
        """Read `path` with `job` on the worker, leave the current document, `show` what was read (or
        `discard` it when the user cancelled leaving). Raises asyncio.CancelledError when superseded."""
        if self._opening is not None and not self._opening.done() and not self._reading:
            return False  # another file is being shown: this request is ignored
        self.cancel_open()  # the newest choice wins
        me = asyncio.current_task()
        self._opening, self._reading = me, True
        try:
            value = await self._read(job, path)
            if value is None:
                return False
            if not await self._leave_current_async():
                discard(value)
                return False
            show(value)
            return True
        finally:
            if self._opening is me:
                self._opening, self._reading = None, False

    async def _read(self, job: CallJob, path: Path) -> Any | None:
        """The worker's part of an open, said in the status bar; None when it failed (error shown) or
        was cancelled from the status bar."""
        me = self._opening
        self.w.status.set_task(self.tr("Opening %1…").replace("%1", path.name))
        try:
            return await self.w.worker.run(job, PRIORITY_OPEN, "open")
        except CancelledError:
            return None
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))
            return None
        finally:
            if self._opening is me:  # not superseded: the next open says its own
                self._reading = False
                self.w.status.set_task("")

    def _show_artwork(self, artwork: Artwork, step: int | None) -> None:
        w = self.w
        w.document.open_artwork(artwork)
        self.start.show_page(start=False)
        w.canvas.fit()
        w.playback.set_step(MAX_STEP if step is None else step)
        w.playback.refresh()
        self.update_title()

    def _show_project(self, project: Project) -> None:
        w = self.w
        w.viewer.set_suspended(True)  # no frame requests for the default step while restoring the view
        try:
            state = w.projects.adopt(project)
            self.start.show_page(start=False)
            w.canvas.fit()
            w.playback.set_step(int(state.get("step", MAX_STEP)))
            compare = [i for i in state.get("compare", []) if w.document.has_branch(i)]
            if len(compare) >= 2:
                self.compare.compare_branches(compare)
        finally:
            w.viewer.set_suspended(False)
        w.document.prefetch(w.playback.step)
        self.update_title()
        self._tell_how_it_opened(project)

    def _tell_how_it_opened(self, project: Project) -> None:
        """A project opened read-only (and why), one that looks incomplete, or one whose layers could not
        be had (never saved or damaged, and the source file gone or changed) is said at once."""
        if project.read_only_reason is not None:
            self.error.emit(
                self.tr("Opened read-only: use Save As to keep your changes.")
                + DETAIL_SEPARATOR
                + error_text(project.read_only_reason)
            )
        if project.incomplete:
            self.error.emit(
                self.tr(
                    "%1 looks incomplete: it has no branches. If it was copied while it was open, copy "
                    "the file ending in -wal beside it too."
                ).replace("%1", project.path.name)
            )
        if project.layers_lost is not None:
            self.error.emit(
                self.tr("%1 opened without its layers.").replace("%1", project.path.name)
                + DETAIL_SEPARATOR
                + error_text(project.layers_lost)
            )

    def _file_lost(self, path: Path) -> None:
        """The project file was moved or deleted while open: say so once and offer Save As (the work
        is still in the open file, which Save As copies)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Undo Studio",
            self.tr("The project file %1 was moved or deleted.").replace("%1", path.name),
            QMessageBox.StandardButton.NoButton,
            self.w,
        )
        box.setInformativeText(
            self.tr("Your work is still open here. Save it with Save As, or it is lost when you close it.")
        )
        save = box.addButton(self.tr("Save As…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self._lost_answered(box.clickedButton() == save))
        self._lost_box = box
        box.open()  # not modal to the app: playback and autosave go on

    def _lost_answered(self, save_as: bool) -> None:
        self._lost_box = None
        if save_as:
            self.save(ask=True)

    # -- leaving the current document ------------------------------------------------------------
    def leave_current(self) -> bool:
        """Before replacing or closing the document: save or discard what is open. False = the user
        cancelled. Synchronous, for the window's close event."""
        if self._must_ask() and not self._save_or_discard():
            return False
        self._release()
        return True

    async def _leave_current_async(self) -> bool:
        """`leave_current` for an open in progress: the question (a modal dialog, maybe a file dialog
        after it) runs through qasync.asyncWrap, outside this task's step, so other tasks (an export)
        go on stepping while it is shown."""
        if self._must_ask() and not await qasync.asyncWrap(self._save_or_discard):
            return False
        self._release()
        return True

    def _must_ask(self) -> bool:
        """Unsaved work: no project file yet, or one open read-only (its changes are only in memory)."""
        doc, project = self.w.document, self.w.projects.project
        return doc.artwork is not None and doc.dirty and (project is None or project.read_only)

    def _save_or_discard(self) -> bool:
        """Ask; False when the user cancelled (or cancelled choosing where to save)."""
        choice = self.confirm_close()
        return choice != "cancel" and (choice != "save" or self.save(ask=True))

    def _release(self) -> None:
        self.w.playback.pause()
        self.w.projects.close_project()  # saves the view (step, compare) as the user left it
        self.w.compare_action.setChecked(False)
        self.w.document.cancel_all()

    def ask_save(self) -> str:
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

    # -- saving ----------------------------------------------------------------------------------
    def save(self, ask: bool = False, path: Path | None = None) -> bool:
        """Save the project (to `path`, or the current file); `ask` or no file yet: choose where."""
        projects, doc = self.w.projects, self.w.document
        if doc.artwork is None:
            return False
        read_only = projects.project is not None and projects.project.read_only
        if path is None and (ask or projects.path is None or read_only):
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
