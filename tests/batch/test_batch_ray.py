"""`app.batch.run(..., ray="auto")` on a local Ray instance (`ray.init(num_cpus=2)`): the same 20 artworks,
the same outputs as a local batch, an actor SIGKILLed mid-item retried by Ray, an interrupted batch
resumed, and the driver's manifest as the only record."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import ray  # in the test extras (./installer/test.sh installs it): missing is a failure, not a skip
from batch_helpers import GOOD, SMALL, holder_of_partial, jobs, leftovers, make_inputs

from app.batch import BatchProgress, run
from app.core.cancel import CancelToken


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("inputs"))


def test_twenty_artworks_on_ray_match_a_local_batch(inputs: Path, tmp_path: Path) -> None:
    summary = run([inputs], tmp_path / "ray", SMALL, ray="auto")
    assert (summary.inputs, summary.jobs, summary.duplicates) == (20, 18, 2)
    assert (summary.rendered, summary.failed, summary.pending) == (GOOD, 3, 0)
    assert {Path(f["input"]).name for f in summary.failures} == {
        "broken_junk.png",
        "broken_truncated.png",
        "broken_empty.jpg",
    }
    assert leftovers(tmp_path / "ray") == []
    local = run([inputs / "art05.png", inputs / "art11.png"], tmp_path / "local", SMALL, workers=1)
    assert local.rendered == 2
    for name in ("art05.mp4", "art11.mp4"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    again = run([inputs], tmp_path / "ray", SMALL, ray="auto", retries=0)
    assert (again.skipped, again.rendered) == (GOOD, 0)


def test_an_actor_killed_mid_item_is_retried_by_ray(inputs: Path, tmp_path: Path) -> None:
    result: dict[str, object] = {}
    request = replace(SMALL, frames=40)
    thread = threading.Thread(target=lambda: result.update(s=run([inputs], tmp_path, request, ray="auto")))
    thread.start()
    os.kill(holder_of_partial(tmp_path), signal.SIGKILL)
    thread.join(timeout=300)
    summary = result["s"]
    assert (summary.rendered, summary.failed, summary.pending) == (GOOD, 3, 0)
    assert all(jobs(tmp_path)[f"art{i:02d}"][0] == "done" for i in range(GOOD))
    assert leftovers(tmp_path) == []


def test_an_interrupted_ray_batch_resumes_with_the_rest(inputs: Path, tmp_path: Path) -> None:
    cancel = CancelToken()

    def progress(p: BatchProgress) -> None:
        if p.finished >= 4:
            cancel.cancel()

    first = run([inputs], tmp_path, SMALL, ray="auto", cancel=cancel, progress=progress)
    assert first.cancelled and first.pending > 0 and leftovers(tmp_path) == []
    second = run([inputs], tmp_path, SMALL, ray="auto")
    assert second.skipped == first.rendered and second.rendered == GOOD - first.rendered
