"""Optional download of the Paints-UNDO weights and the WD14 tagger from the Hugging Face Hub.

Why optional and lazy: the app must start and run the procedural engine offline, with or without
`huggingface_hub` installed; the import happens only when the user asks for a download. We list the
repo first and fetch only what the layout needs (configs, tokenizer files and ONE safetensors choice
per component: sharded index, single file or fp16 variant; never pickles), so nothing is downloaded
twice. Files land in the models-dir layout of `layout.py`; the WD14 files are renamed the way the
reference does (model.onnx -> wd14/wd-v1-4-moat-tagger-v2.onnx, selected_tags.csv -> ...csv).

Public API:
    download_missing(models_dir, parts=PARTS, *, cancel=None, progress=None, token=None) -> list[Path]
    download_models(models_dir, parts=("single_frame", "multi_frame", "tagger"), *, cancel=None,
                    progress=None, token=None, force=False) -> list[Path]   # files written
    plan_downloads(repo_files, components) -> list[str]   # pure: which repo files a part needs
Errors: `WeightsError` when offline (HF_HUB_OFFLINE or no connection), when huggingface_hub is missing,
or when the repo lacks a needed file; `CancelledError` when cancelled between files.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.core.cancel import CancelToken, ProgressCallback
from app.errors import CancelledError, UndoStudioError, WeightsError
from app.inference.paints_undo import layout

_TOKENIZER_SUFFIXES = (".json", ".txt", ".model")


def _hub() -> Any:
    """The huggingface_hub module, imported on demand (tests monkeypatch this function)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise WeightsError(
            "Downloading is disabled: HF_HUB_OFFLINE is set.",
            "Unset HF_HUB_OFFLINE, or download the files by hand (see `undo-studio models`).",
        )
    try:
        import huggingface_hub
    except ImportError as exc:
        raise WeightsError(
            "Downloading needs the 'huggingface_hub' package, which is not installed.",
            "Install it (pip install huggingface_hub) or download the files by hand (see `undo-studio models`).",
        ) from exc
    return huggingface_hub


def _pick_weights(names: set[str], sub: str) -> list[str]:
    """The weight files of one component folder in the repo, in `safetensors_files.weight_files` preference."""
    for base in ("diffusion_pytorch_model", "model"):
        for index, single in (
            (f"{base}.safetensors.index.json", f"{base}.safetensors"),
            (f"{base}.safetensors.index.fp16.json", f"{base}.fp16.safetensors"),
            (f"{base}.fp16.safetensors.index.json", f"{base}.fp16.safetensors"),
        ):
            if f"{sub}/{index}" in names:
                prefix = f"{sub}/{single.rsplit('.safetensors', 1)[0]}"
                shards = sorted(n for n in names if n.startswith(prefix + "-") and n.endswith(".safetensors"))
                return [f"{sub}/{index}", *shards]
            if f"{sub}/{single}" in names:
                return [f"{sub}/{single}"]
    return []


def plan_downloads(repo_files: Iterable[str], components: Sequence[layout.Component]) -> list[str]:
    """Repo file names to fetch for model components of one repo. Raises WeightsError if the repo
    lacks a component's weights or config."""
    names = set(repo_files)
    plan: list[str] = []
    for comp in components:
        sub = comp.subfolder
        if comp.kind == "tokenizer":
            wanted = sorted(n for n in names if n.startswith(sub + "/") and n.endswith(_TOKENIZER_SUFFIXES))
            if not all(f"{sub}/{f}" in names for f in comp.expected_files):
                raise WeightsError(
                    f"{comp.repo_id} has no {sub}/vocab.json + merges.txt.", "Download the tokenizer by hand."
                )
            plan += wanted
            continue
        picked = _pick_weights(names, sub)
        if not picked or f"{sub}/config.json" not in names:
            raise WeightsError(
                f"{comp.repo_id} has no safetensors weights or config.json for '{sub}/'.",
                "The repo layout changed; download the folder by hand and convert it to safetensors.",
            )
        plan += [f"{sub}/config.json", *picked]
    return list(dict.fromkeys(plan))


def _wrap(exc: Exception, repo_id: str) -> WeightsError:
    return WeightsError(
        f"Could not download from https://huggingface.co/{repo_id}: {type(exc).__name__}: {exc}",
        "Check the internet connection (or a proxy/HF_TOKEN), or download the files by hand "
        "(see `undo-studio models`).",
    )


def download_models(
    models_dir: str | Path,
    parts: Iterable[str] = layout.PARTS,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    token: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Fetch what `parts` need into `models_dir`. Components already present and usable are skipped
    unless `force`. Returns the paths written."""
    models_dir = Path(models_dir).expanduser()
    parts = list(parts)
    report = {s.component.name: s for s in layout.models_report(models_dir)}
    todo = [c for c in layout.COMPONENTS if c.part in parts and (force or report[c.name].blocking)]
    if not todo:
        return []
    hub = _hub()
    jobs: list[tuple[str, str, Path]] = []  # (repo_id, repo file, final path)
    for repo_id in dict.fromkeys(c.repo_id for c in todo):
        comps = [c for c in todo if c.repo_id == repo_id]
        if comps[0].kind == "file":
            jobs += [(repo_id, c.repo_file or "", models_dir / c.folder / c.expected_files[0]) for c in comps]
            continue
        try:
            files = hub.list_repo_files(repo_id, token=token)
        except UndoStudioError:
            raise
        except Exception as exc:  # huggingface_hub/httpx/requests errors differ across versions
            raise _wrap(exc, repo_id) from exc
        root = models_dir / comps[0].folder.split("/", 1)[0]
        jobs += [(repo_id, name, root / name) for name in plan_downloads(files, comps)]
    written: list[Path] = []
    for i, (repo_id, name, final) in enumerate(jobs):
        if cancel is not None and cancel.cancelled:
            raise CancelledError("Download cancelled.")
        if progress is not None:
            progress(i / len(jobs), f"Downloading {repo_id}/{name}")
        staging = final.parent / ".download"
        staging.mkdir(parents=True, exist_ok=True)
        try:
            got = Path(
                hub.hf_hub_download(repo_id=repo_id, filename=name, local_dir=str(staging), token=token)
            )
        except Exception as exc:
            raise _wrap(exc, repo_id) from exc
        os.replace(got, final)  # atomic: a half-downloaded file never sits at the final name
        written.append(final)
        shutil.rmtree(staging, ignore_errors=True)
    if progress is not None:
        progress(1.0, "Download complete")
    return written


def download_missing(
    models_dir: str | Path,
    parts: Iterable[str] = layout.PARTS,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    token: str | None = None,
) -> list[Path]:
    """What `undo-studio models --download` calls: fetch only the missing or unusable components."""
    return download_models(models_dir, parts, cancel=cancel, progress=progress, token=token, force=False)
