"""Local execution: a pool of worker processes (`concurrent.futures.ProcessPoolExecutor`), each holding
one `ItemRenderer` (its engine and models loaded once, kept across items).

Why the standard library's pool and not a queue of our own: it already starts, feeds and watches the
processes, and it reports a worker that died (SIGKILL, the kernel's OOM killer) as `BrokenProcessPool`
on the items in flight. The pool is then unusable, so the backend reports those items as lost (the
runner puts them back in the queue while they have retries left) and starts a new pool for the rest.
Which worker died is not knowable, so every item in flight at that moment counts one attempt.

At most one item per worker is in flight: every item handed out is one being rendered, so a lost pool
loses only those, and a stop leaves no queue to drain. Workers start with 'spawn' (no fork of a driver
that may hold threads or a CUDA context), ignore SIGINT (a Ctrl+C in the terminal reaches the whole
process group; the driver decides and tells the workers through the stop file) and end on SIGTERM
once the item at hand is stopped and its outputs removed: to the driver that is a lost worker (its item
is requeued), unless the driver was told to stop too (the whole process group got the signal).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import FrameType

from app.batch.worker import BatchSpec, Driver, ItemRenderer, Job, Outcome

WAIT_S = 0.2  # how often the driver looks at its cancel token while items render
LOST = "The worker process died while rendering this item (killed, or out of memory)."

_renderer: ItemRenderer | None = None  # the one renderer of this worker process
_terminated = False  # this worker got SIGTERM: it ends after stopping its item


def _init_worker(spec: BatchSpec, devices: multiprocessing.Queue[str] | None) -> None:
    global _renderer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    device = devices.get_nowait() if devices is not None else None
    _renderer = ItemRenderer(spec, device)

    def on_term(signum: int, frame: FrameType | None) -> None:
        global _terminated
        assert _renderer is not None
        _terminated = True
        _renderer.cancel.cancel()

    signal.signal(signal.SIGTERM, on_term)


def _render(job: Job) -> Outcome:
    assert _renderer is not None, "the worker was not initialised"
    outcome = _renderer.render(job)
    if _terminated:  # asked to end: its item is stopped (outputs removed), and it goes like a lost worker
        os._exit(128 + signal.SIGTERM)
    return outcome


def run_local(spec: BatchSpec, driver: Driver, workers: int, devices: list[str] | None = None) -> None:
    """Render the driver's queue on `workers` processes until it is empty or the driver's cancel is set;
    on cancel the items in flight are stopped (`driver.stop_workers`) and come back as cancelled."""
    while driver.queue and not driver.cancel.cancelled:
        _run_pool(spec, driver, workers, devices)


def _run_pool(spec: BatchSpec, driver: Driver, workers: int, devices: list[str] | None) -> None:
    """One pool, until the queue is done, the batch is cancelled, or a worker dies (returns early)."""
    ctx = multiprocessing.get_context("spawn")
    device_queue: multiprocessing.Queue[str] | None = None
    if devices:
        device_queue = ctx.Queue()
        for device in devices[:workers]:
            device_queue.put(device)
    queue, cancel = driver.queue, driver.cancel
    in_flight: dict[Future[Outcome], Job] = {}
    pool = ProcessPoolExecutor(workers, ctx, initializer=_init_worker, initargs=(spec, device_queue))
    try:
        while queue or in_flight:
            while queue and len(in_flight) < workers and not cancel.cancelled:
                job = queue.popleft()
                driver.started(job)
                in_flight[pool.submit(_render, job)] = job
            if cancel.cancelled:
                if not in_flight:
                    return
                driver.stop_workers()
            done, _ = wait(in_flight, timeout=WAIT_S, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                job = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome, broken = Outcome(job.key, "lost", LOST), True
                driver.finished(job, outcome)
            if broken:  # the pool is gone with every item it held
                for job in in_flight.values():
                    driver.finished(job, Outcome(job.key, "lost", LOST))
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
