"""Frame sources for export: "pixels for undo step s of branch b", called on the worker thread.

Why: the exporter pulls frames one at a time (1000 frames of 1024² never sit in memory together). The
frames themselves come from `app.inference.frame_source.ProcessFrames`, the same source the CLI uses: a
stored frame when there is one, else the branch's engine renders it (a random-access step, or a
keyframe engine's missing keyframes and segments, each once). This module snapshots on the UI thread
what those sources need, so the returned function touches no UI state while it runs inside a runner
`CallJob` (engine calls on the one worker thread like all others).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.core.cancel import CancelToken
from app.core.frames import Keyframe, Segment
from app.core.scheduler import BranchScheduler
from app.inference.frame_source import PartLookup, ProcessFrames
from app.ui.document import Document


def _stored(sched: BranchScheduler) -> PartLookup:
    """Frames the branch already made, under the keys its scheduler stores them at (off the UI thread the
    store reads through to the project file)."""

    def lookup(part: Keyframe | Segment) -> np.ndarray | None:
        frame = sched.store.get(sched.key_for_part(part))
        return None if frame is None else frame.pixels

    return lookup


def branch_frame_source(doc: Document, branch_id: str, cancel: CancelToken) -> Callable[[int], np.ndarray]:
    """Snapshot what the source needs on the UI thread; the returned function runs on the worker."""
    assert doc.artwork is not None
    owners = {s: doc.owner_for(branch_id, s) for s in range(0, 1000)}
    sources: dict[str, ProcessFrames] = {}
    for owner in set(owners.values()):
        spec = doc.branch(owner).spec
        session = doc.sessions.get(owner)
        plan = doc.frame_plan(spec) if session is None else None  # a reopened project: no session yet
        sources[owner] = ProcessFrames(
            doc.engine(spec.engine),
            doc.artwork,
            spec,
            cancel,
            session=session,
            layout=plan.layout if plan is not None else None,
            lookup=_stored(doc.schedulers[owner]),
        )

    def frame_for_step(step: int) -> np.ndarray:
        cancel.raise_if_cancelled()
        return sources[owners[int(step)]].frame_for_step(int(step))

    return frame_for_step
