"""`app.batch.run` on local worker processes (issue 15): 20 artworks with 3 broken ones and 2 duplicates,
resuming, a worker killed mid-item, an interrupted batch, outputs equal to single-item renders."""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import (
    BROKEN,
    DUPLICATES,
    GOOD,
    SMALL,
    decode,
    holder_of_partial,
    jobs,
    leftovers,
    make_inputs,
)

from app.batch import BatchProgress, run
from app.core.cancel import CancelToken
from app.inference.render_job import load_input, prepare_engine, render_artwork


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def first_batch(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    summary = run([inputs], out, SMALL, workers=2, contact_sheet=True)
    return out, summary


def test_every_good_item_once_broken_ones_recorded_duplicates_once(first_batch, inputs: Path) -> None:
    out, summary = first_batch
    assert (summary.inputs, summary.jobs, summary.duplicates) == (20, 18, 2)
    assert (summary.rendered, summary.failed, summary.skipped, summary.pending) == (GOOD, 3, 0, 0)
    assert not summary.cancelled and leftovers(out) == []
    states = jobs(out)
    assert len(states) == 18 and all(name not in states for name in ("dup_of_art00", "dup_of_art07"))
    for i in range(GOOD):
        state, attempts, error = states[f"art{i:02d}"]
        assert (state, attempts, error) == ("done", 1, None)
        sidecar = json.loads((out / f"art{i:02d}.json").read_text())
        assert sidecar["engine"] == "procedural" and sidecar["seed"] == 0
        assert sidecar["outputs"] == {"video": f"art{i:02d}.mp4", "contact_sheet": f"art{i:02d}.sheet.png"}
        assert sidecar["input"] == str(inputs / f"art{i:02d}.png") and len(sidecar["input_hash"]) == 64
        assert {"load_s", "prepare_s", "render_and_export_s", "total_s"} <= set(sidecar["timings"])
        assert (out / f"art{i:02d}.sheet.png").is_file()
    for name in BROKEN:
        state, attempts, error = states[Path(name).stem]
        assert state == "failed" and attempts == 1 and name in error  # the load error names the file
        assert not any(p.name.startswith(Path(name).stem) for p in out.iterdir())
    failures = {Path(f["input"]).name: f["error"] for f in summary.failures}
    assert set(failures) == set(BROKEN) and "export it again as PNG" in failures["broken_junk.png"]
    # the duplicates point at their original's job
    import sqlite3

    with sqlite3.connect(out / "batch.sqlite") as db:
        key_of = dict(db.execute("SELECT path, key FROM inputs"))
    for dup, original in DUPLICATES.items():
        assert key_of[str(inputs / dup)] == key_of[str(inputs / original)]


def test_outputs_decode_and_equal_a_single_render(first_batch, inputs: Path, tmp_path: Path) -> None:
    out, _ = first_batch
    image = inputs / "art03.png"
    artwork, _ = load_input(image, SMALL, CancelToken())
    render_artwork(
        prepare_engine(SMALL), artwork, image, tmp_path / "one.mp4", SMALL, CancelToken(),
        contact_sheet=tmp_path / "one.png",
    )  # fmt: skip
    batch_frames, single_frames = decode(out / "art03.mp4"), decode(tmp_path / "one.mp4")
    assert len(batch_frames) == len(single_frames) == 4
    assert all(np.array_equal(a, b) for a, b in zip(batch_frames, single_frames, strict=True))
    assert (out / "art03.mp4").read_bytes() == (tmp_path / "one.mp4").read_bytes()
    assert (out / "art03.sheet.png").read_bytes() == (tmp_path / "one.png").read_bytes()


def test_a_rerun_skips_done_items_and_retries_failed_ones_while_attempts_last(
    first_batch, inputs: Path
) -> None:
    out, _ = first_batch
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("art*.mp4")}
    again = run([inputs], out, SMALL, workers=2, contact_sheet=True, retries=1)
    assert (again.skipped, again.rendered, again.failed) == (GOOD, 0, 3)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("art*.mp4")} == before
    assert {jobs(out)[Path(n).stem][1] for n in BROKEN} == {2}  # tried once more
    third = run([inputs], out, SMALL, workers=2, contact_sheet=True, retries=1)
    assert third.rendered == 0 and {jobs(out)[Path(n).stem][1] for n in BROKEN} == {2}  # no attempts left


