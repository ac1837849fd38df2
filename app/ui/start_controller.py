"""StartController: the start page and which page shows. The start page's data (samples, recent projects,
the models folder) and the system probe (engines ready?, which compute device), which runs on the worker
because it may import torch, and is worded here, on the UI thread, in the user's language."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices

from app.core.cancel import CancelToken, ProgressCallback
from app.inference.registry import engine_names
from app.inference.runner import CallJob, Request
from app.paths import PROJECT_ROOT, default_models_dir, sample_artworks
from app.ui.error_text import describe, error_text
from app.ui.project_controller import recent_projects

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PRIORITY_PROBE = 300
ProbeFn = Callable[[CancelToken, ProgressCallback], dict[str, Any]]
PAINTS_UNDO = "paints-undo"
DOWNLOAD_COMMAND = "undo-studio models --download"


@dataclass(frozen=True)
class ModelsFacts:
    """Why Paints-UNDO is not ready, as facts from the models report: the report's own text is English,
    so the worker gathers these and the UI thread words them in the user's language (`models_reason`)."""

    models_dir: Path
    dir_exists: bool
    missing: tuple[str, ...]  # component folders (relative to models_dir) missing or unusable
    repos: tuple[str, ...]  # the Hugging Face repositories of the components that block
    no_tagger: bool
    no_multi_frame: bool


def models_facts(models_dir: Path) -> ModelsFacts:
    """Runs on the worker (reads file headers): what keeps the single-frame model from running."""
    from app.inference.paints_undo import layout

    report = layout.models_report(models_dir, verify=True)
    blocking = [s.component for s in report if s.blocking]
    return ModelsFacts(
        models_dir=models_dir,
        dir_exists=models_dir.is_dir(),
        missing=tuple(dict.fromkeys(c.folder for c in blocking if c.part == "single_frame")),
        repos=tuple(dict.fromkeys(c.repo_id for c in blocking)),
        no_tagger=not layout.part_ready(report, "tagger"),
        no_multi_frame=not layout.part_ready(report, "multi_frame"),
    )


def _readme_link() -> str:
    """The models README, a link that opens it when this is a source checkout (it names each folder)."""
    readme = PROJECT_ROOT / "models" / "README.md"
    if not readme.is_file():
        return "models/README.md"
    return f"<a href='{html.escape(QUrl.fromLocalFile(str(readme)).toString())}'>models/README.md</a>"


def probe_system(cancel: CancelToken, progress: ProgressCallback) -> dict[str, Any]:
    """Runs on the worker: engine readiness and the compute device (may import torch there, never in the UI)."""
    from app.inference.registry import create_engine

    engines: list[tuple[str, bool, str | BaseException | ModelsFacts]] = []
    for name in engine_names():
        try:
            engine = create_engine(name, default_models_dir())
            avail = engine.availability()
            reason: str | ModelsFacts = avail.reason
            if name == PAINTS_UNDO and not avail.ready:
                facts = models_facts(default_models_dir())
                reason = facts if facts.missing else reason  # else the engine's own (English) reason
            engines.append((engine.display_name, bool(avail.ready), reason))
        except Exception as exc:  # noqa: BLE001 - an engine that cannot even load is "not ready"
            engines.append((name, False, exc))  # worded in the UI thread (`_on_probe`), in its language
    device: dict[str, Any]
    try:
        from app.inference.devices import resolve_device

        info = resolve_device()
        device = {"name": info.name, "kind": info.kind, "total": info.total_bytes, "free": info.free_bytes}
    except Exception as exc:  # noqa: BLE001
        device = {"name": "CPU", "kind": "cpu", "error": exc}
    return {"engines": engines, "device": device}


