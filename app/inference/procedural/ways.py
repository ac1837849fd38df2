"""Ways of working: which painting process fits an artwork, and the plan every way hands the engine.

People do not paint everything the same way. Line-art illustration is sketched, inked, flatted, shaded
and detailed (schedule.py); an oil, acrylic or painterly digital work has no line art and is blocked
in with large masses of colour back to front, then refined coarse to fine (painterly.py); a watercolour
is drawn loosely, washed light to dark with colour bleeding past the lines, then defined (wash.py).

`measure` reads a few statistics off the seed-independent analysis and `choose_way` picks the way:
- **line share**: pixels the analysis takes for dark, thin line art. Line art is drawn with it, paintings
  and washes are not;
- **flatness**: share of non-line pixels within a few levels of their region's flat colour (flat,
  cel-like colour reads as line-art colouring);
- **paper**: share of near-white, unsaturated pixels (paper left showing, as in watercolour);
- **saturation**: mean chroma (washes are pale);
- **texture**: mean high-frequency luminance energy (brushwork and grain), reported for the record.
The thresholds were set on the bundled samples (all line art) and code-drawn pictures of each kind
(tests/inference/way_pictures.py), with margins on both sides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from app.inference.procedural.analysis import Analysis

WAYS = ("line-art", "painterly", "sketch-wash")
WAY_CHOICES = ("auto", *WAYS)
LINE_ART_MIN_LINE = 0.0025
LINE_ART_MIN_FLAT = 0.45
WASH_MIN_PAPER = 0.2
WASH_MAX_CHROMA = 40.0


@dataclass(frozen=True)
class ArtStats:
    line_share: float
    flatness: float
    paper: float
    chroma: float
    texture: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


@dataclass(frozen=True, eq=False)
class WayPlan:
    """What a way of working hands the engine: layers (paper, one per stage) and per-pixel stage ticks
    for the compositor, plus what the behaviours (behaviours.py) need to know about the plan."""

    way: str
    stages: tuple[str, ...]
    layers: tuple[np.ndarray, ...]  # len(stages) + 1 x (H, W, 3) uint8: paper, then each stage's result
    times: tuple[np.ndarray, ...]  # len(stages) x (H, W) uint16, non-decreasing over stages per pixel
    windows: tuple[tuple[float, float], ...]  # per stage on the 0..1 progress axis
    background_first: bool
    colour_stage: int  # the first stage that lays colour down (rough-ins and early backgrounds go there)
    labels: np.ndarray  # (H, W) int32 regions or masses the colour stage paints one by one
    backdrop: np.ndarray  # (R,) bool per label: part of the background
    subject: np.ndarray  # (R,) bool per label: a candidate for a rough-in that is repainted


def measure(an: Analysis) -> ArtStats:
    """The statistics `choose_way` reads (module docstring), on every other pixel: cheap and enough."""
    img = an.image[::2, ::2]
    line = an.line_alpha[::2, ::2]
    nonline = line < 0.1
    dev = cv2.absdiff(img, an.flat[::2, ::2]).max(axis=2)
    flatness = float((dev[nonline] <= 12).mean()) if nonline.any() else 1.0
    lo, hi = img.min(axis=2), img.max(axis=2)
    chroma = hi.astype(np.int16) - lo
    lum = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY).astype(np.float32)
    texture = float(np.abs(lum - cv2.GaussianBlur(lum, (0, 0), 1.5)).mean())
    return ArtStats(
        line_share=float((line > 0.35).mean()),
        flatness=flatness,
        paper=float(((lo > 225) & (chroma < 20)).mean()),
        chroma=float(chroma.mean()),
        texture=texture,
    )


def choose_way(stats: ArtStats) -> str:
    """Line art when there is dark line art around flat-ish colour; a wash when much pale paper shows;
    otherwise painterly (masses and brushwork, no lines)."""
    if stats.line_share >= LINE_ART_MIN_LINE and stats.flatness >= LINE_ART_MIN_FLAT:
        return "line-art"
    if stats.paper >= WASH_MIN_PAPER and stats.chroma <= WASH_MAX_CHROMA:
        return "sketch-wash"
    return "painterly"
