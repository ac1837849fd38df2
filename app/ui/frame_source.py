"""Frame sources for export: "pixels for undo step s of branch b", called on the worker thread.

Why: the exporter pulls frames one at a time (1000 frames of 1024² never sit in memory together). A
source uses a stored exact/interpolated frame when there is one and otherwise renders the step with
the branch's engine (random-access engines) or falls back to the best preview blend. It runs inside a
runner `CallJob`, so engine calls happen on the one worker thread like all others.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.core.cancel import CancelToken, no_progress
from app.core.frames import FrameKind
from app.errors import EngineError
from app.inference.engine import EngineSession
from app.ui.document import Document


def branch_frame_source(doc: Document, branch_id: str, cancel: CancelToken) -> Callable[[int], np.ndarray]:
    """Snapshot what the source needs on the UI thread; the returned function runs on the worker."""
    assert doc.artwork is not None
    artwork = doc.artwork
    sessions: dict[str, EngineSession] = dict(doc.sessions)
    owners = {s: doc.owner_for(branch_id, s) for s in range(0, 1000)}
    schedulers = dict(doc.schedulers)
    specs = {b.id: b.spec for b in doc.branches}
    engines = {b.id: doc.engine(b.spec.engine) for b in doc.branches if b.id in set(owners.values())}

    def frame_for_step(step: int) -> np.ndarray:
        cancel.raise_if_cancelled()
        owner = owners[int(step)]
        sched = schedulers[owner]
        frame = sched.frame_at(step)
        if frame is not None and frame.kind is not FrameKind.PREVIEW:
            return frame.pixels
        engine = engines[owner]
        if engine.capabilities.random_access:
            session = sessions.get(owner)
            if session is None:
                session = engine.prepare(artwork, specs[owner], cancel, no_progress)
                sessions[owner] = session
            return engine.render(session, [int(step)], cancel, no_progress)[0]
        best = sched.best_frame(step)
        if best is None:
            raise EngineError(
                "This branch has no frames yet.", "Let it generate (scrub or play once), then export again."
            )
        return best.pixels

    return frame_for_step
