"""The layers engine's incremental patches (patches.py) against the reference they replace: for random
stacks with every feature the compositor has (blend modes, opacity, masks, clipping, isolated and
pass-through groups, hidden layers and groups, layers partly off the canvas) and random sequences of
layers shown and hidden, every patch equals `composite_region` of the whole stack with those layers
shown, bit for bit. Also the engine's own patches, and the other faster parts of `prepare`, which must
give the same numbers: the working-size resampling's premultiply and the colour boxes of reveal.py."""

from __future__ import annotations

import gc
import threading

import cv2
import numpy as np
import pytest

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.compositor import composite_region
from app.core.layers import BLEND_MODES, PASS_THROUGH, Group, Layer, LayerStack, Mask, Node
from app.errors import CancelledError
from app.inference.layers import LayersEngine, working
from app.inference.layers.patches import PatchComposer
from app.inference.layers.plan import FINISH, PAINT
from app.inference.layers.reveal import _colour_boxes, reveal_times
from app.inference.layers.working import _scale_rgba, _straight_rgba8, scale_stack, with_shown, working_stack

W, H = 48, 36
MODES = sorted(BLEND_MODES)


def reference(stack: LayerStack, shown: set[int], box: tuple[int, int, int, int]) -> np.ndarray:
    """What the engine composited per event before patches.py: the whole stack again, in the box."""
    return composite_region(with_shown(stack, shown), box)


