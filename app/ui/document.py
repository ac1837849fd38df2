"""The open document: artwork, branch tree, engine sessions, frame schedulers (a controller, no widgets).

Why here and not in the window: views (canvas, timeline, branches panel, compare) all read the same
state and must not own it. Every engine call goes through the `EngineWorker`; this object only plans
(cheap) and stores results on the UI thread, so the UI never blocks on an engine.

Reopened projects: frames already in the store are indexed without preparing a session. A session is
prepared lazily the first time a step is asked for that has no exact frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec
from app.core.frames import Frame, FrameKey, FrameKind
from app.core.scheduler import BranchScheduler, DictFrameStore, PlannedRequest
from app.errors import UndoStudioError
from app.inference.engine import EngineSession, ProcessEngine
from app.inference.registry import DEFAULT_ENGINE, create_engine
from app.inference.runner import InterpolateJob, PrepareJob, RenderJob, Request
from app.ui.worker import EngineWorker

EngineFactory = Callable[[str], ProcessEngine]
PRIORITY_PREPARE = -10


def make_frame_store(budget_bytes: int = 1536 * 1024 * 1024) -> Any:
    """The byte-budget LRU the schedulers index into (frames are also kept in the project file)."""
    try:
        from app.core.frame_cache import LruFrameCache
    except ImportError:  # pragma: no cover - the core ships it
        return DictFrameStore()
    return LruFrameCache(budget_bytes)


def _not_autosave(request: Request) -> bool:
    """Cancelling work never drops frames on their way into the project file, nor the start page's
    system probe (engine readiness, device), which belongs to the window and not to the document."""
    return not (isinstance(request.tag, tuple) and request.tag[0] in ("autosave", "probe"))


class TieredFrameStore:
    """Memory LRU in front of the open project file: a frame evicted from memory (or never loaded, after
    reopening) is read back from the project instead of being rendered again."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory
        self.backing: Any = None  # app.core.project.Project or None

    def get(self, key: FrameKey) -> Frame | None:
        frame = self.memory.get(key)
        if frame is None and self.backing is not None:
            frame = self.backing.get_frame(key)
            if frame is not None:
                self.memory.put(key, frame)
        return frame

    def put(self, key: FrameKey, frame: Frame) -> bool:
        return bool(self.memory.put(key, frame))

    @property
    def bytes_used(self) -> int:
        return int(getattr(self.memory, "bytes_used", 0))

    @property
    def budget_bytes(self) -> int:
        return int(getattr(self.memory, "budget_bytes", 0))


class _BranchSink:
    """The scheduler's `RequestSink` for one branch: turns plans into runner jobs."""

    def __init__(self, doc: Document, branch_id: str) -> None:
        self.doc, self.branch_id = doc, branch_id

    def submit(self, plan: PlannedRequest) -> int:
        session = self.doc.sessions[self.branch_id]
        engine = self.doc.engine(self.doc.branch(self.branch_id).spec.engine)
        if plan.segment is None:
            job: Any = RenderJob(engine, session, plan.steps)
        else:
            a, b, n = plan.segment
            job = InterpolateJob(engine, session, a, b, n)
        offset = 0 if self.branch_id == self.doc.active_id else 3
        req = self.doc.worker.submit(job, plan.priority + offset, tag=("frames", self.branch_id))
        return req.id

    def cancel(self, request_id: int) -> None:
        self.doc.worker.cancel(request_id)


