"""ScoreController: scores the simulated branches against a Recorded branch on the worker.

The frames come from the same frozen snapshots as an export (`Document.snapshot`, app/ui/frame_source.py),
so scoring reads no live scheduler from the worker and scores exactly what an export would show; the
recording's alignment is its prepared session's (`RecordedSession.aligned`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.analysis.score import ScoreReport, score_branches
from app.core.cancel import CancelToken, ProgressCallback
from app.errors import CancelledError, UndoStudioError
from app.inference.recorded import RecordedSession
from app.inference.registry import RECORDING_ENGINE
from app.inference.runner import CallJob
from app.ui.async_slot import async_slot
from app.ui.error_text import error_text
from app.ui.frame_source import branch_frame_source
from app.ui.score.panel import ScorePanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PRIORITY_SCORE = 50  # after what the viewer needs now, before autosave
MAX_SCORED = 8  # branches in one scoring (each is 41 frames)


class ScoreController(QObject):
    def __init__(self, window: MainWindow, panel: ScorePanel) -> None:
        super().__init__(window)
        self.w, self.panel = window, panel
        self.report: ScoreReport | None = None
        panel.score_button.clicked.connect(lambda _checked=False: self.score())

    @async_slot()
    async def score(self) -> ScoreReport | None:
        """Score every simulated branch (up to MAX_SCORED) against the Recorded branch (the active one
        when it is recorded, else the first); the report, or None (said in the panel why)."""
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
        simulated = [b for b in doc.branches if b.spec.engine != RECORDING_ENGINE][:MAX_SCORED]
        if not simulated:
            say(self.tr("Create a branch to score against the recording."))
            return None
        token = CancelToken()
        sources = {}
        for b in simulated:  # frozen now, on the UI thread, as an export's
            name = b.name if b.name not in sources else f"{b.name} ({b.id})"
            sources[name] = branch_frame_source(doc.snapshot(b.id), token)
        aligned = session.aligned

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
