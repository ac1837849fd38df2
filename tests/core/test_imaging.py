"""Imaging helpers: sizing, even dimensions, blending, captions that show on light and dark pictures."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.imaging import (
    LabelStamp,
    blend,
    draw_label,
    even_size,
    fit_size,
    make_even,
    resize_to_fit,
    side_by_side,
)


def test_fit_size_never_upscales_and_keeps_aspect() -> None:
    assert fit_size(400, 100, 200) == (200, 50)
    assert fit_size(100, 400, 200) == (50, 200)
    assert fit_size(100, 50, 200) == (100, 50)
    assert fit_size(100, 50, None) == (100, 50)


def test_resize_to_fit() -> None:
    px = np.zeros((101, 303, 3), np.uint8)
    assert resize_to_fit(px, 150).shape == (50, 150, 3)
    assert resize_to_fit(px, None).shape == px.shape


@pytest.mark.parametrize("mode,expected", [("crop", (100, 302)), ("pad", (102, 304))])
def test_make_even(mode: str, expected: tuple[int, int]) -> None:
    px = np.random.default_rng(0).integers(0, 256, (101, 303, 3), dtype=np.uint8)
    out = make_even(px, mode)
    assert out.shape[:2] == expected
    np.testing.assert_array_equal(out[:100, :302], px[:100, :302])
    assert even_size(101, 303) == (100, 302) and even_size(1, 1) == (2, 2)


def test_make_even_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError):
        make_even(np.zeros((3, 3, 3), np.uint8), "stretch")


def test_blend_endpoints_and_middle() -> None:
    a = np.zeros((4, 4, 3), np.uint8)
    b = np.full((4, 4, 3), 200, np.uint8)
    np.testing.assert_array_equal(blend(a, b, 0.0), a)
    np.testing.assert_array_equal(blend(a, b, 1.0), b)
    assert abs(int(blend(a, b, 0.25)[0, 0, 0]) - 50) <= 1
    np.testing.assert_array_equal(blend(a, b, 7.0), b)  # clamped
    assert blend(a, np.full((8, 8, 3), 200, np.uint8), 1.0).shape == (4, 4, 3)  # resized to a


@pytest.mark.parametrize("background", [0, 255])
def test_label_changes_a_corner_visibly_on_dark_and_light(background: int) -> None:
    px = np.full((240, 320, 3), background, np.uint8)
    px.setflags(write=False)
    out = draw_label(px)
    assert out.shape == px.shape and (px == background).all()  # input untouched
    changed = np.any(out != px, axis=2)
    ys, xs = np.nonzero(changed)
    assert ys.min() > 240 * 0.7 and xs.min() > 320 * 0.3  # bottom-right, discreet
    assert changed.mean() < 0.1
    # contrast inside the plate: both bright text and darker plate pixels
    region = out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(int)
    assert region.max() - region.min() > 100


def test_label_scales_with_image_size() -> None:
    small = np.any(draw_label(np.zeros((200, 200, 3), np.uint8)) != 0, axis=2).sum()
    large = np.any(draw_label(np.zeros((800, 800, 3), np.uint8)) != 0, axis=2).sum()
    assert large > 8 * small


def test_label_on_tiny_image_is_a_no_op_and_stamp_checks_size() -> None:
    tiny = np.zeros((4, 4, 3), np.uint8)
    np.testing.assert_array_equal(draw_label(tiny), tiny)
    with pytest.raises(ValueError):
        LabelStamp(100, 100, "x").apply(np.zeros((50, 50, 3), np.uint8))


def test_side_by_side_common_height_gap_and_labels() -> None:
    a = np.full((100, 100, 3), 255, np.uint8)
    b = np.full((50, 100, 3), 255, np.uint8)  # resized to height 100 -> width 200
    out = side_by_side([a, b], ["Seed 1", "Seed 2"], gap=8)
    assert out.shape == (100, 100 + 8 + 200, 3)
    assert (out[:, 100:108] == 32).all()
    assert (out[:20, :60] != 255).any()  # label top-left of pane 1
    assert (out[:20, 108:170] != 255).any()  # label of pane 2
    with pytest.raises(ValueError):
        side_by_side([])
