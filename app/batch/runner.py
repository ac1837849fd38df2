"""`app.batch.run`: render many artworks, resumably, on local worker processes or on Ray.

The driver (this module) is the only one that reads and writes the manifest. A run:
1. expands the inputs and registers them: each input's content hash + the render settings make its
   job key, so the same artwork under two names is one job (a duplicate is rendered once);
2. picks the jobs to do: pending ones, failed ones with attempts left (`retries`), and done ones whose
   sidecar is gone (someone deleted the outputs); jobs done with their outputs in place are skipped;
3. hands them to a backend (app/batch/local.py or app/batch/ray_backend.py) and records every start
   and outcome as it happens; a job whose worker died goes back into the queue while it has attempts
   left (Ray retries lost actors itself, so there it rarely comes to that);
4. on cancel (Ctrl+C, SIGTERM: the caller's token) stops the workers through the stop file, records the
   interrupted jobs as pending again, and returns with `cancelled` set; nothing half-written remains.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.batch.inputs import expand_inputs
from app.batch.manifest import Manifest
from app.batch.worker import STOP_FILE, BatchSpec, Job, Outcome
from app.core.cancel import CancelToken
from app.core.export import FORMATS
from app.errors import BatchError
from app.inference.render_job import RenderRequest, check_outputs

DEFAULT_RETRIES = 2


@dataclass
class BatchProgress:
    """What a progress display shows; passed to `progress` after every start and outcome."""

    total: int  # jobs this run set out to do
    finished: int = 0  # done + failed in this run
    failed: int = 0
    running: int = 0
    elapsed_s: float = 0.0
    last: str = ""  # "NAME: done" / "NAME: failed: ERROR"

    @property
    def items_per_min(self) -> float:
        return 60.0 * self.finished / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        rate = self.items_per_min
        return (self.total - self.finished) * 60.0 / rate if rate > 0 else None


@dataclass
class BatchSummary:
    out: str
    inputs: int  # input files given
    jobs: int  # distinct content + settings among them
    duplicates: int  # inputs that share their job with an earlier input
    skipped: int  # jobs already done before this run
    rendered: int  # jobs done in this run
    failed: int  # jobs failed (in this run or before, with no attempts left)
    pending: int  # jobs left to do: interrupted by a cancel (the next run does them)
    cancelled: bool
    seconds: float
    items_per_min: float
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def job_key(input_hash: str, spec: BatchSpec) -> str:
    """The content hash of an item: its input's bytes and everything that changes the outputs."""
    settings = {**spec.request.identity(), "format": spec.fmt, "contact_sheet": spec.contact_sheet}
    text = input_hash + "\n" + json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def default_workers(request: RenderRequest) -> int:
    """One per core for the procedural engine; for neural engines one per GPU (one on a CPU: a model
    on the CPU already uses every core, and each copy needs its own memory)."""
    if request.engine == "procedural":
        return max(1, os.cpu_count() or 1)
    return max(1, len(gpu_devices(request)))


def gpu_devices(request: RenderRequest) -> list[str]:
    """cuda:0, cuda:1, ... for a neural engine on a machine with GPUs and no --device given."""
    if request.engine == "procedural" or request.device:
        return []
    try:
        import torch
    except ImportError:
        return []
    return [f"cuda:{i}" for i in range(torch.cuda.device_count())]


class _Driver:
    """The runner's side of a backend (`app.batch.worker.Driver`): the queue and the manifest."""

    def __init__(
        self,
        manifest: Manifest,
        spec: BatchSpec,
        jobs: list[Job],
        retries: int,
        cancel: CancelToken,
        progress: Callable[[BatchProgress], None],
    ) -> None:
        self.manifest, self.spec, self.retries, self.cancel = manifest, spec, retries, cancel
        self.queue: deque[Job] = deque(jobs)
        self.report = BatchProgress(total=len(jobs))
        self._progress = progress
        self._t0 = time.perf_counter()
        self._attempts = {row.key: row.attempts for row in manifest.jobs([j.key for j in jobs])}
        self.rendered = 0
        self.manifest_s = 0.0  # time spent writing the manifest (bench/batch.py)

    def _tick(self, last: str = "") -> None:
        self.report.elapsed_s = time.perf_counter() - self._t0
        self.report.last = last
        self._progress(self.report)

    def started(self, job: Job) -> None:
        t0 = time.perf_counter()
        self.manifest.mark_running(job.key)
        self.manifest_s += time.perf_counter() - t0
        self._attempts[job.key] = self._attempts.get(job.key, 0) + 1
        self.report.running += 1
        self._tick()

    def finished(self, job: Job, outcome: Outcome) -> None:
        t0 = time.perf_counter()
        self.report.running -= 1
        last = f"{job.name}: {outcome.state}"
        if outcome.state == "done":
            self.manifest.mark_done(job.key, outcome.timings, outcome.worker)
            self.report.finished += 1
            self.rendered += 1
        elif outcome.state == "cancelled" or (outcome.state == "lost" and self.cancel.cancelled):
            self.manifest.mark_pending(job.key, uncount=True)  # stopped by the user: no attempt spent
        elif outcome.state == "lost" and self._attempts.get(job.key, 0) <= self.retries:
            self.manifest.mark_pending(job.key)
            self.queue.append(job)
            last += ", retrying"
        else:
            self.manifest.mark_failed(job.key, outcome.error or "failed", outcome.worker)
            self.report.finished += 1
            self.report.failed += 1
            last = f"{job.name}: failed: {outcome.error}"
        self.manifest_s += time.perf_counter() - t0
        self._tick(last)

    def stop_workers(self) -> None:
        (Path(self.spec.out) / STOP_FILE).touch()


