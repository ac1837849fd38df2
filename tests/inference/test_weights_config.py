"""A `config.json` that does not describe its model (damaged, edited, or copied from the wrong
folder) must fail loading with a `WeightsError` naming that file, not with whatever the model
constructor happens to raise (ValueError, KeyError, ZeroDivisionError, huggingface_hub's own errors)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_mf_loading import RESAMPLER, _write
from test_single_frame_tiny import make_components, write_models_dir

from app.errors import WeightsError
from app.inference.paints_undo.multi_frame.loading import load_multi_frame
from app.inference.paints_undo.multi_frame.resampler import Resampler
from app.inference.paints_undo.single_frame import text_encoder, unet, vae


@pytest.fixture(scope="module")
def single_frame(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sf_config")
    return write_models_dir(tmp / "models", make_components(tmp)) / "paints_undo_single_frame"


def _edit(folder: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    replaced = change(config)
    path.write_text(json.dumps(config if replaced is None else replaced))


@pytest.mark.parametrize(
    ("sub", "loader", "change", "raised"),
    [
        ("unet", unet.load_unet, lambda c: c.update(up_block_types=c["up_block_types"][:1]), "ValueError"),
        ("vae", vae.load_vae, lambda c: c.update(norm_num_groups=7), "ValueError"),
        ("text_encoder", text_encoder.load_text_encoder, lambda c: c.update(hidden_act="nope"), "KeyError"),
        ("text_encoder", text_encoder.load_text_encoder, lambda c: c.update(num_attention_heads=3), "Strict"),
    ],
    ids=["unet-blocks", "vae-groups", "te-activation", "te-heads"],
)
def test_single_frame_config_that_does_not_build(
    single_frame: Path, tmp_path: Path, sub: str, loader: Callable[..., Any], change: Callable, raised: str
) -> None:
    folder = shutil.copytree(single_frame / sub, tmp_path / sub)
    _edit(folder, change)
    with pytest.raises(WeightsError, match="does not describe a usable") as info:
        loader(folder)
    assert str(folder / "config.json") in info.value.message and raised in info.value.message


def test_the_unet_config_in_the_vae_folder(single_frame: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(single_frame / "vae", tmp_path / "vae")
    shutil.copy(single_frame / "unet" / "config.json", folder / "config.json")
    with pytest.raises(WeightsError, match=r"vae/config\.json' does not describe a usable VAE"):
        vae.load_vae(folder)


def test_deeply_nested_config_json(single_frame: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(single_frame / "unet", tmp_path / "unet")
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(WeightsError, match="is not valid JSON .nested too deeply"):
        unet.load_unet(folder)


@pytest.mark.parametrize(
    "change",
    [{"video_length": 0}, {"dim_head": 0}, {"heads": "many"}],
    ids=["video0", "dimhead0", "heads-str"],
)
def test_multi_frame_config_that_does_not_build(tmp_path: Path, change: dict[str, Any]) -> None:
    root = tmp_path / "paints_undo_multi_frame"
    _write(root / "image_projection", {**RESAMPLER, **change}, Resampler(**RESAMPLER).state_dict())
    with pytest.raises(WeightsError, match=r"image_projection/config\.json' does not describe a usable"):
        load_multi_frame(root, components=["image_projection"])


def test_multi_frame_image_encoder_with_a_broken_vision_config(tmp_path: Path) -> None:
    from test_mf_loading import CLIP

    from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder

    root = tmp_path / "paints_undo_multi_frame"
    _write(root / "image_encoder", {"vision_config": "x"}, build_image_encoder(CLIP).state_dict())
    with pytest.raises(WeightsError, match=r"image_encoder/config\.json' does not describe a usable"):
        load_multi_frame(root, components=["image_encoder"])
