"""The models report on folders users get wrong: it must name the exact file and what to do, and it
must never raise, hang, or call a folder ready that loading will then refuse."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_weights_layout import by_name, write_header_only

from app.inference.paints_undo import layout, weights
from app.inference.paints_undo.engine import PaintsUndoEngine

UNET = "paints_undo_single_frame/unet"
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n"


def _single_frame_ready(root: Path) -> Path:
    """Full-size single-frame headers (sparse files) + tokenizer + tagger: a folder that is ready."""
    for comp in layout.COMPONENTS:
        folder = root / comp.folder
        if comp.part != "single_frame" and comp.part != "tagger":
            continue
        if comp.kind == "tokenizer":
            folder.mkdir(parents=True)
            for name in comp.expected_files:
                (folder / name).write_text("{}")
        elif comp.kind == "file":
            folder.mkdir(parents=True, exist_ok=True)
            text = "tag_id,name,category,count\n1,a,0,5\n" if comp.name == "wd14_csv" else "onnx"
            (folder / comp.expected_files[0]).write_text(text)
        else:
            write_header_only(folder / comp.expected_files[1], weights.manifest_shapes(comp.manifest)[0])
            (folder / "config.json").write_text("{}")
    report = layout.models_report(root)
    assert layout.part_ready(report, "single_frame") and layout.part_ready(report, "tagger")
    return root


def test_refused_pickle_is_explained_in_the_table_and_the_message(tmp_path: Path) -> None:
    folder = tmp_path / UNET
    folder.mkdir(parents=True)
    (folder / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    report = layout.models_report(tmp_path)
    assert "pickle" in by_name(report)["single_frame_unet"].reason
    table = layout.format_models_table(report)
    assert "single_frame_unet: Refusing to load" in table
    message = layout.missing_files_message(report)
    line = next(x for x in message.splitlines() if x.startswith("- single_frame_unet"))
    assert "diffusion_pytorch_model.bin" in line and "pickle" in line
    reason = PaintsUndoEngine(models_dir=tmp_path).availability().reason
    assert "diffusion_pytorch_model.bin" in reason


def test_broken_links_are_reported_not_raised(tmp_path: Path) -> None:
    root = _single_frame_ready(tmp_path)
    (root / UNET / "diffusion_pytorch_model.safetensors").unlink()
    (root / UNET / "diffusion_pytorch_model.safetensors").symlink_to(tmp_path / "elsewhere.safetensors")
    vocab = root / "paints_undo_single_frame/tokenizer/vocab.json"
    vocab.unlink()
    vocab.symlink_to(tmp_path / "vocab.json")
    onnx = root / "wd14/wd-v1-4-moat-tagger-v2.onnx"
    onnx.unlink()
    onnx.symlink_to(tmp_path / "model.onnx")
    report = by_name(layout.models_report(root))
    assert "broken link" in report["single_frame_unet"].reason
    assert "elsewhere.safetensors" in report["single_frame_unet"].reason
    assert (
        report["single_frame_tokenizer"].reason
        == f"{vocab} is a broken link (it points to '{tmp_path / 'vocab.json'}', which does not exist)"
    )
    assert "broken link" in report["wd14_onnx"].reason
    assert "broken link" in layout.format_models_table(list(report.values()))


@pytest.mark.timeout(30)
def test_a_named_pipe_does_not_hang_the_report(tmp_path: Path) -> None:
    folder = tmp_path / UNET
    folder.mkdir(parents=True)
    os.mkfifo(folder / "unet.safetensors")
    status = by_name(layout.models_report(tmp_path))["single_frame_unet"]
    assert status.blocking and "not a regular file" in status.reason


@pytest.mark.parametrize(("text", "match"), [("[]", "not a JSON object"), ("{nope", "not valid JSON")])
def test_config_json_that_loading_would_refuse_blocks(tmp_path: Path, text: str, match: str) -> None:
    root = _single_frame_ready(tmp_path)
    (root / UNET / "config.json").write_text(text)
    report = layout.models_report(root)
    status = by_name(report)["single_frame_unet"]
    assert status.blocking and match in status.reason and str(root / UNET / "config.json") in status.reason
    assert not layout.part_ready(report, "single_frame", have_prompt=True)
    assert re.search(r"^single_frame_unet +invalid ", layout.format_models_table(report), re.M)


def test_tag_list_with_other_columns_blocks_the_tagger(tmp_path: Path) -> None:
    root = _single_frame_ready(tmp_path)
    (root / "wd14/wd-v1-4-moat-tagger-v2.csv").write_text("id,tag,score\n1,a,0.5\n")
    report = layout.models_report(root)
    assert not layout.part_ready(report, "tagger")
    assert "not a WD14 selected_tags.csv" in by_name(report)["wd14_csv"].reason


def test_git_lfs_pointers_are_named(tmp_path: Path) -> None:
    root = _single_frame_ready(tmp_path)
    (root / "wd14/wd-v1-4-moat-tagger-v2.onnx").write_text(LFS)
    (root / UNET / "diffusion_pytorch_model.safetensors").write_text(LFS)
    report = by_name(layout.models_report(root))
    for name in ("wd14_onnx", "single_frame_unet"):
        assert report[name].blocking and "Git LFS pointer" in report[name].reason


def test_unreadable_folder_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _single_frame_ready(tmp_path)
    locked = root / "paints_undo_single_frame/tokenizer"
    real_iterdir = Path.iterdir

    def iterdir(self: Path):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    status = by_name(layout.models_report(root))["single_frame_tokenizer"]
    assert status.blocking and status.reason == f"cannot read {locked}: Permission denied"


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_models_folder_that_is_not_there_is_named(tmp_path: Path, kind: str) -> None:
    models = tmp_path / "models"
    if kind == "file":
        models.write_text("x")
    message = layout.missing_files_message(layout.models_report(models))
    state = "does not exist" if kind == "missing" else "is not a folder"
    assert message.startswith(f"The models folder {models} {state}")
