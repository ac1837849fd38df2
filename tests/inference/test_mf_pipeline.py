"""Segment pipeline end to end on CPU with tiny random components (the real classes, tiny configs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.cancel import CancelToken
from app.errors import CancelledError
from app.inference.paints_undo.multi_frame.pipeline import MultiFramePipeline

FRAMES = 4
CONTEXT = 16


class _Tokenizer:
    """Stand-in for CLIPTokenizer (no tokenizer files offline): deterministic ids, padded to 77."""

    def __call__(self, prompts, padding, max_length, truncation, return_tensors):
        ids = torch.zeros(len(prompts), max_length, dtype=torch.long)
        for row, text in enumerate(prompts):
            codes = [1] + [2 + (ord(ch) % 90) for ch in text][: max_length - 2] + [99]
            ids[row, : len(codes)] = torch.tensor(codes)
        return {"input_ids": ids}


class _RecordingUNet(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls: list[dict] = []

    @property
    def dtype(self):
        return self.inner.dtype

    @property
    def device(self):
        return self.inner.device

    def forward(self, x, t, **kwargs):
        self.calls.append({"batch": x.shape[0], **{k: v.clone() for k, v in kwargs.items()}})
        return self.inner(x, t, **kwargs)


def _pipeline() -> MultiFramePipeline:
    from transformers import CLIPTextConfig, CLIPTextModel

    from app.inference.paints_undo.multi_frame.clip_vision import build_image_encoder
    from app.inference.paints_undo.multi_frame.resampler import Resampler
    from app.inference.paints_undo.multi_frame.unet3d import UNet3DModel
    from app.inference.paints_undo.multi_frame.vae import VideoAutoencoderKL

    torch.manual_seed(0)
    unet = UNet3DModel(
        in_channels=8,
        out_channels=4,
        model_channels=32,
        attention_resolutions=[2],
        num_res_blocks=1,
        channel_mult=[1, 2],
        num_head_channels=16,
        context_dim=CONTEXT,
        use_linear=True,
        temporal_conv=True,
        temporal_attention=True,
        use_relative_position=False,
        temporal_length=FRAMES,
        addition_attention=True,
        image_cross_attention=True,
        fs_condition=True,
        default_fs=24,
    ).eval()
    vae = VideoAutoencoderKL(ch=32, ch_mult=[1, 2, 2], num_res_blocks=1, attn_resolutions=[]).eval()
    image_encoder = build_image_encoder(
        {
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 4,
            "patch_size": 14,
            "image_size": 224,
            "projection_dim": 16,
        }
    )
    projection = Resampler(
        dim=32,
        depth=1,
        dim_head=8,
        heads=2,
        num_queries=2,
        embedding_dim=32,
        output_dim=CONTEXT,
        ff_mult=2,
        video_length=FRAMES,
        input_frames_length=2,
    ).eval()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=100,
            hidden_size=CONTEXT,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=77,
            hidden_act="gelu",
            projection_dim=CONTEXT,
        )
    ).eval()
    return MultiFramePipeline(
        _RecordingUNet(unet),
        vae,
        image_encoder,
        projection,
        text_encoder,
        _Tokenizer(),
        buckets=[(32, 48), (48, 32)],
        batched_cfg=True,
    )


@pytest.fixture(scope="module")
def pipeline() -> MultiFramePipeline:
    return _pipeline()


def _images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (60, 90, 3), dtype=np.uint8), rng.integers(
        0, 256, (50, 50, 3), dtype=np.uint8
    )


def test_interpolate_end_to_end(pipeline):
    frame_a, frame_b = _images()
    pipeline.unet.calls.clear()
    fractions: list[float] = []
    frames = pipeline.interpolate(
        frame_a, frame_b, "a cat", seed=1, steps=2, cfg=7.5, fs=3, progress=lambda f, _m: fractions.append(f)
    )
    assert len(frames) == FRAMES
    assert all(f.shape == (32, 48, 3) and f.dtype == np.uint8 for f in frames)  # bucket by frame_a's aspect
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)

    # batched CFG: one UNet call of batch 2 per step, positive first, same concat/fs on both sides
    calls = pipeline.unet.calls
    assert [c["batch"] for c in calls] == [2, 2]
    call = calls[0]
    assert torch.equal(call["fs"], torch.tensor([3, 3]))
    concat = call["concat_cond"]
    assert concat.shape == (2, 4, FRAMES, 8, 12)
    assert torch.equal(concat[0], concat[1])
    assert (
        torch.all(concat[:, :, 1:-1] == 0)
        and concat[:, :, 0].abs().sum() > 0
        and concat[:, :, -1].abs().sum() > 0
    )
    assert not torch.equal(call["context_text"][0], call["context_text"][1])  # prompt vs empty prompt
    assert call["context_img"].shape == (2, FRAMES, 2, CONTEXT)

    again = pipeline.interpolate(frame_a, frame_b, "a cat", seed=1, steps=2)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))


def test_cfg_batching_is_automatic_per_device(pipeline):
    """On CPU (None = auto) the two CFG sides are separate UNet calls; forced batching gives the same frames."""
    frame_a, frame_b = _images()
    noise = torch.randn(1, 4, FRAMES, 8, 12, generator=torch.Generator().manual_seed(5))
    pipeline.unet.calls.clear()
    batched = pipeline.interpolate(frame_a, frame_b, "a cat", seed=2, steps=2, noise=noise)
    pipeline.batched_cfg = None
    try:
        pipeline.unet.calls.clear()
        separate = pipeline.interpolate(frame_a, frame_b, "a cat", seed=2, steps=2, noise=noise)
        assert [c["batch"] for c in pipeline.unet.calls] == [1, 1, 1, 1]
    finally:
        pipeline.batched_cfg = True
    worst = max(
        int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(batched, separate, strict=True)
    )
    assert worst <= 1  # float32 rounding may flip a truncated uint8 value by one level


def test_conditions_follow_the_reference_flow(pipeline):
    frame_a, frame_b = _images()
    frames = torch.rand(1, 3, 2, 32, 48) * 2 - 1
    positive, negative = pipeline.encode_images(frames)
    with torch.no_grad():
        grey = pipeline.image_encoder(torch.zeros(2, 3, 32, 48)).last_hidden_state
        expected_negative = pipeline.image_projection(grey[None])
        tokens = pipeline.image_encoder(frames[0].transpose(0, 1)).last_hidden_state
        expected_positive = pipeline.image_projection(tokens[None])
    torch.testing.assert_close(negative, expected_negative, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(positive, expected_positive, rtol=1e-5, atol=1e-5)

    pos_text, neg_text = pipeline.encode_prompt("a cat")
    assert pos_text.shape == neg_text.shape == (1, 77, CONTEXT)
    assert pipeline.encode_prompt("a cat")[0] is pos_text  # cached per prompt


def test_cancel_during_sampling(pipeline):
    frame_a, frame_b = _images()
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("Denoising step 1/"):
            token.cancel()

    pipeline.unet.calls.clear()
    with pytest.raises(CancelledError):
        pipeline.interpolate(frame_a, frame_b, "x", seed=0, steps=3, cancel=token, progress=progress)
    assert len(pipeline.unet.calls) == 1


def test_rejects_non_rgb_input(pipeline):
    frame_a, _ = _images()
    with pytest.raises(ValueError, match="frame_b"):
        pipeline.interpolate(frame_a, frame_a[..., 0], "x", seed=0, steps=1)
