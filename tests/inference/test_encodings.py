"""A branch's encodings are kept once, within a device budget, spilled to the host LRU-first (issue 14,
part 1). The device is faked: moves are recorded, so budgets and the spill order are checked on a CPU."""

from __future__ import annotations

import numpy as np
import torch

from app.inference.paints_undo.encodings import CPU_BUDGET, EncodingCache, frame_key


def _fake_device(budget: int, host: int = 10_000) -> tuple[EncodingCache, list[tuple[str, int]]]:
    moves: list[tuple[str, int]] = []

    def to_device(t: torch.Tensor) -> torch.Tensor:
        moves.append(("device", t.numel()))
        return t

    def to_host(t: torch.Tensor) -> torch.Tensor:
        moves.append(("host", t.numel()))
        return t

    return EncodingCache(budget, host, to_device=to_device, to_host=to_host), moves


def _entry(n: int) -> tuple[torch.Tensor, ...]:
    return (torch.zeros(n, dtype=torch.uint8),)  # n bytes


def test_entries_stay_on_the_device_within_its_budget_and_spill_least_recently_used_first():
    cache, moves = _fake_device(budget=100)
    cache.put("a", _entry(40))
    cache.put("b", _entry(40))
    assert cache.keys(on_device=True) == ["a", "b"] and cache.device_bytes() == 80
    cache.get("a")  # a is now the most recently used
    cache.put("c", _entry(40))  # 120 > 100: the least recently used (b) goes to the host
    assert cache.keys(on_device=True) == ["a", "c"] and cache.keys(on_device=False) == ["b"]
    assert cache.device_bytes() <= 100 and cache.stats.spills == 1
    assert moves[-2:] == [("host", 40), ("device", 40)]  # b spilled before c came in
    cache.get("b")  # used again: back on the device, a (now the oldest) spills
    assert cache.keys(on_device=True) == ["c", "b"] and cache.keys(on_device=False) == ["a"]


def test_the_host_keeps_its_own_budget_and_an_oversized_entry_never_takes_the_device():
    cache, _ = _fake_device(budget=100, host=100)
    cache.put("big", _entry(150))  # larger than the device budget: straight to the host
    assert cache.keys(on_device=False) == ["big"] and cache.device_bytes() == 0
    for name in ("a", "b", "c"):
        cache.put(name, _entry(40))
    cache.put("d", _entry(40))  # spills a; the host is over budget, so its oldest entry goes
    assert "big" not in cache and cache.stats.drops >= 1
    assert cache.host_bytes() <= 100 and cache.device_bytes() <= 100


def test_a_cpu_cache_keeps_everything_on_the_host():
    cache = EncodingCache.for_device(torch.device("cpu"), usable_bytes=8 << 30, model_bytes=1 << 30)
    assert cache.device_budget == 0 and cache.host_budget == CPU_BUDGET
    tensors = cache.put("a", _entry(10))
    assert cache.keys(on_device=False) == ["a"] and cache.get("a") == tensors


def test_a_slice_of_a_batch_is_kept_in_memory_of_its_own_so_the_budget_is_true():
    cache, _ = _fake_device(budget=100)
    batch = torch.zeros(2, 40, dtype=torch.uint8)  # two keyframes encoded in one call
    (kept,) = cache.put("first", (batch[0],))
    assert kept.untyped_storage().nbytes() == 40  # not the batch's 80
    assert cache.device_bytes() == 40
    whole = torch.zeros(40, dtype=torch.uint8)
    (same,) = cache.put("own", (whole,))
    assert same.data_ptr() == whole.data_ptr()  # a tensor with its own storage is not copied


def test_frame_keys_follow_content_and_shape():
    image = np.zeros((4, 6, 3), np.uint8)
    assert frame_key("vae", image) == frame_key("vae", image.copy())
    assert frame_key("vae", image) != frame_key("clip", image)
    assert frame_key("vae", image) != frame_key("vae", image.reshape(6, 4, 3))
    other = image.copy()
    other[0, 0, 0] = 1
    assert frame_key("vae", image) != frame_key("vae", other)


