"""PaintsUndoEngine: the ProcessEngine protocol over tiny injected components and over a models folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_single_frame_tiny import artwork, make_components, write_models_dir

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.segments import DEFAULT_KEYFRAME_STEPS
from app.errors import CancelledError, EngineError
from app.inference.engine import ProcessEngine
from app.inference.paints_undo.engine import PaintsUndoEngine, PaintsUndoSession

SETTINGS = {"size": "64", "steps": 2, "cfg": 3.0, "in_between": "model"}  # "auto" paints on a CPU


class FakeTagger:
    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []

    def tag(self, image: np.ndarray) -> str:
        self.calls.append(image.shape)
        return "a girl, red hair"


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_components(tmp_path_factory.mktemp("sf"))


@pytest.fixture()
def engine(components: dict) -> PaintsUndoEngine:
    c = components
    return PaintsUndoEngine.from_components(
        c["unet"], c["vae"], c["text_encoder"], c["tokenizer"], tagger=FakeTagger()
    )


def _prepare(engine: PaintsUndoEngine, art: Artwork, seed: int = 7, **settings) -> PaintsUndoSession:
    spec = BranchSpec.make("paints-undo", seed, SETTINGS | settings)
    return engine.prepare(art, spec, CancelToken(), no_progress)


def test_protocol_and_settings(engine: PaintsUndoEngine) -> None:
    assert isinstance(engine, ProcessEngine)
    assert (
        engine.name == "paints-undo"
        and engine.capabilities.interpolation
        and engine.capabilities.needs_weights
    )
    specs = {s.name: s for s in engine.settings()}
    assert {
        "prompt",
        "generate_prompt",
        "negative_prompt",
        "steps",
        "cfg",
        "keyframe_steps",
        "size",
    } <= set(specs)
    # a CPU engine: the hybrid's fewer sampler steps by default (test_paints_undo_cpu_defaults.py)
    assert specs["steps"].default == 12 and specs["cfg"].default == 3.0
    assert tuple(specs["keyframe_steps"].default) == DEFAULT_KEYFRAME_STEPS == (400, 600, 800, 900, 950, 999)
    assert engine.availability().ready


def test_availability_lists_missing_files_and_never_raises(tmp_path: Path) -> None:
    avail = PaintsUndoEngine(models_dir=tmp_path, device="cpu").availability()
    assert not avail.ready
    assert "paints_undo_single_frame" in avail.reason and avail.missing
    assert any("unet" in m for m in avail.missing)
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert not PaintsUndoEngine(models_dir=not_a_dir).availability().ready


def test_registry_builds_it_without_loading_anything(tmp_path: Path) -> None:
    from app.inference.registry import create_engine

    engine = create_engine("paints-undo", models_dir=tmp_path, device="cpu")
    assert isinstance(engine, PaintsUndoEngine) and engine._pipeline is None and engine._manager is None


def test_empty_prompt_is_generated_by_the_tagger(engine: PaintsUndoEngine) -> None:
    art = Artwork.from_array(artwork(48, 40))
    session = _prepare(engine, art)
    assert session.prompt == "a girl, red hair" and engine._tagger.calls == [(48, 40, 3)]
    assert session.output_size == (40, 48) and session.working_size == (64, 64)
    assert session.keyframe_steps == DEFAULT_KEYFRAME_STEPS
    typed = _prepare(engine, art, prompt="sky")
    assert typed.prompt == "sky" and len(engine._tagger.calls) == 1
    assert _prepare(engine, art, generate_prompt=False).prompt == ""


def test_render_keyframes_in_one_batch_at_the_artwork_size(engine: PaintsUndoEngine) -> None:
    art = Artwork.from_array(artwork(48, 40))
    session = _prepare(engine, art, prompt="sky")
    calls = []
    original = engine._pipeline.denoise
    engine._pipeline.denoise = lambda *a, **k: (calls.append(list(a[3])), original(*a, **k))[1]
    frames = engine.render(session, [999, 0, 400], CancelToken(), no_progress)
    assert calls == [[400, 999]]  # one batch, step 0 not sampled
    assert np.array_equal(frames[1], art.pixels)  # step 0 is the artwork itself
    assert all(f.shape == (48, 40, 3) and f.dtype == np.uint8 for f in frames)
    assert not np.array_equal(frames[0], frames[2])
    again = engine.render(session, [400], CancelToken(), no_progress)
    assert calls == [[400, 999]] and np.array_equal(again[0], frames[2])  # rendered keyframes are kept


def test_a_step_renders_the_same_alone_or_in_a_batch(engine: PaintsUndoEngine) -> None:
    art = Artwork.from_array(artwork(64, 64, seed=4))
    batch = engine.render(_prepare(engine, art, prompt="cat"), [400, 600, 950], CancelToken(), no_progress)
    alone = engine.render(_prepare(engine, art, prompt="cat"), [600], CancelToken(), no_progress)
    assert np.abs(batch[1].astype(int) - alone[0].astype(int)).max() <= 1
    other_seed = _prepare(engine, art, prompt="cat", seed=99)
    assert not np.array_equal(engine.render(other_seed, [600], CancelToken(), no_progress)[0], alone[0])


def test_render_can_be_cancelled(engine: PaintsUndoEngine) -> None:
    session = _prepare(engine, Artwork.from_array(artwork()), prompt="sky")
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if "Sampling step 1" in message:
            token.cancel()

    with pytest.raises(CancelledError):
        engine.render(session, [400], token, progress)
    assert 400 not in session.keyframes


def test_interpolate_without_multi_frame_weights_is_a_clear_error(
    engine: PaintsUndoEngine, tmp_path: Path
) -> None:
    engine.models_dir = tmp_path
    engine._manager = None
    session = _prepare(engine, Artwork.from_array(artwork()), prompt="sky")
    with pytest.raises(EngineError) as err:
        engine.interpolate(session, 999, 950, 8, CancelToken(), no_progress)
    assert err.value.hint


def test_interpolate_delegates_to_the_multi_frame_pipeline(engine: PaintsUndoEngine, monkeypatch) -> None:
    art = Artwork.from_array(artwork(48, 40))
    session = _prepare(engine, art, prompt="sky")
    seen = {}

    class FakeMultiFrame:
        def interpolate(self, frame_a, frame_b, prompt, seed, steps, cfg, cancel, progress):
            seen.update(a=frame_a, b=frame_b, prompt=prompt, seed=seed, steps=steps, cfg=cfg)
            return [np.full((32, 48, 3), i, np.uint8) for i in range(16)]

    monkeypatch.setattr(engine, "_multi_frame", lambda module, stack: FakeMultiFrame())
    frames = engine.interpolate(session, 400, 0, 4, CancelToken(), no_progress)
    assert seen["prompt"] == "sky" and seen["seed"] == 7  # video seed -1: the branch seed
    assert seen["steps"] == 50 and seen["cfg"] == 7.5
    assert np.array_equal(seen["a"], session.keyframes[400]) and np.array_equal(seen["b"], session.image)
    assert [int(f[0, 0, 0]) for f in frames] == [0, 5, 10, 15]
    assert all(f.shape == (48, 40, 3) for f in frames)
    session = _prepare(engine, art, prompt="sky", video_seed=3, video_steps=9)
    engine.interpolate(session, 950, 999, 2, CancelToken(), no_progress)
    assert seen["seed"] == 3 and seen["steps"] == 9


def test_engine_from_a_models_folder_through_the_model_manager(tmp_path: Path, components: dict) -> None:
    models = write_models_dir(tmp_path / "models", components)
    engine = PaintsUndoEngine(models_dir=models, device="cpu")
    art = Artwork.from_array(artwork(64, 48))
    session = _prepare(engine, art, prompt="a girl")
    frames = engine.render(session, [0, 600], CancelToken(), no_progress)
    assert frames[1].shape == (64, 48, 3) and np.array_equal(frames[0], art.pixels)
    assert set(engine._manager.loaded()) == {
        "single_frame_unet",
        "single_frame_vae",
        "single_frame_text_encoder",
    }


def test_keyframe_steps_accept_text_and_reject_nonsense(engine: PaintsUndoEngine) -> None:
    from app.inference.paints_undo.engine import parse_steps

    assert parse_steps("999, 400 600,600") == (400, 600, 999)
    assert parse_steps([950, 900]) == (900, 950)
    for bad in ("", "0", "1000", "a,b"):
        with pytest.raises(EngineError):
            parse_steps(bad)
    session = _prepare(engine, Artwork.from_array(artwork()), prompt="sky", keyframe_steps="800, 400")
    assert session.keyframe_steps == (400, 800)


def test_a_foreign_session_is_rejected(engine: PaintsUndoEngine) -> None:
    from app.inference.engine import EngineSession

    plain = EngineSession(Artwork.from_array(artwork()), BranchSpec.make("paints-undo"), (40, 48))
    with pytest.raises(EngineError):
        engine.render(plain, [400], CancelToken(), no_progress)


def test_a_single_keyframe_step_given_as_a_number() -> None:
    """`--setting keyframe_steps=999` arrives as the int 999 (parse_settings keeps numbers numbers)."""
    from app.inference.paints_undo.engine import parse_steps
    from app.inference.render_job import parse_settings

    assert parse_steps(parse_settings(["keyframe_steps=999"])["keyframe_steps"]) == (999,)
    with pytest.raises(EngineError, match="1..999"):
        parse_steps(0)
