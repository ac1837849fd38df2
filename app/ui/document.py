"""The open document: artwork, branch tree, engine sessions, frame schedulers (a controller, no widgets).

Why here and not in the window: views (canvas, timeline, branches panel, compare) all read the same
state and must not own it. Every engine call goes through the `EngineWorker`; this object only plans
(cheap) and stores results on the UI thread, so the UI never blocks on an engine.

Reopened projects: frames already in the store are indexed without preparing a session. A session is
prepared lazily the first time a step is asked for that has no exact frame.

Frames in the project file but not in memory (after reopening, or after the memory LRU evicted them) are
never read on the UI thread: a read is SQLite plus a PNG decode, 20-70 ms at 1024², more than a whole
scrub budget (design §7). They are "not ready yet", like a frame an engine is still rendering: the view
shows the preview blend of the nearest frames in memory at once, the document loads the stored frames
around the playhead on the worker (`_plan_loads`, one request per branch, superseded ones cancelled,
stale results dropped by request id) and `frames_loaded` makes the view repaint when they arrive.
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
from app.core.scheduler import BranchScheduler, PlannedRequest
from app.core.segments import SegmentLayout
from app.errors import ProjectError, UndoStudioError
from app.inference.engine import EngineSession, ProcessEngine
from app.inference.registry import DEFAULT_ENGINE, create_engine
from app.inference.runner import CallJob, InterpolateJob, PrepareJob, RenderJob, Request
from app.ui.error_text import error_text
from app.ui.stored_frames import TieredBranchScheduler, TieredFrameStore, make_frame_store
from app.ui.worker import EngineWorker

EngineFactory = Callable[[str], ProcessEngine]
PRIORITY_PREPARE = -10
# A stored frame costs one read and one decode: cheaper than any render, and it is the exact frame.
PRIORITY_LOAD = -1
LOAD_AHEAD = 6  # stored frames loaded per request in the scrub direction (the playhead's own first)...
LOAD_BEHIND = 2  # ...and behind it (the other side of the preview blend)


def _not_autosave(request: Request) -> bool:
    """Cancelling work never drops frames on their way into the project file, nor the start page's
    system probe (engine readiness, device), which belongs to the window and not to the document."""
    return not (isinstance(request.tag, tuple) and request.tag[0] in ("autosave", "probe"))


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
    frames_loaded = Signal(str, object)  # branch id, list[int] steps read back from the project file
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
        self._loads: dict[str, tuple[set[int], tuple[FrameKey, ...]]] = {}  # branch -> (request ids, keys)
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
        self._loads.clear()
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
        self.schedulers[b.id] = TieredBranchScheduler(
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
        load = self._loads.pop(branch_id, None)
        for rid in load[0] if load is not None else ():
            self.worker.cancel(rid)
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
        self._plan_loads(owner, step, direction)
        if owner in self.sessions:
            return sched.show(step, direction, want_frame)
        entry = sched.entry(step)
        if (entry is None or entry[1] is FrameKind.PREVIEW) and owner not in self.failed:
            self._prepare(owner)
        return sched.best_frame(step) if want_frame else None

    def _plan_loads(self, branch_id: str, step: int, direction: int) -> None:
        """Load the stored frames `step` needs on the worker (never here: see the module docstring). One
        load plan per branch: a new position cancels the one it supersedes (frames it already decoded
        stay in memory), as the scheduler does for engine work. The playhead's own frame is a request of
        its own, so it is painted after one decode rather than after all its neighbours'."""
        if self.store.backing is None:
            return
        sched = self.schedulers[branch_id]
        if not isinstance(sched, TieredBranchScheduler):
            return
        wanted = sched.waiting_near(step, direction, LOAD_AHEAD, LOAD_BEHIND)
        current = self._loads.get(branch_id)
        if not wanted or (current is not None and wanted[0][1] in current[1]):
            return
        if current is not None:
            del self._loads[branch_id]
            for rid in current[0]:
                self.worker.cancel(rid)
        memory, backing = self.store.memory, self.store.backing

        def loader(items: list[tuple[int, FrameKey]]):
            return lambda cancel, progress: load(items, cancel)

        def load(items: list[tuple[int, FrameKey]], cancel) -> tuple[list[int], list[int]]:
            """Worker thread: decode into the memory LRU; returns (loaded steps, steps not in the file)."""
            loaded: list[int] = []
            absent: list[int] = []
            for s, key in items:
                if cancel.cancelled:
                    break
                if not memory.contains(key):
                    try:
                        frame = backing.get_frame(key)
                    except ProjectError:  # damaged or closed: render it again instead
                        frame = None
                    if frame is None or not memory.put(key, frame):
                        absent.append(s)
                        continue
                loaded.append(s)
            return loaded, absent

        offset = 0 if branch_id == self.active_id else 3
        parts = [wanted[:1], wanted[1:]] if wanted[0][0] == step else [wanted]
        ids = {
            self.worker.submit(
                CallJob(loader(part), "load frames"),
                PRIORITY_LOAD + offset,
                tag=("load", branch_id),
                label="load",
            ).id
            for part in parts
            if part
        }
        self._loads[branch_id] = (ids, tuple(key for _s, key in wanted))

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
            self.failed[branch_id] = error_text(exc)
            self.error.emit(error_text(exc))
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
                sched.layout = SegmentLayout(tuple(session.keyframe_steps))
            keyframe_plan = getattr(engine, "keyframe_plan", None)
            if keyframe_plan is not None:  # the session's plan knows the user's own keyframes too
                sched.key_for = keyframe_plan(session).key
            self.branch_ready.emit(branch_id)
        elif kind == "frames":
            steps = self.schedulers[branch_id].accept(req.id, result)
            if steps:
                self.set_dirty(True)
                self.frames_added.emit(branch_id, steps)
        elif kind == "load":
            if not self._drop_load(req):
                return  # stale: a newer position superseded it (its frames are in memory anyway)
            loaded, absent = result
            sched = self.schedulers[branch_id]
            for s in absent:
                entry = sched.entry(s)
                if entry is not None:
                    self.store.missing.add(entry[0])
                    sched.frame_at(s)  # no longer waiting: the scheduler forgets it (rendered on demand)
            if loaded or absent:
                self.frames_loaded.emit(branch_id, sorted(set(loaded) | set(absent)))

    def _on_failed(self, req: Request, exc: UndoStudioError) -> None:
        tag = req.tag
        if isinstance(tag, tuple) and tag[0] == "load":
            self._drop_load(req)
        if not isinstance(tag, tuple) or tag[0] not in ("prepare", "frames"):
            return  # someone else's job (export...): its owner reports it
        if tag[1] in self.schedulers:
            kind, branch_id = tag
            if kind == "prepare":
                self._preparing.pop(branch_id, None)
                self.failed[branch_id] = error_text(exc)
            else:
                self.schedulers[branch_id].failed(req.id)
        self.error.emit(error_text(exc))

    def _on_cancelled(self, req: Request) -> None:
        tag = req.tag
        if isinstance(tag, tuple) and tag[1] in self.schedulers:
            kind, branch_id = tag
            if kind == "prepare" and self._preparing.get(branch_id) == req.id:
                del self._preparing[branch_id]
            elif kind == "frames":
                self.schedulers[branch_id].finished(req.id)
            elif kind == "load":
                self._drop_load(req)

    def _drop_load(self, req: Request) -> bool:
        """A load request ended: forget it (once its plan has no request left, the next position plans
        loads again). False when it was stale (not part of the branch's current plan)."""
        branch_id = req.tag[1]
        current = self._loads.get(branch_id)
        if current is None or req.id not in current[0]:
            return False
        current[0].discard(req.id)
        if not current[0]:
            del self._loads[branch_id]
        return True

    def cancel_all(self) -> None:
        for sched in self.schedulers.values():
            sched.cancel_all()
        self.worker.cancel_where(_not_autosave)
        self._preparing.clear()
        self._loads.clear()

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
