"""Batch inputs (files, folders, patterns, lists) and the manifest's bookkeeping, without rendering."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.batch.inputs import expand_inputs
from app.batch.manifest import Manifest, file_hash
from app.errors import BatchError


def _touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_folders_patterns_and_lists(tmp_path: Path) -> None:
    a = _touch(tmp_path / "art" / "a.png")
    b = _touch(tmp_path / "art" / "sub" / "b.JPG")
    _touch(tmp_path / "art" / "notes.md")  # not an artwork type: not in a folder's items
    _touch(tmp_path / "art" / ".hidden" / "c.png")  # hidden: skipped
    out = tmp_path / "art" / "out"
    _touch(out / "old.png")  # the batch's own output folder: skipped
    assert expand_inputs([tmp_path / "art"], exclude=out) == [a, b]
    assert expand_inputs([str(tmp_path / "art" / "**" / "*.png")], exclude=out) == [a]
    listing = _touch(
        tmp_path / "list.txt", b"# my artworks\nart/a.png\n\n  art/sub/b.JPG  \nart/a.png\nmissing.png\n"
    )
    assert expand_inputs([listing]) == [a, b, (tmp_path / "missing.png").resolve()]
    csv = _touch(tmp_path / "l.csv", b'title,file\n"A, the first",art/a.png\nB,art/sub/b.JPG\n')
    assert expand_inputs([csv, a]) == [a, b]  # a path given twice is one item
    plain_csv = _touch(tmp_path / "p.csv", b"art/sub/b.JPG,whatever\n")
    assert expand_inputs([plain_csv]) == [b]


@pytest.mark.parametrize("bad, expect", [("nope", "does not exist"), ("*.xyz", "matches no file")])
def test_inputs_that_name_nothing_are_errors(tmp_path: Path, bad: str, expect: str) -> None:
    with pytest.raises(BatchError, match=expect):
        expand_inputs([str(tmp_path / bad)])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="nothing to render"):
        expand_inputs([tmp_path / "empty"])


def test_manifest_keys_names_states_and_the_hash_cache(tmp_path: Path, monkeypatch) -> None:
    a = _touch(tmp_path / "in" / "x.png", b"one")
    b = _touch(tmp_path / "in2" / "x.png", b"two")  # same stem, other content: another name
    c = _touch(tmp_path / "in" / "copy.png", b"one")  # same content: same job
    m = Manifest(tmp_path / "out")
    keys = m.add_inputs([a, b, c, tmp_path / "gone.png"], lambda digest: "k" + digest[:8])
    assert keys[0] == keys[2] == "k" + file_hash(a)[:8] and keys[1] != keys[0]
    assert keys[3].startswith("unreadable-")
    names = [j.name for j in m.jobs()]
    assert names == ["x", f"x-{keys[1][:8]}", "gone"] and m.counts()["pending"] == 3
    m.mark_running(keys[0])
    m.mark_done(keys[0], {"total_s": 1.0}, "host:1")
    m.mark_running(keys[1])
    m.mark_failed(keys[1], "bad file")
    m.mark_running(keys[3])
    assert m.reset_running() == 1  # a driver killed mid-item
    done, failed, gone = m.jobs()
    assert (done.state, done.attempts, done.timings) == ("done", 1, {"total_s": 1.0})
    assert (failed.state, failed.error, gone.state, gone.attempts) == ("failed", "bad file", "pending", 1)
    # a second batch on the same folder is refused while this one holds it
    with pytest.raises(BatchError, match="Another batch"):
        Manifest(tmp_path / "out")
    m.close()
    # unchanged files are not hashed again on a rerun
    calls: list[Path] = []
    import app.batch.manifest as manifest_module

    monkeypatch.setattr(manifest_module, "file_hash", lambda p: calls.append(p) or "h")
    m = Manifest(tmp_path / "out")
    os.utime(b, ns=(1, 1))
    assert m.add_inputs([a, b], lambda digest: "k" + digest[:8])[0] == keys[0]
    assert calls == [b]
    m.close()
    reader = Manifest(tmp_path / "out", writer=False)
    assert reader.counts()["done"] == 1 and len(reader.inputs()) == 4
    reader.close()


def test_neural_engines_get_one_worker_per_gpu_each_on_its_own_device(monkeypatch, tmp_path: Path) -> None:
    import types

    from app.batch.runner import default_workers, gpu_devices
    from app.batch.worker import BatchSpec, ItemRenderer
    from app.inference.render_job import RenderRequest

    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(device_count=lambda: 3))
    monkeypatch.setitem(__import__("sys").modules, "torch", fake_torch)
    neural = RenderRequest(engine="paints-undo")
    assert gpu_devices(neural) == ["cuda:0", "cuda:1", "cuda:2"] and default_workers(neural) == 3
    assert gpu_devices(RenderRequest(engine="paints-undo", device="cpu")) == []  # the user chose
    assert gpu_devices(RenderRequest()) == [] and default_workers(RenderRequest()) == (os.cpu_count() or 1)
    renderer = ItemRenderer(BatchSpec(neural, str(tmp_path)), device="cuda:2")
    assert renderer.request.device == "cuda:2" and renderer.spec.request.device is None


def test_ray_connection_auto_address_and_errors(monkeypatch) -> None:
    """Without a real cluster: what `connect` asks Ray for, and a cluster that cannot be reached."""
    import sys
    import types

    from app.batch import ray_backend

    calls: list[tuple[dict, str | None]] = []

    def init(**kwargs) -> None:
        if kwargs.get("address") == "nowhere:1":
            raise ConnectionError("could not reach nowhere:1")
        calls.append((kwargs, os.environ.get("RAY_worker_niceness")))

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.delenv("RAY_worker_niceness", raising=False)
    assert ray_backend.connect("auto") is True
    assert "address" not in calls[0][0] and calls[0][1] == "0"  # a local instance: workers not niced
    assert ray_backend.connect("head:6379") is True and calls[1][0]["address"] == "head:6379"
    with pytest.raises(BatchError, match="Cannot connect to the Ray cluster at 'nowhere:1'"):
        ray_backend.connect("nowhere:1")
    fake.is_initialized = lambda: True
    assert ray_backend.connect("auto") is False and len(calls) == 2  # already connected: kept as is
    monkeypatch.setitem(sys.modules, "ray", None)  # not installed
    with pytest.raises(BatchError, match="needs Ray") as info:
        ray_backend.connect("auto")
    assert "pip install 'undo-studio[cluster]'" in info.value.user_text()
