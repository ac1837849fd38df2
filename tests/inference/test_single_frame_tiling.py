"""Tiled VAE decode of single-frame keyframes (issue 14, part 2): diffusers' tiles, blended, switched
per branch by the `vae_tiling` setting; "auto" tiles only where a whole decode does not fit a GPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_single_frame_tiny import artwork, make_components, make_vae

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Keyframe, Segment
from app.errors import EngineError
from app.inference.paints_undo.engine import PaintsUndoEngine
from app.inference.paints_undo.preprocess import pytorch2numpy
from app.inference.paints_undo.single_frame import vae as sf_vae

# Stated tolerance of a forced tiled decode vs the whole decode, in grey levels of the uint8 frame: the
# benches' tiny VAE (bench/pu_models.py, random weights), 128 px from white latents = 3x3 tiles of 64 px
# blended over 16 px. Measured: mean 2.4, max 26, correlation 0.974 (the full SD VAE at 1024 px: mean
# 0.9, max 9, bench/vae_tiling.py). Tiles differ through each tile's GroupNorm statistics and the
# receptive field cut at its edges; random weights make both larger than trained ones would.
MEAN_LEVELS, MAX_LEVELS, MIN_CORRELATION = 3.0, 32, 0.95


def _bench_vae() -> torch.nn.Module:
    from bench.pu_models import build

    return build("single_frame_vae", torch.float32, tiny=True)


def test_a_tiled_decode_of_a_small_image_equals_the_whole_decode_within_tolerance():
    vae = _bench_vae()
    assert vae.tile_latent_min_size == 8  # 64 px tiles: 128 px is 3x3 overlapping tiles
    latents = torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(1))
    whole = np.stack(pytorch2numpy(sf_vae.decode_latents(vae, latents))).astype(np.float32)
    tiled = np.stack(pytorch2numpy(sf_vae.decode_latents(vae, latents, tiled=True))).astype(np.float32)
    assert tiled.shape == whole.shape == (1, 128, 128, 3)
    diff = np.abs(tiled - whole)
    assert 0 < diff.mean() <= MEAN_LEVELS and diff.max() <= MAX_LEVELS  # tiles really ran, and stayed close
    assert np.corrcoef(tiled.ravel(), whole.ravel())[0, 1] >= MIN_CORRELATION
    assert vae.use_tiling is False  # the shared module is left as it was


def test_what_fits_one_tile_decodes_in_one_piece_even_when_tiles_are_asked_for():
    vae = _bench_vae()
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    whole = sf_vae.decode_latents(vae, latents)
    assert torch.equal(sf_vae.decode_latents(vae, latents, tiled=True), whole)


class _OnDevice(torch.nn.Module):
    """A stand-in VAE whose parameters are on a non-CPU device (meta), dtype fp16."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(1, device="meta", dtype=torch.float16))


@pytest.mark.parametrize(
    ("choice", "side", "free_gb", "expected"),
    [
        ("auto", 1024, 0.5, True),  # a GPU too full for one piece: tiles rather than no keyframe
        ("auto", 1024, 100.0, False),  # fits: one piece, the exact numbers
        ("auto", 768, 0.001, False),  # never below the threshold
        ("on", 640, 100.0, True),
        ("off", 1024, 0.001, False),
    ],
)
def test_auto_tiles_only_large_keyframes_that_do_not_fit_a_gpu(choice, side, free_gb, expected):
    latents = torch.zeros(1, 4, side // 8, side // 8, device="meta")
    free = lambda _device: int(free_gb * (1 << 30))  # noqa: E731
    assert sf_vae.wants_tiling(choice, _OnDevice(), latents, free_bytes=free) is expected


def test_auto_never_tiles_on_a_cpu_and_a_bad_choice_is_a_clear_error():
    latents = torch.zeros(1, 4, 256, 256)
    assert sf_vae.wants_tiling("auto", make_vae(), latents, free_bytes=lambda _d: 0) is False
    with pytest.raises(EngineError):
        sf_vae.wants_tiling("sometimes", make_vae(), latents)


def _prepare(tmp_path, **settings):
    c = make_components(tmp_path)
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    spec = BranchSpec.make("paints-undo", 7, {"size": "128", "steps": 1, "prompt": "a girl", **settings})
    art = Artwork.from_array(artwork(128, 128, seed=5))
    return engine, engine.prepare(art, spec, CancelToken(), no_progress)


@pytest.mark.parametrize(("setting", "tiled"), [({}, False), ({"vae_tiling": "on"}, True)])
def test_the_setting_reaches_the_keyframe_decode(tmp_path, monkeypatch, setting, tiled):
    from app.inference.paints_undo.single_frame import pipeline as sf_pipeline

    seen: list[bool] = []
    real = sf_pipeline.decode_latents

    def spy(vae, latents, tiled=False):
        seen.append(tiled)
        return real(vae, latents, tiled=tiled)

    monkeypatch.setattr(sf_pipeline, "decode_latents", spy)
    engine, session = _prepare(tmp_path, **setting)
    seen.clear()  # prepare's calibration decodes too
    engine.render(session, [session.keyframe_steps[0]], CancelToken(), no_progress)
    assert seen == [tiled]


def test_a_bad_setting_is_refused_when_the_branch_is_prepared(tmp_path):
    with pytest.raises(EngineError):
        _prepare(tmp_path, vae_tiling="sometimes")


def test_tiles_on_or_off_key_frames_apart_and_auto_keeps_the_keys_of_before(tmp_path):
    c = make_components(tmp_path)
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    parts = [Keyframe(400), Segment(400, 600, 5)]
    before = BranchSpec.make("paints-undo", 7, {"prompt": "a girl"})

    def keys(spec):
        return [engine.plan_for("art", spec).key(p) for p in parts]

    assert keys(before.with_changes(vae_tiling="auto")) == keys(before)
    on, off = keys(before.with_changes(vae_tiling="on")), keys(before.with_changes(vae_tiling="off"))
    assert all(len({a, b, c}) == 3 for a, b, c in zip(keys(before), on, off, strict=True))
