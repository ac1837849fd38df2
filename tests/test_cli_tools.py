"""`undo-studio tag` and `undo-studio models` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300)


def test_tag_prints_the_reference_prompt(reference_dir: Path, tmp_path: Path) -> None:
    wd14 = tmp_path / "models" / "wd14"
    wd14.mkdir(parents=True)
    shutil.copy(reference_dir / "wd14_tiny_tagger.onnx", wd14 / "wd-v1-4-moat-tagger-v2.onnx")
    shutil.copy(reference_dir / "wd14_tiny_tagger.csv", wd14 / "wd-v1-4-moat-tagger-v2.csv")
    expected = json.loads((reference_dir / "wd14.json").read_text())["expected_prompts"]["nonsquare_100x70"]
    res = run_cli(
        "tag", str(reference_dir / "wd14_nonsquare_100x70.png"), "--models", str(tmp_path / "models")
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == expected


def test_tag_without_tagger_says_where_to_put_it(tmp_path: Path) -> None:
    img = tmp_path / "x.png"
    from PIL import Image

    Image.new("RGB", (8, 8), "white").save(img)
    res = run_cli("tag", str(img), "--models", str(tmp_path / "none"))
    assert res.returncode == 1
    assert "wd-v1-4-moat-tagger-v2.onnx" in res.stderr and "Traceback" not in res.stderr


def test_models_table_on_an_empty_folder(tmp_path: Path) -> None:
    res = run_cli("models", "--models", str(tmp_path))
    assert res.returncode == 0, res.stderr
    for name in (
        "single_frame_unet",
        "multi_frame_unet",
        "missing",
        "huggingface.co/lllyasviel/paints_undo_single_frame",
    ):
        assert name in res.stdout