def test_other_settings_are_other_items(first_batch, inputs: Path) -> None:
    out, _ = first_batch
    summary = run(
        [inputs / "art00.png", inputs / "art01.png"],
        out,
        replace(SMALL, seed=5),
        workers=1,
        contact_sheet=True,
    )
    assert (summary.rendered, summary.skipped) == (2, 0)
    assert (
        json.loads(
            (out / [n for n in jobs(out) if n.startswith("art00-")][0]).with_suffix(".json").read_text()
        )["seed"]
        == 5
    )


def test_an_interrupted_batch_leaves_whole_items_and_a_rerun_does_only_the_rest(
    inputs: Path, tmp_path: Path
) -> None:
    cancel = CancelToken()

    def progress(p: BatchProgress) -> None:
        if p.finished >= 5:
            cancel.cancel()

    first = run([inputs], tmp_path, SMALL, workers=2, cancel=cancel, progress=progress)
    assert first.cancelled and 5 <= first.rendered + first.failed < 18 and first.pending > 0
    assert leftovers(tmp_path) == [] and not (tmp_path / ".batch-stop").exists()
    assert {s for s, _, _ in jobs(tmp_path).values()} <= {"done", "failed", "pending"}
    done_before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.mp4")}
    second = run([inputs], tmp_path, SMALL, workers=2, retries=0)
    assert second.rendered == GOOD - first.rendered and second.failed == 3
    assert second.skipped == first.rendered and second.rendered + first.rendered == GOOD
    assert all((tmp_path / n).stat().st_mtime_ns == t for n, t in done_before.items())
    assert all(attempts == 1 for _, attempts, _ in jobs(tmp_path).values())  # cancelled tries do not count


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_worker_killed_mid_item_is_retried_and_the_batch_completes(
    inputs: Path, tmp_path: Path, how: signal.Signals
) -> None:
    result: dict[str, object] = {}
    request = replace(SMALL, frames=40)  # long enough to be caught in the middle of an item
    thread = threading.Thread(target=lambda: result.update(s=run([inputs], tmp_path, request, workers=2)))
    thread.start()
    victim = holder_of_partial(tmp_path)
    os.kill(victim, how)
    thread.join(timeout=300)
    summary = result["s"]
    assert (summary.rendered, summary.failed, summary.pending) == (GOOD, 3, 0)
    states = jobs(tmp_path)
    assert all(states[f"art{i:02d}"][0] == "done" for i in range(GOOD))
    assert any(attempts == 2 for state, attempts, _ in states.values() if state == "done")
    assert leftovers(tmp_path) == []


def test_other_formats_and_missing_weights(inputs: Path, tmp_path: Path) -> None:
    two = [inputs / "art00.png", inputs / "art01.png"]
    png = run(two, tmp_path / "png", SMALL, fmt="png", workers=1)
    assert png.rendered == 2 and len(list((tmp_path / "png" / "art00").glob("frame_*.png"))) == 4
    assert json.loads((tmp_path / "png" / "art00" / "process.json").read_text())["engine"] == "procedural"
    webp = run(two, tmp_path / "webp", SMALL, fmt="webp", workers=1)
    assert webp.rendered == 2 and (tmp_path / "webp" / "art01.webp").is_file()
    request = replace(SMALL, engine="paints-undo", models=str(tmp_path / "no-models"))
    neural = run(two, tmp_path / "pu", request, workers=1)
    assert (neural.rendered, neural.failed) == (0, 2)
    assert all(
        "not ready" in f["error"] and "paints_undo_single_frame" in f["error"] for f in neural.failures
    )
