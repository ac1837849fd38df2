"""The numpy compositor: every blend mode against a worked example, and opacity, masks, clipping,
isolated and pass-through groups, hidden layers. (Agreement with files' own composites is tested with
the readers: test_layers_psd.py and friends.)"""

from __future__ import annotations

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.core.compositor import blend, composite, composite_region, composite_rgb
from app.core.layers import BLEND_MODES, PASS_THROUGH, Group, Layer, LayerStack, Mask
from app.errors import CancelledError

CB = [0.2, 0.6, 0.9]
CS = [0.7, 0.3, 0.5]
# Worked by hand from the W3C formulas (lum = 0.3 R + 0.59 G + 0.11 B): lum(CB) = 0.513, lum(CS) = 0.442.
WORKED = {
    "normal": [0.7, 0.3, 0.5],
    "multiply": [0.14, 0.18, 0.45],
    "screen": [0.76, 0.72, 0.95],
    "overlay": [0.28, 0.44, 0.9],  # 2*0.7*0.2; screen(0.3, 0.2); screen(0.5, 0.8)
    "darken": [0.2, 0.3, 0.5],
    "lighten": [0.7, 0.6, 0.9],
    "color_dodge": [0.2 / 0.3, 0.6 / 0.7, 1.0],
    "color_burn": [0.0, 0.0, 0.8],
    "hard_light": [0.52, 0.36, 0.9],
    "soft_light": [0.2992, 0.504, 0.9],  # D(0.2) = 0.448 on the first channel
    "linear_dodge": [0.9, 0.9, 1.0],
    "difference": [0.5, 0.3, 0.4],
    "luminosity": [0.129, 0.529, 0.829],  # CB shifted by 0.442 - 0.513
    "color": [0.771, 0.371, 0.571],  # CS shifted by 0.513 - 0.442
    "saturation": [0.513 - 0.178857, 0.228571 + 0.513 - 0.178857, 0.4 + 0.513 - 0.178857],
    "hue": [0.7 + 0.2645, 0.2645, 0.35 + 0.2645],
}


def test_every_mode_has_a_worked_example() -> None:
    assert set(WORKED) == BLEND_MODES


@pytest.mark.parametrize("mode", sorted(WORKED))
def test_blend_mode_worked_example(mode: str) -> None:
    out = blend(mode, np.array([[CB]], np.float32), np.array([[CS]], np.float32))
    np.testing.assert_allclose(out[0, 0], WORKED[mode], atol=1e-4)


def test_dodge_and_burn_edges() -> None:
    cb = np.array([0.0, 1.0, 0.5], np.float32)
    assert blend("color_dodge", cb, np.array([0.5, 1.0, 1.0], np.float32)).tolist() == [0.0, 1.0, 1.0]
    assert blend("color_burn", cb, np.array([0.5, 0.0, 0.0], np.float32)).tolist() == [0.0, 1.0, 0.0]


def test_luminosity_clips_into_gamut_keeping_luminance() -> None:
    # yellow (lum 0.89) at lum 0.1 leaves the gamut (blue -0.79): clipped towards grey at the same lum
    out = blend("luminosity", np.array([1.0, 1.0, 0.0], np.float32), np.array([0.1, 0.1, 0.1], np.float32))
    np.testing.assert_allclose(out, [0.1 + 0.11 * 0.1 / 0.89, 0.1 + 0.11 * 0.1 / 0.89, 0.0], atol=1e-5)
    assert abs(0.3 * out[0] + 0.59 * out[1] + 0.11 * out[2] - 0.1) < 1e-5


def _solid(name: str, w: int, h: int, rgba: tuple[int, int, int, int], **kw: object) -> Layer:
    return Layer(name, np.full((h, w, 4), rgba, np.uint8), **kw)  # type: ignore[arg-type]


def _rgb(stack: LayerStack) -> np.ndarray:
    return composite_rgb(stack)


def test_opacity_and_alpha_mix_with_what_is_below() -> None:
    blue = _solid("bg", 4, 4, (0, 0, 255, 255))
    half = _solid("red", 4, 4, (255, 0, 0, 255), opacity=0.5)
    assert tuple(_rgb(LayerStack(4, 4, (half,)))[0, 0]) == (255, 128, 128)  # over the white paper
    assert tuple(_rgb(LayerStack(4, 4, (blue, half)))[0, 0]) == (128, 0, 128)
    alpha = _solid("red", 4, 4, (255, 0, 0, 128))
    assert tuple(_rgb(LayerStack(4, 4, (blue, alpha)))[0, 0]) == (128, 0, 127)


def test_a_blend_mode_over_nothing_is_the_layer_itself() -> None:
    red = _solid("red", 2, 2, (200, 10, 10, 255), blend="multiply")
    colour, alpha = composite(LayerStack(2, 2, (red,)))
    assert np.allclose(colour[0, 0], [200 / 255, 10 / 255, 10 / 255]) and alpha[0, 0, 0] == 1.0


