"""Hosts the Qt-free `Runner` for the UI: its callbacks (worker thread) become Qt signals (main thread).

Why not emit signals from the worker thread directly: the runner's thread is a plain Python thread, and
emitting PySide signals with Python-object arguments from it crashed PySide6 6.12 under load (a refcount
error, "deallocating None"). Instead the callbacks put events in a thread-safe inbox and post one Qt
event to this object (QCoreApplication.postEvent is thread-safe); the main thread drains the inbox and
emits the signals. So every slot runs on the UI thread and the UI thread never waits on an engine.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from app.inference.runner import Job, Request, Runner, RunnerCallbacks

_DELIVER = QEvent.Type(QEvent.registerEventType())


class EngineWorker(QObject):
    result = Signal(object, object)  # Request, result
    failed = Signal(object, object)  # Request, UndoStudioError
    progress = Signal(object, float, str)  # Request, fraction, message
    cancelled = Signal(object)  # Request
    queue_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inbox: queue.SimpleQueue[tuple[str, tuple]] = queue.SimpleQueue()
        self._posted = False
        self._lock = threading.Lock()
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
        """Emit every pending callback as its signal (main thread)."""
        while True:
            try:
                kind, args = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "result":
                self.result.emit(*args)
                self.queue_changed.emit(self._runner.queue_length())
            elif kind == "failed":
                self.failed.emit(*args)
            elif kind == "progress":
                self.progress.emit(*args)
            elif kind == "cancelled":
                self.cancelled.emit(*args)
            elif kind == "idle":
                self.queue_changed.emit(self._runner.queue_length())

    @property
    def runner(self) -> Runner:
        return self._runner

    def submit(self, job: Job, priority: int = 100, tag: Any = None, label: str = "") -> Request:
        req = self._runner.submit(job, priority, tag, label)
        self.queue_changed.emit(self._runner.queue_length())
        return req

    def cancel(self, request_id: int) -> None:
        self._runner.cancel(request_id)

    def cancel_where(self, predicate) -> int:
        n = self._runner.cancel_where(predicate)
        self.queue_changed.emit(self._runner.queue_length())
        return n

    def queue_length(self) -> int:
        return self._runner.queue_length()

    def shutdown(self) -> None:
        self._runner.shutdown()