def _no_progress(report: BatchProgress) -> None:
    pass


def run(
    items: Sequence[str | Path],
    out: str | Path,
    request: RenderRequest | None = None,
    *,
    fmt: str = "mp4",
    contact_sheet: bool = False,
    workers: int | None = None,
    retries: int = DEFAULT_RETRIES,
    ray: str | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[BatchProgress], None] = _no_progress,
) -> BatchSummary:
    """Render every artwork named by `items` (files, folders, glob patterns, .txt/.csv lists) into `out`.

    `fmt`: mp4, webm, gif, webp or png (a folder of frames per item). `workers`: processes (or Ray
    actors); default `default_workers`. `retries`: further attempts for an item that failed (on a rerun)
    or whose worker died. `ray`: None for local processes, "auto" (the running Ray cluster, or a local
    one) or a cluster address. Raises BatchError when the batch cannot start; an item's failure is
    recorded and reported in the summary instead."""
    request = request or RenderRequest()
    cancel = cancel or CancelToken()
    out_dir = Path(out).expanduser().resolve()
    if fmt not in FORMATS:
        raise BatchError(f"Unknown format '{fmt}'.", f"Use one of: {', '.join(FORMATS[1:])}, png.")
    if workers is not None and workers < 1:
        raise BatchError(f"--workers must be 1 or more, got {workers}.", "")
    if retries < 0:
        raise BatchError(f"--retries must be 0 or more, got {retries}.", "")
    spec = BatchSpec(request, str(out_dir), fmt, contact_sheet)
    # Checked before anything runs: a bad --fps must not become 10,000 failed items.
    check_outputs(
        spec.video_path("check"), request.export, spec.sheet_path("check") if contact_sheet else None
    )
    _check_engine(request)
    paths = expand_inputs(items, exclude=out_dir)
    t0 = time.perf_counter()
    manifest = Manifest(out_dir)
    try:
        manifest.reset_running()
        (out_dir / STOP_FILE).unlink(missing_ok=True)
        keys = manifest.add_inputs(paths, lambda digest: job_key(digest, spec))
        distinct = list(dict.fromkeys(keys))
        rows = manifest.jobs(distinct)
        todo = [r for r in rows if _wanted(r.state, r.attempts, retries, spec.sidecar_path(r.name))]
        skipped = sum(1 for r in rows if r.state == "done") - sum(1 for r in todo if r.state == "done")
        driver = _Driver(
            manifest,
            spec,
            [Job(r.key, r.name, r.input, r.input_hash) for r in todo],
            retries,
            cancel,
            progress,
        )
        if todo:
            _execute(spec, driver, workers, ray)
        final = manifest.jobs(distinct)
    finally:
        (out_dir / STOP_FILE).unlink(missing_ok=True)
        manifest.close()
    seconds = time.perf_counter() - t0
    failed = [r for r in final if r.state == "failed"]
    return BatchSummary(
        out=str(out_dir),
        inputs=len(paths),
        jobs=len(distinct),
        duplicates=len(paths) - len(distinct),
        skipped=skipped,
        rendered=driver.rendered,
        failed=len(failed),
        pending=sum(1 for r in final if r.state != "done" and r.state != "failed"),
        cancelled=cancel.cancelled,
        seconds=round(seconds, 3),
        items_per_min=round(60.0 * driver.rendered / seconds, 2) if seconds > 0 else 0.0,
        failures=[{"input": r.input, "error": r.error or ""} for r in failed],
    )


def _wanted(state: str, attempts: int, retries: int, sidecar: Path) -> bool:
    if state == "done":
        return not sidecar.is_file()
    if state == "failed":
        return attempts <= retries
    return True


def _check_engine(request: RenderRequest) -> None:
    """The engine name and setting names, before anything runs (a typo must not fail 10,000 items);
    weights are not checked here: on a cluster the driver may have none, and missing weights are a
    per-item failure that says what is missing."""
    from app.inference.registry import create_engine
    from app.inference.render_job import parse_settings

    if ":" in request.engine:  # a 'module:factory' engine of a script: built by the workers only
        return
    engine = create_engine(request.engine, models_dir=None, device=None)
    parse_settings(request.settings, [s.name for s in engine.settings()])


def _execute(spec: BatchSpec, driver: _Driver, workers: int | None, ray: str | None) -> None:
    if ray is None:
        from app.batch.local import run_local

        count = workers or min(default_workers(spec.request), len(driver.queue))
        run_local(spec, driver, count, gpu_devices(spec.request) or None)
    else:
        from app.batch.ray_backend import run_ray

        run_ray(spec, driver, workers, ray, driver.retries)
