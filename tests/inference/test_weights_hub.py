"""Optional Hugging Face download with the hub monkeypatched (never touches the network)."""

from __future__ import annotations

import builtins
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.core.cancel import CancelToken
from app.errors import CancelledError, WeightsError
from app.inference.paints_undo import hub, layout

SF_FILES = [
    "model_index.json",
    "unet/config.json",
    "unet/diffusion_pytorch_model.safetensors",
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "unet/diffusion_pytorch_model.bin",
    "vae/config.json",
    "vae/diffusion_pytorch_model.fp16.safetensors",
    "text_encoder/config.json",
    "text_encoder/model.safetensors.index.json",
    "text_encoder/model-00001-of-00002.safetensors",
    "text_encoder/model-00002-of-00002.safetensors",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
    "tokenizer/tokenizer_config.json",
]


class FakeHub:
    def __init__(self, files: dict[str, list[str]], fail: Exception | None = None) -> None:
        self.files = files
        self.fail = fail
        self.downloads: list[tuple[str, str]] = []

    def list_repo_files(self, repo_id: str, token=None) -> list[str]:
        if self.fail:
            raise self.fail
        return self.files[repo_id]

    def hf_hub_download(self, repo_id: str, filename: str, local_dir: str, token=None) -> str:
        if self.fail:
            raise self.fail
        self.downloads.append((repo_id, filename))
        path = Path(local_dir) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{repo_id}/{filename}")
        return str(path)


def test_plan_picks_one_safetensors_choice_per_component() -> None:
    comps = [c for c in layout.COMPONENTS if c.part == "single_frame"]
    plan = hub.plan_downloads(SF_FILES, comps)
    assert "unet/diffusion_pytorch_model.safetensors" in plan
    assert "unet/diffusion_pytorch_model.fp16.safetensors" not in plan  # not twice
    assert "unet/diffusion_pytorch_model.bin" not in plan  # never pickles
    assert "vae/diffusion_pytorch_model.fp16.safetensors" in plan  # the only choice there
    assert {
        "text_encoder/model-00001-of-00002.safetensors",
        "text_encoder/model.safetensors.index.json",
    } <= set(plan)
    assert {"tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json"} <= set(plan)
    assert "model_index.json" not in plan
    with pytest.raises(WeightsError, match="no safetensors weights or config.json for 'unet/'"):
        hub.plan_downloads(["unet/config.json", "unet/diffusion_pytorch_model.bin"], comps[:1])


def test_download_into_layout_with_renamed_tagger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(
        {layout.SINGLE_FRAME_REPO: SF_FILES, layout.WD14_REPO: ["model.onnx", "selected_tags.csv"]}
    )
    monkeypatch.setattr(hub, "_hub", lambda: fake)
    seen: list[float] = []
    written = hub.download_models(
        tmp_path, parts=["single_frame", "tagger"], progress=lambda f, m: seen.append(f)
    )
    assert (
        (tmp_path / "paints_undo_single_frame/unet/diffusion_pytorch_model.safetensors")
        .read_text()
        .endswith("unet/diffusion_pytorch_model.safetensors")
    )
    onnx = tmp_path / "wd14/wd-v1-4-moat-tagger-v2.onnx"
    assert onnx.read_text() == f"{layout.WD14_REPO}/model.onnx" and onnx in written
    assert (
        tmp_path / "wd14/wd-v1-4-moat-tagger-v2.csv"
    ).read_text() == f"{layout.WD14_REPO}/selected_tags.csv"
    assert not any(p.name == ".download" for p in tmp_path.rglob("*"))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert all(repo != layout.MULTI_FRAME_REPO for repo, _ in fake.downloads)


def test_present_components_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wd14").mkdir()
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.onnx").write_bytes(b"x")
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.csv").write_text("tag_id,name,category,count\n")
    monkeypatch.setattr(hub, "_hub", lambda: pytest.fail("nothing to download, the hub must not be touched"))
    assert hub.download_models(tmp_path, parts=["tagger"]) == []


def test_offline_error_is_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub({}, fail=ConnectionError("Name or service not known"))
    monkeypatch.setattr(hub, "_hub", lambda: fake)
    with pytest.raises(
        WeightsError, match="Could not download from https://huggingface.co/lllyasviel"
    ) as err:
        hub.download_models(tmp_path, parts=["single_frame"])
    assert "by hand" in err.value.hint


def test_hf_hub_offline_env_and_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsError, match="HF_HUB_OFFLINE"):
        hub._hub()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    real_import = builtins.__import__

    def no_hub(name, *args, **kwargs):
        if name == "huggingface_hub":
            raise ImportError("no")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hub)
    with pytest.raises(WeightsError, match="needs the 'huggingface_hub' package"):
        hub._hub()


def test_cancel_between_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = CancelToken()
    fake = FakeHub({layout.WD14_REPO: ["model.onnx", "selected_tags.csv"]})
    original = fake.hf_hub_download

    def download_then_cancel(**kwargs):
        token.cancel()
        return original(**kwargs)

    monkeypatch.setattr(hub, "_hub", lambda: SimpleNamespace(hf_hub_download=download_then_cancel))
    with pytest.raises(CancelledError):
        hub.download_models(tmp_path, parts=["tagger"], cancel=token)
    assert len(fake.downloads) == 1
