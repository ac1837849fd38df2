"""A config.json whose layer counts contradict its weights must be refused before the model is built.

Building loops once per configured layer, so `layers_per_block: 10**7` used to hang loading (and
the models report called the folder fine). Each test runs under an alarm: without the check it
fails after a few seconds instead of hanging the suite.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_mf_loading import TEXT, UNET, _unet_state, _write
from test_single_frame_tiny import make_components, write_models_dir

from app.errors import WeightsError
from app.inference.paints_undo import layout
from app.inference.paints_undo.multi_frame.loading import load_unet as load_unet3d
from app.inference.paints_undo.single_frame import text_encoder, unet, vae

HUGE = 10**7


@contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs longer than `seconds`."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still building after {seconds} s: the layer count was not checked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("counts")
    root = write_models_dir(tmp / "models", make_components(tmp))
    from transformers import CLIPTextConfig, CLIPTextModel

    mf = root / "paints_undo_multi_frame"
    state = {"text_model." + k.removeprefix("text_model."): v for k, v in CLIPTextModel(CLIPTextConfig(**TEXT)).state_dict().items()}  # fmt: skip
    _write(mf / "text_encoder", TEXT, state)
    _write(mf / "unet", UNET, _unet_state(UNET))
    return root


def _edit(folder: Path, change: dict[str, Any]) -> None:
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))


CASES = [
    ("paints_undo_single_frame/unet", unet.load_unet, {"layers_per_block": HUGE}, "single_frame_unet"),
    ("paints_undo_single_frame/unet", unet.load_unet, {"layers_per_block": [1, HUGE]}, "single_frame_unet"),
    ("paints_undo_single_frame/unet", unet.load_unet, {"transformer_layers_per_block": HUGE}, "single_frame_unet"),
    ("paints_undo_single_frame/vae", vae.load_vae, {"layers_per_block": HUGE}, "single_frame_vae"),
    ("paints_undo_single_frame/text_encoder", text_encoder.load_text_encoder, {"num_hidden_layers": HUGE},
     "single_frame_text_encoder"),
    ("paints_undo_multi_frame/text_encoder", text_encoder.load_text_encoder, {"num_hidden_layers": HUGE},
     "multi_frame_text_encoder"),
    ("paints_undo_multi_frame/unet", load_unet3d, {"num_res_blocks": HUGE}, "multi_frame_unet"),
    ("paints_undo_multi_frame/unet", load_unet3d, {"transformer_depth": HUGE}, "multi_frame_unet"),
    ("paints_undo_multi_frame/unet", load_unet3d, {"channel_mult": [1, 2, 4]}, "multi_frame_unet"),
]  # fmt: skip
IDS = ["sf-unet-layers", "sf-unet-layers-list", "sf-unet-transformer", "sf-vae-layers", "sf-te-layers",
       "mf-te-layers", "mf-unet-res-blocks", "mf-unet-depth", "mf-unet-levels"]  # fmt: skip


@pytest.mark.parametrize(("sub", "loader", "change", "name"), CASES, ids=IDS)
def test_absurd_layer_count_is_refused_before_building(
    models: Path, tmp_path: Path, sub: str, loader: Callable[..., Any], change: dict[str, Any], name: str
) -> None:
    root = tmp_path / "models"
    folder = shutil.copytree(models / sub, root / sub)
    _edit(folder, change)
    key = next(iter(change))
    with hang_guard(), pytest.raises(WeightsError, match="does not describe a usable") as info:
        loader(folder)
    assert str(folder / "config.json") in info.value.message and f"{key}=" in info.value.message
    with hang_guard():  # the report says so too, headers only, and the component blocks its part
        status = {s.component.name: s for s in layout.models_report(root)}[name]
    assert status.blocking and any(str(folder / "config.json") in p and key in p for p in status.refused)
    assert f"{key}=" in layout.format_models_table([status])


def test_counts_that_agree_change_nothing(models: Path) -> None:
    report = {s.component.name: s for s in layout.models_report(models)}
    assert all(not report[n].refused for n in report)
    assert unet.load_unet(models / "paints_undo_single_frame/unet") is not None
    _, config = load_unet3d(models / "paints_undo_multi_frame/unet")
    assert config["num_res_blocks"] == UNET["num_res_blocks"]
