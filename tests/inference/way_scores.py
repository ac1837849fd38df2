"""Ways of working against recordings (issue 12, "Done when"): a recording is made of the procedural
process in one way (synthetic_recordings: cropped, mirrored, an intro card, holds, dropped frames, written
as a folder of numbered PNGs and read back through the real loader and aligner), and branches of every
way, with another seed, are scored against it by the recordings scorer (app/analysis/score.py).

The figure compared is `BranchScore.score`, the combined score the "Compare with recording" panel and
`undo-studio score` rank by. Recording and branches have the behaviours off (synthetic_recordings.CALM):
a canvas flipped for a stretch is not what the aligner follows, and the branches differ from the
recording only in their way and seed. Used by tests/inference/test_procedural_way_scores.py and
bench/ways_score.py.
"""

from __future__ import annotations

from pathlib import Path

import synthetic_recordings as S
from way_pictures import flat_line_art, painterly_landscape, watercolour_wash

from app.analysis.align import AlignedRecording, align
from app.analysis.score import ScoreReport, score_branches
from app.analysis.sources import load_recording
from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.inference.procedural import ProceduralEngine
from app.inference.procedural.ways import WAYS

PICTURES = {"line-art": flat_line_art, "painterly": painterly_landscape, "sketch-wash": watercolour_wash}


def recorded(
    engine: ProceduralEngine, art: Artwork, way: str, seed: int, folder: Path, count: int = 48
) -> AlignedRecording:
    """The recording of `seed`'s process in `way`, written to `folder`, loaded and aligned."""
    made = S.make(S.process(art, seed, count, way=way, engine=engine))
    S.write_folder(folder, made.frames, made.numbers)
    return align(load_recording(folder), art.pixels)


def way_scores(
    engine: ProceduralEngine, art: Artwork, recording: AlignedRecording, seed: int, samples: int = 41
) -> ScoreReport:
    """Branches of every way (named by their way), all with `seed`, scored against `recording`."""
    branches = {}
    for way in WAYS:
        spec = BranchSpec.make("procedural", seed, {"way": way, **S.CALM})
        session = engine.prepare(art, spec, CancelToken(), no_progress)
        branches[way] = lambda step, s=session: engine.render_step(s, step)
    return score_branches(recording, branches, samples=samples)


def scores_by_way(report: ScoreReport) -> dict[str, float]:
    return {b.name: float(b.score) for b in report.branches}


def margin(report: ScoreReport, way: str) -> float:
    """How much better `way`'s branch scores than the best branch of another way (> 0: it wins)."""
    scores = scores_by_way(report)
    return scores[way] - max(v for k, v in scores.items() if k != way)


def lowest_dtw(report: ScoreReport, way: str) -> bool:
    """Whether `way`'s branch has the lowest frame distance after time warping of all branches."""
    mine = next(b for b in report.branches if b.name == way)
    return all(mine.dtw_distance < b.dtw_distance for b in report.branches if b.name != way)


def parts(report: ScoreReport) -> dict[str, tuple[float, float]]:
    """branch way -> (DTW distance, profile area), for messages."""
    return {b.name: (round(b.dtw_distance, 4), round(b.profile_area, 4)) for b in report.branches}
