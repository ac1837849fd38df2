"""`async_slot`: qasync's `asyncSlot`, typed. qasync ships no type information, so a method under the
bare decorator loses its signature for mypy; this says what the decorator does: calling the method
(directly or from a signal) schedules the coroutine on the qasync loop and returns its `asyncio.Task`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import qasync

P = ParamSpec("P")
T = TypeVar("T")


def async_slot(
    *types: type,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, asyncio.Task[T]]]:
    """A Qt slot (with the signal argument `types`, as `Slot`) that runs the coroutine as a task."""
    decorate: Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, asyncio.Task[T]]]
    decorate = qasync.asyncSlot(*types)
    return decorate