class StartController(QObject):
    def __init__(self, window: MainWindow, probe: bool = True) -> None:
        super().__init__(window)
        self.w = window
        self._probe: Request | None = None
        sp = window.start_page
        sp.resume.connect(lambda: self.show_page(start=False))
        sp.open_models_folder.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(default_models_dir())))
        )
        sp.set_samples(sample_artworks())
        sp.set_recent(recent_projects())
        sp.set_models_dir(default_models_dir())
        sp.set_engines([(n, n == "procedural", "") for n in engine_names()])
        self.show_page(start=True)
        if probe:
            self.start_probe()

    # -- pages -----------------------------------------------------------------------------------
    def show_page(self, start: bool) -> None:
        """The start page, or the viewer when a document is open; the document actions follow."""
        w = self.w
        w.start_page.resume_button.setVisible(w.document.artwork is not None)
        if start or w.document.artwork is None:
            w.start_page.set_recent(recent_projects())
            w.pages.setCurrentWidget(w.start_page)
            w.branches_dock.hide()
        else:
            w.pages.setCurrentWidget(w.viewer_page)
            w.branches_dock.show()
        for a in (w.save_action, w.export_action, w.compare_action, w.fit_action, w.zoom_action):
            a.setEnabled(w.document.artwork is not None)

    # -- the system probe ------------------------------------------------------------------------
    def start_probe(self, fn: ProbeFn = probe_system) -> None:
        """Ask the worker which engines are ready and which device computes (`fn`: tests pass their own).
        Not the document's work: opening or cancelling a document leaves it running."""
        self._probe = self.w.worker.submit(
            CallJob(fn, "probe"), PRIORITY_PROBE, "probe", on_result=self._on_probe
        )

    @property
    def probing(self) -> bool:
        return self._probe is not None

    def _on_probe(self, _req: Request, result: Any) -> None:
        self._probe = None
        self.w.start_page.set_engines(
            [(name, ready, self.reason_html(reason)) for name, ready, reason in result["engines"]]
        )
        self.w.start_page.set_device(self.tr("Device: %1").replace("%1", self.device_text(result["device"])))

    def reason_html(self, reason: str | BaseException | ModelsFacts) -> str:
        """An engine's reason as rich text for the start page, in the user's language where it can be."""
        if isinstance(reason, ModelsFacts):
            return self.models_reason(reason)
        text = error_text(reason) if isinstance(reason, BaseException) else reason
        return html.escape(text).replace("\n", "<br>")

    def models_reason(self, facts: ModelsFacts) -> str:
        """What is missing, where the models folder is (a link that opens it) and what to do (links to
        the weights' Hugging Face pages, the download command, the README's models section)."""
        folder = facts.models_dir
        folder_link = f"<a href='{html.escape(QUrl.fromLocalFile(str(folder)).toString())}'>{html.escape(str(folder))}</a>"
        parts = [
            self.tr("Missing or unusable model folders: %1").replace(
                "%1", html.escape(", ".join(facts.missing))
            )
        ]
        parts.append(self.tr("Models folder: %1").replace("%1", folder_link))
        if not facts.dir_exists:
            parts.append(
                self.tr("This folder does not exist yet: create it, or choose another models folder.")
            )
        repos = ", ".join(
            f"<a href='https://huggingface.co/{html.escape(r)}'>{html.escape(r)}</a>" for r in facts.repos
        )
        parts.append(
            self.tr("Download the folders from %1 into it, or run %2 (see %3).")
            .replace("%1", repos)
            .replace("%2", f"<code style='white-space:nowrap'>{DOWNLOAD_COMMAND}</code>")
            .replace("%3", _readme_link())
        )
        if facts.no_tagger:
            parts.append(self.tr("Without the WD14 tagger files, type a prompt yourself."))
        if facts.no_multi_frame:
            parts.append(self.tr("Without the multi-frame model, only keyframes are generated."))
        return "<br>".join(parts)

    def device_text(self, device: dict[str, Any]) -> str:
        """The probe's facts in the user's language (the worker only gathers them)."""
        name, kind = str(device.get("name", "")), str(device.get("kind", ""))
        if kind and kind.lower() not in name.lower():
            name = f"{name} ({kind})"
        if "error" in device:
            error = device["error"]
            return f"{name} ({describe(error).line() if isinstance(error, BaseException) else error})"
        gib = 1024**3
        return (
            self.tr("%1 · %2 GB, %3 GB free")
            .replace("%1", name)
            .replace("%2", f"{device['total'] / gib:.1f}")
            .replace("%3", f"{device['free'] / gib:.1f}")
        )
