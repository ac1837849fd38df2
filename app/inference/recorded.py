"""`RecordedEngine`: a real recording as a branch (issue 11; design §13 "branch kinds").

Why an engine: a Recorded branch must answer "the frame for step s" through the same index, scheduler,
store, compare and export as a simulated one, so the timeline needs no special case. `prepare` imports
and aligns the recording (app/analysis: slow, on the worker, with progress and cancel); `render` is then
an index into memory: the sample at that step's progress, unmirrored, placed where the recording shows
the artwork on a canvas of the artwork's size (grey where the recording does not show it, e.g. a cropped
edge). The branch spec names the file (`path`) and, when a user moved them by hand, the start and end
positions (seconds or frame numbers; negative: as found). It is not listed among the engines a user
picks for a new branch (`registry.engine_names`): a recording is added, not configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.analysis.align import AlignedRecording, align
from app.analysis.sources import load_recording
from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, scaled_progress
from app.core.frames import MAX_STEP, MIN_STEP
from app.core.imaging import fit_size, resize_to
from app.errors import EngineError, RecordingError
from app.inference.engine import (
    EngineAvailability,
    EngineCapabilities,
    EngineSession,
    EvenlySpacedInterpolation,
    SettingSpec,
)

MAX_OUTPUT_SIDE = 2048  # as the procedural engine's working size: panes of a compare line up
PICTURE_SIDE = 512  # samples are kept at this size for showing (300 of them: ~130 MB at 16:9)
PICTURE_SAMPLES = 300
OUTSIDE_GREY = 200  # where the recording does not show the artwork


@dataclass(eq=False)
class RecordedSession(EngineSession):
    aligned: AlignedRecording | None = None


class RecordedEngine(EvenlySpacedInterpolation):
    name = "recording"
    display_name = "Recorded (real time-lapse)"
    capabilities = EngineCapabilities(random_access=True, interpolation=False, needs_weights=False)

    def availability(self) -> EngineAvailability:
        return EngineAvailability(ready=True)

    def settings(self) -> Sequence[SettingSpec]:
        return (
            SettingSpec(
                "path", "Recording", "text", "", help="A video, a folder of frames or a .procreate file."
            ),
            SettingSpec(
                "start", "Start (s or frame)", "float", -1.0, help="Where painting starts; -1: as found."
            ),
            SettingSpec("end", "End (s or frame)", "float", -1.0, help="Where painting ends; -1: as found."),
        )

    def prepare(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> RecordedSession:
        path = str(spec.setting("path", "") or "")
        if not path:
            raise EngineError("This Recorded branch names no recording.", "Add the recording again.")
        recording = load_recording(
            Path(path),
            max_side=PICTURE_SIDE,
            max_samples=PICTURE_SAMPLES,
            cancel=cancel,
            progress=scaled_progress(progress, 0.0, 0.7),
        )
        aligned = align(
            recording, artwork.pixels, cancel=cancel, progress=scaled_progress(progress, 0.7, 1.0)
        )
        if not aligned.alignment.matches:
            raise RecordingError(aligned.alignment.verdict, "Add the recording of this artwork.")
        start, end = (float(spec.setting(k, -1.0)) for k in ("start", "end"))
        if start >= 0 or end >= 0:
            aligned = aligned.with_bounds(start if start >= 0 else None, end if end >= 0 else None)
        size = fit_size(artwork.width, artwork.height, MAX_OUTPUT_SIDE)
        progress(1.0, "Aligned")
        return RecordedSession(
            artwork=artwork,
            spec=spec,
            output_size=size,
            keyframe_steps=(MAX_STEP, MIN_STEP),
            aligned=aligned,
        )

    @staticmethod
    def _aligned(session: EngineSession) -> AlignedRecording:
        if not isinstance(session, RecordedSession) or session.aligned is None:
            raise EngineError("This session was not prepared for a recording.", "Add the recording again.")
        return session.aligned

    def frame_for_step(self, session: EngineSession, step: int) -> np.ndarray:
        """The recording at `step` on a canvas of the session's output size."""
        aligned = self._aligned(session)
        width, height = session.output_size
        canvas = np.full((height, width, 3), OUTSIDE_GREY, np.uint8)
        x0, y0, x1, y1 = aligned.alignment.geometry.art_box
        sx, sy = width / aligned.art_size[0], height / aligned.art_size[1]
        left, top = int(round(x0 * sx)), int(round(y0 * sy))
        right, bottom = max(left + 1, int(round(x1 * sx))), max(top + 1, int(round(y1 * sy)))
        canvas[top:bottom, left:right] = resize_to(aligned.picture_for_step(step), right - left, bottom - top)
        return canvas

    def render(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> list[np.ndarray]:
        out = []
        for i, step in enumerate(steps):
            cancel.raise_if_cancelled()
            if not MIN_STEP <= int(step) <= MAX_STEP:
                raise EngineError(
                    f"Undo step {step} is outside {MIN_STEP}..{MAX_STEP}.", "Pick a step in range."
                )
            out.append(self.frame_for_step(session, int(step)))
            progress((i + 1) / len(steps), "")
        return out
