"""Frame sources for export: "pixels for undo step s of branch b", called on the worker thread.

Why a snapshot: the exporter runs on the worker for seconds to minutes while the user keeps scrubbing,
forking and deleting branches on the UI thread. So the document freezes what an export needs on the UI
thread (`Document.snapshot`: which branch owns each step, an immutable copy of each owner's frame index,
specs, engines, prepared sessions and the thread-safe frame store) and the source reads only that: never
a live scheduler, never the document.

The source pulls frames one at a time (1000 frames of 1024² never sit in memory together): a stored
exact/interpolated frame when there is one (memory, else the project file), otherwise the step rendered
by the branch's engine (random-access engines), otherwise the best preview blend of stored frames.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Frame, FrameKey, FrameKind
from app.core.scheduler import blend_preview
from app.core.tiered_store import TieredFrameStore
from app.errors import EngineError
from app.inference.engine import EngineSession, ProcessEngine


@dataclass(frozen=True)
class BranchSnapshot:
    """What an export of one branch needs, frozen on the UI thread (see the module docstring)."""

    artwork: Artwork
    owners: tuple[str, ...]  # owners[s]: the branch whose frames show step s (forks)
    index: Mapping[str, Mapping[int, tuple[FrameKey, FrameKind]]]
    specs: Mapping[str, BranchSpec]
    engines: Mapping[str, ProcessEngine]
    sessions: Mapping[str, EngineSession]
    store: TieredFrameStore


def branch_frame_source(snapshot: BranchSnapshot, cancel: CancelToken) -> Callable[[int], np.ndarray]:
    """The function the exporter calls on the worker for each undo step."""
    sessions: dict[str, EngineSession] = dict(snapshot.sessions)
    steps_by_owner = {bid: sorted(index) for bid, index in snapshot.index.items()}

    def stored(owner: str, step: int) -> Frame | None:
        entry = snapshot.index[owner].get(step)
        return None if entry is None else snapshot.store.load(entry[0])

    def nearest(owner: str, step: int, below: bool) -> Frame | None:
        steps = steps_by_owner[owner]
        i = bisect.bisect_left(steps, step)
        for s in steps[:i][::-1] if below else steps[i:]:
            frame = stored(owner, s)
            if frame is not None:
                return frame
        return None

    def frame_for_step(step: int) -> np.ndarray:
        cancel.raise_if_cancelled()
        owner = snapshot.owners[int(step)]
        frame = stored(owner, step)
        if frame is not None:
            return frame.pixels
        engine = snapshot.engines[owner]
        if engine.capabilities.random_access:
            session = sessions.get(owner)
            if session is None:
                session = engine.prepare(snapshot.artwork, snapshot.specs[owner], cancel, no_progress)
                sessions[owner] = session
            return engine.render(session, [int(step)], cancel, no_progress)[0]
        lo, hi = nearest(owner, step, below=True), nearest(owner, step + 1, below=False)
        if lo is None and hi is None:
            raise EngineError(
                "This branch has no frames yet.", "Let it generate (scrub or play once), then export again."
            )
        if lo is None or hi is None:
            only = lo or hi
            assert only is not None
            return only.pixels
        return blend_preview(lo, hi, step)

    return frame_for_step