def _mask(rng: np.random.Generator) -> Mask | None:
    if rng.random() < 0.6:
        return None
    h, w = int(rng.integers(4, 30)), int(rng.integers(4, 40))
    pixels = cv2.resize(rng.integers(0, 256, (3, 4), dtype=np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    return Mask(pixels, int(rng.integers(-8, W)), int(rng.integers(-8, H)), int(rng.choice([0, 255])))


def _layer(rng: np.random.Generator, name: str) -> Layer:
    h, w = int(rng.integers(3, H + 10)), int(rng.integers(3, W + 10))
    pixels = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    pixels[..., 3] = rng.choice([0, 90, 255, 255], (h, w)).astype(np.uint8)  # clear, part, opaque
    return Layer(
        name,
        pixels,
        x=int(rng.integers(-12, W - 2)),  # some partly off the canvas on any side
        y=int(rng.integers(-12, H - 2)),
        opacity=float(rng.choice([1.0, 1.0, 0.6, 0.0])),
        blend="normal" if rng.random() < 0.5 else str(rng.choice(MODES)),
        visible=bool(rng.random() < 0.8),
        clipping=bool(rng.random() < 0.25),
        mask=_mask(rng),
    )


def _nodes(rng: np.random.Generator, count: int, depth: int) -> list[Node]:
    nodes: list[Node] = []
    while len(nodes) < count:
        if depth < 2 and rng.random() < 0.25:
            nodes.append(
                Group(
                    f"g{depth}.{len(nodes)}",
                    tuple(_nodes(rng, int(rng.integers(1, 4)), depth + 1)),
                    opacity=float(rng.choice([1.0, 1.0, 0.7])),
                    blend=str(rng.choice([PASS_THROUGH, PASS_THROUGH, "normal", "multiply", "screen"])),
                    visible=bool(rng.random() < 0.85),
                    clipping=bool(rng.random() < 0.2),
                    mask=_mask(rng),
                )
            )
        else:
            nodes.append(_layer(rng, f"l{depth}.{len(nodes)}"))
    return nodes


def random_stack(seed: int) -> LayerStack:
    """Random nodes, then an empty layer (what a reader keeps of one off the canvas) and a hidden group."""
    rng = np.random.default_rng(seed)
    nodes = _nodes(rng, int(rng.integers(4, 10)), 0)
    nodes.insert(int(rng.integers(len(nodes))), Layer("off", np.zeros((0, 0, 4), np.uint8), x=W + 5))
    nodes.insert(int(rng.integers(len(nodes))), Group("hidden", (_layer(rng, "in hidden"),), visible=False))
    return LayerStack(W, H, tuple(nodes))


def _box(layer: Layer) -> tuple[int, int, int, int] | None:
    left, top = max(layer.x, 0), max(layer.y, 0)
    right, bottom = min(layer.x + layer.width, W), min(layer.y + layer.height, H)
    return (left, top, right, bottom) if right > left and bottom > top else None


@pytest.mark.parametrize("cache_bytes", [0, 40_000, 2**30])  # none, some dropped, all kept
@pytest.mark.parametrize("seed", range(12))
def test_every_patch_equals_the_whole_stack_composited_again(seed: int, cache_bytes: int) -> None:
    stack = random_stack(seed)
    layers = stack.layers()
    rng = np.random.default_rng(seed + 100)
    shown = {i for i in range(len(layers)) if rng.random() < 0.3}
    composer = PatchComposer(stack, shown, CancelToken(), cache_bytes=cache_bytes)
    for _ in range(3 * len(layers)):
        index = int(rng.integers(len(layers)))
        visible = bool(rng.random() < 0.7)
        shown = shown | {index} if visible else shown - {index}
        box = _box(layers[index])
        patch = composer.show(index, visible, box, CancelToken())
        if box is None:
            assert patch is None
            continue
        assert patch is not None
        assert np.array_equal(patch, reference(stack, shown, box))


def test_many_root_runs_share_checkpoints_and_still_match() -> None:
    """More runs than checkpoints: events low in the stack refresh the checkpoints above them."""
    rng = np.random.default_rng(7)
    layers = tuple(_layer(rng, f"l{i}") for i in range(40))
    stack = LayerStack(W, H, layers)
    shown: set[int] = set()
    composer = PatchComposer(stack, shown, CancelToken())
    for index in [*rng.permutation(40)[:30], *rng.permutation(40)[:20]]:
        visible = index not in shown or rng.random() < 0.3
        shown = shown | {int(index)} if visible else shown - {int(index)}
        box = _box(layers[index])
        patch = composer.show(int(index), visible, box, CancelToken())
        if box is not None:
            assert np.array_equal(patch, reference(stack, shown, box))


def test_a_cancel_stops_the_patches() -> None:
    token = CancelToken()
    composer = PatchComposer(random_stack(1), set(), token)
    token.cancel()
    with pytest.raises(CancelledError):
        composer.show(0, True, (0, 0, W, H), token)


def test_the_engines_patches_equal_the_reference() -> None:
    stack = random_stack(3)
    artwork = Artwork(np.full((H, W, 3), 255, np.uint8), layers=stack)
    session = LayersEngine().prepare(artwork, BranchSpec.make("layers", 5), CancelToken(), no_progress)
    shown = {i for i, layer in enumerate(stack.layers()) if layer.visible and not session.classes[i]}
    compared = 0
    for event, box, patch in zip(session.events, session.boxes, session.patches, strict=True):
        if event.kind == FINISH:
            continue
        shown = shown | {event.layer} if event.kind == PAINT else shown - {event.layer}
        if box is not None:
            assert np.array_equal(patch, reference(stack, shown, box))
            compared += 1
    assert compared >= 3


def _reference_scale(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The working-size resampling before OpenCV premultiplied it."""
    f = pixels.astype(np.float32)
    f[..., :3] *= f[..., 3:4] / 255.0
    small = cv2.resize(f, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], 4)
    alpha = small[..., 3:4]
    small[..., :3] = np.where(alpha > 0, small[..., :3] * 255.0 / np.maximum(alpha, 1e-6), 0.0)
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("shape", "size"),
    [((90, 120), (37, 28)), ((33, 5), (2, 11)), ((1, 9), (3, 1)), ((40, 1), (1, 13)), ((5, 5), (1, 1))],
)
def test_the_working_size_premultiply_matches_numpys(shape: tuple[int, int], size: tuple[int, int]) -> None:
    """Bands of rows (a last band of one row too), one-pixel-wide layers."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (*shape, 4), dtype=np.uint8)
    pixels[:20, :30, 3] = 0
    assert np.array_equal(_scale_rgba(pixels, size), _reference_scale(pixels, size))


def test_a_scaled_stack_shares_one_scratch_buffer_between_layers() -> None:
    rng = np.random.default_rng(1)
    shapes = [(90, 120), (30, 50), (61, 77)]
    layers = [Layer(f"l{i}", rng.integers(0, 256, (*s, 4), dtype=np.uint8)) for i, s in enumerate(shapes)]
    scaled = scale_stack(LayerStack(120, 90, (layers[0], Group("g", (layers[1],)), layers[2])), 40, 30)
    for layer, small in zip(layers, scaled.layers(), strict=True):
        size = (max(1, round(layer.width / 3)), max(1, round(layer.height / 3)))
        assert np.array_equal(small.pixels, _reference_scale(layer.pixels, size))


def test_an_artworks_working_size_stack_is_resampled_once_and_goes_with_the_artwork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    source = LayerStack(120, 90, (Layer("a", rng.integers(0, 256, (90, 120, 4), dtype=np.uint8)),))
    calls = []
    monkeypatch.setattr(working, "scale_stack", lambda *a: calls.append(a[1:]) or scale_stack(*a))
    first = working_stack(source, 40, 30)
    assert working_stack(source, 40, 30) is first and calls == [(40, 30)]  # a second branch: reused
    other = working_stack(source, 60, 45)  # another size: resampled, and now the one kept
    assert other.width == 60 and calls == [(40, 30), (60, 45)]
    assert working_stack(source, 120, 90) is source  # the stack's own size: itself, nothing kept
    assert working_stack(source, 60, 45) is other
    del source
    gc.collect()
    assert len(working._SCALED) == 0  # the artwork's stack is gone: so is its working-size stack


def test_colour_boxes_are_each_colours_bounding_box_in_increasing_order() -> None:
    rng = np.random.default_rng(2)
    colour = rng.integers(0, 6, (23, 31)).astype(np.int32)
    colour[:, :4] = 0
    colour[5:9, 10:12] = 9  # a colour in one corner of the image only
    boxes = _colour_boxes(colour)
    assert [value for value, _ in boxes] == sorted(set(np.unique(colour).tolist()) - {0})
    for value, (top, bottom, left, right) in boxes:
        rows, cols = np.nonzero(colour == value)
        assert (top, bottom, left, right) == (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)


def test_reveal_times_from_the_second_thread_belong_to_their_events() -> None:
    stack = random_stack(4)
    artwork = Artwork(np.full((H, W, 3), 255, np.uint8), layers=stack)
    session = LayersEngine().prepare(artwork, BranchSpec.make("layers", 9), CancelToken(), no_progress)
    layers = stack.layers()
    painted = 0
    for event, box, times in zip(session.events, session.boxes, session.times, strict=True):
        if event.kind != PAINT or box is None:
            assert times is None
            continue
        rng = np.random.default_rng([9, event.layer, 0x7E11])
        t = reveal_times(layers[event.layer], session.classes[event.layer], rng)
        assert np.array_equal(times, np.rint(t[: box[3] - box[1], : box[2] - box[0]] * 65535))
        painted += 1
    assert painted >= 3


def test_a_cancel_during_prepare_stops_it_and_its_reveal_thread() -> None:
    artwork = Artwork(np.full((H, W, 3), 255, np.uint8), layers=random_stack(5))
    token = CancelToken()

    def progress(fraction: float, message: str = "") -> None:
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(CancelledError):
        LayersEngine().prepare(artwork, BranchSpec.make("layers", 1), token, progress)
    assert not [t for t in threading.enumerate() if t.name.startswith("reveal")]


def test_unpremultiplying_to_uint8_matches_numpys_rounding() -> None:
    """Zero and tiny alphas, colour beyond 255 (saturated), values that land on halves."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        alpha = (rng.random((h, w), dtype=np.float32) * 255).astype(np.float32)
        alpha[rng.random((h, w)) < 0.2] = 0.0
        alpha[rng.random((h, w)) < 0.05] = 1e-7
        colour = rng.random((h, w, 3), dtype=np.float32) * alpha[..., None] * rng.uniform(0.5, 1.5)
        colour[::3, ::2] = np.float32(2.5) * alpha[::3, ::2, None] / np.float32(255.0)
        small = np.dstack((colour, alpha)).astype(np.float32)
        expected = small.copy()
        a = expected[..., 3:4]
        expected[..., :3] = np.where(a > 0, expected[..., :3] * 255.0 / np.maximum(a, 1e-6), 0.0)
        assert np.array_equal(_straight_rgba8(small), np.clip(np.rint(expected), 0, 255).astype(np.uint8))
