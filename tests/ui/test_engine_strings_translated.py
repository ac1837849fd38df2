"""The procedural engine's settings (labels, help, choices) and stage names are translated: the settings
form shows them through `tr_engine` (Engine context), the timeline through `TimelineTrack.stage_label`."""

from __future__ import annotations

from ts_catalog import finished_translations

from app.inference.procedural import ProceduralEngine
from app.inference.procedural.plans import STAGES_BY_WAY


def test_every_procedural_setting_text_has_a_chinese_translation() -> None:
    done = {source for (context, source) in finished_translations() if context == "Engine"}
    missing = []
    for spec in ProceduralEngine().settings():
        texts = [spec.label, spec.help, *spec.choices]
        missing += [text for text in texts if text and text not in done]
    assert not missing, missing


def test_every_stage_name_of_every_way_has_a_chinese_translation() -> None:
    done = {source for (context, source) in finished_translations() if context == "TimelineTrack"}
    names = {name for stages in STAGES_BY_WAY.values() for name in stages}
    assert names - done == set()


def test_every_sample_artworks_name_has_a_chinese_translation() -> None:
    """The start page names each sample by its file (`tr_engine`): a new sample needs a translation."""
    from app.paths import SAMPLES_DIR

    done = {source for (context, source) in finished_translations() if context == "Engine"}
    names = {p.stem.replace("_", " ").replace("-", " ") for p in SAMPLES_DIR.glob("*.png")}
    assert names and names - done == set()
