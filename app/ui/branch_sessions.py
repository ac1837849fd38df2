"""The engines of an open document and the engine session of each branch: made lazily, prepared on the
worker (or restored from a recipe the project keeps), failures remembered so they are shown, not retried
in a storm.

Why apart from `Document`: the document answers "which frame shows step s" for the views; this object
owns what it takes to make frames (engine objects, prepared sessions, prepare requests in flight). It is
plain Python on the UI thread; its outcomes reach the document through the callbacks it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.artwork import Artwork
from app.core.branch import Branch, BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.core.keyframe_plan import KeyframePlan
from app.core.project import Project
from app.errors import UndoStudioError
from app.inference.engine import EngineSession, ProcessEngine, require_ready
from app.inference.recipe import prepare_or_restore, supports_recipe
from app.inference.runner import CallJob, PrepareJob, Request
from app.ui.error_text import error_text
from app.ui.worker import EngineWorker, ProgressHandler

EngineFactory = Callable[[str], ProcessEngine]
PRIORITY_PREPARE = -10


class BranchSessions:
    """Engines by name, and the prepared session (or the failure) of each branch id."""

    def __init__(
        self,
        worker: EngineWorker,
        engine_factory: EngineFactory,
        on_ready: Callable[[str, EngineSession], None],
        on_failed: Callable[[str, str], None],
        on_progress: ProgressHandler,
    ) -> None:
        self._worker = worker
        self._engine_factory = engine_factory
        self._on_ready, self._on_failed, self._on_progress = on_ready, on_failed, on_progress
        self._engines: dict[str, ProcessEngine] = {}
        self._sessions: dict[str, EngineSession] = {}
        self._failed: dict[str, str] = {}
        self._preparing: dict[str, int] = {}

    # -- engines ---------------------------------------------------------------------------------
    def engine(self, name: str) -> ProcessEngine:
        """The engine `name`, made once (raises the engine's `UndoStudioError` when it cannot load)."""
        if name not in self._engines:
            self._engines[name] = self._engine_factory(name)
        return self._engines[name]

    def random_access(self, spec: BranchSpec) -> bool:
        try:
            return bool(self.engine(spec.engine).capabilities.random_access)
        except UndoStudioError:
            return True  # the engine cannot load: nothing is planned for it anyway

    def keeps_recipe(self, spec: BranchSpec) -> bool:
        """True when the spec's engine is deterministic and keeps a recipe instead of frames."""
        try:
            return supports_recipe(self.engine(spec.engine))
        except UndoStudioError:
            return False

    def frame_plan(self, artwork_hash: str, spec: BranchSpec) -> KeyframePlan | None:
        """The engine's KeyframePlan for `spec`, or None for engines keyed by the whole spec."""
        try:
            engine = self.engine(spec.engine)
        except UndoStudioError:
            return None
        plan_for = getattr(engine, "plan_for", None)
        try:
            return plan_for(artwork_hash, spec) if plan_for is not None else None
        except UndoStudioError:
            return None

    # -- sessions --------------------------------------------------------------------------------
    def session(self, branch_id: str) -> EngineSession | None:
        return self._sessions.get(branch_id)

    def sessions(self) -> dict[str, EngineSession]:
        return dict(self._sessions)

    def failure(self, branch_id: str) -> str | None:
        return self._failed.get(branch_id)

    def busy(self) -> bool:
        return bool(self._preparing)

    def recipe_maker(self, branch: Branch) -> Callable[[], bytes] | None:
        """A function that serialises the branch's session into its recipe (run it on the worker), or
        None while there is no session or the engine keeps no recipes."""
        session = self._sessions.get(branch.id)
        engine: Any = self.engine(branch.spec.engine)
        if session is None or not supports_recipe(engine):
            return None
        recipe: Callable[[EngineSession], bytes] = engine.recipe
        return lambda: recipe(session)

    def prepare(self, branch: Branch, artwork: Artwork, project: Project | None) -> None:
        """Prepare `branch`'s session on the worker unless it exists, is on its way or failed. With a
        project file, a deterministic engine's session is restored from the recipe there (read on the
        worker: it is a blob), and analysed afresh only when that recipe is missing or damaged."""
        bid, spec = branch.id, branch.spec
        if bid in self._preparing or bid in self._sessions or bid in self._failed:
            return
        try:
            engine = self.engine(spec.engine)
            require_ready(engine)  # missing weights: the engine's own list of what and where, at once
        except UndoStudioError as exc:
            self._fail(bid, exc)
            return
        job: Any = PrepareJob(engine, artwork, spec)
        if project is not None and supports_recipe(engine):

            def restore(cancel: CancelToken, progress: ProgressCallback) -> EngineSession:
                record = project.get_recipe(branch)
                data = None if record is None else record.data
                return prepare_or_restore(engine, artwork, spec, data, cancel, progress)

            job = CallJob(restore, "prepare")
        req = self._worker.submit(
            job,
            PRIORITY_PREPARE,
            "prepare",
            on_result=lambda r, session: self._prepared(bid, r, session),
            on_error=lambda r, exc: self._prepare_failed(bid, r, exc),
            on_cancelled=lambda r: self._forget_request(bid, r),
            on_progress=self._on_progress,
        )
        self._preparing[bid] = req.id

    def _is_current(self, branch_id: str, req: Request) -> bool:
        return self._preparing.get(branch_id) == req.id

    def _forget_request(self, branch_id: str, req: Request) -> None:
        if self._is_current(branch_id, req):
            del self._preparing[branch_id]

    def _prepared(self, branch_id: str, req: Request, session: EngineSession) -> None:
        if not self._is_current(branch_id, req):
            return  # stale: cancelled, or the branch was removed
        del self._preparing[branch_id]
        self._sessions[branch_id] = session
        self._on_ready(branch_id, session)

    def _prepare_failed(self, branch_id: str, req: Request, exc: UndoStudioError) -> None:
        if self._is_current(branch_id, req):
            del self._preparing[branch_id]
            self._fail(branch_id, exc)

    def _fail(self, branch_id: str, exc: UndoStudioError) -> None:
        self._failed[branch_id] = error_text(exc)
        self._on_failed(branch_id, error_text(exc))

    def remove(self, branch_id: str) -> None:
        """A deleted branch: cancel its prepare, drop its session and failure."""
        rid = self._preparing.pop(branch_id, None)
        if rid is not None:
            self._worker.cancel(rid)
        self._sessions.pop(branch_id, None)
        self._failed.pop(branch_id, None)

    def cancel_all(self) -> None:
        for rid in self._preparing.values():
            self._worker.cancel(rid)
        self._preparing.clear()

    def clear(self) -> None:
        """A new document: sessions and failures go; the engines (costly to make) stay."""
        self.cancel_all()
        self._sessions.clear()
        self._failed.clear()
