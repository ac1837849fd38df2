"""Align a sampled recording to an artwork and to painting progress (undo steps 999..0).

1. Geometry (geometry.py): where the artwork is in the frames (turned, mirrored); every sample is then
   registered into one small *view* of the artwork (the part the recording shows, upright, unmirrored,
   long side `VIEW_SIDE`). Stretches where the artist flipped the canvas (flips.py) are un-mirrored.
2. What belongs: the samples are split at *cuts* (more than half of the view changing from one sample
   to the next: a title card, an overlay, a jump to another video). The run holding the sample most like
   the artwork is the process; a neighbouring run joins it when it continues it (its edge frame is no cut
   away from the process's) or when its frames are explained by the artwork (each pixel near its final
   colour or the canvas colour). What is left out matches nothing: title cards, end cards, overlays.
3. Trim: frames held at the start (the blank canvas) and at the end (the finished picture) are trimmed;
   progress 0 is the last frame of the leading hold, progress 1 the first frame of the final hold.
4. Progress: the kept frames' *positions* (time stamps, file numbers) mapped linearly onto 0..1. Never
   their distance to the artwork: that would make every score against the recording circular.

A user may move the start and end by hand (`with_bounds`); the automatic ones are kept beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from app.analysis.flips import correlations, flip_ranges, flipped_samples
from app.analysis.geometry import Geometry, artwork_view, estimate_geometry, register, view_size
from app.analysis.recording import Recording
from app.analysis.views import changed, soften
from app.core.cancel import NEVER_CANCELLED, CancelToken, ProgressCallback, no_progress
from app.core.frames import MAX_STEP
from app.errors import RecordingError

VIEW_SIDE = 160
MATCH_THRESHOLD = 0.6  # correlation with the artwork below this: "does not match this artwork"
HOLD_LEVEL, HOLD_FRACTION = 8, 0.0005  # a hold: under 0.05 % of pixels change by more than 8 levels
CUT_LEVEL, CUT_FRACTION = 24, 0.5  # a cut: more than half of the pixels change by more than 24 levels
EXPLAINED_LAB = 25.0  # a pixel is "explained" within this Lab distance of its final or the canvas colour
EXPLAINED_FRACTION = 0.6


@dataclass(frozen=True, eq=False)
class Alignment:
    """Which samples are the process, where it starts and ends, and the progress of each kept sample."""

    geometry: Geometry
    matches: bool
    verdict: str
    positions: np.ndarray  # every sample's position (seconds or frame numbers)
    position_unit: str
    belongs: np.ndarray  # bool per sample: False for title cards, overlays, frames that match nothing
    flipped: np.ndarray  # bool per sample: mirrored relative to the geometry's flip (its view is undone)
    start: int  # sample index at progress 0
    end: int  # sample index at progress 1
    auto_start: int
    auto_end: int

    @property
    def hand_corrected(self) -> bool:
        return (self.start, self.end) != (self.auto_start, self.auto_end)

    @property
    def kept(self) -> np.ndarray:
        """Sample indices from start to end that belong, in order."""
        idx = np.arange(len(self.positions))
        return idx[self.belongs & (idx >= self.start) & (idx <= self.end)]

    @property
    def progress(self) -> np.ndarray:
        """0..1 for each kept sample, from its position: the alignment's progress curve."""
        p0, p1 = self.positions[self.start], self.positions[self.end]
        curve = (self.positions[self.kept] - p0) / max(float(p1 - p0), 1e-12)
        return np.asarray(np.clip(curve, 0.0, 1.0), dtype=np.float64)

    @property
    def dropped(self) -> np.ndarray:
        return np.flatnonzero(~self.belongs)

    @property
    def flipped_ranges(self) -> list[tuple[float, float]]:
        """(first, last) positions of each stretch of the process shown mirrored relative to the rest
        (the geometry's flip): where the artist had flipped the canvas."""
        return [
            (float(self.positions[a]), float(self.positions[b]))
            for a, b in flip_ranges(self.flipped & self.belongs)
        ]

    @property
    def lead_trim(self) -> tuple[float, float]:
        """Positions trimmed at the start: from the first sample to the start (a hold, a card)."""
        return float(self.positions[0]), float(self.positions[self.start])

    @property
    def tail_trim(self) -> tuple[float, float]:
        return float(self.positions[self.end]), float(self.positions[-1])

    def sample_for_progress(self, progress: float) -> int:
        """The kept sample showing `progress`: the last one at or before it (what had been painted)."""
        kept, prog = self.kept, self.progress
        i = int(np.searchsorted(prog, float(progress) + 1e-9, side="right")) - 1
        return int(kept[max(0, min(i, len(kept) - 1))])

    def sample_for_step(self, step: int) -> int:
        return self.sample_for_progress(1.0 - int(step) / MAX_STEP)

    def with_bounds(
        self, start_position: float | None = None, end_position: float | None = None
    ) -> Alignment:
        """Start and end moved by hand to the belonging samples nearest the given positions (None keeps
        the current one)."""
        belonging = np.flatnonzero(self.belongs)

        def nearest(position: float) -> int:
            return int(belonging[np.argmin(np.abs(self.positions[belonging] - position))])

        start = self.start if start_position is None else nearest(start_position)
        end = self.end if end_position is None else nearest(end_position)
        if end <= start:
            raise RecordingError(
                "The recording's end must come after its start.", "Move the end later or the start earlier."
            )
        return replace(self, start=start, end=end)

    def to_dict(self) -> dict[str, object]:
        return {
            "matches": self.matches,
            "verdict": self.verdict,
            "geometry": self.geometry.to_dict(),
            "position_unit": self.position_unit,
            "samples": len(self.positions),
            "kept": len(self.kept),
            "dropped_positions": [round(float(self.positions[i]), 3) for i in self.dropped],
            "flipped_ranges": [[round(a, 3), round(b, 3)] for a, b in self.flipped_ranges],
            "lead_trim": [round(v, 3) for v in self.lead_trim],
            "tail_trim": [round(v, 3) for v in self.tail_trim],
            "hand_corrected": self.hand_corrected,
        }


