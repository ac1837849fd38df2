"""The open document: artwork, branch tree, engine sessions, frame schedulers (a controller, no widgets).

Why here and not in the window: views (canvas, timeline, branches panel, compare) all read the same
state and must not own it. Every engine call and every read of the project file goes through the
`EngineWorker`; this object only plans (cheap) and takes results on the UI thread, so the UI never
blocks on an engine or on SQLite.

What other controllers use is the public API below (branches, frames for a step, what a branch has,
its session's bands, saving and export snapshots); the worker, schedulers and store stay inside.

Deleting a branch returns a `DeletedBranch` (the branch itself, where it stood, the forks that lost
their parent and its frame index) and `restore_branch` puts it back as it was: same id, name, spec and
fork, its frames still indexed (they are still in memory or in the project file, which a delete never
touches). That is what the branch undo stack (`ui/branch_undo.py`) is built on.

Frames stored in the project file but not in memory (a reopened project, or after the memory LRU evicted
them) are "not ready yet", like a frame an engine is still rendering: the view shows the preview blend of
the nearest frames in memory at once, the branch's scheduler plans loads of the stored frames around the
playhead as requests like engine work (superseded ones cancelled, stale results dropped), and
`frames_loaded` makes the view repaint when they arrive. A session is prepared only when a step needs
an engine.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec, BranchTree, RemovedBranch
from app.core.frame_cache import LruFrameCache
from app.core.frame_index import StepState
from app.core.frames import MAX_STEP, Frame, FrameKey, FrameKind
from app.core.keyframe_plan import KeyframePlan
from app.core.memory_release import return_freed_memory
from app.core.project import Project
from app.core.scheduler import BranchScheduler, PlannedRequest
from app.core.segments import DEFAULT_LAYOUT, SegmentLayout
from app.core.tiered_store import DEFAULT_MEMORY_BUDGET, LoadResult, TieredFrameStore
from app.core.track_summary import TrackSummary, get_track_summary
from app.errors import UndoStudioError
from app.inference.engine import EngineSession, ProcessEngine
from app.inference.registry import DEFAULT_ENGINE, LAYERS_ENGINE, create_engine
from app.inference.runner import CallJob, InterpolateJob, RenderJob, Request
from app.ui.branch_sessions import BranchSessions, EngineFactory
from app.ui.error_text import error_text
from app.ui.frame_source import BranchSnapshot
from app.ui.worker import EngineWorker

INACTIVE_OFFSET = 3  # the active branch's work goes first


@dataclass(frozen=True)
class DeletedBranch:
    """What `Document.restore_branch` needs to undo a delete: the tree's record and the branch's frame
    index. The frames themselves are not copied: memory and the project file keep them under their keys."""

    removed: RemovedBranch
    frames: Mapping[int, tuple[FrameKey, FrameKind]]  # its frame index: step -> (key, kind)


class _BranchSink:
    """A scheduler's `RequestSink`: its plans become the document's worker jobs for that branch."""

    def __init__(self, doc: Document, branch_id: str) -> None:
        self.doc, self.branch_id = doc, branch_id

    def submit(self, plan: PlannedRequest) -> int:
        return self.doc._submit_plan(self.branch_id, plan)

    def cancel(self, request_id: int) -> None:
        self.doc._worker.cancel(request_id)


class Document(QObject):
    artwork_changed = Signal()
    branches_changed = Signal()
    branch_ready = Signal(str)  # a session was prepared
    branch_failed = Signal(str)  # a session could not be prepared (`failure` says why)
    frames_added = Signal(str, object)  # branch id, list[int] steps an engine made (autosave writes them)
    frames_loaded = Signal(str, object)  # branch id, list[int] steps read back from the project file
    progress = Signal(float, str)  # engine progress (fraction, message) for the status bar
    error = Signal(str)
    dirty_changed = Signal(bool)
    closing = Signal()  # before the frames are dropped: views let go of the frames they show

    def __init__(
        self, worker: EngineWorker, engine_factory: EngineFactory | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._worker = worker
        self._sessions = BranchSessions(
            worker,
            engine_factory or (lambda name: create_engine(name)),
            on_ready=self._on_prepared,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
        )
        self._cache_budget = DEFAULT_MEMORY_BUDGET
        self._store = self._new_store()
        self._project: Project | None = None
        self.artwork: Artwork | None = None
        self.tree = BranchTree()
        self._schedulers: dict[str, BranchScheduler] = {}
        self._kept_tracks: dict[str, TrackSummary] = {}  # branch id -> what the project file keeps
        self._dirty = False

    def _new_store(self) -> TieredFrameStore:
        store = TieredFrameStore(LruFrameCache(self._cache_budget))
        store.forbid_blocking_here()  # the document lives on the UI thread: loads belong on the worker
        return store

    # -- engines ---------------------------------------------------------------------------------
    def engine(self, name: str) -> ProcessEngine:
        return self._sessions.engine(name)

    # -- dirty state -----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    # -- artwork, project and branches -----------------------------------------------------------
    def open_artwork(self, artwork: Artwork) -> None:
        """Make `artwork` the document, with one branch of the default engine; a layered artwork's is
        the layers engine (the artist's own layers are the strongest process hint there is)."""
        self.set_artwork(artwork)
        engine = LAYERS_ENGINE if artwork.layered else DEFAULT_ENGINE
        self.add_branch(BranchSpec.make(engine, 0), name=self.tr("Seed 0"))
        self.set_dirty(True)

    def set_artwork(self, artwork: Artwork, tree: BranchTree | None = None) -> None:
        self.close()
        self.artwork = artwork
        if tree is not None:
            self.tree = tree
            for b in tree:
                self._schedulers[b.id] = self._make_scheduler(b)
        self.artwork_changed.emit()

    def open_project(self, project: Project) -> None:
        """Make an opened project the document: its artwork, its branch tree (shared, not copied) and an
        index of its stored frames (no image decoded). Branches that keep a recipe index the steps the
        user had seen and restore their session on the worker at once (no analysis, tens of ms)."""
        self.set_artwork(project.artwork, project.tree)
        self.attach_project(project)
        for b in project.tree:
            track = get_track_summary(project, b)
            if track is not None:
                self._kept_tracks[b.id] = track
            plan = self.frame_plan(b.spec)
            hashes = plan.all_hashes() if plan is not None else None
            sched = self._schedulers[b.id]
            sched.index_existing((key, step, kind) for key, kind, step in project.stored_frames(b, hashes))
            if sched.rerender:
                seen = sorted(project.get_seen_steps(b))
                sched.index_existing((sched.key_for_step(s), s, FrameKind.EXACT) for s in seen)
                if seen:
                    self._prepare(b.id)
        self.set_dirty(False)

    def attach_project(self, project: Project | None) -> None:
        """Put (or take away) the project file behind the memory frame store (and the recipes)."""
        self._project = project
        self._store.attach(project)

    def close(self) -> None:
        """Forget the document and give its frames' memory back: views drop the frames they show
        (`closing`), the store is replaced, and freed heap pages are returned to the OS (a closed
        document's frames otherwise stayed in RSS, issue 10 item 11)."""
        self.cancel_all()
        self.closing.emit()
        self.artwork = None
        self.tree = BranchTree()
        self._sessions.clear()
        self._schedulers.clear()
        self._kept_tracks.clear()
        self._store = self._new_store()
        self._project = None
        self.set_dirty(False)
        return_freed_memory()

    @property
    def branches(self) -> list[Branch]:
        return list(self.tree)

    def branch(self, branch_id: str) -> Branch:
        return self.tree.get(branch_id)

    def has_branch(self, branch_id: str) -> bool:
        return branch_id in self.tree

    @property
    def active_id(self) -> str | None:
        return self.tree.active_id

    @property
    def active(self) -> Branch | None:
        return self.tree.active

    def set_active(self, branch_id: str) -> None:
        if branch_id != self.tree.active_id and branch_id in self.tree:
            self.tree.active_id = branch_id
            self.branches_changed.emit()

    def add_branch(
        self,
        spec: BranchSpec,
        name: str | None = None,
        parent_id: str | None = None,
        fork_step: int | None = None,
        activate: bool = True,
    ) -> Branch:
        assert self.artwork is not None, "open an artwork first"
        b = Branch(name=name or self.tr("Seed %1").replace("%1", str(spec.seed)), spec=spec)
        b.parent_id, b.fork_step = parent_id, fork_step
        self.tree.add(b, activate)
        self._schedulers[b.id] = self._make_scheduler(b)
        self.set_dirty(True)
        self.branches_changed.emit()
        return b

    def _make_scheduler(self, b: Branch) -> BranchScheduler:
        assert self.artwork is not None
        plan = self.frame_plan(b.spec)
        return BranchScheduler(
            self.artwork.content_hash,
            b.spec.spec_hash(),
            self._store,
            _BranchSink(self, b.id),
            random_access=self._sessions.random_access(b.spec),
            key_for=plan.key if plan is not None else None,
            layout=plan.layout if plan is not None else DEFAULT_LAYOUT,
            rerender=self._sessions.keeps_recipe(b.spec),
        )

    def keeps_recipe(self, branch_id: str) -> bool:
        """True when the branch's frames are re-rendered from a recipe, not stored as images."""
        return self._schedulers[branch_id].rerender

    def recipe_maker(self, branch_id: str) -> Callable[[], bytes] | None:
        """A function that serialises the branch's session into its recipe (run it on the worker), or
        None while there is no session or the engine keeps no recipes."""
        return self._sessions.recipe_maker(self.branch(branch_id))

    def seen_steps(self, branch_id: str) -> list[int]:
        """The steps the branch itself has frames for (not its fork parent's): what its recipe keeps."""
        return sorted(self._schedulers[branch_id].available())

    def frame_plan(self, spec: BranchSpec) -> KeyframePlan | None:
        """The engine's KeyframePlan for `spec`, or None for engines keyed by the whole spec."""
        assert self.artwork is not None
        return self._sessions.frame_plan(self.artwork.content_hash, spec)

    def new_seed(self) -> int:
        used = {b.spec.seed for b in self.tree}
        seed = random.randint(1, 99999)
        while seed in used:
            seed = random.randint(1, 99999)
        return seed

    def duplicate_branch(self, branch_id: str) -> Branch:
        src = self.branch(branch_id)
        return self.add_branch(src.spec.with_changes(seed=self.new_seed()))  # named "Seed N" after its seed

    def fork_branch(self, branch_id: str, step: int) -> Branch:
        """Redo differently from `step`: the fork keeps the parent's frames for steps >= step, and its
        spec says what it continues from, so an engine redoes only the rest from the parent's canvas at
        `step` with a new seed (`BranchSpec.forked`)."""
        src = self.branch(branch_id)
        name = self.tr("%1 fork @%2").replace("%1", src.name).replace("%2", str(step))
        spec = src.spec.forked(step, self.new_seed())
        return self.add_branch(spec, name=name, parent_id=src.id, fork_step=step)

    def rename_branch(self, branch_id: str, name: str) -> None:
        self.branch(branch_id).name = name
        self.set_dirty(True)
        self.branches_changed.emit()

    def delete_branch(self, branch_id: str) -> DeletedBranch | None:
        """Remove a branch (never the last one: None then). Its frames stay in memory and in the project
        file, so the returned record brings it back with `restore_branch`."""
        if len(self.tree) <= 1:
            return None
        sched = self._schedulers.pop(branch_id)
        sched.cancel_all()
        self._sessions.remove(branch_id)
        deleted = DeletedBranch(self.tree.remove(branch_id), sched.snapshot())
        self.set_dirty(True)
        self.branches_changed.emit()
        return deleted

    def restore_branch(self, deleted: DeletedBranch) -> Branch:
        """Put a deleted branch back as it was: its place in the list, its forks re-attached, its frames
        indexed again (a fresh scheduler; the session is prepared again when a step needs the engine)."""
        assert self.artwork is not None, "open an artwork first"
        b = self.tree.put_back(deleted.removed)
        sched = self._make_scheduler(b)
        sched.index_existing((key, step, kind) for step, (key, kind) in deleted.frames.items())
        self._schedulers[b.id] = sched
        self.set_dirty(True)
        self.branches_changed.emit()
        return b

    # -- frames ----------------------------------------------------------------------------------
    def owner_for(self, branch_id: str, step: int) -> str:
        """Which branch's frames show `step`: a fork shows its parent's frames at and above its fork step."""
        return self.tree.owner_for(branch_id, step)

    def request(
        self, branch_id: str, step: int, direction: int = -1, want_frame: bool = True
    ) -> Frame | None:
        """The best frame for `step` now; plans the loads and engine work that improve it (never
        blocks). `want_frame=False`: only plan (the caller already painted `best_frame`)."""
        owner = self.owner_for(branch_id, step)
        sched = self._schedulers[owner]
        frame = sched.show(step, direction, want_frame)
        if sched.wants_engine:
            self._prepare(owner)
        return frame

    def best_frame(self, branch_id: str, step: int) -> Frame | None:
        owner = self.owner_for(branch_id, step)
        return self._schedulers[owner].best_frame(step)

    def available(self, branch_id: str) -> dict[int, FrameKind]:
        """The steps a branch has frames for (in memory or stored) and their kinds, a fork's parent's
        frames included above its fork step: what the timeline track shows."""
        b = self.branch(branch_id)
        kinds = self._schedulers[branch_id].available()
        if b.parent_id is not None and b.fork_step is not None:
            parent = self._schedulers[self.owner_for(branch_id, MAX_STEP)].available()
            kinds = {s: k for s, k in kinds.items() if s < b.fork_step}
            kinds.update({s: k for s, k in parent.items() if s >= b.fork_step})
        return kinds

    def state(self, branch_id: str, step: int) -> StepState:
        """Where the frame for `step` is: missing, queued, stored (file or recipe) or in memory."""
        return self._schedulers[self.owner_for(branch_id, step)].state(step)

    def has_frame(self, branch_id: str, step: int) -> bool:
        return self._schedulers[self.owner_for(branch_id, step)].has(step)

    def session(self, branch_id: str) -> EngineSession | None:
        """The prepared engine session whose frames show the finished end of `branch_id` (stage bands,
        change curve and keyframes for the track), or None while it is not prepared."""
        return self._sessions.session(self.owner_for(branch_id, 0))

    def track(self, branch_id: str) -> TrackSummary | None:
        """What the timeline track draws for `branch_id` (its stage bands, keyframes, change curve): from
        the session when it is prepared, else what the project file kept (a reopened project shows it
        before any engine runs), else None."""
        owner = self.owner_for(branch_id, 0)
        session = self._sessions.session(owner)
        if session is None:
            return self._kept_tracks.get(owner)
        return TrackSummary.of(session.stage_bands, session.keyframe_steps, session.change_curve)

    def track_to_keep(self, branch_id: str) -> TrackSummary | None:
        """The session's track summary when the project file does not have it yet (the caller writes it;
        from then on it counts as kept), else None."""
        session = self._sessions.session(branch_id)
        if session is None:
            return None
        track = TrackSummary.of(session.stage_bands, session.keyframe_steps, session.change_curve)
        if track.empty or self._kept_tracks.get(branch_id) == track:
            return None
        self._kept_tracks[branch_id] = track
        return track

    def prepare_session(self, branch_id: str) -> None:
        """Prepare the session that shows `branch_id`'s finished end, if not done or on its way: a view
        that shows the plan itself asks (a reopened project's stored frames need no engine)."""
        if self.has_branch(branch_id):
            self._prepare(self.owner_for(branch_id, 0))

    def failure(self, branch_id: str) -> str | None:
        """Why the branch could not be generated, or None."""
        return self._sessions.failure(branch_id)

    def prefetch(self, step: int) -> None:
        """Load every branch's stored frames into memory in the background, nearest to `step` first."""
        for sched in self._schedulers.values():
            sched.prefetch(step)

    def _submit_plan(self, branch_id: str, plan: PlannedRequest) -> int:
        """A scheduler's plan as a worker job whose outcome goes back to that scheduler."""
        sched = self._schedulers[branch_id]
        priority = plan.priority + (0 if branch_id == self.active_id else INACTIVE_OFFSET)
        job: Any
        if plan.is_load:
            store, loads, fill = self._store, plan.loads, plan.fill_limit
            job = CallJob(lambda cancel, _progress: store.load_many(loads, cancel, fill), "load frames")
        else:
            engine = self.engine(self.branch(branch_id).spec.engine)
            session = self._sessions.session(branch_id)
            assert session is not None, "engine work is planned only once the session exists"
            if plan.segment is None:
                job = RenderJob(engine, session, plan.steps)
            else:
                a, b, n = plan.segment
                job = InterpolateJob(engine, session, a, b, n)
        req = self._worker.submit(
            job,
            priority,
            "load" if plan.is_load else "frames",
            on_result=lambda r, result: self._on_frames(branch_id, sched, r, result),
            on_error=lambda r, exc: self._on_frames_failed(sched, r, exc, plan.is_load),
            on_cancelled=lambda r: sched.finished(r.id),
            on_progress=None if plan.is_load else self._on_progress,
        )
        return req.id

    def _on_frames(self, branch_id: str, sched: BranchScheduler, req: Request, result: Any) -> None:
        steps = sched.accept(req.id, result)
        if not steps or self._schedulers.get(branch_id) is not sched:
            return
        if isinstance(result, LoadResult):
            self.frames_loaded.emit(branch_id, steps)
        else:
            self.set_dirty(True)
            self.frames_added.emit(branch_id, steps)

    def _on_frames_failed(
        self, sched: BranchScheduler, req: Request, exc: UndoStudioError, load: bool
    ) -> None:
        sched.failed(req.id)
        if not load:  # a load that failed is rendered instead: nothing for the user to do
            self.error.emit(error_text(exc))

    def _on_progress(self, _req: Request, fraction: float, message: str) -> None:
        self.progress.emit(fraction, message)

    # -- sessions --------------------------------------------------------------------------------
    def _prepare(self, branch_id: str) -> None:
        if self.artwork is not None:
            self._sessions.prepare(self.branch(branch_id), self.artwork, self._project)

    def _on_prepared(self, branch_id: str, session: EngineSession) -> None:
        sched = self._schedulers.get(branch_id)
        if sched is None:
            return
        engine = self.engine(self.branch(branch_id).spec.engine)
        sched.random_access = engine.capabilities.random_access
        if session.keyframe_steps:
            sched.layout = SegmentLayout(tuple(session.keyframe_steps))
        keyframe_plan = getattr(engine, "keyframe_plan", None)
        if keyframe_plan is not None:  # the session's plan knows the user's own keyframes too
            sched.key_for = keyframe_plan(session).key
        sched.engine_ready = True
        self.branch_ready.emit(branch_id)

    def _on_failed(self, branch_id: str, text: str) -> None:
        self.error.emit(text)
        self.branch_failed.emit(branch_id)

    def is_busy(self) -> bool:
        return self._sessions.busy() or any(s.inflight() for s in self._schedulers.values())

    def cancel_all(self) -> None:
        """Cancel every load and engine job of this document (not autosave, not an export)."""
        for sched in self._schedulers.values():
            sched.cancel_all()
        self._sessions.cancel_all()

    # -- saving and export -----------------------------------------------------------------------
    def frames_in_memory(
        self, branch_id: str, steps: list[int] | None = None
    ) -> list[tuple[FrameKey, Frame]]:
        """(key, frame) of a branch's frames that are in memory (all, or those of `steps`), for saving.
        Frames not in memory are already in the project file."""
        sched = self._schedulers[branch_id]
        out = []
        for step in sorted(sched.available()) if steps is None else steps:
            entry, frame = sched.entry(step), sched.frame_at(step)
            if entry is not None and frame is not None:
                out.append((entry[0], frame))
        return out

    def snapshot(self, branch_id: str) -> BranchSnapshot:
        """Everything an export of `branch_id` needs, frozen now on the UI thread: the worker reads
        frames by key through the thread-safe store and never touches a live scheduler."""
        assert self.artwork is not None
        owners = tuple(self.owner_for(branch_id, s) for s in range(MAX_STEP + 1))
        used = set(owners)
        return BranchSnapshot(
            artwork=self.artwork,
            owners=owners,
            specs={bid: self.branch(bid).spec for bid in used},
            engines={bid: self.engine(self.branch(bid).spec.engine) for bid in used},
            sessions={bid: sess for bid, sess in self._sessions.sessions().items() if bid in used},
            layouts={bid: self._layout(bid) for bid in used},
            keys={bid: self._schedulers[bid].key_function() for bid in used},
            store=self._store,
        )

    def _layout(self, branch_id: str) -> SegmentLayout | None:
        """A keyframe chain known without a session (a reopened project), else None: the session's."""
        if self._sessions.session(branch_id) is not None:
            return None
        plan = self.frame_plan(self.branch(branch_id).spec)
        return plan.layout if plan is not None else None

    def cache_bytes(self) -> int:
        return self._store.bytes_used

    def cache_budget(self) -> int:
        return self._store.budget_bytes

    def set_cache_budget(self, budget_bytes: int) -> None:
        """The memory cache's budget (a preference), now and for the next documents; a smaller one evicts
        the least recently used frames at once (those the project file holds come back by loading)."""
        self._cache_budget = int(budget_bytes)
        self._store.memory.budget_bytes = self._cache_budget
