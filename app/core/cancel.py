"""Cancel tokens and progress callbacks shared by every long operation (design §8).

A token is checked between units of work (a sampler step, a frame written); `raise_if_cancelled`
turns a cancel into `CancelledError` so the caller's clean-up runs through the normal `finally` path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.errors import CancelledError

# fraction in [0, 1], short human-readable message
ProgressCallback = Callable[[float, str], None]


def no_progress(fraction: float, message: str = "") -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Thread-safe, one-way cancel flag."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise CancelledError()


NEVER_CANCELLED = CancelToken()


def scaled_progress(progress: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """Map a sub-task's 0..1 onto [start, end] of the parent's progress."""

    def report(fraction: float, message: str = "") -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
