"""The models folder layout (design §5) and a report of what is present, verified and missing.

Why: users fetch multi-gigabyte files by hand; the app must say exactly which file is missing, where
it goes and where to download it, and must check a found file against the shipped manifests without
loading it (headers only). The same report feeds the models dialog, `undo-studio models` and the
engine's `availability()`.

Layout under a models dir, the same as the published checkpoints:
    paints_undo_single_frame/{unet,vae,text_encoder,tokenizer}/
    paints_undo_multi_frame/{unet,vae,text_encoder,tokenizer,image_encoder,image_projection}/
    wd14/wd-v1-4-moat-tagger-v2.onnx, wd14/wd-v1-4-moat-tagger-v2.csv

Public API:
- `COMPONENTS: tuple[Component, ...]`, `component(name) -> Component`, `component_path(models_dir, name)`.
- `models_report(models_dir, verify=True) -> list[ComponentStatus]`.
- `readiness(report) -> dict[str, bool]` with keys "single_frame", "multi_frame", "tagger";
  `part_ready(report, part, have_prompt=False)` (single-frame needs the tagger unless a prompt is given).
- `missing_files_message(report, parts=None) -> str` ("" when nothing is missing).
- `format_models_table(report) -> str` for `undo-studio models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.errors import WeightsError
from app.inference.paints_undo import agreement, layer_counts, safetensors_files, weights

SINGLE_FRAME_REPO = "lllyasviel/paints_undo_single_frame"
MULTI_FRAME_REPO = "lllyasviel/paints_undo_multi_frame"
WD14_REPO = "SmilingWolf/wd-v1-4-moat-tagger-v2"
WD14_ONNX = "wd-v1-4-moat-tagger-v2.onnx"
WD14_CSV = "wd-v1-4-moat-tagger-v2.csv"
PARTS = ("single_frame", "multi_frame", "tagger")
DIFFUSERS_FILES = ("config.json", "diffusion_pytorch_model.safetensors")
TRANSFORMERS_FILES = ("config.json", "model.safetensors")
TOKENIZER_FILES = ("vocab.json", "merges.txt")


@dataclass(frozen=True)
class Component:
    name: str  # e.g. "single_frame_unet"; equals the manifest name for weight components
    folder: str  # relative to the models dir, e.g. "paints_undo_single_frame/unet"
    kind: str  # "diffusers" | "transformers" | "tokenizer" | "file"
    part: str  # "single_frame" | "multi_frame" | "tagger"
    repo_id: str
    expected_files: tuple[str, ...]  # canonical names, for messages
    manifest: str | None = None
    repo_file: str | None = None  # for kind "file": the file's name in the repo (renamed on download)

    @property
    def subfolder(self) -> str:
        """The folder inside the Hugging Face repo ("unet"), or "" for the tagger files."""
        return self.folder.split("/", 1)[1] if self.part != "tagger" else ""


_PART_FOLDERS = {"single_frame": "paints_undo_single_frame", "multi_frame": "paints_undo_multi_frame"}
_PART_REPOS = {"single_frame": SINGLE_FRAME_REPO, "multi_frame": MULTI_FRAME_REPO}
_KIND_FILES = {"diffusers": DIFFUSERS_FILES, "transformers": TRANSFORMERS_FILES, "tokenizer": TOKENIZER_FILES}


def _model(part: str, sub: str, kind: str, manifest: str | None = None) -> Component:
    folder = f"{_PART_FOLDERS[part]}/{sub}"
    return Component(f"{part}_{sub}", folder, kind, part, _PART_REPOS[part], _KIND_FILES[kind], manifest)


COMPONENTS: tuple[Component, ...] = (
    _model("single_frame", "unet", "diffusers", "single_frame_unet"),
    _model("single_frame", "vae", "diffusers", "single_frame_vae"),
    _model("single_frame", "text_encoder", "transformers", "single_frame_text_encoder"),
    _model("single_frame", "tokenizer", "tokenizer"),
    _model("multi_frame", "unet", "diffusers", "multi_frame_unet"),
    _model("multi_frame", "vae", "diffusers", "multi_frame_vae"),
    _model("multi_frame", "text_encoder", "transformers", "multi_frame_text_encoder"),
    _model("multi_frame", "tokenizer", "tokenizer"),
    _model("multi_frame", "image_encoder", "transformers", "multi_frame_image_encoder"),
    _model("multi_frame", "image_projection", "diffusers", "multi_frame_image_projection"),
    Component("wd14_onnx", "wd14", "file", "tagger", WD14_REPO, (WD14_ONNX,), None, "model.onnx"),
    Component("wd14_csv", "wd14", "file", "tagger", WD14_REPO, (WD14_CSV,), None, "selected_tags.csv"),
)


def component(name: str) -> Component:
    for comp in COMPONENTS:
        if comp.name == name:
            return comp
    raise KeyError(name)


def component_path(models_dir: str | Path, name: str) -> Path:
    """The component folder, or for the tagger the file itself."""
    comp = component(name)
    base = Path(models_dir) / comp.folder
    return base / comp.expected_files[0] if comp.kind == "file" else base


@dataclass(frozen=True)
class ComponentStatus:
    component: Component
    found: bool  # the weights (or the tagger/tokenizer files) are present
    path: Path  # the file found (weights file or index), or the expected location when missing
    size_bytes: int = 0  # all files of the component (every shard)
    dtype: str | None = None  # from the safetensors header, e.g. "float16"
    verified: bool | None = None  # keys+shapes match the manifest; None = not checkable/not checked
    problems: tuple[str, ...] = ()  # why not found / not verified, precise
    missing: tuple[Path, ...] = field(default=())  # absolute paths of missing required files
    models_dir: Path = Path(".")
    readable: bool = True  # False: the file is empty, truncated or not a safetensors/expected file
    # Problems that make loading refuse a readable component: config.json layer counts that contradict
    # the weights, or a component that does not fit the rest of its model (also listed in `problems`).
    refused: tuple[str, ...] = ()

    @property
    def blocking(self) -> bool:
        """Whether this status keeps its engine part from running. A key/shape mismatch against an
        *inferred* manifest (the multi-frame configs could not be checked upstream) only warns;
        unreadable files always block."""
        if not self.found or self.missing or not self.readable or self.refused:
            return True
        if self.verified is False:
            return not (self.component.manifest and weights.manifest_inferred(self.component.manifest))
        return False

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)

    @property
    def details(self) -> tuple[str, ...]:
        """The problems that say more than "missing file X" (a refused pickle, a broken link, a damaged
        index): a report that printed only "missing" would hide why the file the user did put there
        cannot be used."""
        plain = {_missing_text(p) for p in self.missing}
        return tuple(p for p in self.problems if p not in plain)


def _missing_text(path: Path) -> str:
    return f"missing file {path}"


def _absent_text(path: Path) -> str:
    """ "missing file X", or why X is there but not a usable file (a broken link, a folder, a pipe)."""
    state = safetensors_files.describe_absence(path)
    return _missing_text(path) if state == "missing" else f"{path} is {state}"


def _status_file(models_dir: Path, comp: Component) -> ComponentStatus:
    path = models_dir / comp.folder / comp.expected_files[0]
    if not path.is_file():
        return ComponentStatus(comp, False, path, problems=(_absent_text(path),), missing=(path,))
    size = path.stat().st_size
    if size == 0:
        return ComponentStatus(
            comp, True, path, 0, verified=False, problems=(f"{path} is empty",), readable=False
        )
    try:
        if safetensors_files.is_lfs_pointer(path):
            raise safetensors_files.lfs_pointer_error(path)
        if path.suffix.lower() == ".csv":
            from app.inference.paints_undo.tagger import check_tag_list_header

            check_tag_list_header(path)
    except WeightsError as exc:
        return ComponentStatus(
            comp, True, path, size, verified=False, problems=(exc.message,), readable=False
        )
    return ComponentStatus(comp, True, path, size)


def _status_tokenizer(models_dir: Path, comp: Component) -> ComponentStatus:
    folder = models_dir / comp.folder
    missing = tuple(folder / f for f in comp.expected_files if not (folder / f).is_file())
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0
    problems = tuple(_absent_text(p) for p in missing)
    return ComponentStatus(comp, not missing, folder, size, problems=problems, missing=missing)


def _status_model(
    models_dir: Path, comp: Component, verify: bool, shapes_read: dict[Path, agreement.Shapes]
) -> ComponentStatus:
    """The status of a weights component; the key shapes of a header read whole go into `shapes_read`
    (by folder), so the cross-component check of the report does not read it again."""
    folder = models_dir / comp.folder
    expected = folder / comp.expected_files[1]
    try:
        path, files = safetensors_files.resolve_weights(folder)
    except WeightsError as exc:
        # Nothing there at all -> "missing file"; otherwise the precise reason (pickle, shards, a
        # broken link, ambiguity).
        empty = not folder.is_dir() or not any(p.name != "config.json" for p in folder.iterdir())
        reason = _missing_text(expected) if empty else exc.message
        return ComponentStatus(comp, False, expected, problems=(reason,), missing=(expected,))
    size = sum(f.stat().st_size for f in files)
    problems: list[str] = []
    missing: tuple[Path, ...] = ()
    dtype, verified, readable = None, None, True
    config = folder / "config.json"
    config_data: dict[str, object] | None = None
    if not config.is_file():
        missing = (config,)
        problems.append(_absent_text(config))
    else:
        try:  # the loaders need it as a JSON object; say so now, not when the user presses Render
            config_data = safetensors_files.read_json_object(config, "")
        except WeightsError as exc:
            readable = False
            problems.append(exc.message)
    refused: tuple[str, ...] = ()
    try:
        infos: dict[str, safetensors_files.TensorInfo] = {}
        for file in files:
            infos.update(safetensors_files.read_safetensors_header(file))
        shapes = shapes_read[folder] = {k: v.shape for k, v in infos.items()}
        dtype = safetensors_files.dtype_summary(infos)
        if config_data is not None:  # loading refuses these before building; so must the report
            counts = layer_counts.count_problems(comp.manifest, config_data, infos)
            refused = tuple(f"{config} does not describe these weights: {p}" for p in counts)
            problems += refused
        if verify and comp.manifest:
            found = weights.verify_against_manifest(shapes, comp.manifest, source=str(path))
            verified = not found
            if found and weights.manifest_inferred(comp.manifest):
                found = [f"{p} (manifest is inferred, may be wrong)" for p in found]
            problems += found
    except WeightsError as exc:
        verified, readable = False, False
        problems.append(exc.message)
    return ComponentStatus(
        comp, True, path, size, dtype, verified, tuple(problems), missing, readable=readable, refused=refused
    )


def models_report(models_dir: str | Path, verify: bool = True) -> list[ComponentStatus]:
    """Status of every component in `COMPONENTS` order. Reads headers only, never tensor data."""
    models_dir = Path(models_dir).expanduser()
    out = []
    shapes_read: dict[Path, agreement.Shapes] = {}
    for comp in COMPONENTS:
        try:
            if comp.kind == "file":
                out.append(_status_file(models_dir, comp))
            elif comp.kind == "tokenizer":
                out.append(_status_tokenizer(models_dir, comp))
            else:
                out.append(_status_model(models_dir, comp, verify, shapes_read))
        except OSError as exc:  # an unreadable folder or file: report it, as for every other problem
            where = Path(exc.filename) if exc.filename else models_dir / comp.folder
            problem = f"cannot read {where}: {exc.strerror or exc}"
            out.append(ComponentStatus(comp, False, where, problems=(problem,), missing=(where,)))
    return _with_mismatches([replace(s, models_dir=models_dir) for s in out], models_dir, shapes_read)


def _with_mismatches(
    report: list[ComponentStatus], models_dir: Path, shapes_read: Mapping[Path, agreement.Shapes]
) -> list[ComponentStatus]:
    """Add each cross-component mismatch (`agreement`) to the status of the component likely wrong,
    as one line naming both folders: loading refuses such a model, so the report must say why.
    `shapes_read`: the headers the report has read already (`agreement` reads only the others)."""
    by_name = {s.component.name: i for i, s in enumerate(report)}
    for part, folder in agreement.PART_FOLDERS.items():
        try:
            found = agreement.part_mismatches(models_dir / folder, part, shapes_read)
        except OSError:  # an unreadable folder is already reported per component
            continue
        for mismatch in found:
            i = by_name[mismatch.suspect_component]
            line = f"{mismatch.message} {mismatch.hint}"
            status = report[i]
            report[i] = replace(status, problems=(*status.problems, line), refused=(*status.refused, line))
    return report


def part_ready(report: Sequence[ComponentStatus], part: str, have_prompt: bool = False) -> bool:
    """Whether an engine part can run. "single_frame" also needs the tagger unless the user gives a
    prompt (`have_prompt`)."""
    ok = all(not s.blocking for s in report if s.component.part == part)
    if part == "single_frame" and not have_prompt:
        ok = ok and part_ready(report, "tagger")
    return ok


def readiness(report: Sequence[ComponentStatus]) -> dict[str, bool]:
    return {part: part_ready(report, part) for part in PARTS}


def _download_hint(comp: Component, models_dir: Path) -> str:
    if comp.kind == "file":
        return (
            f"download '{comp.repo_file}' from https://huggingface.co/{comp.repo_id} and save it as "
            f"{models_dir / comp.folder / comp.expected_files[0]}"
        )
    return (
        f"download the '{comp.subfolder}/' folder of https://huggingface.co/{comp.repo_id} "
        f"into {models_dir / comp.folder}"
    )


def missing_files_message(report: Sequence[ComponentStatus], parts: Iterable[str] | None = None) -> str:
    """One line per blocking component: which file is missing (or wrong), where it goes, where to get
    it. Empty when the requested parts (default: all) are complete."""
    wanted = set(parts) if parts is not None else set(PARTS)
    lines = []
    for status in report:
        comp = status.component
        if comp.part not in wanted or not status.blocking:
            continue
        what = ", ".join(str(p) for p in status.missing) if status.missing else status.reason
        verb = "missing" if status.missing else "not usable"
        why = (
            f" ({'; '.join(d.rstrip('.') for d in status.details)})"
            if status.missing and status.details
            else ""
        )
        lines.append(f"- {comp.name}: {verb}: {what}{why}; {_download_hint(comp, status.models_dir)}.")
    if not lines:
        return ""
    head = "Model files are missing or unusable:"
    models_dir = report[0].models_dir if report else None
    if models_dir is not None and not models_dir.is_dir():
        state = (
            "does not exist"
            if safetensors_files.describe_absence(models_dir) == "missing"
            else "is not a folder"
        )
        head = (
            f"The models folder {models_dir} {state}: create it and put the files below into it, "
            "or choose another models folder.\n" + head
        )
    tail = "Or run `undo-studio models --download` on a machine with internet access."
    return "\n".join([head, *lines, tail])


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def format_models_table(report: Sequence[ComponentStatus]) -> str:
    """A plain-text table (component, state, size, dtype, path) plus the readiness of each part."""
    rows = [("component", "state", "size", "dtype", "path")]
    for s in report:
        if not s.found or s.missing:
            state = "missing"
        elif s.blocking:
            state = "invalid"
        elif s.verified is False:
            state = "warning"
        else:
            state = "ok" if s.verified else "present"
        rows.append(
            (s.component.name, state, _human(s.size_bytes) if s.found else "-", s.dtype or "-", str(s.path))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=False)) + "  " + r[4] for r in rows]
    for s in report:
        own = [p for p in s.problems if p not in s.refused]
        if own and s.found:
            lines.append(f"  {s.component.name}: " + "; ".join(own))
        if s.found:  # one line each: they name two folders and say what to do
            lines += [f"  {s.component.name}: {p}" for p in s.refused]
        elif s.details:
            lines.append(f"  {s.component.name}: " + "; ".join(s.details))
    ready = readiness(report)
    lines.append("")
    lines.append(
        "ready: "
        + ", ".join(f"{p.replace('_', '-')}={'yes' if ready[p] else 'no'}" for p in PARTS)
        + (
            ""
            if ready["tagger"] or not part_ready(report, "single_frame", have_prompt=True)
            else " (single-frame runs with a prompt you type)"
        )
    )
    message = missing_files_message(report)
    if message:
        lines += ["", message]
    return "\n".join(lines)
