"""The whole Paints-UNDO chain on tiny random models, from a models folder like the published one:
keyframes (one batch) -> 16-frame segments -> the process video, user keyframes, cancel mid-segment,
and the cache-reuse rules of the keyframe plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from test_mf_loading import CLIP, RESAMPLER, TEXT, UNET, VAE, _tokenizer, _unet_state, _write
from test_single_frame_tiny import artwork, make_components, write_models_dir

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Keyframe, Segment
from app.core.segments import WHITE_STEP, SegmentLayout
from app.errors import CancelledError
from app.inference.paints_undo.engine import PaintsUndoEngine

SETTINGS = {
    "size": "64",
    "steps": 2,
    "video_steps": 2,
    "prompt": "a b",
    "keyframe_steps": "500, 999",
    "in_between": "model",  # these tests are about the multi-frame model; "auto" paints on a CPU
}
BUCKETS = ((32, 48), (48, 32))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import CLIPTextConfig, CLIPTextModel

    from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder
    from app.inference.paints_undo.multi_frame.resampler import Resampler
    from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

    tmp = tmp_path_factory.mktemp("chain")
    root = write_models_dir(tmp / "models", make_components(tmp))
    mf = root / "paints_undo_multi_frame"
    torch.manual_seed(0)
    _write(mf / "vae", VAE, VideoAutoencoderKL(**VAE).state_dict())
    _write(mf / "image_projection", RESAMPLER, Resampler(**RESAMPLER).state_dict())
    _write(mf / "image_encoder", CLIP, build_image_encoder(CLIP).state_dict())
    text = CLIPTextModel(CLIPTextConfig(**TEXT)).state_dict()
    _write(
        mf / "text_encoder",
        TEXT,
        {(k if k.startswith("text_model.") else "text_model." + k): v for k, v in text.items()},
    )
    _tokenizer(mf / "tokenizer")
    _write(mf / "unet", UNET, _unet_state(UNET))
    return root


@pytest.fixture()
def engine(models: Path, monkeypatch: pytest.MonkeyPatch) -> PaintsUndoEngine:
    monkeypatch.setattr(PaintsUndoEngine, "video_buckets", BUCKETS)
    return PaintsUndoEngine(models_dir=models, device="cpu")


def _session(engine: PaintsUndoEngine, **settings):
    art = Artwork.from_array(artwork(48, 64, seed=5))
    return engine.prepare(
        art, BranchSpec.make("paints-undo", 1, SETTINGS | settings), CancelToken(), no_progress
    )


def test_cli_renders_the_whole_chain_to_a_video(models: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    import av

    from app.cli import main

    image = tmp_path / "art.png"
    Image.fromarray(artwork(48, 64, seed=5)).save(image)
    out = tmp_path / "process.mp4"
    args = _cli_render_args(monkeypatch, models, image, out, "--hold-last", "0")
    assert main([*args, "--prompt", "a b"]) == 0, capsys.readouterr().err
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == len(SegmentLayout((500, 999)).video_order())
    assert frames[0].mean() > frames[-1].mean() - 200  # decodes, sized; content is random-weight noise
    assert frames[0].shape[:2] == (48, 64)


def test_segments_cover_the_chain_and_end_on_the_white_canvas(engine: PaintsUndoEngine) -> None:
    session = _session(engine)
    frames = engine.render(session, [0, 500, 999], CancelToken(), no_progress)
    assert np.array_equal(frames[0], session.artwork.pixels)
    for a, b in SegmentLayout(session.keyframe_steps).segments():
        seg = engine.interpolate(session, a, b, 16, CancelToken(), no_progress)
        assert len(seg) == 16 and all(f.shape == (48, 64, 3) for f in seg)
    assert (999, WHITE_STEP) in SegmentLayout(session.keyframe_steps).segments()


def test_user_keyframe_is_used_and_changes_only_touching_segments(engine: PaintsUndoEngine) -> None:
    session = _session(engine)
    before = engine.keyframe_plan(session)
    sketch = np.full((48, 64, 3), 200, np.uint8)
    sketch[:24] = 20  # horizontal bands: the working-size crop (of width) keeps their proportions
    engine.set_user_keyframe(session, 500, sketch)
    generated = engine.render(_session(engine), [500], CancelToken(), no_progress)[0]
    frame = engine.render(session, [500], CancelToken(), no_progress)[0]
    # the user's image (fitted to the working size and back), not a generated one
    assert abs(frame.mean() - sketch.mean()) < 4 and abs(generated.mean() - sketch.mean()) > 4
    assert frame.min() <= 30 and frame.max() >= 190
    after = engine.keyframe_plan(session)
    changed = [
        (a, b)
        for a, b in SegmentLayout(session.keyframe_steps).segments()
        if before.key(Segment(a, b, 1)) != after.key(Segment(a, b, 1))
    ]
    assert changed == [(0, 500), (500, 999)]
    assert before.key(Keyframe(999)) == after.key(Keyframe(999))
    engine.set_user_keyframe(session, 500, None)
    assert engine.keyframe_plan(session).key(Keyframe(500)) == before.key(Keyframe(500))


def test_video_seed_change_keeps_keyframe_keys(engine: PaintsUndoEngine) -> None:
    a = engine.keyframe_plan(_session(engine))
    b = engine.keyframe_plan(_session(engine, video_seed=9))
    assert all(a.key(Keyframe(s)) == b.key(Keyframe(s)) for s in (0, 500, 999))
    assert a.key(Segment(500, 999, 3)) != b.key(Segment(500, 999, 3))


def test_cancel_in_the_middle_of_a_segment_then_it_still_works(engine: PaintsUndoEngine) -> None:
    session = _session(engine)
    engine.render(session, [500, 999], CancelToken(), no_progress)
    token = CancelToken()
    seen: list[str] = []

    def progress(fraction: float, message: str = "") -> None:
        seen.append(message)
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(CancelledError):
        engine.interpolate(session, 500, 999, 16, token, progress)
    assert seen  # it got going before the cancel
    assert len(engine.interpolate(session, 500, 999, 16, CancelToken(), no_progress)) == 16


def test_cli_takes_a_user_keyframe_and_refuses_it_for_the_procedural_engine(
    models: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    from app.cli import main

    image, sketch = tmp_path / "art.png", tmp_path / "sketch.png"
    Image.fromarray(artwork(48, 64, seed=5)).save(image)
    bands = np.full((48, 64, 3), 230, np.uint8)
    bands[:24] = 10
    Image.fromarray(bands).save(sketch)
    out = tmp_path / "frames"
    args = _cli_render_args(
        monkeypatch, models, image, out, "--steps", "500", "--prompt", "a b", "--keyframe", f"500={sketch}"
    )
    assert main(args) == 0, capsys.readouterr().err
    frame = np.asarray(Image.open(out / "frame_00000.png"))  # the one step asked for (step 500)
    assert frame[:20].mean() < 40 and frame[28:].mean() > 200  # the user's image, not a generated keyframe
    assert main(["render", str(image), "--out", str(tmp_path / "p"), "--keyframe", f"500={sketch}"]) == 1
    assert "does not take keyframe images" in capsys.readouterr().err
    assert main(["render", str(image), "--out", str(tmp_path / "q"), "--keyframe", "abc"]) == 1


def test_cli_takes_a_layered_artwork_s_stages_as_keyframes(
    models: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    from layered_files import Spec, write_ora

    from app.cli import main
    from app.core.artwork import load_artwork
    from app.inference.layers.stages import stage_frames

    dark = np.zeros((48, 64, 4), np.uint8)
    dark[..., 3] = 255
    light = np.full((24, 64, 4), 235, np.uint8)
    specs = [Spec("Background", dark), Spec("Lines", light, y=24)]
    image = write_ora(tmp_path / "art.ora", (64, 48), specs)
    stages = stage_frames(load_artwork(image))
    step = max(stages)
    out = tmp_path / "frames"
    keys = ("--prompt", "a b", "--keyframes-from-layers")
    args = _cli_render_args(monkeypatch, models, image, out, "--steps", str(step), *keys)
    assert main(args) == 0, capsys.readouterr().err
    frame = np.asarray(Image.open(out / "frame_00000.png")).astype(np.float32)
    # the artwork's own stage (fitted to the working size and back), not a generated keyframe
    assert np.abs(frame - np.asarray(Image.fromarray(stages[step]).resize((64, 48)))).mean() < 12
    flat = tmp_path / "flat.png"
    Image.fromarray(artwork(48, 64, seed=5)).save(flat)
    args = _cli_render_args(monkeypatch, models, flat, tmp_path / "f", "--steps", "500", *keys)
    assert main(args) == 0
    assert "no layers" in capsys.readouterr().err
    assert main(["render", str(flat), "--out", str(tmp_path / "p"), "--keyframes-from-layers"]) == 1
    assert "does not take keyframe images" in capsys.readouterr().err


def _cli_render_args(monkeypatch, models: Path, image: Path, out: Path, *extra: str) -> list[str]:
    """`undo-studio render` arguments for the tiny Paints-UNDO chain, with the engine made ready: the
    real check verifies every file against the FULL-SIZE manifests and rightly refuses these tiny
    weights (tested in test_engine_paints_undo); here only the chain is under test."""
    from app.inference.engine import EngineAvailability

    monkeypatch.setattr(PaintsUndoEngine, "video_buckets", BUCKETS)
    monkeypatch.setattr(PaintsUndoEngine, "availability", lambda self: EngineAvailability(ready=True))
    settings = [f"--setting={k}={v}" for k, v in SETTINGS.items() if k != "prompt"]
    base = ["render", str(image), "--engine", "paints-undo", "--models", str(models), "--out", str(out)]
    return [*base, "--no-label", *extra, *settings]


def test_auto_paints_the_in_betweens_on_a_cpu_without_the_video_model(engine: PaintsUndoEngine) -> None:
    session = _session(engine, in_between="auto")
    assert session.in_between == "painted"
    keys = engine.render(session, [500], CancelToken(), no_progress)
    frames = engine.interpolate(session, 0, 500, 7, CancelToken(), no_progress)
    assert len(frames) == 7 and all(f.shape == (48, 64, 3) for f in frames)
    from app.inference.paints_undo.engine import _resize

    # The ends are the keyframes exactly (step 0: the working-size artwork, as the model path uses it).
    assert np.array_equal(frames[0], _resize(session.image, session.output_size))
    assert np.array_equal(frames[-1], keys[0])
    assert not any(name.startswith("multi_frame") for name in engine._model_manager().loaded())
    assert _session(engine, in_between="model").in_between == "model"


def test_in_between_mode_is_a_segment_setting_and_checked(engine: PaintsUndoEngine) -> None:
    from app.errors import EngineError

    a = engine.keyframe_plan(_session(engine, in_between="model"))
    b = engine.keyframe_plan(_session(engine, in_between="painted"))
    assert a.key(Keyframe(500)) == b.key(Keyframe(500))
    assert a.key(Segment(500, 999, 3)) != b.key(Segment(500, 999, 3))
    with pytest.raises(EngineError, match="in-between"):
        _session(engine, in_between="fast")
