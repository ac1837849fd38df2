"""PSD layer stacks read through psd-tools: the tree as written, the compositor reproducing the file's own
merged image (MAE <= 1/255, PSNR >= 40 dB), and every kind of bad input ending in a clear error or the
documented fallback to the merged image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layered_files import PSD_BLENDS, Spec, gradient_rgba, write_psd

from app.core import layers_psd
from app.core.artwork import load_artwork
from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.compositor import composite_rgb
from app.core.layers import PASS_THROUGH, Group, Layer, LayerStack
from app.core.layers_psd import read_psd_stack
from app.errors import ArtworkError, CancelledError

SIZE = (96, 64)


def assert_reproduces_merged(stack: LayerStack) -> None:
    """Step 0 equals the file's composite: mean abs error <= 1/255 and PSNR >= 40 dB."""
    assert stack.merged is not None
    ours = composite_rgb(stack).astype(np.float64)
    theirs = stack.merged.astype(np.float64)
    mae = np.abs(ours - theirs).mean()
    mse = ((ours - theirs) ** 2).mean()
    psnr = float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)
    assert mae <= 1.0 and psnr >= 40.0, (mae, psnr)


def background() -> Spec:
    return Spec("Background", gradient_rgba(*SIZE, seed=1, alpha=False))


def rich_stack() -> list[Spec]:
    ramp = (np.arange(50)[None, :].repeat(30, 0) * 5).astype(np.uint8)
    return [
        background(),
        Spec("Base", gradient_rgba(50, 40, 3), x=5, y=5, mask=(ramp, 10, 10)),
        Spec("Shade", gradient_rgba(80, 60, 4), clipping=True, blend="multiply", opacity=200),
        Spec(
            "Colours",
            group=True,
            opacity=180,
            children=[
                Spec("Light", gradient_rgba(40, 40, 5), x=40, y=20, blend="screen"),
                Spec("Glow", gradient_rgba(30, 30, 6), x=50, y=5, blend="overlay"),
            ],
        ),
        Spec(
            "Effects",
            group=True,
            pass_through=False,
            blend="multiply",
            opacity=200,
            children=[Spec("Diff", gradient_rgba(40, 40, 7), x=10, y=20, blend="difference")],
        ),
        Spec("Sketch", gradient_rgba(40, 40, 8), visible=False),
    ]


def test_the_tree_is_read_as_written(tmp_path: Path) -> None:
    stack = read_psd_stack(write_psd(tmp_path / "a.psd", SIZE, rich_stack()), 10**8, NEVER_CANCELLED)
    assert stack.source_format == "psd" and stack.exact and (stack.width, stack.height) == SIZE
    names = [n.name for n, _ in stack.walk()]
    assert names == ["Background", "Base", "Shade", "Colours", "Light", "Glow", "Effects", "Diff", "Sketch"]
    bg, base, shade, colours, effects, sketch = stack.children
    assert isinstance(base, Layer) and base.mask is not None and (base.x, base.y) == (5, 5)
    assert isinstance(shade, Layer) and shade.clipping and shade.blend == "multiply"
    assert abs(shade.opacity - 200 / 255) < 1e-6
    assert isinstance(colours, Group) and colours.blend == PASS_THROUGH and len(colours.children) == 2
    assert isinstance(effects, Group) and effects.blend == "multiply"
    assert isinstance(sketch, Layer) and not sketch.visible
    assert stack.layer_names() == ("Background", "Base", "Shade", "Light", "Glow", "Diff", "Sketch")


def test_the_compositor_reproduces_the_files_merged_image(tmp_path: Path) -> None:
    stack = read_psd_stack(write_psd(tmp_path / "a.psd", SIZE, rich_stack()), 10**8, NEVER_CANCELLED)
    assert_reproduces_merged(stack)


@pytest.mark.parametrize("mode", sorted(PSD_BLENDS))
def test_each_blend_mode_reproduces_the_files_merged_image(tmp_path: Path, mode: str) -> None:
    top = Spec("Top", gradient_rgba(60, 40, 2), x=20, y=10, opacity=200, blend=mode)
    stack = read_psd_stack(write_psd(tmp_path / "m.psd", SIZE, [background(), top]), 10**8, NEVER_CANCELLED)
    assert stack.children[1].blend == mode  # type: ignore[union-attr]
    assert_reproduces_merged(stack)


def test_psb_is_read_like_psd(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "a.psb", SIZE, rich_stack(), psb=True))
    assert art.layers is not None and art.layers.source_format == "psb" and len(art.layers.layers()) == 7
    assert_reproduces_merged(art.layers)


def test_sixteen_bit_layers_are_read(tmp_path: Path) -> None:
    specs = [background(), Spec("Top", gradient_rgba(60, 40, 2), x=20, y=10, blend="multiply")]
    stack = read_psd_stack(write_psd(tmp_path / "d.psd", SIZE, specs, depth=16), 10**8, NEVER_CANCELLED)
    assert len(stack.layers()) == 2
    assert_reproduces_merged(stack)


