"""Components of one model that do not fit each other (swapped or foreign parts) are named, headers only.

Each part alone is whole (its config and weights agree), so each used to load, and the model failed
later as a raw shape error inside sampling. Now the models report blocks the likely wrong component
with one line naming both folders, and loading refuses before reading any tensor.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from test_mf_loading import CLIP, RESAMPLER, TEXT, UNET, VAE, _tokenizer, _unet_state, _write
from test_single_frame_tiny import VAE_CONFIG, artwork, make_components, text_config, write_models_dir
from test_weights_layout import write_header_only

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import WeightsError
from app.inference.paints_undo import agreement, layout, weights
from app.inference.paints_undo.engine import PaintsUndoEngine
from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder
from app.inference.paints_undo.multi_frame.loading import load_multi_frame
from app.inference.paints_undo.multi_frame.resampler import Resampler
from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

SF, MF = "paints_undo_single_frame", "paints_undo_multi_frame"


def _text_state(config: dict[str, Any]) -> dict[str, torch.Tensor]:
    from transformers import CLIPTextConfig, CLIPTextModel

    model = CLIPTextModel(CLIPTextConfig(**config))
    return {"text_model." + k.removeprefix("text_model."): v for k, v in model.state_dict().items()}


def write_multi_frame(root: Path, **configs: dict[str, Any]) -> Path:
    """A tiny `paints_undo_multi_frame/` whose parts fit (as test_mf_loading's), unless `configs` say
    otherwise for a part (keys: vae, image_projection, image_encoder, text_encoder)."""
    torch.manual_seed(0)
    vae, proj = configs.get("vae", VAE), configs.get("image_projection", RESAMPLER)
    clip, text = configs.get("image_encoder", CLIP), configs.get("text_encoder", TEXT)
    _write(root / "vae", vae, VideoAutoencoderKL(**vae).state_dict())
    _write(root / "image_projection", proj, Resampler(**proj).state_dict())
    _write(root / "image_encoder", clip, build_image_encoder(clip).state_dict())
    _write(root / "text_encoder", text, _text_state(text))
    _tokenizer(root / "tokenizer")
    _write(root / "unet", UNET, _unet_state(UNET))
    return root


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both tiny models, every part fitting: single-frame 16 wide, multi-frame 32 wide."""
    tmp = tmp_path_factory.mktemp("agree")
    root = write_models_dir(tmp / "models", make_components(tmp))
    write_multi_frame(root / MF)
    return root


def _copy(good: Path, tmp_path: Path) -> Path:
    return shutil.copytree(good, tmp_path / "models")


def _refused(root: Path) -> dict[str, tuple[str, ...]]:
    return {s.component.name: s.refused for s in layout.models_report(root) if s.refused}


def test_fitting_models_report_no_mismatch(good: Path) -> None:
    assert agreement.part_mismatches(good / SF, "single_frame") == []
    assert agreement.part_mismatches(good / MF, "multi_frame") == []
    assert _refused(good) == {}


def test_swapped_text_encoders_are_named_in_the_report(good: Path, tmp_path: Path) -> None:
    root = _copy(good, tmp_path)
    shutil.move(root / SF / "text_encoder", tmp_path / "te")
    shutil.move(root / MF / "text_encoder", root / SF / "text_encoder")
    shutil.move(tmp_path / "te", root / MF / "text_encoder")
    refused = _refused(root)
    assert set(refused) == {"single_frame_text_encoder", "multi_frame_text_encoder"}
    (line,) = refused["multi_frame_text_encoder"]
    assert str(root / MF / "text_encoder") in line and str(root / MF / "unet") in line
    assert "hidden width 16" in line and "attn2.to_k) input width 32" in line
    assert "likely the wrong one" in line and "may be swapped" in line
    assert "lllyasviel/paints_undo_multi_frame" in line  # what to do
    assert "hidden width 32" in refused["single_frame_text_encoder"][0]
    report = layout.models_report(root)
    assert layout.readiness(report) == {"single_frame": False, "multi_frame": False, "tagger": False}
    table = layout.format_models_table(report)
    assert f"  multi_frame_text_encoder: {line}" in table.splitlines()
    assert "multi_frame_text_encoder: not usable" in layout.missing_files_message(report)


def test_single_frame_mismatch_is_refused_before_loading(good: Path, tmp_path: Path) -> None:
    root = _copy(good, tmp_path)
    wide = {**text_config(), "hidden_size": 32, "projection_dim": 32}
    shutil.rmtree(root / SF / "text_encoder")
    _write(root / SF / "text_encoder", wide, _text_state(wide))
    (mismatch,) = agreement.part_mismatches(root / SF, "single_frame")
    assert mismatch.suspect_component == "single_frame_text_encoder"
    with pytest.raises(WeightsError, match="likely the wrong one") as info:
        agreement.check_part(root / SF, "single_frame")
    assert str(root / SF / "unet") in info.value.message and "text_encoder/" in info.value.hint
    engine = PaintsUndoEngine(models_dir=root, device="cpu")
    spec = BranchSpec.make("paints-undo", 7, {"size": "64", "steps": 2, "prompt": "a girl"})
    with pytest.raises(WeightsError, match="does not fit"):  # not a torch shape error mid-sampling
        session = engine.prepare(Artwork.from_array(artwork(64, 48)), spec, CancelToken(), no_progress)
        engine.render(session, [600], CancelToken(), no_progress)


def test_vae_latent_channels_must_match_the_unet_input(good: Path, tmp_path: Path) -> None:
    from app.inference.paints_undo.single_frame.vae import build_vae

    root = _copy(good, tmp_path)
    config = {**VAE_CONFIG, "latent_channels": 8}
    shutil.rmtree(root / SF / "vae")
    _write(root / SF / "vae", config, build_vae(config, device="cpu").state_dict(),
           "diffusion_pytorch_model.safetensors")  # fmt: skip
    (line,) = _refused(root)["single_frame_vae"]
    assert "latent channels 8" in line and "input channels" in line and "2 x 8 = 16" in line
    assert str(root / SF / "vae") in line and str(root / SF / "unet") in line


@pytest.mark.parametrize(
    ("part", "config", "suspect", "says"),
    [
        ("image_projection", {**RESAMPLER, "output_dim": 24}, "image_projection",
         "output width 24"),
        ("image_encoder", {**CLIP, "hidden_size": 48, "intermediate_size": 96}, "image_encoder",
         "hidden size 48"),
        ("vae", {**VAE, "z_channels": 8}, "vae", "latent channels 8"),
    ],
    ids=["projection-vs-unet", "encoder-vs-projection", "vae-vs-unet"],
)  # fmt: skip
def test_multi_frame_mismatch_blocks_and_refuses_loading(
    tmp_path: Path, part: str, config: dict[str, Any], suspect: str, says: str
) -> None:
    root = write_multi_frame(tmp_path / "models" / MF, **{part: config})
    (line,) = _refused(tmp_path / "models")[f"multi_frame_{suspect}"]
    assert says in line and str(root / suspect) in line
    report = layout.models_report(tmp_path / "models")
    assert not layout.part_ready(report, "multi_frame")  # not just a warning (inferred manifests)
    with pytest.raises(WeightsError, match=says):
        load_multi_frame(root, components=["tokenizer"])  # before any component is read


def _full_size(folder: Path, manifest: str) -> None:
    write_header_only(folder / "model.safetensors", weights.manifest_shapes(manifest)[0])
    (folder / "config.json").write_text("{}")


@pytest.mark.parametrize(
    ("part", "foreign", "width", "other"),
    [(MF, "single_frame_text_encoder", 768, "single-frame"), (SF, "multi_frame_text_encoder", 1024, "multi-frame")],
    ids=["clip-l-in-multi-frame", "sd21-in-single-frame"],
)  # fmt: skip
def test_full_size_foreign_text_encoder_is_named(
    tmp_path: Path, part: str, foreign: str, width: int, other: str
) -> None:
    """Full-size headers (sparse files, no data): the published widths tell which side is wrong."""
    prefix = "multi_frame" if part == MF else "single_frame"
    _full_size(tmp_path / part / "unet", f"{prefix}_unet")
    _full_size(tmp_path / part / "text_encoder", foreign)
    (line,) = _refused(tmp_path)[f"{prefix}_text_encoder"]
    assert f"hidden width {width}" in line and f"looks like the {other} text encoder" in line
    assert str(tmp_path / part / "unet") in line