def test_layers_are_placed_at_their_offset_and_cut_by_the_canvas() -> None:
    red = _solid("red", 2, 2, (255, 0, 0, 255), x=3, y=-1)
    px = _rgb(LayerStack(4, 3, (red,)))
    assert tuple(px[0, 3]) == (255, 0, 0) and tuple(px[1, 3]) == (255, 255, 255)
    assert tuple(px[0, 2]) == (255, 255, 255)


def test_a_mask_hides_and_its_default_applies_outside_its_box() -> None:
    mask = Mask(np.array([[0, 255]], np.uint8), x=0, y=0, default=0)
    red = _solid("red", 2, 2, (255, 0, 0, 255), mask=mask)
    px = _rgb(LayerStack(2, 2, (red,)))
    assert tuple(px[0, 0]) == (255, 255, 255) and tuple(px[0, 1]) == (255, 0, 0)
    assert tuple(px[1, 1]) == (255, 255, 255)  # outside the mask's 2x1 box: default 0 hides
    shown = _solid("red", 2, 2, (255, 0, 0, 255), mask=Mask(np.zeros((1, 1), np.uint8), default=255))
    px = _rgb(LayerStack(2, 2, (shown,)))
    assert tuple(px[0, 0]) == (255, 255, 255) and tuple(px[1, 1]) == (255, 0, 0)


def test_clipped_layers_paint_only_inside_their_base() -> None:
    base = Layer(
        "base",
        np.concatenate([np.full((2, 1, 4), (0, 0, 255, 255)), np.zeros((2, 1, 4))], 1).astype(np.uint8),
    )
    clip = _solid("green", 2, 2, (0, 255, 0, 255), clipping=True)
    px = _rgb(LayerStack(2, 2, (base, clip)))
    assert tuple(px[0, 0]) == (0, 255, 0) and tuple(px[0, 1]) == (255, 255, 255)
    multiply = _solid("m", 2, 2, (128, 128, 128, 255), clipping=True, blend="multiply")
    px = _rgb(LayerStack(2, 2, (base, multiply)))
    assert tuple(px[0, 0]) == (0, 0, 128)
    hidden_base = Layer("base", base.pixels, visible=False)
    assert (_rgb(LayerStack(2, 2, (hidden_base, clip))) == 255).all()  # a hidden base hides its clip
    lone = _solid("alone", 2, 2, (0, 255, 0, 255), clipping=True)
    assert tuple(_rgb(LayerStack(2, 2, (lone,)))[0, 0]) == (0, 255, 0)  # nothing to clip to: shown


def test_pass_through_groups_blend_with_what_is_below_and_isolated_ones_do_not() -> None:
    blue = _solid("bg", 2, 2, (0, 0, 255, 255))
    grey = _solid("grey", 2, 2, (128, 128, 128, 255), blend="multiply")
    through = Group("g", (grey,), blend=PASS_THROUGH)
    isolated = Group("g", (grey,), blend="normal")
    assert tuple(_rgb(LayerStack(2, 2, (blue, through)))[0, 0]) == (0, 0, 128)
    assert tuple(_rgb(LayerStack(2, 2, (blue, isolated)))[0, 0]) == (128, 128, 128)
    half = Group("g", (grey,), opacity=0.5, blend=PASS_THROUGH)
    assert tuple(_rgb(LayerStack(2, 2, (blue, half)))[0, 0]) == (0, 0, 192)
    hidden = Group("g", (grey,), visible=False)
    assert tuple(_rgb(LayerStack(2, 2, (blue, hidden)))[0, 0]) == (0, 0, 255)


def test_hidden_layers_are_not_composited() -> None:
    red = _solid("red", 2, 2, (255, 0, 0, 255), visible=False)
    assert (_rgb(LayerStack(2, 2, (red,))) == 255).all()


def test_a_cancel_stops_compositing() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        composite(LayerStack(2, 2, (_solid("a", 2, 2, (0, 0, 0, 255)),)), token)


def test_a_region_composites_like_the_same_box_of_the_whole() -> None:
    rng = np.random.default_rng(3)
    layers = tuple(
        Layer(f"l{i}", rng.integers(0, 256, (9, 11, 4), dtype=np.uint8), x=i * 2 - 3, y=i - 2, blend=mode)
        for i, mode in enumerate(["normal", "multiply", "screen", "hue"])
    )
    stack = LayerStack(16, 12, (layers[0], Group("g", layers[1:3]), layers[3]))
    whole = composite_rgb(stack)
    assert np.array_equal(composite_region(stack, (3, 2, 13, 9)), whole[2:9, 3:13])