def test_load_artwork_keeps_the_stack_and_shows_the_merged_image(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "a.psd", SIZE, rich_stack()))
    assert art.layers is not None and art.layers.merged is not None
    assert (art.pixels == art.layers.merged).all()
    assert art.layer_names[0] == "Background"


def test_a_layer_far_outside_the_canvas_is_kept_empty_without_decoding(tmp_path: Path) -> None:
    far = Spec("Far", gradient_rgba(20, 20, 2), x=30000, y=30000)
    stack = read_psd_stack(write_psd(tmp_path / "f.psd", SIZE, [background(), far]), 10**8, NEVER_CANCELLED)
    assert stack.layers()[1].pixels.size == 0
    assert_reproduces_merged(stack)


def test_zero_layers_fall_back_to_the_merged_image(tmp_path: Path) -> None:
    art = load_artwork(write_psd(tmp_path / "e.psd", SIZE, []))
    assert art.layers is not None and art.layers.children == () and art.pixels.shape == (64, 96, 3)


def test_more_layers_than_the_limit_fall_back_to_the_merged_image(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(layers_psd, "MAX_STACK_LAYERS", 2)
    path = write_psd(tmp_path / "m.psd", SIZE, rich_stack()[:3])
    stack = read_psd_stack(path, 10**8, NEVER_CANCELLED)
    assert stack.children == () and stack.merged is not None and "3 layers" in stack.notes[0]


def test_over_the_pixel_budget_falls_back_to_the_merged_image(tmp_path: Path) -> None:
    path = write_psd(tmp_path / "b.psd", SIZE, [background()] * 4)
    stack = read_psd_stack(path, SIZE[0] * SIZE[1], NEVER_CANCELLED)  # canvas + 4 full layers > 4 x canvas
    assert stack.children == () and "would decode" in stack.notes[0]


def test_cmyk_falls_back_to_the_merged_image(tmp_path: Path) -> None:
    from PIL import Image
    from psd_tools import PSDImage

    psd = PSDImage.new("CMYK", (8, 6))
    psd.create_pixel_layer(Image.new("RGBA", (4, 4), (255, 0, 0, 255)), name="Ink")
    psd.save(tmp_path / "c.psd")
    art = load_artwork(tmp_path / "c.psd")
    assert art.layers is not None and art.layers.children == () and "CMYK" in art.layers.notes[0]
    assert art.pixels.shape == (6, 8, 3)


def test_a_truncated_psd_is_called_damaged(tmp_path: Path) -> None:
    data = write_psd(tmp_path / "a.psd", SIZE, rich_stack()).read_bytes()
    (tmp_path / "cut.psd").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtworkError, match="damaged|cut off") as info:
        load_artwork(tmp_path / "cut.psd")
    assert info.value.hint


def test_a_cancel_stops_reading(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        read_psd_stack(write_psd(tmp_path / "a.psd", SIZE, rich_stack()), 10**8, token)


class _FakeItem:
    """Just enough of a psd-tools layer for the reader to decide what to do with it."""

    def __init__(self, kind: str, has_pixels: bool = False, blend: str = "NORMAL") -> None:
        self.name, self.kind, self.opacity, self.visible, self.clipping = kind.title(), kind, 255, True, False
        self.blend_mode = type("Mode", (), {"name": blend})()
        self._pixels = has_pixels

    def is_group(self) -> bool:
        return False

    def has_pixels(self) -> bool:
        return self._pixels

    def has_mask(self) -> bool:
        return False

    def has_effects(self) -> bool:
        return False

    def has_vector_mask(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("item", "kept"),
    [
        (_FakeItem("brightnesscontrast"), False),  # adjustment layers: in the merged image only
        (_FakeItem("curves"), False),
        (_FakeItem("shape"), False),  # nothing stored to draw
        (_FakeItem("pixel", blend="DISSOLVE"), True),  # empty pixel layer: kept, a hint for the order
        (_FakeItem("pixel", has_pixels=True, blend="LINEAR_BURN"), False),  # a mode we do not composite
    ],
)
def test_layers_the_compositor_cannot_render_are_named_as_approximated(item: _FakeItem, kept: bool) -> None:
    reader = layers_psd._Reader((8, 8), NEVER_CANCELLED)
    node = reader.node(item, 0)
    assert (node is not None) == kept
    assert reader.approximated == ([] if kept else [item.name])


def test_an_approximated_stack_is_not_exact_and_shows_the_merged_image(tmp_path: Path, monkeypatch) -> None:
    path = write_psd(tmp_path / "a.psd", SIZE, rich_stack())
    real = layers_psd._Reader.node

    def drop_shade(self, item, depth):  # type: ignore[no-untyped-def]
        if item.name == "Shade":
            self.approximated.append(item.name)
            return None
        return real(self, item, depth)

    monkeypatch.setattr(layers_psd._Reader, "node", drop_shade)
    art = load_artwork(path)
    assert art.layers is not None and not art.layers.exact and art.layers.approximated == ("Shade",)
    assert np.array_equal(art.pixels, art.layers.merged)  # step 0 is the file's composite all the same
