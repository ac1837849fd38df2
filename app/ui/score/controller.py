"""ScoreController: scores the simulated branches against a Recorded branch on the worker.

The frames come from the same frozen snapshots as an export (`Document.snapshot`, app/ui/frame_source.py),
so scoring reads no live scheduler from the worker and scores exactly what an export would show; the
recording's alignment is its prepared session's (`RecordedSession.aligned`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout

from app.analysis.align import AlignedRecording
from app.analysis.score import ScoreReport, score_branches
from app.core.branch import Branch, BranchSpec
from app.core.cancel import CancelToken, ProgressCallback
from app.errors import CancelledError, UndoStudioError
from app.inference.fit import FitResult, fit_to_recording
from app.inference.recorded import RecordedSession
from app.inference.registry import DEFAULT_ENGINE, RECORDING_ENGINE
from app.inference.runner import CallJob, Request
from app.ui.async_slot import async_slot
from app.ui.error_text import error_text
from app.ui.frame_source import branch_frame_source
from app.ui.score.panel import ScorePanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PRIORITY_SCORE = 50  # after what the viewer needs now, before autosave
MAX_SCORED = 8  # branches in one scoring (each is 41 frames)
FIT_BUDGET_S = 20.0  # how long "Find the closest process" searches


class ScoreController(QObject):
    def __init__(self, window: MainWindow, panel: ScorePanel) -> None:
        super().__init__(window)
        self.w, self.panel = window, panel
        self.report: ScoreReport | None = None
        self._fitting: asyncio.Task[BranchSpec | None] | None = None
        panel.score_button.clicked.connect(lambda _checked=False: self.score())
        panel.fit_button.clicked.connect(lambda _checked=False: self.fit_or_stop())
        panel.bounds_button.clicked.connect(lambda _checked=False: self.edit_bounds())
        window.document.branch_ready.connect(self._branch_ready)
        window.document.closing.connect(lambda: panel.show_alignment(None))

    def _branch_ready(self, branch_id: str) -> None:
        """A Recorded branch was aligned: the panel says how it shows the artwork."""
        session = self.w.document.session(branch_id)
        if isinstance(session, RecordedSession) and session.aligned is not None:
            self.panel.show_alignment(session.aligned.alignment)
            if self.report is None:  # the panel no longer asks for a recording: say what comes next
                self.panel.status.setText(self.tr("The recording is aligned: score the branches against it."))

    def _recording(self) -> tuple[Branch, AlignedRecording] | None:
        """The Recorded branch to compare with (the active one when it is recorded, else the first) and
        its alignment; None, said in the panel, when there is none or it is still being aligned."""
        doc, say = self.w.document, self.panel.status.setText
        if doc.artwork is None:
            say(self.tr("Open an artwork first."))
            return None
        recorded = [b for b in doc.branches if b.spec.engine == RECORDING_ENGINE]
        if not recorded:
            say(self.tr("Add a recording (File › Add recording…), then score the branches."))
            return None
        rec = doc.active if doc.active in recorded else recorded[0]
        session = doc.session(rec.id)
        if not isinstance(session, RecordedSession) or session.aligned is None:
            say(self.tr("The recording is still being aligned; score again in a moment."))
            return None
        return rec, session.aligned

    def edit_bounds(self) -> QDialog | None:
        """A dialog to move where painting starts and ends in the recording (seconds, or frame numbers
        for a folder of frames), anywhere in it: the aligner may trim too much or too little."""
        found = self._recording()
        if found is None:
            return None
        _rec, aligned = found
        a = aligned.alignment
        dialog = QDialog(self.w)
        dialog.setWindowTitle(self.tr("Recording start and end"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form = QFormLayout(dialog)
        unit = self.tr("s") if a.position_unit == "s" else self.tr("frame")
        spins = []
        for label, index in ((self.tr("Painting starts at"), a.start), (self.tr("Painting ends at"), a.end)):
            spin = QDoubleSpinBox(dialog)
            spin.setDecimals(2 if a.position_unit == "s" else 0)
            spin.setRange(float(a.positions[0]), float(a.positions[-1]))
            spin.setSuffix(f" {unit}")
            spin.setValue(float(a.positions[index]))
            form.addRow(label, spin)
            spins.append(spin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.setText(self.tr("As found"))

        def as_found() -> None:
            for spin, index in zip(spins, (a.auto_start, a.auto_end), strict=True):
                spin.setValue(float(a.positions[index]))

        def apply() -> None:
            if self.apply_bounds(spins[0].value(), spins[1].value()):
                dialog.accept()

        restore.clicked.connect(as_found)
        buttons.accepted.connect(apply)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        dialog.open()
        return dialog

    def apply_bounds(self, start: float, end: float) -> bool:
        """Make the Recorded branch again with painting from `start` to `end` (the samples nearest
        them); as found: the automatic bounds. False (said in the panel) when they cannot be used."""
        found = self._recording()
        if found is None:
            return False
        rec, aligned = found
        try:
            moved = aligned.alignment.with_bounds(start, end)
        except UndoStudioError as exc:
            self.panel.status.setText(error_text(exc))
            return False
        settings = {k: v for k, v in rec.spec.settings if k not in ("start", "end")}
        if (moved.start, moved.end) != (moved.auto_start, moved.auto_end):
            settings["start"] = float(moved.positions[moved.start])
            settings["end"] = float(moved.positions[moved.end])
        spec = BranchSpec.make(RECORDING_ENGINE, 0, settings)
        if spec != rec.spec:
            self.w.branches.undo.replace(
                rec.id, spec, self.tr("Move the start and end of “%1”").replace("%1", rec.name)
            )
        return True

    def fit_or_stop(self) -> None:
        """The fit button: starts a search, or stops the one running (the best found so far is lost)."""
        if self._fitting is not None and not self._fitting.done():
            self._fitting.cancel()
        else:
            self._fitting = self.fit()

    @async_slot()
    async def fit(self) -> BranchSpec | None:
        """Search the procedural engine's seeds and settings for FIT_BUDGET_S seconds on the worker for
        the process closest to the recording, make it a branch and score again; its spec, or None."""
        found = self._recording()
        if found is None:
            return None
        doc, say, button = self.w.document, self.panel.status.setText, self.panel.fit_button
        _rec, aligned = found
        engine, artwork = doc.engine(DEFAULT_ENGINE), doc.artwork
        assert artwork is not None

        def run(cancel: CancelToken, progress: ProgressCallback) -> FitResult:
            return fit_to_recording(
                engine, artwork, aligned, budget_s=FIT_BUDGET_S, cancel=cancel, progress=progress
            )

        def shown(_req: Request, fraction: float, _message: str) -> None:
            say(self.tr("Searching for the closest process… %1 %").replace("%1", str(int(fraction * 100))))

        button.setText(self.tr("Stop searching"))
        say(self.tr("Searching for the closest process… %1 %").replace("%1", "0"))
        try:
            result: FitResult = await self.w.worker.run(CallJob(run, "fit"), PRIORITY_SCORE, "fit", shown)
        except (CancelledError, asyncio.CancelledError):
            say(self.tr("The search was stopped."))
            return None
        except UndoStudioError as exc:
            say(error_text(exc))
            return None
        finally:
            button.setText(self.panel.fit_text)
        name = self.tr("Closest found: seed %1").replace("%1", str(result.best.seed))
        self.w.branches.undo.create(result.best, name)
        await self.score()
        return result.best

    @async_slot()
    async def score(self) -> ScoreReport | None:
        """Score every simulated branch (up to MAX_SCORED) against the Recorded branch (the active one
        when it is recorded, else the first); the report, or None (said in the panel why)."""
        found = self._recording()
        if found is None:
            return None
        rec, aligned = found
        doc, say = self.w.document, self.panel.status.setText
        simulated = [b for b in doc.branches if b.spec.engine != RECORDING_ENGINE][:MAX_SCORED]
        if not simulated:
            say(self.tr("Create a branch to score against the recording."))
            return None
        token = CancelToken()
        sources = {}
        for b in simulated:  # frozen now, on the UI thread, as an export's
            name = b.name if b.name not in sources else f"{b.name} ({b.id})"
            sources[name] = branch_frame_source(doc.snapshot(b.id), token)

        def run(cancel: CancelToken, progress: ProgressCallback) -> ScoreReport:
            return score_branches(aligned, sources, cancel=cancel, progress=progress)

        self.panel.score_button.setEnabled(False)
        say(self.tr("Scoring %1 branches…").replace("%1", str(len(sources))))
        try:
            report: ScoreReport = await self.w.worker.run(CallJob(run, "score"), PRIORITY_SCORE, "score")
        except CancelledError:
            say(self.tr("Scoring was cancelled."))
            return None
        except UndoStudioError as exc:
            say(error_text(exc))
            return None
        finally:
            self.panel.score_button.setEnabled(True)
        self.report = report
        self.panel.show_report(report, rec.name)
        say(self.tr("Closest to the recording: %1").replace("%1", report.ranking[0]))
        return report
