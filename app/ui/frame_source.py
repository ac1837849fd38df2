"""Frame sources for export: "pixels for undo step s of branch b", called on the worker thread.

Why a snapshot: the exporter runs on the worker for seconds to minutes while the user keeps scrubbing,
forking and deleting branches on the UI thread. So the document freezes what an export needs on the UI
thread (`Document.snapshot`: which branch owns each step, and for each owner its spec, engine, prepared
session, keyframe chain and frame-key function, plus the thread-safe frame store) and the source reads
only that: never a live scheduler, never the document.

The frames themselves come from `app.inference.frame_source.ProcessFrames`, the same source the CLI uses:
a frame already made when there is one (memory, else the project file), else the branch's engine renders
it (a random-access step, or a keyframe engine's missing keyframes and segments, each once). Frames are
pulled one at a time: 1000 frames of 1024² never sit in memory together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken
from app.core.frames import FrameKey, FramePart
from app.core.segments import SegmentLayout
from app.core.tiered_store import TieredFrameStore
from app.inference.engine import EngineSession, ProcessEngine
from app.inference.frame_source import PartLookup, ProcessFrames


@dataclass(frozen=True)
class BranchSnapshot:
    """What an export of one branch needs, frozen on the UI thread (see the module docstring)."""

    artwork: Artwork
    owners: tuple[str, ...]  # owners[s]: the branch whose frames show step s (forks)
    specs: Mapping[str, BranchSpec]
    engines: Mapping[str, ProcessEngine]
    sessions: Mapping[str, EngineSession]
    layouts: Mapping[str, SegmentLayout | None]  # None: the session's chain (or the engine's default)
    keys: Mapping[str, Callable[[FramePart], FrameKey]]  # the key each owner stores a frame part under
    store: TieredFrameStore


def _stored(store: TieredFrameStore, key_for: Callable[[FramePart], FrameKey]) -> PartLookup:
    """Frames already made, from memory or the project file (this runs on the worker: loads may block)."""

    def lookup(part: FramePart) -> np.ndarray | None:
        frame = store.load(key_for(part))
        return None if frame is None else frame.pixels

    return lookup


def branch_frame_source(snapshot: BranchSnapshot, cancel: CancelToken) -> Callable[[int], np.ndarray]:
    """The function the exporter calls on the worker for each undo step."""
    sources = {
        owner: ProcessFrames(
            snapshot.engines[owner],
            snapshot.artwork,
            snapshot.specs[owner],
            cancel,
            session=snapshot.sessions.get(owner),
            layout=snapshot.layouts[owner],
            lookup=_stored(snapshot.store, snapshot.keys[owner]),
        )
        for owner in set(snapshot.owners)
    }

    def frame_for_step(step: int) -> np.ndarray:
        cancel.raise_if_cancelled()
        return sources[snapshot.owners[int(step)]].frame_for_step(int(step))

    return frame_for_step
