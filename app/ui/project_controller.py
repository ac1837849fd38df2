"""ProjectController: save / open / autosave through the core's `Project` (SQLite file, design §6).

- Save (first time) creates the file and writes every frame generated so far (and a layered artwork's
  layer stack) on the worker thread.
- Autosave: once a project has a file, each completed frame batch is written (debounced, on the worker,
  low priority, a few frames per job so renders run between them: `app.ui.frame_batches`) and the branch tree/view state after every change, so a crash loses nothing.
- Branches of a deterministic engine (procedural) keep a recipe instead of frames: written once per
  branch when its session exists, then only the steps seen are updated (a few bytes per batch).
- Open (`open_project_file` on the worker, then `adopt` on the UI thread) restores the artwork, branches,
  active branch, view state and the frame index without any engine call; frames are read back from the
  file on demand, on the worker (`app.core.tiered_store`). A project locked by another instance or in a
  read-only location opens read-only: its new frames are kept ("not saved") until Save As.
- Faults (design §8): a full disk keeps the frames that did not fit and retries; damaged frames are said
  once; a watch notices the file moving away and checkpoints the WAL when autosave is idle.

The branch tree is not copied: the project and the document share one `BranchTree`, so saving the state
writes what the user sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.branch import Branch
from app.core.cancel import CancelToken, ProgressCallback
from app.core.frames import Frame, FrameKey
from app.core.project import PROJECT_SUFFIX, Project
from app.core.project_recipes import format_steps
from app.core.track_summary import TrackSummary, put_track_summary
from app.errors import DiskFullError, ProjectError, UndoStudioError
from app.inference.runner import CallJob, Request
from app.ui.document import Document
from app.ui.error_text import error_text
from app.ui.frame_batches import FrameBatches
from app.ui.project_files import free_bytes, remember_recent
from app.ui.project_files import open_project_file as open_project_file  # where the UI imports it
from app.ui.project_files import recent_projects as recent_projects  # where the UI imports it
from app.ui.worker import EngineWorker

PRIORITY_AUTOSAVE = 200
RETRY_MS = 5000  # a write that met a full disk is tried again this often...
RETRY_FREE_BYTES = 16 * 1024 * 1024  # ... once the folder has at least this much free space
WATCH_MS = 3000  # how often an open project's file is checked (a stat) and, when idle, checkpointed


class ProjectController(QObject):
    saved = Signal(Path)
    opened = Signal(Path)
    error = Signal(str)
    unsaved_changed = Signal(int, str)  # frames kept in memory, not in the file yet (a full disk); steps
    file_lost = Signal(Path)  # the open project's file was moved or deleted (said once per file)
    save_progress = Signal(int, int)  # frames written, frames to write in this save (0, 0: none waits)

    def __init__(
        self,
        doc: Document,
        worker: EngineWorker,
        view_state: Callable[[], dict[str, Any]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.worker = worker
        self.view_state = view_state
        self.project: Project | None = None
        self._pending: dict[FrameKey, Frame] = {}
        self._recipes: set[str] = set()  # branches whose recipe or seen steps are to be written
        self._tracks: set[str] = set()  # branches whose track summary (bands, keyframes, curve) may be new
        self._layers_due = False  # a new project's layer stack is still to be written (on the worker)
        self._writes: set[int] = set()
        self._batches = FrameBatches()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.flush)
        doc.frames_added.connect(self._on_frames)
        doc.branch_ready.connect(self._on_branch_ready)
        doc.branches_changed.connect(self._on_state_changed)
        doc.frames_loaded.connect(self._on_frames_loaded)
        self._damage_told = False  # the user has been told this file had damaged frames
        # A full disk: writes that failed are kept (pending again) and tried again by `retry_timer`;
        # the user is told once, and the status bar shows what is not saved until it is.
        self._disk_full = False
        self._state_unsaved = False
        self._unsaved_shown: tuple[int, str] = (0, "")
        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.setInterval(RETRY_MS)
        self.retry_timer.timeout.connect(self._retry)
        # The watch: the file still where it was opened (told once), and the WAL checkpointed into the
        # main file when autosave is idle, so a copy of the file alone is the whole project.
        self._lost_told = False
        self._checkpoint_due = False
        self.watch_timer = QTimer(self)
        self.watch_timer.setInterval(WATCH_MS)
        self.watch_timer.timeout.connect(self.watch)

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project is not None else None

    # -- autosave --------------------------------------------------------------------------------
    def _on_frames(self, branch_id: str, steps: list[int]) -> None:
        if self.project is None or not self.doc.has_branch(branch_id):
            return
        if self.doc.keeps_recipe(branch_id):
            self._recipes.add(branch_id)
        else:
            for key, frame in self.doc.frames_in_memory(branch_id, steps):
                self._pending[key] = frame
        self._schedule_flush()

    def _on_frames_loaded(self, _branch_id: str, _steps: list[int]) -> None:
        """Damaged frames are dropped and made again where they are read (`ProjectStore.get_frame`);
        the user is told once per file, not once per frame."""
        project = self.project
        if project is None or self._damage_told or project.store.damaged_frames == 0:
            return
        self._damage_told = True
        self.error.emit(
            self.tr("Some frames stored in %1 were damaged; they are being made again.").replace(
                "%1", project.path.name
            )
        )

    def _on_branch_ready(self, branch_id: str) -> None:
        if self.project is None:
            return
        self._tracks.add(branch_id)
        if self.doc.keeps_recipe(branch_id):
            self._recipes.add(branch_id)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Debounced autosave; while the disk is full the retry timer writes instead (a write every
        batch would encode every pending frame again and fail again); a read-only project keeps its
        new frames until Save As."""
        if self._held_back():
            self._report_unsaved()
        else:
            self.timer.start()

    def _held_back(self) -> bool:
        """Frames cannot go to the file now: the disk is full, or the project is open read-only."""
        return self._disk_full or (self.project is not None and self.project.read_only)

    def _on_state_changed(self) -> None:
        if self.project is not None and self.doc.artwork is not None:
            self.save_state()

    def save_state(self) -> None:
        assert self.project is not None
        self.project.view_state = self.view_state()
        if self.project.read_only:
            return  # kept in memory: Save As writes it
        try:
            self.project.save_state()
            self._state_unsaved = False
        except DiskFullError as exc:
            self._state_unsaved = True
            self._blocked(exc)
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))

    def flush(self) -> None:
        """Write pending frames (one transaction per batch) and recipes on the worker thread."""
        if self.project is None:
            return
        project = self.project
        if project.read_only:
            self._report_unsaved()
            return
        if self._layers_due:
            self._write_layers(project)
        for branch_id in sorted(self._recipes):
            if self.doc.has_branch(branch_id):
                self._write_recipe(project, branch_id)
        self._recipes.clear()
        self._write_tracks(project)
        if not self._pending:
            return
        self._batches.add(list(self._pending.items()))
        self._pending = {}
        self._write_next_batch(project)

    def _write_next_batch(self, project: Project) -> None:
        """Submit the next few pending frames (one transaction), once the batch before has ended: a
        render asked for meanwhile runs first (`app.ui.frame_batches` says why batches)."""
        if project is not self.project:
            return
        items = self._batches.take()
        self.save_progress.emit(self._batches.written, self._batches.total)
        if items is None:
            return

        def write(cancel: CancelToken, progress: ProgressCallback) -> int:
            return project.put_frames(items)

        def keep() -> None:  # not written: pending again, behind any newer frame of the same key
            for key, frame in self._batches.give_back():
                self._pending.setdefault(key, frame)

        def then() -> None:
            self._batches.done()
            self._write_next_batch(project)

        self._submit_write(write, keep, then, self._batches.dropped)

    def _write_layers(self, project: Project) -> None:
        """A new project's layer stack, encoded and written on the worker: one PNG per layer of a large
        artwork takes seconds, which the first Save must not spend on the UI thread. Until it is written
        the file says so (`ProjectStore.layers_pending`): a crash before then reopens it with the layers
        read again from the source file, or flat with a notice when that is gone."""
        self._layers_due = False

        def write(cancel: CancelToken, progress: ProgressCallback) -> int:
            project.put_layers()
            return 0

        self._submit_write(write, lambda: setattr(self, "_layers_due", True))

    def _write_recipe(self, project: Project, branch_id: str) -> None:
        """The branch's seen steps, with its recipe when the file has none yet (made on the worker:
        serialising a 1024² analysis takes a few hundred ms). Without a session the steps wait for one."""
        branch, seen = self.doc.branch(branch_id), self.doc.seen_steps(branch_id)
        make = self.doc.recipe_maker(branch_id)

        def write(cancel: CancelToken, progress: ProgressCallback) -> int:
            if project.put_seen_steps(branch, seen):
                return 0
            if make is not None:
                project.put_recipe(branch, make(), seen)
            return 0

        self._submit_write(write, lambda: self._recipes.add(branch_id))

    def _write_tracks(self, project: Project) -> None:
        """The track summaries the file does not have yet: a reopened project shows stage bands,
        keyframes and the change curve before any session is prepared (`app.core.track_summary`)."""
        for branch_id in sorted(self._tracks):
            track = self.doc.track_to_keep(branch_id) if self.doc.has_branch(branch_id) else None
            if track is not None:
                self._submit_write(
                    self._track_writer(project, self.doc.branch(branch_id), track),
                    partial(self._tracks.add, branch_id),
                )
        self._tracks.clear()

    @staticmethod
    def _track_writer(project: Project, branch: Branch, track: TrackSummary) -> Callable[[Any, Any], int]:
        def write(cancel: CancelToken, progress: ProgressCallback) -> int:
            put_track_summary(project, branch, track)
            return 0

        return write

    def _submit_write(
        self,
        write: Callable[[Any, Any], int],
        keep: Callable[[], None],
        then: Callable[[], None] | None = None,
        dropped: Callable[[], None] | None = None,
    ) -> None:
        """Run `write` on the worker; `keep` puts what it was writing back when the disk was full,
        `then` follows a write that succeeded, `dropped` one that was cancelled."""

        def written(req: Request, count: int) -> None:
            if then is not None:
                then()  # first: the next batch counts as a write on its way (`busy`)
            self._written(req, count)

        def cancelled(req: Request) -> None:
            self._writes.discard(req.id)
            if dropped is not None:
                dropped()

        req = self.worker.submit(
            CallJob(write, "autosave"),
            PRIORITY_AUTOSAVE,
            "autosave",
            on_result=written,
            on_error=lambda r, exc: self._write_failed(r, exc, keep),
            on_cancelled=cancelled,
        )
        self._writes.add(req.id)

    def busy(self) -> bool:
        """Writes are on their way to the file (not: held back by a read-only project)."""
        waiting = not (self.project is not None and self.project.read_only)
        queued = self._pending or self._recipes or self._tracks or self._layers_due
        return bool(self._writes) or (waiting and (bool(queued) or self._batches.waiting()))

    def _written(self, req: Request, _count: int) -> None:
        self._writes.discard(req.id)
        self._checkpoint_due = True
        if self._disk_full and not (
            self._pending or self._recipes or self._state_unsaved or self._layers_due
        ):
            self._disk_full = False  # everything kept has been written: space is back
            self.retry_timer.stop()
            self._report_unsaved()
        if not self.busy():
            self.doc.set_dirty(False)

    def _write_failed(self, req: Request, exc: UndoStudioError, keep: Callable[[], None]) -> None:
        self._writes.discard(req.id)
        if isinstance(exc, DiskFullError):
            keep()
            self._blocked(exc)
        else:
            self.error.emit(error_text(exc))

    def _blocked(self, exc: DiskFullError) -> None:
        """A write met a full disk: what was committed stays, what was not is kept and tried again."""
        if not self._disk_full:
            self._disk_full = True
            self.error.emit(error_text(exc))  # once, not once per batch or retry
        if self.project is not None:
            self.retry_timer.start()
        self._report_unsaved()

    def _retry(self) -> None:
        """The retry timer: write what was kept, if the disk has room again (a cheap check first)."""
        if self.project is None or not self._disk_full:
            return
        if free_bytes(self.project.path.parent) < RETRY_FREE_BYTES:
            self.retry_timer.start()
            return
        if self._state_unsaved and self.doc.artwork is not None:
            self.save_state()
        self.flush()
        if not self._writes:  # nothing was submitted (or the state failed again): wait for the next
            self.retry_timer.start()

    def _report_unsaved(self) -> None:
        """Tell the status bar which frames are not in the file yet (none once the disk has room)."""
        pending = self._pending if self._held_back() else {}
        shown = (len(pending), format_steps(frame.step for frame in pending.values()))
        if shown != self._unsaved_shown:
            self._unsaved_shown = shown
            self.unsaved_changed.emit(*shown)

    # -- the watch -------------------------------------------------------------------------------
    def watch(self) -> None:
        """Every few seconds while a project is open: is its file still there (a stat), and, when
        autosave is idle, checkpoint the WAL on the worker (a copy of the main file alone is whole)."""
        project = self.project
        if project is None:
            return
        if not self._lost_told and project.store.file_missing():
            self._lost_told = True
            self.file_lost.emit(project.path)
        if self._checkpoint_due and not self.busy() and not project.read_only:
            self._checkpoint_due = False
            store = project.store
            self.worker.submit(CallJob(lambda _c, _p: store.checkpoint(), "checkpoint"), PRIORITY_AUTOSAVE)

    def _watch_from_now(self) -> None:
        self._lost_told = self._checkpoint_due = False
        self.watch_timer.start()

    # -- save / open -----------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> bool:
        """Save to `path` (or the current file). Returns False when there is nothing to save to."""
        if self.doc.artwork is None:
            return False
        try:
            if path is not None:
                path = Path(path)
                if path.suffix != PROJECT_SUFFIX:
                    path = path.with_suffix(PROJECT_SUFFIX)
            if self.project is None:
                if path is None:
                    return False
                self.project = Project.create(path, self.doc.artwork, self.doc.tree, layers=False)
                self._layers_due = self.project.layers_due
                self.doc.attach_project(self.project)
                self._tracks.update(b.id for b in self.doc.branches)
                for b in self.doc.branches:
                    if self.doc.keeps_recipe(b.id):
                        self._recipes.add(b.id)
                        continue
                    for key, frame in self.doc.frames_in_memory(b.id):
                        self._pending[key] = frame
            elif path is not None and path != self.project.path:
                # Copy the whole file: frames stored but not in memory (evicted, or never loaded since
                # reopening) must come along; frames still pending are flushed into the copy below.
                self.project.save_as(path)
                self.project.read_only_reason = None
            elif self.project.read_only:
                raise ProjectError(
                    f"'{self.project.path.name}' is open read-only.", "Use Save As to keep your changes."
                )
            self.save_state()
            self.flush()
            self._report_unsaved()
            self._watch_from_now()
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))
            return False
        remember_recent(self.project.path)
        if not self.busy():
            self.doc.set_dirty(False)
        self.saved.emit(self.project.path)
        return True

    def adopt(self, project: Project) -> dict[str, Any]:
        """Make an opened `project` the document (closing the current one); returns its view state."""
        self.close_project()
        self.doc.open_project(project)
        state = dict(project.view_state)
        self.doc.branches_changed.emit()  # before `self.project` is set: must not write the fresh view back
        self.project = project
        self._damage_told = False
        # A stack the file lacked, read again from the unchanged source file: written like a new
        # project's (on the worker), so the file has it from now on.
        self._layers_due = project.layers_due
        if self._layers_due:
            self._schedule_flush()
        self._watch_from_now()
        self._report_unsaved()
        remember_recent(project.path)
        self.opened.emit(project.path)
        return state

    def close_project(self) -> None:
        """Write what is pending (frames, recipes, the view) and close the file. The document's own
        work is cancelled first: it is being replaced, and its renders would hold back the writes."""
        self.timer.stop()
        self.watch_timer.stop()
        if self.project is not None:
            self.doc.cancel_all()
            if self.doc.artwork is not None:
                self.save_state()  # the view (step, compare) as the user left it
            self.flush()
            self._wait_for_writes()
            self.project.close()
            self.project = None
            self.doc.attach_project(None)
        self.retry_timer.stop()  # a last write that met a full disk must not schedule another
        self._pending.clear()
        self._recipes.clear()
        self._tracks.clear()
        self._layers_due = False
        self._batches.give_back()
        self.save_progress.emit(0, 0)
        self._disk_full = self._state_unsaved = False
        self._report_unsaved()

    def _wait_for_writes(self, timeout: float = 30.0) -> None:
        """Block (closing only) until this controller's writes have finished on the worker; `timeout`
        runs from the last batch written (a big save goes on while batches keep ending)."""
        deadline, written = time.monotonic() + timeout, self._batches.written
        while self._writes and time.monotonic() < deadline:
            self.worker.drain()  # delivers the write handlers, which forget finished writes (and batch on)
            if self._batches.written != written:
                deadline, written = time.monotonic() + timeout, self._batches.written
            time.sleep(0.005)
