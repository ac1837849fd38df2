"""How a keyframe-based process maps onto the undo-step timeline (design §3): the ONE model of segments
that the UI scheduler, the CLI, the keyframe plan and export all read.

Paints-UNDO renders keyframes at a few undo steps and fills the gaps with 16-frame interpolations
between consecutive anchors: input (step 0) -> 400 -> 600 -> 800 -> 900 -> 950 -> 999 -> white canvas.
The white canvas sits one step beyond the timeline (`WHITE_STEP` = 1000): it is what comes before the
first stroke, so it is shown in a video's lead-in but never on the slider.

Frame `i` of a segment (a, b) with n frames lies at undo step a + (b - a) * i / (n - 1): frame 0 is the
anchor a and frame n-1 the anchor b (the model reproduces its two conditioning frames there). The frame
is *stored* at that position rounded half up (`rounded_step`, the one rounding rule).

Which frame shows an undo step s of the timeline (0..999), `SegmentLayout.part_for_step`:
- an anchor (the input, a keyframe) is shown by its exact keyframe: a segment's end frames are only the
  model's copies of it, so they are superseded;
- any other step by the segment frame nearest to it (ties: the one nearer the finished artwork), among
  the frames that lie on the timeline. A frame whose rounded step is >= 1000 (the white-canvas end of the
  last segment, and for a keyframe at 999 half of the segment 999 -> white) is in the video only.
A segment frame that shows the step it is stored at is a *timeline frame*: the scheduler stores exactly
those, at exactly that step, and export reads every other step from the nearest one of them. A segment
without timeline frames (999 -> white when 999 is a keyframe) is rendered for videos, never for the slider.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from app.core.frames import MAX_STEP, Keyframe, Segment

DEFAULT_KEYFRAME_STEPS: tuple[int, ...] = (400, 600, 800, 900, 950, 999)
SEGMENT_FRAMES = 16
WHITE_STEP = MAX_STEP + 1

FramePart = Keyframe | Segment


def rounded_step(a: int, b: int, index: int, count: int) -> int:
    """The undo step frame `index` of segment (a, b) is stored at: its position rounded half up, in exact
    integer arithmetic (no float ties that differ between platforms or Python's round-half-even)."""
    q, r = divmod((b - a) * index, count - 1)
    return a + q + (1 if 2 * r >= count - 1 else 0)


@dataclass(frozen=True)
class SegmentLayout:
    """Anchors, segments and the frame <-> undo step mapping of one keyframe chain.

    `keyframe_steps` are normalised: sorted, unique, within 1..999 (0 is the input anyway, and the white
    canvas is not a keyframe)."""

    keyframe_steps: tuple[int, ...] = DEFAULT_KEYFRAME_STEPS
    frames_per_segment: int = SEGMENT_FRAMES

    def __post_init__(self) -> None:
        steps = tuple(sorted({int(s) for s in self.keyframe_steps if 0 < int(s) <= MAX_STEP}))
        object.__setattr__(self, "keyframe_steps", steps)
        if self.frames_per_segment < 2:
            raise ValueError(f"A segment needs at least its two end frames, got {self.frames_per_segment}.")

    # -- the chain ---------------------------------------------------------------------------------
    def anchors(self) -> tuple[int, ...]:
        """Input (0), the keyframes in increasing order, then the white canvas."""
        return (0, *self.keyframe_steps, WHITE_STEP)

    def rendered_steps(self) -> tuple[int, ...]:
        """The anchors the engine renders exactly (the input and the keyframes; not the white canvas)."""
        return (0, *self.keyframe_steps)

    def segments(self) -> tuple[tuple[int, int], ...]:
        """Consecutive anchor pairs (a, b), a < b, in undo-step order."""
        a = self.anchors()
        return tuple(zip(a[:-1], a[1:], strict=True))

    def frames(self, a: int, b: int) -> tuple[Segment, ...]:
        return tuple(Segment(a, b, i) for i in range(self.frames_per_segment))

    # -- frames and undo steps --------------------------------------------------------------------
    def position(self, part: Segment) -> float:
        """The (fractional) undo step a segment frame stands for."""
        return part.a + (part.b - part.a) * part.index / (self.frames_per_segment - 1)

    def step_of(self, part: FramePart) -> int:
        """The undo step a frame is stored at (a keyframe's own; a segment frame's rounded position)."""
        if isinstance(part, Keyframe):
            return part.step
        return rounded_step(part.a, part.b, part.index, self.frames_per_segment)

    def segment_steps(self, a: int, b: int) -> tuple[int, ...]:
        """The stored undo step of every frame of segment (a, b), end frames included."""
        return tuple(self.step_of(f) for f in self.frames(a, b))

    @cached_property
    def _shown_by(self) -> tuple[FramePart, ...]:
        """`part_for_step` for every timeline step, computed once per layout (1000 entries)."""
        out: list[FramePart] = []
        anchors = set(self.anchors())
        n = self.frames_per_segment
        for step in range(MAX_STEP + 1):
            if step in anchors:
                out.append(Keyframe(step))
                continue
            a, b = self.segment_for_step(step)
            # nearest frame in exact arithmetic (a tie goes to the lower index, as rounding half up does)...
            index, rest = divmod((step - a) * (n - 1), b - a)
            index += 1 if 2 * rest > b - a else 0
            # ...among the frames on the timeline (positions grow with the index)
            while rounded_step(a, b, index, n) > MAX_STEP:
                index -= 1
            out.append(Keyframe(a) if index == 0 else Keyframe(b) if index == n - 1 else Segment(a, b, index))
        return tuple(out)

    def part_for_step(self, step: int) -> FramePart:
        """The frame that shows undo step `step` (0..999) on the timeline and in a step-by-step export."""
        if not 0 <= step <= MAX_STEP:
            raise ValueError(f"Undo step {step} is not on the timeline (0..{MAX_STEP}).")
        return self._shown_by[step]

    def timeline_frames(self, a: int, b: int) -> tuple[Segment, ...]:
        """The frames of segment (a, b) that show the step they are stored at (what the UI keeps)."""
        return tuple(
            f for f in self.frames(a, b) if (s := self.step_of(f)) <= MAX_STEP and self.part_for_step(s) == f
        )

    @cached_property
    def _timeline_segments(self) -> tuple[tuple[int, int], ...]:
        return tuple((a, b) for a, b in self.segments() if self.timeline_frames(a, b))

    def timeline_segments(self) -> tuple[tuple[int, int], ...]:
        """The segments with at least one timeline frame: the ones the slider needs rendered."""
        return self._timeline_segments

    def segment_for_step(self, step: int) -> tuple[int, int]:
        """The segment (a, b) whose span holds `step` (a <= step < b)."""
        for a, b in self.segments():
            if a <= step < b:
                return a, b
        return self.segments()[-1]

    # -- orders ------------------------------------------------------------------------------------
    def render_order(self, step: int, direction: int) -> list[tuple[int, int]]:
        """The timeline segments to render for a playhead at `step`, best first: the one under it, then
        its neighbours in the scrub direction (direction < 0: towards the finished artwork)."""
        segs = self.timeline_segments()
        if not segs:
            return []
        d = -1 if direction < 0 else 1
        here = next((i for i, (a, b) in enumerate(segs) if a <= step <= b), 0)
        order = [here + d * k for k in range(len(segs))]
        return [segs[i] for i in order if 0 <= i < len(segs)]

    def video_order(self) -> list[Segment]:
        """Every segment frame in painting order (white canvas first, finished artwork last), the way the
        reference chains its segments into one video. Shared end frames appear once."""
        n = self.frames_per_segment
        order: list[Segment] = []
        for a, b in reversed(self.segments()):
            for i in range(n - 1, -1, -1):
                if order and i == n - 1:
                    continue  # the previous (later-in-painting) segment already ended on this anchor
                order.append(Segment(a, b, i))
        return order


DEFAULT_LAYOUT = SegmentLayout()
