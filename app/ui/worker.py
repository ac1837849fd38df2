"""Hosts the Qt-free `Runner` for the UI: its callbacks (worker thread) reach the submitter on the main thread.

Why not emit signals from the worker thread directly: the runner's thread is a plain Python thread, and
emitting PySide signals with Python-object arguments from it crashed PySide6 6.12 under load (a refcount
error, "deallocating None"). Instead the callbacks put events in a thread-safe inbox and post one Qt
event to this object (QCoreApplication.postEvent is thread-safe); the main thread drains the inbox and
calls the submitter's handlers. So every handler runs on the UI thread and the UI thread never waits on an
engine.

Results go to their owner: whoever submits a job passes its own handlers (`on_result`, `on_error`,
`on_cancelled`, `on_progress`), called for that request alone, so no listener decodes tags to find out
whether a result is its own. `run` is the coroutine form for UI flows that wait on one job (qasync).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from app.errors import CancelledError, UndoStudioError
from app.inference.runner import Job, Request, Runner, RunnerCallbacks

ResultHandler = Callable[[Request, Any], None]
ErrorHandler = Callable[[Request, UndoStudioError], None]
CancelHandler = Callable[[Request], None]
ProgressHandler = Callable[[Request, float, str], None]


@dataclass(frozen=True)
class Handlers:
    """The submitter's callbacks for one request (UI thread). Exactly one of result/error/cancelled
    ends a request; progress may come before."""

    on_result: ResultHandler | None = None
    on_error: ErrorHandler | None = None
    on_cancelled: CancelHandler | None = None
    on_progress: ProgressHandler | None = None


_DELIVER = QEvent.Type(QEvent.registerEventType())


class EngineWorker(QObject):
    queue_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inbox: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._posted = False
        self._lock = threading.Lock()
        self._handlers: dict[int, Handlers] = {}
        self._runner = Runner(
            RunnerCallbacks(
                on_result=lambda r, x: self._post("result", r, x),
                on_error=lambda r, e: self._post("failed", r, e),
                on_progress=lambda r, f, m: self._post("progress", r, f, m),
                on_cancelled=lambda r: self._post("cancelled", r),
                on_idle=lambda: self._post("idle"),
            )
        )
        self._runner.start()

    # worker thread -----------------------------------------------------------------------------
    def _post(self, kind: str, *args: Any) -> None:
        self._inbox.put((kind, args))
        with self._lock:
            if self._posted:
                return
            self._posted = True
        QCoreApplication.postEvent(self, QEvent(_DELIVER))

    # main thread -------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() != _DELIVER:
            return super().event(event)
        with self._lock:
            self._posted = False
        self.drain()
        return True

    def drain(self) -> None:
        """Hand every pending event to its request's handlers (main thread)."""
        while True:
            try:
                kind, args = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "idle":
                self.queue_changed.emit(self._runner.queue_length())
                continue
            req: Request = args[0]
            if kind == "progress":
                handlers = self._handlers.get(req.id)
                if handlers is not None and handlers.on_progress is not None:
                    handlers.on_progress(req, args[1], args[2])
                continue
            handlers = self._handlers.pop(req.id, None)
            if kind == "result":
                self.queue_changed.emit(self._runner.queue_length())
            if handlers is None:
                continue
            if kind == "result" and handlers.on_result is not None:
                handlers.on_result(req, args[1])
            elif kind == "failed" and handlers.on_error is not None:
                handlers.on_error(req, args[1])
            elif kind == "cancelled" and handlers.on_cancelled is not None:
                handlers.on_cancelled(req)

    @property
    def runner(self) -> Runner:
        return self._runner

    def submit(
        self,
        job: Job,
        priority: int = 100,
        label: str = "",
        *,
        on_result: ResultHandler | None = None,
        on_error: ErrorHandler | None = None,
        on_cancelled: CancelHandler | None = None,
        on_progress: ProgressHandler | None = None,
    ) -> Request:
        """Queue `job`; its outcome goes to these handlers only (UI thread)."""
        req = self._runner.submit(job, priority, label)
        # Registered after the runner has it, safely: handlers run in `drain`, on this (UI) thread.
        self._handlers[req.id] = Handlers(on_result, on_error, on_cancelled, on_progress)
        self.queue_changed.emit(self._runner.queue_length())
        return req

    async def run(
        self, job: Job, priority: int = 100, label: str = "", on_progress: ProgressHandler | None = None
    ) -> Any:
        """Run `job` on the worker and return its result (a coroutine for qasync UI flows). Raises the
        job's `UndoStudioError`, or `CancelledError` when it was cancelled; cancelling the awaiting task
        cancels the job."""
        future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()

        def settle(fn: Callable[[], None]) -> None:
            if not future.done():
                fn()

        req = self.submit(
            job,
            priority,
            label,
            on_result=lambda _r, value: settle(lambda: future.set_result(value)),
            on_error=lambda _r, exc: settle(lambda: future.set_exception(exc)),
            on_cancelled=lambda _r: settle(
                lambda: future.set_exception(CancelledError("The operation was cancelled."))
            ),
            on_progress=on_progress,
        )
        try:
            return await future
        except asyncio.CancelledError:
            self.cancel(req.id)
            raise

    def cancel(self, request_id: int) -> None:
        self._runner.cancel(request_id)

    def queue_length(self) -> int:
        return self._runner.queue_length()

    def shutdown(self) -> None:
        self._runner.shutdown()
        self._handlers.clear()
