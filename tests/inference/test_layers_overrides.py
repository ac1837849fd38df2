"""The user's corrections to a layers plan (the layers panel's branches): a chosen class replaces the
guessed one and changes how and when the layer is painted, a chosen order is followed, bad values are
clear errors, and the windows the panel shows agree with the plan."""

from __future__ import annotations

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_ora

from app.core.artwork import Artwork, load_artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.errors import EngineError
from app.inference.layers import LayersEngine, LayersSession
from app.inference.layers.overrides import class_overrides, order_override, with_classes, with_order
from app.inference.layers.plan import PAINT
from app.inference.layers.windows import layer_windows

W, H = 96, 80


def _lines() -> np.ndarray:
    px = np.zeros((H, W, 4), np.uint8)
    px[20:22, 8:88] = (0, 0, 0, 255)
    px[8:72, 50:52] = (0, 0, 0, 255)
    return px


@pytest.fixture(scope="module")
def artwork(tmp_path_factory: pytest.TempPathFactory) -> Artwork:
    specs = [
        Spec("Background", np.full((H, W, 4), (230, 230, 250, 255), np.uint8)),
        Spec("Sketch", np.full((50, 60, 4), (120, 120, 120, 110), np.uint8), x=20, y=15, visible=False),
        Spec("Lines", _lines()),
        Spec("Base", gradient_rgba(60, 50, 2), x=20, y=15),
        Spec("Shadow", np.full((30, 30, 4), (80, 60, 120, 200), np.uint8), x=30, y=25, blend="multiply"),
    ]
    return load_artwork(write_ora(tmp_path_factory.mktemp("ovr") / "art.ora", (W, H), specs))


def _prepare(artwork: Artwork, spec: BranchSpec) -> LayersSession:
    return LayersEngine().prepare(artwork, spec, CancelToken(), no_progress)


def _painted(session: LayersSession) -> list[int]:
    return [e.layer for e in session.events if e.kind == PAINT]


def test_a_chosen_class_replaces_the_guess_and_moves_the_layer(artwork: Artwork) -> None:
    base = BranchSpec.make("layers", 3)
    guessed = _prepare(artwork, base)
    assert guessed.classes[2] == "lines"  # "Lines", index 2 bottom first
    changed = _prepare(artwork, with_classes(base, {2: "highlight"}))
    assert changed.classes[2] == "highlight"
    assert changed.classes[:2] == guessed.classes[:2] and changed.classes[3:] == guessed.classes[3:]
    # line art comes before the base colours; a highlight after the shadow
    assert _painted(guessed).index(2) < _painted(guessed).index(3)
    assert _painted(changed).index(2) > _painted(changed).index(4)
    assert changed.spec.spec_hash() != guessed.spec.spec_hash()


def test_a_chosen_order_is_followed(artwork: Artwork) -> None:
    base = BranchSpec.make("layers", 3)
    planned = _painted(_prepare(artwork, base))
    wanted = list(reversed(planned))
    assert _painted(_prepare(artwork, with_order(base, wanted))) == wanted
    # naming only some: those first, the rest after them in the planned order
    partial = _painted(_prepare(artwork, with_order(base, [planned[-1]])))
    assert partial == [planned[-1], *planned[:-1]]


def test_overrides_merge_and_leave_the_fork_behind() -> None:
    spec = BranchSpec.make("layers", 5, {"background": "late"}).forked(600, 9)
    spec = with_classes(with_classes(spec, {1: "sketch"}), {4: "effect", 1: "lines"})
    assert spec.setting("classes") == ((1, "lines"), (4, "effect"))
    assert spec.setting("background") == "late" and spec.fork_origin() is None
    assert with_order(spec, [3, 1]).setting("order") == (3, 1)
    # as stored in a project file (JSON) and read back
    again = BranchSpec.from_json(spec.to_json())
    assert class_overrides(again, 5) == {1: "lines", 4: "effect"}


def test_the_command_line_forms_are_read() -> None:
    spec = BranchSpec.make("layers", 0, {"classes": "3:lines, 0:background", "order": "4,2"})
    assert class_overrides(spec, 5) == {3: "lines", 0: "background"}
    assert order_override(spec, 5) == (4, 2)
    assert order_override(BranchSpec.make("layers", 0, {"order": 4}), 5) == (4,)


@pytest.mark.parametrize(
    "settings",
    [
        {"classes": ((9, "lines"),)},
        {"classes": ((1, "watercolour"),)},
        {"classes": "1"},
        {"classes": 7},
        {"order": (1, 1)},
        {"order": (0, 12)},
        {"order": "a,b"},
    ],
)
def test_bad_overrides_are_clear_errors(artwork: Artwork, settings: dict[str, object]) -> None:
    with pytest.raises(EngineError):
        _prepare(artwork, BranchSpec.make("layers", 0, settings))


def test_windows_follow_the_plan(artwork: Artwork) -> None:
    session = _prepare(artwork, BranchSpec.make("layers", 1))
    windows = layer_windows(session.events, session.classes)
    order = sorted(windows.values(), key=lambda w: w.position)
    assert [w.index for w in order] == _painted(session)
    for before, after in zip(order, order[1:], strict=False):
        assert before.first >= before.last >= after.last  # undo steps run backwards
        assert before.last <= before.first
    sketch = windows[1]
    assert sketch.cls == "sketch" and sketch.hidden_at is not None and sketch.hidden_at < sketch.last
    assert all(w.last <= w.middle <= w.first for w in order)


def test_the_engine_lists_the_panel_settings() -> None:
    kinds = {s.name: s.kind for s in LayersEngine().settings()}
    assert kinds["classes"] == kinds["order"] == "panel"
