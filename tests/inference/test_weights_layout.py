"""The models folder report: missing files, fake weights, manifest verification, readiness, messages."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file

from app.inference.paints_undo import layout, safetensors_files, weights


def write_header_only(path: Path, shapes: dict[str, tuple[int, ...]], dtype: str = "F16") -> None:
    """A valid safetensors file whose data section is a sparse hole: full-size shapes, ~no disk."""
    itemsize = safetensors_files.DTYPES[dtype][1]
    header, offset = {}, 0
    for key, shape in shapes.items():
        n = itemsize
        for d in shape:
            n *= d
        header[key] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + offset)


def by_name(report: list[layout.ComponentStatus]) -> dict[str, layout.ComponentStatus]:
    return {s.component.name: s for s in report}


def test_layout_paths_match_design() -> None:
    folders = {c.name: c.folder for c in layout.COMPONENTS}
    assert folders["single_frame_unet"] == "paints_undo_single_frame/unet"
    assert folders["multi_frame_image_projection"] == "paints_undo_multi_frame/image_projection"
    assert layout.component_path("/m", "wd14_onnx") == Path("/m/wd14/wd-v1-4-moat-tagger-v2.onnx")
    assert layout.component_path("/m", "wd14_csv") == Path("/m/wd14/wd-v1-4-moat-tagger-v2.csv")
    assert {c.manifest for c in layout.COMPONENTS if c.manifest} == set(weights.manifest_names())


def test_empty_folder_reports_everything_missing(tmp_path: Path) -> None:
    report = layout.models_report(tmp_path)
    assert len(report) == len(layout.COMPONENTS) and not any(s.found for s in report)
    assert layout.readiness(report) == {"single_frame": False, "multi_frame": False, "tagger": False}
    status = by_name(report)["single_frame_unet"]
    expected = tmp_path / "paints_undo_single_frame/unet/diffusion_pytorch_model.safetensors"
    assert status.missing == (expected,) and status.reason == f"missing file {expected}"
    message = layout.missing_files_message(report)
    assert str(expected) in message
    assert "https://huggingface.co/lllyasviel/paints_undo_single_frame" in message
    assert "https://huggingface.co/lllyasviel/paints_undo_multi_frame" in message
    assert (
        f"'model.onnx' from https://huggingface.co/SmilingWolf/wd-v1-4-moat-tagger-v2 and save it as {tmp_path / 'wd14/wd-v1-4-moat-tagger-v2.onnx'}"
        in message
    )
    assert "'selected_tags.csv'" in message
    assert len([line for line in message.splitlines() if line.startswith("- ")]) == len(layout.COMPONENTS)
    only_tagger = layout.missing_files_message(report, parts=["tagger"])
    assert "wd14_onnx" in only_tagger and "single_frame_unet" not in only_tagger


def test_tiny_fake_weights_are_found_but_not_verified(tmp_path: Path) -> None:
    folder = tmp_path / "paints_undo_single_frame/vae"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    save_file(
        {"encoder.conv_in.weight": torch.zeros(8, 3, 3, 3, dtype=torch.float16)},
        str(folder / "diffusion_pytorch_model.safetensors"),
    )
    status = by_name(layout.models_report(tmp_path))["single_frame_vae"]
    assert status.found and status.dtype == "float16"
    assert status.size_bytes == (folder / "diffusion_pytorch_model.safetensors").stat().st_size
    assert status.verified is False and status.blocking
    assert "247 of 248 keys missing" in status.reason
    assert (
        "shape mismatch in " in status.reason
        and "encoder.conv_in.weight: expected [128, 3, 3, 3], found [8, 3, 3, 3]" in status.reason
    )
    assert "single_frame_vae: not usable" in layout.missing_files_message(layout.models_report(tmp_path))


def test_full_size_header_verifies(tmp_path: Path) -> None:
    required, _ = weights.manifest_shapes("multi_frame_image_projection")
    folder = tmp_path / "paints_undo_multi_frame/image_projection"
    write_header_only(folder / "diffusion_pytorch_model.fp16.safetensors", required)
    (folder / "config.json").write_text("{}")
    status = by_name(layout.models_report(tmp_path))["multi_frame_image_projection"]
    assert status.found and status.verified is True and status.problems == () and not status.blocking
    assert status.path.name == "diffusion_pytorch_model.fp16.safetensors"
    assert status.size_bytes > 2 * weights.manifest_num_params("multi_frame_image_projection")
    table = layout.format_models_table(layout.models_report(tmp_path))
    assert "multi_frame_image_projection  ok" in table and "float16" in table


def test_inferred_manifest_mismatch_warns_only(tmp_path: Path) -> None:
    required, optional = weights.manifest_shapes("multi_frame_image_projection")
    shapes = dict(required)
    shapes["latents"] = (1, 128, 1024)
    folder = tmp_path / "paints_undo_multi_frame/image_projection"
    write_header_only(folder / "diffusion_pytorch_model.safetensors", shapes)
    (folder / "config.json").write_text("{}")
    status = by_name(layout.models_report(tmp_path))["multi_frame_image_projection"]
    assert status.verified is False and not status.blocking and "manifest is inferred" in status.reason


def test_missing_config_and_pickle_only_folders(tmp_path: Path) -> None:
    unet = tmp_path / "paints_undo_single_frame/unet"
    write_header_only(unet / "diffusion_pytorch_model.safetensors", {"a": (1,)})
    te = tmp_path / "paints_undo_single_frame/text_encoder"
    te.mkdir(parents=True)
    (te / "pytorch_model.bin").write_bytes(b"pickle")
    report = by_name(layout.models_report(tmp_path))
    assert report["single_frame_unet"].missing == (unet / "config.json",)
    assert report["single_frame_text_encoder"].found is False
    assert "pickle" in report["single_frame_text_encoder"].reason


def test_corrupt_weights_are_reported_not_raised(tmp_path: Path) -> None:
    for sub in ("paints_undo_single_frame/unet", "paints_undo_multi_frame/unet"):
        folder = tmp_path / sub
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "diffusion_pytorch_model.safetensors").write_bytes(b"\x00" * 4)
    (tmp_path / "wd14").mkdir()
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.onnx").write_bytes(b"")
    report = by_name(layout.models_report(tmp_path))
    for name in ("single_frame_unet", "multi_frame_unet"):  # even against an inferred manifest
        status = report[name]
        assert status.found and status.verified is False and "not a safetensors file" in status.reason
        assert not status.readable and status.blocking
    assert report["wd14_onnx"].blocking and "is empty" in report["wd14_onnx"].reason


def test_readiness_rules(tmp_path: Path) -> None:
    for comp in layout.COMPONENTS:
        if comp.part != "single_frame":
            continue
        folder = tmp_path / comp.folder
        if comp.kind == "tokenizer":
            folder.mkdir(parents=True)
            for name in comp.expected_files:
                (folder / name).write_text("{}")
            continue
        write_header_only(folder / comp.expected_files[1], weights.manifest_shapes(comp.manifest)[0])
        (folder / "config.json").write_text("{}")
    report = layout.models_report(tmp_path)
    assert layout.part_ready(report, "single_frame", have_prompt=True)
    assert not layout.part_ready(report, "single_frame")  # needs the tagger for its prompt
    (tmp_path / "wd14").mkdir()
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.onnx").write_bytes(b"onnx")
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.csv").write_text("tag_id,name,category,count\n")
    report = layout.models_report(tmp_path)
    assert layout.readiness(report) == {"single_frame": True, "multi_frame": False, "tagger": True}
    assert layout.missing_files_message(report, parts=["single_frame", "tagger"]) == ""
    table = layout.format_models_table(report)
    assert "single-frame=yes, multi-frame=no, tagger=yes" in table