def test_a_chain_encodes_each_keyframe_and_the_prompt_once(monkeypatch):
    """Two segments A->B and B->C of one branch: B, the grey image and the prompt are encoded once, and
    the second segment's frames are those of a pipeline that encodes everything afresh."""
    from test_mf_pipeline import _pipeline

    pipeline = _pipeline()
    calls = {"image": 0, "vae": 0, "text": 0}
    image_encoder, vae_encode, text_encoder = (
        pipeline.image_encoder,
        pipeline.vae.encode_latents,
        pipeline.text_encoder,
    )

    def count(name, fn):
        """Counts the images (or prompts) encoded, not the calls."""

        def wrapped(*args, **kwargs):
            x = args[0]
            calls[name] += x.shape[2] if name == "vae" else x.shape[0]
            return fn(*args, **kwargs)

        return wrapped

    pipeline.image_encoder = count("image", image_encoder)
    pipeline.vae.encode_latents = count("vae", vae_encode)
    pipeline.text_encoder = count("text", text_encoder)
    rng = np.random.default_rng(3)
    a, b, c = (rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(3))
    noise = torch.randn(1, 4, 4, 8, 12, generator=torch.Generator().manual_seed(1))
    pipeline.interpolate(a, b, "a cat", seed=1, steps=1, noise=noise)
    second = pipeline.interpolate(b, c, "a cat", seed=1, steps=1, noise=noise)
    # before the cache: 8 images (a, b, grey, grey; b, c, grey, grey), 4 VAE frames, the prompt twice
    # (as a pair with the empty negative prompt, so 2 rows per encode)
    assert calls == {"image": 4, "vae": 3, "text": 2}
    keys = pipeline.cache.stats.encoded_keys
    assert len(keys) == len(set(keys)) == 1 + 4 + 3  # prompt; clip a, b, c, grey; vae a, b, c

    fresh = _pipeline()  # the same seeded weights, an empty cache
    again = fresh.interpolate(b, c, "a cat", seed=1, steps=1, noise=noise)
    worst = max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(second, again, strict=True))
    assert worst <= 1  # a batch of one instead of two may round a truncated uint8 by one level


def test_the_engine_gives_every_segment_of_a_branch_the_same_cache(tmp_path, monkeypatch):
    """The engine makes a pipeline per segment; the cache is the session's, so it outlives them."""
    from test_single_frame_tiny import artwork, make_components

    from app.core.artwork import Artwork
    from app.core.branch import BranchSpec
    from app.core.cancel import CancelToken, no_progress
    from app.inference.paints_undo.engine import PaintsUndoEngine

    seen: list[object] = []

    class Recorder:
        cache: object = None

        def interpolate(self, frame_a, frame_b, prompt, seed, steps, cfg, cancel, progress):
            seen.append(self.cache)
            return [frame_a] * 16

    c = make_components(tmp_path)
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    monkeypatch.setattr(engine, "_multi_frame", lambda module, stack: Recorder())
    settings = {"size": "64", "steps": 1, "prompt": "a girl", "in_between": "model"}
    art = Artwork.from_array(artwork(64, 64, seed=5))
    session = engine.prepare(art, BranchSpec.make("paints-undo", 7, settings), CancelToken(), no_progress)
    steps = sorted(session.keyframe_steps)
    engine.interpolate(session, 0, steps[0], 3, CancelToken(), no_progress)
    engine.interpolate(session, steps[0], steps[1], 3, CancelToken(), no_progress)
    assert len(seen) == 2 and seen[0] is seen[1] is session.extra["encodings"]
    assert isinstance(seen[0], EncodingCache) and seen[0].device_budget == 0  # a CPU: host memory only
