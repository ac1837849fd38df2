"""One worker thread over a priority queue of engine requests (design §2, §9 napari).

Why plain threading: the runner must be usable from the CLI, the benchmark and tests without Qt. The UI
hosts it through `app.ui.worker`, which marshals the callbacks below onto the Qt main thread.

A request is "prepare a session", "render steps" or "interpolate a segment". Each carries an id (monotonic,
so a consumer can drop stale results), a priority (lower runs first; ties run in submission order) and a
`CancelToken`. Cancelling a queued request removes it without running it; cancelling the running one sets
its token so the engine stops at its next check. Callbacks run on the worker thread: keep them short.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken
from app.errors import CancelledError, EngineError, UndoStudioError
from app.inference.engine import EngineSession, ProcessEngine


@dataclass(frozen=True)
class PrepareJob:
    engine: ProcessEngine
    artwork: Artwork
    spec: BranchSpec


@dataclass(frozen=True)
class RenderJob:
    engine: ProcessEngine
    session: EngineSession
    steps: tuple[int, ...]


@dataclass(frozen=True)
class InterpolateJob:
    engine: ProcessEngine
    session: EngineSession
    step_a: int
    step_b: int
    count: int


@dataclass(frozen=True)
class CallJob:
    """Any other long task (export, model check) that must not run on the UI thread."""

    fn: Callable[[CancelToken, Callable[[float, str], None]], Any]
    label: str = ""


Job = PrepareJob | RenderJob | InterpolateJob | CallJob


@dataclass
class Request:
    id: int
    priority: int
    job: Job
    cancel: CancelToken
    label: str = ""


@dataclass
class RunnerCallbacks:
    """Called on the worker thread. `on_result(request, result)`; result types per job:
    PrepareJob -> EngineSession, RenderJob/InterpolateJob -> list[np.ndarray], CallJob -> fn's return."""

    on_result: Callable[[Request, Any], None] = lambda r, x: None
    on_error: Callable[[Request, UndoStudioError], None] = lambda r, e: None
    on_progress: Callable[[Request, float, str], None] = lambda r, f, m: None
    on_cancelled: Callable[[Request], None] = lambda r: None
    on_idle: Callable[[], None] = lambda: None


@dataclass(order=True)
class _Entry:
    priority: int
    seq: int
    request: Request = field(compare=False)


def execute(job: Job, cancel: CancelToken, progress: Callable[[float, str], None]) -> Any:
    """Run one job synchronously (the worker calls this; tests and the CLI may too)."""
    if isinstance(job, PrepareJob):
        return job.engine.prepare(job.artwork, job.spec, cancel, progress)
    if isinstance(job, RenderJob):
        return job.engine.render(job.session, list(job.steps), cancel, progress)
    if isinstance(job, InterpolateJob):
        return job.engine.interpolate(job.session, job.step_a, job.step_b, job.count, cancel, progress)
    if isinstance(job, CallJob):
        return job.fn(cancel, progress)
    raise TypeError(f"unknown job {job!r}")


class Runner:
    """Priority queue + one daemon worker thread. Start with `start()`, stop with `shutdown()`."""

    def __init__(self, callbacks: RunnerCallbacks | None = None, name: str = "undo-studio-runner") -> None:
        self.callbacks = callbacks or RunnerCallbacks()
        self._name = name
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._running: Request | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything, stop the thread and wait for it (the running job stops at its next check)."""
        with self._cond:
            self._stopping = True
            self._cancel_locked(lambda r: True)
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- submitting / cancelling -----------------------------------------------------------------
    def submit(self, job: Job, priority: int = 100, label: str = "") -> Request:
        req = Request(id=next(self._ids), priority=priority, job=job, cancel=CancelToken(), label=label)
        with self._cond:
            if self._stopping:
                req.cancel.cancel()
                return req
            heapq.heappush(self._heap, _Entry(priority, next(self._seq), req))
            self._cond.notify()
        return req

    def cancel(self, request_id: int) -> bool:
        with self._cond:
            return self._cancel_locked(lambda r: r.id == request_id) > 0

    def cancel_where(self, predicate: Callable[[Request], bool]) -> int:
        """Cancel every queued or running request the predicate selects; returns how many."""
        with self._cond:
            return self._cancel_locked(predicate)

    def _cancel_locked(self, predicate: Callable[[Request], bool]) -> int:
        kept: list[_Entry] = []
        dropped: list[_Entry] = []
        for entry in self._heap:
            (dropped if predicate(entry.request) else kept).append(entry)
        if dropped:
            self._heap = kept
            heapq.heapify(self._heap)
        for entry in dropped:
            entry.request.cancel.cancel()
        count = len(dropped)
        if self._running is not None and predicate(self._running) and not self._running.cancel.cancelled:
            self._running.cancel.cancel()
            count += 1
        for entry in dropped:
            self._safe(self.callbacks.on_cancelled, entry.request)
        return count

    # -- introspection ---------------------------------------------------------------------------
    def pending(self) -> list[Request]:
        with self._cond:
            return [e.request for e in sorted(self._heap)]

    def queue_length(self) -> int:
        with self._cond:
            return len(self._heap) + (1 if self._running is not None else 0)

    def running(self) -> Request | None:
        with self._cond:
            return self._running

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running (for tests, the CLI and the benchmark only)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and self._running is None, timeout)

    # -- worker ----------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    self._running = None
                    self._cond.notify_all()
                    return
                req = heapq.heappop(self._heap).request
                self._running = req
            self._run_one(req)
            with self._cond:
                self._running = None
                idle = not self._heap
                self._cond.notify_all()
            if idle:
                self._safe(self.callbacks.on_idle)

    def _run_one(self, req: Request) -> None:
        if req.cancel.cancelled:
            self._safe(self.callbacks.on_cancelled, req)
            return

        def progress(fraction: float, message: str = "") -> None:
            self._safe(self.callbacks.on_progress, req, float(fraction), message)

        try:
            result = execute(req.job, req.cancel, progress)
        except CancelledError:
            self._safe(self.callbacks.on_cancelled, req)
            return
        except UndoStudioError as exc:
            self._safe(self.callbacks.on_error, req, exc)
            return
        except Exception as exc:  # an engine bug must not kill the worker; report it as an EngineError
            err = EngineError(
                f"The engine failed: {type(exc).__name__}: {exc}", "Try another seed or engine."
            )
            err.__cause__ = exc
            self._safe(self.callbacks.on_error, req, err)
            return
        if req.cancel.cancelled:
            self._safe(self.callbacks.on_cancelled, req)
            return
        self._safe(self.callbacks.on_result, req, result)

    @staticmethod
    def _safe(fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a consumer's callback bug must not kill the worker
            import traceback

            traceback.print_exc()