@dataclass(frozen=True, eq=False)
class AlignedRecording:
    """A recording in the artwork's view: every sample registered, the artwork's view, the alignment."""

    recording: Recording
    alignment: Alignment
    views: tuple[np.ndarray, ...]
    final: np.ndarray
    art_size: tuple[int, int]  # the artwork's (w, h): what the art box is measured in

    def view_of(self, pixels: np.ndarray) -> np.ndarray:
        """An image in the artwork's geometry (a branch's frame, at any scale) in this view."""
        return artwork_view(pixels, self.alignment.geometry, self.art_size, self.view_size)

    @property
    def view_size(self) -> tuple[int, int]:
        return int(self.final.shape[1]), int(self.final.shape[0])

    def picture_for_step(self, step: int) -> np.ndarray:
        """The recording's own picture at `step`, to show beside a branch: the sampled frame's canvas,
        upright and unmirrored, at the size it was sampled (not the small analysis view)."""
        sample = self.alignment.sample_for_step(step)
        full_size = (self.recording.info.width, self.recording.info.height)
        picture = register(self.recording.frames[sample], self.alignment.geometry, full_size)
        return np.ascontiguousarray(picture[:, ::-1]) if self.alignment.flipped[sample] else picture

    def view_at_progress(self, progress: float) -> np.ndarray:
        return self.views[self.alignment.sample_for_progress(progress)]

    def view_for_step(self, step: int) -> np.ndarray:
        """The recording at undo step `step`, in the view (cheap: an index into memory)."""
        return self.views[self.alignment.sample_for_step(step)]

    def with_bounds(
        self, start_position: float | None = None, end_position: float | None = None
    ) -> AlignedRecording:
        return replace(self, alignment=self.alignment.with_bounds(start_position, end_position))


