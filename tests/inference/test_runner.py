"""The runner: priority order, cancelling queued and running work, errors as EngineError, shutdown."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.errors import CancelledError, EngineError
from app.inference.runner import CallJob, Runner, RunnerCallbacks


class Recorder:
    def __init__(self) -> None:
        self.results: list[tuple[int, object]] = []
        self.errors: list[tuple[int, Exception]] = []
        self.cancelled: list[int] = []
        self.progress: list[tuple[int, float]] = []
        self.lock = threading.Lock()

    def callbacks(self) -> RunnerCallbacks:
        return RunnerCallbacks(
            on_result=lambda r, x: self.results.append((r.id, x)),
            on_error=lambda r, e: self.errors.append((r.id, e)),
            on_cancelled=lambda r: self.cancelled.append(r.id),
            on_progress=lambda r, f, m: self.progress.append((r.id, f)),
        )


@pytest.fixture
def runner():
    rec = Recorder()
    r = Runner(rec.callbacks())
    r.recorder = rec  # type: ignore[attr-defined]
    yield r
    r.shutdown()
    assert not r.alive


def blocker():
    """A job that runs until released (or cancelled), so the queue can be arranged behind it."""
    started, release = threading.Event(), threading.Event()

    def fn(cancel: CancelToken, progress) -> str:
        started.set()
        while not release.wait(0.01):
            cancel.raise_if_cancelled()
        return "released"

    return CallJob(fn), started, release


def test_runs_by_priority_then_submission_order(runner):
    job, started, release = blocker()
    runner.submit(job, priority=0)
    runner.start()
    assert started.wait(5)
    order: list[str] = []
    for name, prio in [("low", 50), ("high", 1), ("mid", 10), ("high2", 1)]:
        runner.submit(CallJob(lambda c, p, n=name: order.append(n)), priority=prio)
    release.set()
    assert runner.wait_idle(5)
    assert order == ["high", "high2", "mid", "low"]


def test_cancel_queued_request_never_runs(runner):
    job, started, release = blocker()
    runner.submit(job, priority=0)
    runner.start()
    assert started.wait(5)
    ran = []
    req = runner.submit(CallJob(lambda c, p: ran.append(1)), priority=5)
    assert runner.cancel(req.id)
    release.set()
    assert runner.wait_idle(5)
    assert ran == []
    assert req.id in runner.recorder.cancelled
    assert req.cancel.cancelled


def test_cancel_running_request_stops_it(runner):
    job, started, _release = blocker()
    req = runner.submit(job)
    runner.start()
    assert started.wait(5)
    assert runner.cancel_where(lambda r: r.id == req.id) == 1
    assert runner.wait_idle(5)
    assert runner.recorder.results == []
    assert runner.recorder.cancelled == [req.id]


def test_engine_bug_becomes_engine_error_and_worker_survives(runner):
    runner.start()

    def boom(c, p):
        raise ZeroDivisionError("bad maths")

    bad = runner.submit(CallJob(boom))
    good = runner.submit(CallJob(lambda c, p: 42))
    assert runner.wait_idle(5)
    ((err_id, err),) = runner.recorder.errors
    assert err_id == bad.id and isinstance(err, EngineError) and "bad maths" in str(err)
    assert runner.recorder.results == [(good.id, 42)]


def test_progress_and_results_carry_request_identity(runner):
    runner.start()

    def work(c, progress):
        progress(0.5, "half")
        return np.zeros(3)

    req = runner.submit(CallJob(work), label="frames")
    assert runner.wait_idle(5)
    assert runner.recorder.progress == [(req.id, 0.5)]
    assert runner.recorder.results[0][0] == req.id
    assert req.label == "frames"


def test_shutdown_cancels_pending_and_refuses_new_work():
    rec = Recorder()
    r = Runner(rec.callbacks())
    job, started, _ = blocker()
    running = r.submit(job)
    queued = r.submit(CallJob(lambda c, p: 1))
    r.start()
    assert started.wait(5)
    r.shutdown()
    assert not r.alive
    assert running.cancel.cancelled and queued.cancel.cancelled
    late = r.submit(CallJob(lambda c, p: 1))
    assert late.cancel.cancelled
    assert rec.results == []


def test_cancelled_error_from_job_is_not_an_error(runner):
    runner.start()

    def cancelled(c, p):
        raise CancelledError()

    req = runner.submit(CallJob(cancelled))
    assert runner.wait_idle(5)
    assert runner.recorder.errors == [] and runner.recorder.cancelled == [req.id]
