"""Batch rendering (issue 15): many artworks, resumable, on local worker processes or on a Ray cluster.

    from app.batch import run
    summary = run(["art/", "more/*.png"], "out/", RenderRequest(seed=3), fmt="mp4", workers=2)

`run` is what `undo-studio batch` calls (app/cli/batch.py); see app/batch/runner.py for what a run does
and docs/DESIGN.md ("Batch") for how the pieces fit. Importing this package imports neither Ray nor torch.
"""

from __future__ import annotations

from app.batch.runner import BatchProgress, BatchSummary, run
from app.inference.render_job import RenderRequest

__all__ = ["BatchProgress", "BatchSummary", "RenderRequest", "run"]
