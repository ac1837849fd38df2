"""The layer model: validation, tree order, the limits every reader shares."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.layers import (
    BLEND_MODES,
    PASS_THROUGH,
    Group,
    Layer,
    LayerStack,
    Mask,
    check_layer_budget,
    clamp_opacity,
    crop_box,
    crop_to_canvas,
)
from app.errors import ArtworkError


def _px(w: int, h: int) -> np.ndarray:
    return np.zeros((h, w, 4), np.uint8)


def test_walk_is_bottom_first_depth_first_with_parents() -> None:
    inner = Group("inner", (Layer("c", _px(1, 1)),))
    outer = Group("outer", (Layer("b", _px(1, 1)), inner))
    stack = LayerStack(4, 4, (Layer("a", _px(2, 2)), outer, Layer("d", _px(1, 1))))
    order = [(node.name, tuple(p.name for p in parents)) for node, parents in stack.walk()]
    assert order == [
        ("a", ()),
        ("outer", ()),
        ("b", ("outer",)),
        ("inner", ("outer",)),
        ("c", ("outer", "inner")),
        ("d", ()),
    ]
    assert stack.layer_names() == ("a", "b", "c", "d")
    assert stack.decoded_pixels() == 4 + 1 + 1 + 1


def test_pixels_are_read_only_and_validated() -> None:
    layer = Layer("a", _px(3, 2))
    with pytest.raises(ValueError):
        layer.pixels[0, 0, 0] = 1
    with pytest.raises(ValueError, match="RGBA"):
        Layer("rgb", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="opacity"):
        Layer("a", _px(1, 1), opacity=1.5)
    with pytest.raises(ValueError, match="blend"):
        Layer("a", _px(1, 1), blend="dissolve")
    with pytest.raises(ValueError, match="blend"):
        Layer("a", _px(1, 1), blend=PASS_THROUGH)  # only groups pass through
    assert Group("g", blend=PASS_THROUGH).blend == PASS_THROUGH
    assert Mask(np.zeros((2, 2), np.uint8), default=200).default == 255
    with pytest.raises(ValueError, match="merged"):
        LayerStack(4, 4, (), merged=np.zeros((3, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="positive"):
        LayerStack(0, 4)
    assert "soft_light" in BLEND_MODES and len(BLEND_MODES) == 16


def test_an_exact_stack_has_nothing_approximated() -> None:
    assert LayerStack(2, 2).exact
    assert not LayerStack(2, 2, approximated=("Curves 1",)).exact


def test_crop_to_canvas_keeps_only_what_is_on_it() -> None:
    px = np.arange(4 * 6 * 4, dtype=np.uint8).reshape(4, 6, 4)
    part, x, y = crop_to_canvas(px, -2, 1, (3, 10))
    assert (x, y) == (0, 1) and part.shape == (4, 3, 4)
    assert (part == px[:, 2:5]).all()
    empty, _, _ = crop_to_canvas(px, 10**9, 0, (3, 3))
    assert empty.size == 0
    assert crop_box(5, 5, 2, 2, (5, 5)) is None
    assert crop_box(-1, -1, 3, 3, (5, 5)) == (1, 1, 3, 3)


def test_the_budget_counts_the_canvas_and_the_layers() -> None:
    check_layer_budget("a.psd", (10, 10), 300, 3, max_pixels=100)  # 400 = 4 x 100: fits
    with pytest.raises(ArtworkError, match="its 3 layers would decode"):
        check_layer_budget("a.psd", (10, 10), 301, 3, max_pixels=100)


def test_opacity_from_a_file_is_clamped_and_nan_is_opaque() -> None:
    assert clamp_opacity(7.0) == 1.0 and clamp_opacity(-1) == 0.0 and clamp_opacity(float("nan")) == 1.0
