"""Broken model files a user may have: every one must end in a `WeightsError` that names the file,
never a traceback, a hang or a header check that passes a file the safetensors library then refuses."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from safetensors import safe_open

from app.errors import WeightsError
from app.inference.paints_undo import safetensors_files, weights

F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def _safetensors(path: Path, header: Any, data: bytes) -> Path:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


@pytest.mark.parametrize(
    ("header", "data", "match"),
    [
        (b"[" * 100_000 + b"]" * 100_000, b"", "nested too deeply"),
        ({"a": {**F32x2, "data_offsets": ["0", "8"]}}, b"\0" * 8, "bad header entry for tensor 'a'"),
        ({"a": {**F32x2, "data_offsets": [0.0, 8.0]}}, b"\0" * 8, "bad header entry for tensor 'a'"),
        ({"a": {**F32x2, "shape": [-1, -2]}}, b"\0" * 8, "bad header entry for tensor 'a'"),
        ({"a": F32x2, "b": F32x2}, b"\0" * 8, "overlap or leave a gap"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "overlap or leave a gap"),
        ({"a": F32x2}, b"\0" * 12, "4 bytes after its last tensor"),
        ({"__metadata__": {"format": 1}, "a": F32x2}, b"\0" * 8, "__metadata__"),
    ],
    ids=[
        "deep-json",
        "str-offsets",
        "float-offsets",
        "negative-dims",
        "overlap",
        "gap",
        "trailing",
        "metadata",
    ],
)
def test_header_check_refuses_what_the_library_refuses(
    tmp_path: Path, header: Any, data: bytes, match: str
) -> None:
    path = _safetensors(tmp_path / "model.safetensors", header, data)
    with pytest.raises(WeightsError, match=match) as info:
        safetensors_files.read_safetensors_header(path)
    assert str(path) in info.value.message
    with pytest.raises(Exception):  # noqa: B017, PT011 (the library's own error types vary)
        with safe_open(str(path), framework="pt") as fh:
            [fh.get_tensor(k) for k in fh.keys()]  # noqa: SIM118


def test_header_check_accepts_what_the_library_accepts(tmp_path: Path) -> None:
    header = {
        "__metadata__": {"format": "pt"},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
        "empty": {"dtype": "F16", "shape": [0, 3], "data_offsets": [0, 0]},
        "a": F32x2,
    }
    path = _safetensors(tmp_path / "model.safetensors", header, b"\0" * 16)
    assert set(safetensors_files.read_safetensors_header(path)) == {"a", "b", "empty"}
    assert set(weights.load_safetensors(path)) == {"a", "b", "empty"}


def test_unknown_dtype_is_named(tmp_path: Path) -> None:
    path = _safetensors(tmp_path / "model.safetensors", {"a": {**F32x2, "dtype": "F4"}}, b"\0" * 8)
    with pytest.raises(WeightsError, match="tensor 'a' has the data type 'F4'"):
        safetensors_files.read_safetensors_header(path)


def test_dtype_the_library_reads_but_torch_cannot_is_named(tmp_path: Path) -> None:
    """C64 is a valid safetensors dtype (the library opens the file) that we cannot load: named too."""
    path = _safetensors(
        tmp_path / "model.safetensors",
        {"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}},
        b"\0" * 8,
    )
    with safe_open(str(path), framework="numpy") as fh:
        assert fh.get_slice("a").get_dtype() == "C64"
    with pytest.raises(WeightsError, match="tensor 'a' has the data type 'C64'"):
        safetensors_files.read_safetensors_header(path)


def test_git_lfs_pointer_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 3438167536\n")
    with pytest.raises(WeightsError, match="Git LFS pointer") as info:
        weights.load_safetensors(path)
    assert "git lfs pull" in info.value.hint


def test_broken_link_is_named_not_raised(tmp_path: Path) -> None:
    (tmp_path / "unet.safetensors").symlink_to(tmp_path / "gone" / "unet.safetensors")
    with pytest.raises(WeightsError, match=r"unet\.safetensors' is a broken link .*gone"):
        safetensors_files.resolve_weights(tmp_path)
    canonical = tmp_path / "sub" / "diffusion_pytorch_model.safetensors"
    canonical.parent.mkdir()
    canonical.symlink_to(tmp_path / "gone.safetensors")
    with pytest.raises(WeightsError, match="broken link"):
        safetensors_files.resolve_weights(canonical.parent)


@pytest.mark.timeout(20)
def test_a_named_pipe_is_never_opened(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer appears: the models report would hang."""
    import os

    os.mkfifo(tmp_path / "unet.safetensors")
    with pytest.raises(WeightsError, match="not a regular file"):
        safetensors_files.resolve_weights(tmp_path)


def test_unreadable_folder_is_a_weights_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, pattern: str):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "glob", denied)
    with pytest.raises(WeightsError, match="Cannot read the folder .*Permission denied"):
        safetensors_files.resolve_weights(tmp_path)


@pytest.mark.parametrize(
    "index",
    [
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"weight_map": ["shard.safetensors"]}),
        json.dumps({"weight_map": {"a": 5}}),
        json.dumps({"weight_map": {"a": None}}),
        json.dumps({"weight_map": {"a": "/etc/hostname"}}),
        json.dumps({"weight_map": {"a": "../../shard.safetensors"}}),
        json.dumps({"weight_map": {}}),
    ],
    ids=["deep", "list", "int", "null", "absolute", "parent", "empty"],
)
def test_broken_shard_index_is_a_weights_error(tmp_path: Path, index: str) -> None:
    _safetensors(tmp_path / "shard.safetensors", {"a": F32x2}, b"\0" * 8)
    (tmp_path / "diffusion_pytorch_model.safetensors.index.json").write_text(index)
    with pytest.raises(WeightsError, match=r"index\.json"):
        safetensors_files.resolve_weights(tmp_path)
