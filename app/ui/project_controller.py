"""ProjectController: save / open / autosave through the core's `Project` (SQLite file, design §6).

- Save (first time) creates the file and writes every frame generated so far on the worker thread.
- Autosave: once a project has a file, each completed frame batch is written (debounced, on the worker,
  low priority) and the branch tree/view state after every change, so a crash loses nothing.
- Open restores the artwork, branches, active branch, view state and the frame index without any engine
  call; frames are read back from the file on demand (`stored_frames.TieredFrameStore`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from app.core.frames import Frame, FrameKey
from app.core.project import PROJECT_SUFFIX, Project
from app.errors import ProjectError, UndoStudioError
from app.inference.runner import CallJob, Request
from app.ui.document import Document
from app.ui.error_text import error_text

PRIORITY_AUTOSAVE = 200
PRIORITY_PREFETCH = 150
PREFETCH_CHUNK = 2  # frames per prefetch job: ~2 decodes (20-50 ms at 1024²) before the queue is re-read
RECENT_KEY = "recent/projects"
MAX_RECENT = 8


def recent_projects() -> list[Path]:
    items = QSettings().value(RECENT_KEY, []) or []
    if isinstance(items, str):
        items = [items]
    return [Path(p) for p in items if Path(p).is_file()]


def remember_recent(path: Path) -> None:
    items = [str(path)] + [str(p) for p in recent_projects() if p != path]
    QSettings().setValue(RECENT_KEY, items[:MAX_RECENT])


class ProjectController(QObject):
    saved = Signal(Path)
    opened = Signal(Path)
    error = Signal(str)

    def __init__(self, doc: Document, view_state: Callable[[], dict[str, Any]], parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.view_state = view_state
        self.project: Project | None = None
        self._pending: dict[FrameKey, Frame] = {}
        self._writes: set[int] = set()
        self._prefetch_chunks: list[CallJob] = []
        self._prefetch_id: int | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.flush)
        doc.frames_added.connect(self._on_frames)
        doc.branches_changed.connect(self._on_state_changed)
        doc.worker.result.connect(self._on_result)
        doc.worker.failed.connect(self._on_failed)
        doc.worker.cancelled.connect(self._on_cancelled)

    @property
    def path(self) -> Path | None:
        return self.project.path if self.project is not None else None

    # -- autosave --------------------------------------------------------------------------------
    def _on_frames(self, branch_id: str, steps: list[int]) -> None:
        if self.project is None:
            return
        sched = self.doc.schedulers.get(branch_id)
        if sched is None:
            return
        for s in steps:
            entry, frame = sched.entry(s), sched.frame_at(s)
            if entry is not None and frame is not None:
                self._pending[entry[0]] = frame
        self.timer.start()

    def _on_state_changed(self) -> None:
        if self.project is not None and self.doc.artwork is not None:
            self.save_state()

    def save_state(self) -> None:
        assert self.project is not None
        self.project.branches = list(self.doc.branches)
        self.project.active_branch_id = self.doc.active_id
        self.project.view_state = self.view_state()
        try:
            self.project.save_state()
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))

    def flush(self) -> None:
        """Write pending frames on the worker thread (one transaction per batch)."""
        if self.project is None or not self._pending:
            return
        items, self._pending = list(self._pending.items()), {}
        project = self.project

        def write(cancel, progress) -> int:
            return project.put_frames(items)

        req = self.doc.worker.submit(CallJob(write, "autosave"), PRIORITY_AUTOSAVE, tag=("autosave", None))
        self._writes.add(req.id)

    def busy(self) -> bool:
        return bool(self._pending) or bool(self._writes)

    def _on_cancelled(self, req: Request) -> None:
        self._writes.discard(req.id)
        if req.id == self._prefetch_id:  # the user cancelled, or the document closed: stop prefetching
            self._prefetch_chunks.clear()
            self._prefetch_id = None

    def _on_result(self, req: Request, _result: Any) -> None:
        if req.id == self._prefetch_id:
            self._next_prefetch()
        if req.id in self._writes:
            self._writes.discard(req.id)
            if not self.busy():
                self.doc.set_dirty(False)

    def _on_failed(self, req: Request, exc: UndoStudioError) -> None:
        if req.id == self._prefetch_id:  # a damaged frame: the rest is still worth loading
            self._next_prefetch()
        if req.id in self._writes:
            self._writes.discard(req.id)
            self.error.emit(error_text(exc))

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
                self.project = Project.create(path, self.doc.artwork, list(self.doc.branches))
                self.doc.store.backing = self.project
                for b in self.doc.branches:
                    for key, frame in self.doc.frame_entries(b.id):
                        self._pending[key] = frame
            elif path is not None and path != self.project.path:
                # Copy the whole file: frames stored but not in memory (evicted, or never loaded since
                # reopening) must come along; frames still pending are flushed into the copy below.
                self.project.save_as(path)
            self.save_state()
            self.flush()
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))
            return False
        remember_recent(self.project.path)
        if not self.busy():
            self.doc.set_dirty(False)
        self.saved.emit(self.project.path)
        return True

    def open(self, path: Path) -> dict[str, Any] | None:
        """Open a project file; returns its view state, or None (error already reported)."""
        project = self.read(path)
        return None if project is None else self.adopt(project)

    def read(self, path: Path) -> Project | None:
        """Open a project file without touching the open document, so a damaged file costs nothing:
        the caller leaves the current document only once this succeeded. None: error already reported."""
        try:
            return Project.open(Path(path))
        except UndoStudioError as exc:
            self.error.emit(error_text(exc))
        except Exception as exc:  # noqa: BLE001 - a broken file must never crash the app
            self.error.emit(error_text(ProjectError(f"'{Path(path).name}' could not be opened ({exc}).", "")))
        return None

    def adopt(self, project: Project) -> dict[str, Any]:
        """Make an opened `project` the document (closing the current one); returns its view state."""
        self.close_project()
        doc = self.doc
        doc.set_artwork(project.artwork)
        doc.store.backing = project
        for b in project.branches:
            doc.add_branch(b.spec, branch=b, activate=False)
            plan = doc.frame_plan(b.spec)
            hashes = plan.all_hashes() if plan is not None else None
            doc.schedulers[b.id].index_existing(
                (key, step, kind) for key, kind, step in project.stored_frames(b, hashes)
            )
        doc.active_id = project.active_branch_id or (project.branches[0].id if project.branches else None)
        state = dict(project.view_state)
        doc.set_dirty(False)
        doc.branches_changed.emit()  # before `self.project` is set: must not write the fresh view back
        self.project = project
        remember_recent(project.path)
        self.opened.emit(project.path)
        return state

    def prefetch(self, step: int, branch_ids: list[str]) -> None:
        """Decode stored frames near `step` into the memory cache on the worker (lowest priority but
        autosave), so scrubbing a reopened project finds most frames in memory.

        In small jobs (PREFETCH_CHUNK frames each, the next submitted when one finishes), not one: the
        runner never interrupts a running job, and one long prefetch would hold back the load of the frame
        under the playhead (`Document._plan_loads`) and every engine request for seconds."""
        project, doc = self.project, self.doc
        if project is None:
            return
        memory = doc.store.memory
        wanted: list[tuple[int, FrameKey]] = []
        for bid in branch_ids:
            sched = doc.schedulers.get(bid)
            if sched is None:
                continue
            for s in sched.available():
                entry = sched.entry(s)
                if entry is not None:
                    wanted.append((abs(s - step), entry[0]))
        wanted.sort(key=lambda item: item[0])
        budget = int(getattr(memory, "budget_bytes", 0) * 0.8)
        keys = [key for _distance, key in wanted]

        def loader(chunk: list[FrameKey]) -> Callable[[Any, Any], int]:
            def load(cancel, progress) -> int:
                loaded = 0
                for key in chunk:
                    if cancel.cancelled or getattr(memory, "bytes_used", 0) >= budget:
                        break
                    if memory.contains(key):
                        continue
                    frame = project.get_frame(key)
                    if frame is not None:
                        memory.put(key, frame)
                        loaded += 1
                return loaded

            return load

        self._prefetch_chunks = [
            CallJob(loader(keys[i : i + PREFETCH_CHUNK]), "prefetch")
            for i in range(0, len(keys), PREFETCH_CHUNK)
        ]
        self._next_prefetch()

    def _next_prefetch(self) -> None:
        self._prefetch_id = None
        if self._prefetch_chunks:
            job = self._prefetch_chunks.pop(0)
            self._prefetch_id = self.doc.worker.submit(job, PRIORITY_PREFETCH, tag=("prefetch", None)).id

    def close_project(self) -> None:
        self.timer.stop()
        self._prefetch_chunks.clear()
        if self.project is not None:
            if self.doc.artwork is not None:
                self.save_state()  # the view (step, compare) as the user left it
            if self._pending:
                try:
                    self.project.put_frames(list(self._pending.items()))
                except UndoStudioError:
                    pass
            self._pending.clear()
            self.doc.worker.runner.wait_idle(5.0) if self._writes else None
            self.project.close()
            self.project = None
            self.doc.store.backing = None
