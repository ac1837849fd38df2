"""Execution on Ray (`--ray auto|ADDRESS`): a pool of actors, one per GPU (`num_gpus=1`) for neural
engines on GPU nodes or one per CPU slot otherwise, each holding an `ItemRenderer` (engine and models
loaded once per actor).

Why Ray and not a scheduler of our own: it places actors on the nodes that have the resources, restarts
an actor whose process or node died and retries the item it was rendering (`max_restarts`,
`max_task_retries`), and scales from a laptop to a cluster with the same code. What stays ours is the
manifest: only this driver writes it (app/batch/runner.py), from the small `Outcome` each item returns.
Frames and videos never travel through Ray: every actor writes into the output folder, which on a
cluster must be a path every node sees (docs/cluster.md).

`ray` is imported only here, and only when a batch asks for it (the `cluster` extra installs it).
"""

from __future__ import annotations

import os
from typing import Any

from app.batch.worker import BatchSpec, Driver, ItemRenderer, Job, Outcome
from app.errors import BatchError

WAIT_S = 0.2
WORKER_NICENESS = "RAY_worker_niceness"  # read by a raylet when it starts
INSTALL_HINT = "Install it with: pip install 'undo-studio[cluster]' (or pip install ray)."


class RenderActor:
    """The body of a Ray actor: one renderer, kept for the actor's life (and rebuilt on a restart)."""

    def __init__(self, spec: BatchSpec) -> None:
        self._renderer = ItemRenderer(spec)

    def render(self, job: Job) -> Outcome:
        return self._renderer.render(job)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BatchError("--ray needs Ray, which is not installed.", INSTALL_HINT) from None
    return ray


def connect(address: str) -> bool:
    """Join the cluster at `address`, or for "auto" the running one (RAY_ADDRESS, `ray start`) or else a
    new local instance; nothing when this process is already connected. True when we connected (and
    so disconnect at the end)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    try:
        if address == "auto":
            # Ray runs its workers at nice 15 by default; when this starts a local instance, its actors
            # get the priority local worker processes have (a cluster's nodes keep their own setting).
            os.environ.setdefault(WORKER_NICENESS, "0")
            ray.init(include_dashboard=False, logging_level="WARNING")
        else:
            ray.init(address=address, logging_level="WARNING")
    except Exception as exc:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ValueError...
        raise BatchError(
            f"Cannot connect to the Ray cluster at '{address}' ({exc}).",
            "Check the address (ray://HOST:10001 or HOST:6379) and that the cluster is running (ray status).",
        ) from exc
    return True


def actor_count(resources: dict[str, float], use_gpu: bool) -> int:
    """One actor per GPU for a GPU engine, else one per CPU slot of the cluster."""
    return max(1, int(resources.get("GPU" if use_gpu else "CPU", 1)))


def run_ray(spec: BatchSpec, driver: Driver, workers: int | None, address: str, retries: int = 2) -> None:
    """Render the driver's queue on Ray actors until it is empty or the driver's cancel is set."""
    ray = import_ray()
    connected_here = connect(address)
    actors: list[Any] = []
    try:
        use_gpu = spec.request.engine != "procedural" and not spec.request.device
        use_gpu = use_gpu and ray.cluster_resources().get("GPU", 0) >= 1
        slots = actor_count(ray.cluster_resources(), use_gpu)
        # More actors than slots would leave some unscheduled, each holding an item that never starts.
        count = min(workers or slots, slots, len(driver.queue))
        actor_class = ray.remote(RenderActor).options(
            num_gpus=1 if use_gpu else 0,
            num_cpus=0 if use_gpu else 1,
            max_restarts=-1,  # a lost actor comes back (on another node if its node is gone) ...
            max_task_retries=retries,  # ... and the item it was rendering is retried there
        )
        actors = [actor_class.remote(spec) for _ in range(max(1, count))]
        _drive(ray, actors, driver)
    finally:
        for actor in actors:
            ray.kill(actor)
        if connected_here:
            ray.shutdown()


def _drive(ray: Any, actors: list[Any], driver: Driver) -> None:
    queue, cancel = driver.queue, driver.cancel
    idle = list(actors)
    in_flight: dict[Any, tuple[Any, Job]] = {}
    while queue or in_flight:
        while queue and idle and not cancel.cancelled:
            job, actor = queue.popleft(), idle.pop()
            driver.started(job)
            in_flight[actor.render.remote(job)] = (actor, job)
        if cancel.cancelled:
            if not in_flight:
                return
            driver.stop_workers()
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=WAIT_S)
        for ref in ready:
            actor, job = in_flight.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as exc:  # retries used up, or the cluster lost the actor
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                outcome = Outcome(job.key, "lost", f"The Ray worker was lost ({first_line}).")
            idle.append(actor)
            driver.finished(job, outcome)
