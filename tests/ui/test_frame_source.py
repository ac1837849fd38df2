"""The app's export source for a keyframe engine: stored frames are read by the part of the chain that
shows each step (the same part the CLI reads), and only what is missing is rendered, each segment once,
on a session prepared for the export (a reopened project has none)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from fake_engines import ChainEngine, part_of, tag

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken
from app.core.frames import Frame, FrameKind
from app.ui.document import Document
from app.ui.frame_source import branch_frame_source
from app.ui.worker import EngineWorker


def test_keyframe_branch_export_reads_stored_frames_and_renders_only_missing_segments(qtbot) -> None:
    engine = ChainEngine((500, 800))
    worker = EngineWorker()
    try:
        doc = Document(worker, engine_factory=lambda name: engine)
        doc.set_artwork(Artwork.from_array(np.zeros((1, 2, 3), np.uint8)))
        branch = doc.add_branch(BranchSpec.make("chain", 1, {}))
        sched = doc._schedulers[branch.id]
        layout = doc.frame_plan(branch.spec).layout
        made = [(500, 800)]  # as in a reopened project: one segment's frames, no session yet
        for a, b in made:
            for f in layout.timeline_frames(a, b):
                sched.add_frame(
                    sched.key_for_part(f), Frame(tag(f), layout.step_of(f), FrameKind.INTERPOLATED)
                )
        source = branch_frame_source(doc.snapshot(branch.id), CancelToken())
        with ThreadPoolExecutor(1) as on_worker:  # as in the app: the export runs off the UI thread
            parts = list(on_worker.map(lambda s: part_of(source(s)), range(1000)))
        assert parts == [layout.part_for_step(s) for s in range(1000)]
        interpolated = [(c[1], c[2]) for c in engine.calls if c[0] == "interpolate"]
        assert sorted(interpolated) == [s for s in layout.timeline_segments() if s not in made]
        assert engine.calls[:2] == [("prepare",), ("render", layout.rendered_steps())]
    finally:
        doc.close()
        worker.shutdown()