def align(
    recording: Recording,
    artwork: np.ndarray,
    *,
    cancel: CancelToken = NEVER_CANCELLED,
    progress: ProgressCallback = no_progress,
) -> AlignedRecording:
    """Register, select, trim and map to progress (module docstring). Raises `RecordingError` when the
    recording cannot show a process at all (one frame, nothing ever changes); a recording of something
    else gets `matches=False` and a verdict instead, so a caller can say so."""
    frames = recording.frames
    n = len(frames)
    if n < 2:
        raise RecordingError(
            f"'{recording.info.path.name}' has only one frame: a process needs at least two.",
            "Use the whole time-lapse, not a single picture.",
        )
    late = np.unique(np.round(np.linspace(0.6 * (n - 1), n - 1, 3)).astype(int))
    progress(0.0, "Finding the artwork in the recording")
    full_size = (recording.info.width, recording.info.height)
    geometry = estimate_geometry([frames[i] for i in late], full_size, artwork)
    size = view_size(geometry, VIEW_SIDE)
    art_size = (int(artwork.shape[1]), int(artwork.shape[0]))
    final = artwork_view(artwork, geometry, art_size, size)
    views = []
    for i, frame in enumerate(frames):
        if i % 32 == 0:
            cancel.raise_if_cancelled()
            progress(0.2 + 0.7 * i / n, "Registering frames")
        views.append(register(frame, geometry, full_size, size))
    soft = [soften(v) for v in views]
    matches = geometry.similarity >= MATCH_THRESHOLD
    as_is, mirrored = correlations(views, final)
    flipped = flipped_samples(as_is, mirrored, soft) if matches else np.zeros(n, dtype=bool)
    for k in np.flatnonzero(flipped):  # the artist flipped the canvas here: undo it before anything else
        views[k], soft[k] = np.ascontiguousarray(views[k][:, ::-1]), np.ascontiguousarray(soft[k][:, ::-1])
    similarity = np.where(flipped, mirrored, as_is)
    belongs = _belonging(views, soft, final, similarity) if matches else np.ones(n, dtype=bool)
    chain = np.flatnonzero(belongs)
    start, end = _trim(soft, chain)
    if start >= end:
        raise RecordingError(
            f"'{recording.info.path.name}' never changes: there is no painting in it to follow.",
            "Use the time-lapse of the painting, not a still picture.",
        )
    if matches:
        verdict = f"Matches the artwork (similarity {geometry.similarity:.2f})."
    else:
        verdict = (
            f"This recording does not match this artwork (similarity {geometry.similarity:.2f}, "
            f"at least {MATCH_THRESHOLD:.2f} needed)."
        )
    progress(1.0, "Aligned")
    alignment = Alignment(
        geometry,
        bool(matches),
        verdict,
        recording.positions,
        recording.info.position_unit,
        belongs,
        flipped,
        start,
        end,
        start,
        end,
    )
    return AlignedRecording(recording, alignment, tuple(views), final, art_size)


def _runs(soft: list[np.ndarray]) -> list[tuple[int, int]]:
    """(first, last) sample index of each run between cuts."""
    runs, first = [], 0
    for i in range(1, len(soft)):
        if changed(soft[i - 1], soft[i], CUT_LEVEL) > CUT_FRACTION:
            runs.append((first, i - 1))
            first = i
    runs.append((first, len(soft) - 1))
    return runs


def _explained(view: np.ndarray, final: np.ndarray, canvas: np.ndarray) -> float:
    """Fraction of pixels near their final colour or the canvas colour (Lab)."""
    lab = cv2.cvtColor(view, cv2.COLOR_RGB2LAB).astype(np.float32)
    near_final = np.linalg.norm(lab - cv2.cvtColor(final, cv2.COLOR_RGB2LAB).astype(np.float32), axis=2)
    canvas_lab = cv2.cvtColor(canvas.reshape(1, 1, 3), cv2.COLOR_RGB2LAB).astype(np.float32)
    near_canvas = np.linalg.norm(lab - canvas_lab, axis=2)
    return float(((near_final < EXPLAINED_LAB) | (near_canvas < EXPLAINED_LAB)).mean())


def _belonging(
    views: list[np.ndarray], soft: list[np.ndarray], final: np.ndarray, similarity: np.ndarray
) -> np.ndarray:
    runs = _runs(soft)
    best = int(np.flatnonzero(similarity >= similarity.max() - 1e-6)[-1])
    main = next(k for k, (a, b) in enumerate(runs) if a <= best <= b)
    canvas = np.median(views[runs[main][0]].reshape(-1, 3), axis=0).astype(np.uint8)
    keep = {main}

    def joins(k: int, edge: int, own_edge: int) -> bool:
        if changed(soft[edge], soft[own_edge], CUT_LEVEL) <= CUT_FRACTION:
            return True
        a, b = runs[k]
        return _explained(views[(a + b) // 2], final, canvas) >= EXPLAINED_FRACTION

    first = runs[main][0]
    for k in range(main - 1, -1, -1):  # backwards: does run k lead into the kept process?
        if joins(k, first, runs[k][1]):
            keep.add(k)
            first = runs[k][0]
    last = runs[main][1]
    for k in range(main + 1, len(runs)):
        if joins(k, last, runs[k][0]):
            keep.add(k)
            last = runs[k][1]
    belongs = np.zeros(len(views), dtype=bool)
    for k in keep:
        belongs[runs[k][0] : runs[k][1] + 1] = True
    return belongs


def _trim(soft: list[np.ndarray], chain: np.ndarray) -> tuple[int, int]:
    """(start, end) sample indices: the last frame of the leading hold, the first of the final hold."""
    s = 0
    while s + 1 < len(chain) and changed(soft[chain[0]], soft[chain[s + 1]], HOLD_LEVEL) <= HOLD_FRACTION:
        s += 1
    e = len(chain) - 1
    while e - 1 > s and changed(soft[chain[-1]], soft[chain[e - 1]], HOLD_LEVEL) <= HOLD_FRACTION:
        e -= 1
    return int(chain[s]), int(chain[e])
