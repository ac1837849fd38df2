"""One entry point for the engine: the plan of a way of working (ways.py) for an analysed artwork.

The line-art way is the original pipeline (strokes.py, schedule.py, compositor.build_layers), called
exactly as before so its frames are unchanged; painterly.py and wash.py make the other two.
"""

from __future__ import annotations

import numpy as np

from app.inference.procedural.analysis import Analysis
from app.inference.procedural.compositor import PENCILS, build_layers
from app.inference.procedural.painterly import STAGES as PAINTERLY_STAGES
from app.inference.procedural.painterly import painterly_plan
from app.inference.procedural.schedule import STAGES, make_plan
from app.inference.procedural.strokes import sketch_alpha
from app.inference.procedural.wash import STAGES as WASH_STAGES
from app.inference.procedural.wash import wash_plan
from app.inference.procedural.ways import WayPlan

STAGES_BY_WAY: dict[str, tuple[str, ...]] = {
    "line-art": STAGES,
    "painterly": PAINTERLY_STAGES,
    "sketch-wash": WASH_STAGES,
}


def line_art_plan(an: Analysis, timing: str, order: str, density: float, rng: np.random.Generator) -> WayPlan:
    """Sketch, ink, flats, shading, details (schedule.py), as a `WayPlan`."""
    sketch = sketch_alpha(an, rng, density)
    plan = make_plan(an, sketch, timing, order, density, rng)
    pencil = PENCILS[int(rng.integers(len(PENCILS)))]
    layers = build_layers(an, plan.sketch, pencil)
    h, w = an.height, an.width
    bgness = 0.65 * np.clip(an.region_border * 5.0, 0, 1) + 0.35 * an.region_area / an.region_area.max()
    area = an.region_area
    subject = (an.region_border < 0.02) & (area >= 0.003 * h * w) & (area <= 0.2 * h * w)
    return WayPlan(
        way="line-art",
        stages=STAGES,
        layers=layers,
        times=plan.times,
        windows=plan.windows,
        background_first=plan.background_first,
        colour_stage=STAGES.index("flats"),
        labels=an.regions,
        backdrop=bgness >= 0.5,
        subject=subject,
    )


def way_plan(
    way: str, an: Analysis, timing: str, order: str, density: float, rng: np.random.Generator
) -> WayPlan:
    """The plan of `way` ("line-art", "painterly" or "sketch-wash"). Stage timing and sketch density
    shape the line-art way; the colouring order (background or subject first) applies to all."""
    if way == "line-art":
        return line_art_plan(an, timing, order, density, rng)
    if way == "painterly":
        return painterly_plan(an, order, rng)
    return wash_plan(an, order, rng)
