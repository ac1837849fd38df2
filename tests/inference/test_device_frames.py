"""A GPU branch keeps segment latents until decoded and decoded frames as uint8 device tensors, within a
budget, spilled LRU-first, and hands each frame to the UI as numpy once (issue 14, part 1). The device
is faked as in test_encodings.py: moves are recorded, so all of it is checked on a CPU."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch

from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.paints_undo.device_cache import DeviceTensorCache
from app.inference.paints_undo.device_frames import DeviceFrames, picks, segment_key

FRAME = 2 * 2 * 3  # bytes of one (2, 2, 3) uint8 frame


def _store(budget: int, host: int = 10_000) -> tuple[DeviceFrames, list[tuple[str, int]]]:
    moves: list[tuple[str, int]] = []

    def to_device(t: torch.Tensor) -> torch.Tensor:
        moves.append(("device", t.numel()))
        return t

    def to_host(t: torch.Tensor) -> torch.Tensor:
        moves.append(("host", t.numel()))
        return t

    return DeviceFrames(DeviceTensorCache(budget, host, to_device=to_device, to_host=to_host)), moves


def _video(frames: int) -> torch.Tensor:
    """(T, 2, 2, 3) uint8 as the pipeline makes it: a permuted view of (3, T, 2, 2)."""
    clip = torch.arange(frames * FRAME, dtype=torch.int64).reshape(3, frames, 2, 2).to(torch.uint8)
    return clip.permute(1, 2, 3, 0)


def test_frames_stay_within_the_device_budget_and_spill_least_recently_used_first():
    store, _ = _store(budget=2 * FRAME)
    store.put_frames("s", _video(4))
    cache = store.tensors
    assert cache.keys(on_device=True) == ["s/frame2", "s/frame3"]  # the first frames spilled first
    assert cache.keys(on_device=False) == ["s/frame0", "s/frame1"] and cache.device_bytes() <= 2 * FRAME
    held = store.numpy_frames("s", [0], lambda f: f)  # shown: back on the device, frame2 (oldest) spills
    assert held is not None and cache.keys(on_device=True) == ["s/frame3", "s/frame0"]
    assert cache.keys(on_device=False) == ["s/frame1", "s/frame2"]
    assert store.frame_count("s") == 4
    kept = store.tensors.get("s/frame1")[0]  # each frame owns its bytes: spilling one frees them
    assert kept.is_contiguous() and kept.untyped_storage().nbytes() == FRAME


def test_a_frame_is_converted_to_numpy_once_while_the_ui_holds_it():
    store, _ = _store(budget=10 * FRAME)
    video = _video(4)
    store.put_frames("s", video)
    first = store.numpy_frames("s", [0, 3], lambda f: f)
    again = store.numpy_frames("s", [3, 0], lambda f: f)
    assert first is not None and again is not None
    assert again[0] is first[1] and again[1] is first[0] and store.conversions == 2
    np.testing.assert_array_equal(first[1], video[3].numpy())
    first[1][:] = 0  # the UI's array is its own: the kept tensor is not touched
    assert torch.equal(store.tensors.get("s/frame3")[0], video[3])
    del first, again
    gc.collect()  # the UI's memory let go of them: shown again means converted again
    assert store.numpy_frames("s", [0], lambda f: f) is not None and store.conversions == 3


def test_a_frame_dropped_by_the_host_budget_means_the_segment_is_made_again():
    store, _ = _store(budget=0, host=2 * FRAME)
    store.put_frames("s", _video(4))
    assert store.frame_count("s") is None
    made: list[int] = []

    def make() -> torch.Tensor:
        made.append(1)
        return _video(4)

    frames = store.segment_frames("s", 3, lambda f: f, make)
    assert made == [1] and len(frames) == 3 and store.conversions == 3
    assert picks(16, 3) == [0, 8, 15]


def test_segment_keys_follow_keyframes_and_settings():
    a, b = np.zeros((4, 4, 3), np.uint8), np.ones((4, 4, 3), np.uint8)
    assert segment_key(a, b, "cat", 1) == segment_key(a.copy(), b.copy(), "cat", 1)
    assert len({segment_key(a, b, "cat", 1), segment_key(b, a, "cat", 1), segment_key(a, b, "cat", 2)}) == 3


def test_a_cpu_has_no_device_frames():
    assert DeviceFrames.for_device(torch.device("cpu"), 8 << 30, 1 << 30) is None


def test_latents_are_kept_until_decoded_then_freed_and_a_cancelled_decode_does_not_sample_again():
    from test_mf_pipeline import _images, _pipeline

    pipeline = _pipeline()
    store, _ = _store(budget=1 << 30)
    pipeline.frames = store
    frame_a, frame_b = _images()
    noise = torch.randn(1, 4, 4, 8, 12, generator=torch.Generator().manual_seed(2))
    token = CancelToken()

    def cancel_at_decode(_fraction: float, message: str) -> None:
        if message == "Decoding frames":
            token.cancel()
            token.raise_if_cancelled()

    with pytest.raises(CancelledError):
        pipeline.interpolate_video(
            frame_a, frame_b, "a cat", 1, steps=2, noise=noise, segment="s", cancel=token,
            progress=cancel_at_decode,
        )  # fmt: skip
    latents = store.latents("s")
    assert latents is not None and store.frame_count("s") is None
    pipeline.unet.calls.clear()
    video = pipeline.interpolate_video(frame_a, frame_b, "a cat", 1, steps=2, noise=noise, segment="s")
    assert pipeline.unet.calls == []  # decoded from the kept latents: no sampling again
    assert store.latents("s") is None and "s/latents" not in store.tensors  # freed after the decode
    assert video.dtype == torch.uint8 and store.frame_count("s") == video.shape[0]
    plain = _pipeline().interpolate(frame_a, frame_b, "a cat", 1, steps=2, noise=noise)  # no store
    for kept, fresh in zip(video.unbind(0), plain, strict=True):
        np.testing.assert_array_equal(kept.numpy(), fresh)


def _engine_session(tmp_path, monkeypatch, pipeline: object) -> tuple:
    """A tiny Paints-UNDO engine whose multi-frame pipeline is `pipeline`, and a prepared session of it
    (model in-betweens, 64 px, one sampler step)."""
    from test_single_frame_tiny import artwork, make_components

    from app.core.artwork import Artwork
    from app.core.branch import BranchSpec
    from app.core.cancel import no_progress
    from app.inference.paints_undo.engine import PaintsUndoEngine

    c = make_components(tmp_path)
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    monkeypatch.setattr(engine, "_multi_frame", lambda module, stack: pipeline)
    settings = {"size": "64", "steps": 1, "prompt": "a girl", "in_between": "model"}
    art = Artwork.from_array(artwork(64, 64, seed=5))
    return engine, engine.prepare(
        art, BranchSpec.make("paints-undo", 7, settings), CancelToken(), no_progress
    )


def test_the_engine_on_a_gpu_makes_a_segment_once_and_converts_each_frame_once(tmp_path, monkeypatch):
    from app.core.cancel import no_progress

    runs: list[str | None] = []

    class Pipeline:
        cache: object = None
        frames: object = None

        def interpolate_video(self, frame_a, frame_b, *args, segment=None, **kwargs):
            runs.append(segment)
            video = torch.from_numpy(np.stack([frame_a] * 8))
            self.frames.put_frames(segment, video)
            return video

    engine, session = _engine_session(tmp_path, monkeypatch, Pipeline())
    store, _ = _store(budget=1 << 20)
    session.extra["device_frames"] = store  # what `_device_frames` makes on CUDA/MPS
    first = engine.interpolate(session, 0, session.keyframe_steps[0], 3, CancelToken(), no_progress)
    again = engine.interpolate(session, 0, session.keyframe_steps[0], 3, CancelToken(), no_progress)
    assert len(runs) == 1 and runs[0] is not None and store.conversions == 3
    assert all(x is y for x, y in zip(first, again, strict=True))
    assert first[0].shape == (64, 64, 3) and first[0].dtype == np.uint8


def test_the_engine_on_a_cpu_keeps_its_plain_path(tmp_path, monkeypatch):
    from app.core.cancel import no_progress

    class Pipeline:
        cache: object = None

        def interpolate(self, frame_a, frame_b, *args, **kwargs):
            return [frame_a] * 16

    engine, session = _engine_session(tmp_path, monkeypatch, Pipeline())
    frames = engine.interpolate(session, 0, session.keyframe_steps[0], 3, CancelToken(), no_progress)
    assert len(frames) == 3 and session.extra["device_frames"] is None