class Document(QObject):
    artwork_changed = Signal()
    branches_changed = Signal()
    branch_ready = Signal(str)  # a session was prepared
    frames_added = Signal(str, object)  # branch id, list[int] steps
    error = Signal(str)
    dirty_changed = Signal(bool)

    def __init__(
        self, worker: EngineWorker, engine_factory: EngineFactory | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self._engine_factory = engine_factory or (lambda name: create_engine(name))
        self._engines: dict[str, ProcessEngine] = {}
        self.store = TieredFrameStore(make_frame_store())
        self.artwork: Artwork | None = None
        self.branches: list[Branch] = []
        self.sessions: dict[str, EngineSession] = {}
        self.schedulers: dict[str, BranchScheduler] = {}
        self.failed: dict[str, str] = {}
        self._preparing: dict[str, int] = {}
        self.active_id: str | None = None
        self._dirty = False
        worker.result.connect(self._on_result)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    # -- engines ---------------------------------------------------------------------------------
    def engine(self, name: str) -> ProcessEngine:
        if name not in self._engines:
            self._engines[name] = self._engine_factory(name)
        return self._engines[name]

    # -- dirty state -----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    # -- artwork and branches --------------------------------------------------------------------
    def open_artwork(self, path: Path, artwork: Artwork | None = None) -> None:
        """Open the artwork at `path` (or the already loaded `artwork` read from it) with one branch."""
        if artwork is None:
            from app.core.artwork import load_artwork

            artwork = load_artwork(Path(path))
        self.set_artwork(artwork)
        self.add_branch(BranchSpec.make(DEFAULT_ENGINE, 0), name=self.tr("Seed 0"))
        self.set_dirty(True)

    def set_artwork(self, artwork: Artwork) -> None:
        self.close()
        self.artwork = artwork
        self.artwork_changed.emit()

    def close(self) -> None:
        for sched in self.schedulers.values():
            sched.cancel_all()
        self.worker.cancel_where(_not_autosave)
        self.artwork, self.branches, self.active_id = None, [], None
        self.sessions.clear()
        self.schedulers.clear()
        self.failed.clear()
        self._preparing.clear()
        self.store = TieredFrameStore(make_frame_store())
        self.set_dirty(False)

    def branch(self, branch_id: str) -> Branch:
        for b in self.branches:
            if b.id == branch_id:
                return b
        raise KeyError(branch_id)

    @property
    def active(self) -> Branch | None:
        return next((b for b in self.branches if b.id == self.active_id), None)

    def set_active(self, branch_id: str) -> None:
        if branch_id != self.active_id:
            self.active_id = branch_id
            self.branches_changed.emit()

    def add_branch(
        self,
        spec: BranchSpec,
        name: str | None = None,
        parent_id: str | None = None,
        fork_step: int | None = None,
        branch: Branch | None = None,
        activate: bool = True,
    ) -> Branch:
        assert self.artwork is not None, "open an artwork first"
        b = branch or Branch(name=name or self.tr("Seed %1").replace("%1", str(spec.seed)), spec=spec)
        if branch is None:
            b.parent_id, b.fork_step = parent_id, fork_step
        self.branches.append(b)
        self.schedulers[b.id] = BranchScheduler(
            self.artwork.content_hash,
            spec.spec_hash(),
            self.store,
            _BranchSink(self, b.id),
            random_access=True,
            key_for=self._plan_keys(spec),
        )
        if activate:
            self.active_id = b.id
        self.set_dirty(True)
        self.branches_changed.emit()
        return b

    def _plan_keys(self, spec: BranchSpec):
        """Keyframe engines key frames per part (keyframe_plan.py), so a video-seed change keeps keyframes."""
        plan = self.frame_plan(spec)
        return plan.key if plan is not None else None

    def frame_plan(self, spec: BranchSpec):
        """The engine's KeyframePlan for `spec`, or None for engines keyed by the whole spec."""
        assert self.artwork is not None
        try:
            engine = self.engine(spec.engine)
        except UndoStudioError:
            return None
        plan_for = getattr(engine, "plan_for", None)
        try:
            return plan_for(self.artwork.content_hash, spec) if plan_for is not None else None
        except UndoStudioError:
            return None

    def new_seed(self) -> int:
        used = {b.spec.seed for b in self.branches}
        seed = random.randint(1, 99999)
        while seed in used:
            seed = random.randint(1, 99999)
        return seed

    def duplicate_branch(self, branch_id: str) -> Branch:
        src = self.branch(branch_id)
        seed = self.new_seed()
        return self.add_branch(src.spec.with_changes(seed=seed))  # named "Seed N" after its own seed

    def fork_branch(self, branch_id: str, step: int) -> Branch:
        """Redo differently from `step`: the fork keeps the parent's frames for steps >= step."""
        src = self.branch(branch_id)
        seed = self.new_seed()
        name = self.tr("%1 fork @%2").replace("%1", src.name).replace("%2", str(step))
        return self.add_branch(src.spec.with_changes(seed=seed), name=name, parent_id=src.id, fork_step=step)

    def rename_branch(self, branch_id: str, name: str) -> None:
        b = self.branch(branch_id)
        b.name = name
        self.set_dirty(True)
        self.branches_changed.emit()

    def delete_branch(self, branch_id: str) -> None:
        if len(self.branches) <= 1:
            return
        self.schedulers.pop(branch_id).cancel_all()
        self.sessions.pop(branch_id, None)
        self.branches = [b for b in self.branches if b.id != branch_id]
        for b in self.branches:  # children of a deleted branch become roots
            if b.parent_id == branch_id:
                b.parent_id, b.fork_step = None, None
        if self.active_id == branch_id:
            self.active_id = self.branches[0].id
        self.set_dirty(True)
        self.branches_changed.emit()

    # -- frames ----------------------------------------------------------------------------------
    def owner_for(self, branch_id: str, step: int) -> str:
        """Which branch's frames show `step`: a fork shows its parent's frames at and above its fork step."""
        b = self.branch(branch_id)
        while b.parent_id is not None and b.fork_step is not None and step >= b.fork_step:
            b = self.branch(b.parent_id)
        return b.id

    def request(
        self, branch_id: str, step: int, direction: int = -1, want_frame: bool = True
    ) -> Frame | None:
        """The best frame for `step` now; plans engine work that improves it (never blocks).
        `want_frame=False`: only plan (the caller already painted `best_frame`)."""
        owner = self.owner_for(branch_id, step)
        sched = self.schedulers[owner]
        if owner in self.sessions:
            return sched.show(step, direction, want_frame)
        entry = sched.entry(step)
        if (entry is None or entry[1] is FrameKind.PREVIEW) and owner not in self.failed:
            self._prepare(owner)
        return sched.best_frame(step) if want_frame else None

    def best_frame(self, branch_id: str, step: int) -> Frame | None:
        owner = self.owner_for(branch_id, step)
        return self.schedulers[owner].best_frame(step)

    def _prepare(self, branch_id: str) -> None:
        if branch_id in self._preparing or self.artwork is None:
            return
        spec = self.branch(branch_id).spec
        try:
            engine = self.engine(spec.engine)
        except UndoStudioError as exc:
            self.failed[branch_id] = exc.user_text()
            self.error.emit(exc.user_text())
            return
        req = self.worker.submit(
            PrepareJob(engine, self.artwork, spec),
            PRIORITY_PREPARE,
            tag=("prepare", branch_id),
            label="prepare",
        )
        self._preparing[branch_id] = req.id

    def retry(self, branch_id: str) -> None:
        self.failed.pop(branch_id, None)
        self.schedulers[branch_id].clear_failures()
        self._prepare(branch_id)

    def is_ready(self, branch_id: str) -> bool:
        return branch_id in self.sessions

    def is_busy(self) -> bool:
        return bool(self._preparing) or any(s.inflight() for s in self.schedulers.values())

    def _on_result(self, req: Request, result: Any) -> None:
        tag = req.tag
        if not isinstance(tag, tuple) or tag[1] not in self.schedulers:
            return
        kind, branch_id = tag
        if kind == "prepare":
            if self._preparing.get(branch_id) != req.id:
                return
            del self._preparing[branch_id]
            session: EngineSession = result
            self.sessions[branch_id] = session
            sched = self.schedulers[branch_id]
            engine = self.engine(self.branch(branch_id).spec.engine)
            sched.random_access = engine.capabilities.random_access
            if session.keyframe_steps:
                sched.keyframe_steps = sorted(set(sched.keyframe_steps) | set(session.keyframe_steps))
            keyframe_plan = getattr(engine, "keyframe_plan", None)
            if keyframe_plan is not None:  # the session's plan knows the user's own keyframes too
                sched.key_for = keyframe_plan(session).key
            self.branch_ready.emit(branch_id)
        elif kind == "frames":
            steps = self.schedulers[branch_id].accept(req.id, result)
            if steps:
                self.set_dirty(True)
                self.frames_added.emit(branch_id, steps)

    def _on_failed(self, req: Request, exc: UndoStudioError) -> None:
        tag = req.tag
        if not isinstance(tag, tuple) or tag[0] not in ("prepare", "frames"):
            return  # someone else's job (export...): its owner reports it
        if tag[1] in self.schedulers:
            kind, branch_id = tag
            if kind == "prepare":
                self._preparing.pop(branch_id, None)
                self.failed[branch_id] = exc.user_text()
            else:
                self.schedulers[branch_id].failed(req.id)
        text = exc.user_text() if isinstance(exc, UndoStudioError) else str(exc)
        self.error.emit(text)

    def _on_cancelled(self, req: Request) -> None:
        tag = req.tag
        if isinstance(tag, tuple) and tag[1] in self.schedulers:
            kind, branch_id = tag
            if kind == "prepare" and self._preparing.get(branch_id) == req.id:
                del self._preparing[branch_id]
            elif kind == "frames":
                self.schedulers[branch_id].finished(req.id)

    def cancel_all(self) -> None:
        for sched in self.schedulers.values():
            sched.cancel_all()
        self.worker.cancel_where(_not_autosave)
        self._preparing.clear()

    # -- persistence helpers ---------------------------------------------------------------------
    def frame_entries(self, branch_id: str) -> list[tuple[FrameKey, Frame]]:
        """Every stored frame of a branch (exact and interpolated), for saving."""
        sched = self.schedulers[branch_id]
        out = []
        for step in sorted(sched.available()):
            entry, frame = sched.entry(step), sched.frame_at(step)
            if entry is not None and frame is not None:
                out.append((entry[0], frame))
        return out

    def cache_bytes(self) -> int:
        return self.store.bytes_used
