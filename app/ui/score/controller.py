"""ScoreController: scores the simulated branches against a Recorded branch on the worker.

The frames come from the same frozen snapshots as an export (`Document.snapshot`, app/ui/frame_source.py),
so scoring reads no live scheduler from the worker and scores exactly what an export would show; the
recording's alignment is its prepared session's (`RecordedSession.aligned`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

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
