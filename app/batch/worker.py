"""One batch worker: an engine kept loaded across items, rendering one item at a time into the output
folder. The same class runs in a local worker process (app/batch/local.py) and in a Ray actor
(app/batch/ray_backend.py); it never touches the manifest, it only returns an `Outcome` (a few
numbers and strings: outputs go to the shared folder, never through the driver's memory).

An item's outputs are `NAME.<fmt>` (or the folder `NAME/` of a PNG sequence), `NAME.sheet.png` with
contact sheets, and `NAME.json`, the sidecar, written last: an item is complete when its sidecar
exists. Each is written atomically (export_files.py); when an item fails or is cancelled after some of
them were committed, those are removed again, so a stopped batch leaves whole items or nothing.

Stopping: the driver creates `STOP_FILE` in the output folder (every node of a cluster sees it) and
each worker's cancel token looks for it, at most every STOP_POLL_S, at the checks every export makes
between frames. One mechanism for local processes and Ray actors.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from app import __version__
from app.core.cancel import CancelToken
from app.core.export_files import remove, write_manifest
from app.errors import CancelledError, UndoStudioError
from app.inference.render_job import (
    PreparedEngine,
    RenderRequest,
    load_input,
    prepare_engine,
    render_artwork,
)

STOP_FILE = ".batch-stop"
STOP_POLL_S = 0.2
SIDECAR_SUFFIX = ".json"
SHEET_SUFFIX = ".sheet.png"


@dataclass(frozen=True)
class Job:
    """What a worker needs to render one item (picklable: it crosses processes and machines)."""

    key: str
    name: str
    input: str
    input_hash: str | None


@dataclass(frozen=True)
class Outcome:
    key: str
    state: str  # "done", "failed", "cancelled", or "lost" (its worker died)
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    worker: str = ""


@dataclass(frozen=True)
class BatchSpec:
    """The part of a batch every item shares: what to render and where (picklable)."""

    request: RenderRequest
    out: str
    fmt: str = "mp4"  # mp4 | webm | gif | webp | png
    contact_sheet: bool = False

    def video_path(self, name: str) -> Path:
        return Path(self.out) / (name if self.fmt == "png" else f"{name}.{self.fmt}")

    def sheet_path(self, name: str) -> Path:
        return Path(self.out) / f"{name}{SHEET_SUFFIX}"

    def sidecar_path(self, name: str) -> Path:
        return Path(self.out) / f"{name}{SIDECAR_SUFFIX}"

    def outputs(self, name: str) -> list[Path]:
        sheet = [self.sheet_path(name)] if self.contact_sheet else []
        return [self.video_path(name), *sheet, self.sidecar_path(name)]


class Driver(Protocol):
    """What a backend (local pool, Ray) reports to: the runner, which owns the manifest. `finished` may
    put a lost job back into `queue`."""

    queue: deque[Job]
    cancel: CancelToken

    def started(self, job: Job) -> None: ...

    def finished(self, job: Job, outcome: Outcome) -> None: ...

    def stop_workers(self) -> None: ...


class StopFileToken(CancelToken):
    """Cancelled by `cancel()` (a signal in this process) or by the driver's stop file."""

    def __init__(self, stop_file: Path) -> None:
        super().__init__()
        self._stop_file = stop_file
        self._checked = 0.0

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        now = time.monotonic()
        if now - self._checked >= STOP_POLL_S:
            self._checked = now
            if self._stop_file.exists():
                self._event.set()
        return self._event.is_set()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ItemRenderer:
    """Renders items of one `BatchSpec`. The engine is built on the first item and kept (its models stay
    loaded); when it cannot be built (missing weights, a bad device) every item fails with that error,
    which is what the manifest then says about each of them."""

    def __init__(self, spec: BatchSpec, device: str | None = None) -> None:
        self.spec = spec
        self.request = spec.request if device is None else _with_device(spec.request, device)
        self.cancel = StopFileToken(Path(spec.out) / STOP_FILE)
        self._prepared: PreparedEngine | None = None

    def render(self, job: Job) -> Outcome:
        me = worker_name()
        try:
            timings = self._render(job)
        except CancelledError:
            self._remove_outputs(job.name)
            return Outcome(job.key, "cancelled", worker=me)
        except UndoStudioError as err:
            self._remove_outputs(job.name)
            return Outcome(job.key, "failed", err.user_text(), worker=me)
        except MemoryError:
            self._remove_outputs(job.name)
            hint = "Use a smaller --size, fewer --workers, or a machine with more memory."
            return Outcome(job.key, "failed", f"Out of memory. {hint}", worker=me)
        except Exception as exc:  # noqa: BLE001 - one item's bug or a CUDA OOM must not end the batch
            self._remove_outputs(job.name)
            return Outcome(job.key, "failed", f"{type(exc).__name__}: {exc}", worker=me)
        except BaseException:
            self._remove_outputs(job.name)
            raise
        return Outcome(job.key, "done", timings=timings, worker=me)

    def _engine(self) -> PreparedEngine:
        if self._prepared is None:
            self._prepared = prepare_engine(self.request)
        return self._prepared

    def _render(self, job: Job) -> dict[str, float]:
        spec, request = self.spec, self.request
        started = time.perf_counter()
        self.cancel.raise_if_cancelled()
        artwork, load_s = load_input(Path(job.input), request, self.cancel)
        prepared = self._engine()
        sheet = spec.sheet_path(job.name) if spec.contact_sheet else None
        report = render_artwork(
            prepared,
            artwork,
            Path(job.input),
            spec.video_path(job.name),
            request,
            self.cancel,
            contact_sheet=sheet,
            load_s=load_s,
        )
        timings = {k: round(v, 4) for k, v in report.timings.items()}
        timings["total_s"] = round(time.perf_counter() - started, 4)
        outputs = {"video": spec.video_path(job.name).name}
        if sheet is not None:
            outputs["contact_sheet"] = sheet.name
        sidecar = {
            "app": f"undo-studio {__version__}",
            "ai_simulated_process": True,
            "input": job.input,
            "input_hash": job.input_hash,
            "artwork_hash": report.artwork_hash,
            **prepared.spec.to_json(),
            "request": request.identity(),
            "format": spec.fmt,
            "outputs": outputs,
            "frames": report.frame_count,
            "size": list(report.output_size),
            "timings": timings,
            "worker": worker_name(),
        }
        write_manifest(spec.sidecar_path(job.name), sidecar)
        return timings

    def _remove_outputs(self, name: str) -> None:
        for path in self.spec.outputs(name):
            remove(path)


def _with_device(request: RenderRequest, device: str) -> RenderRequest:
    from dataclasses import replace

    return replace(request, device=device)
