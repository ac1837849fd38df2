"""The user's own corrections to a layers plan: a layer's class, and the painting order.

They are branch settings (`classes`, `order`), so a branch made from the layers panel is stored in the
project and comes back on reopen like any other branch, and its frames are keyed by them. Layers are
named by their index in `LayerStack.layers()` (bottom first): names repeat in real files ("Layer 1" in
two groups), indices do not, and the spec is tied to one artwork by its content hash anyway.

The values are what JSON gives back: `classes` a tuple of (index, class) pairs, `order` a tuple of
indices. The command line gives text instead (`--setting classes=3:lines,5:shadow`,
`--setting order=4,2,7`), read here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.branch import FORK_OF, FORK_STEP, BranchSpec
from app.errors import EngineError
from app.inference.layers.classify import CLASSES

CLASSES_SETTING = "classes"
ORDER_SETTING = "order"
_ANY_COUNT = 2**31
_HINT = "Change it in the layers panel, or leave the setting out."


def class_overrides(spec: BranchSpec, count: int) -> dict[int, str]:
    """Layer index -> the class the user chose; EngineError when an entry names no layer or class."""
    raw = spec.setting(CLASSES_SETTING, ())
    if isinstance(raw, str):
        raw = tuple(tuple(item.split(":", 1)) for item in raw.replace(";", ",").split(",") if item.strip())
    if not isinstance(raw, (tuple, list)):
        raise EngineError(f"The layer classes {raw!r} are not a list of layer:class pairs.", _HINT)
    out: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise EngineError(f"The layer class {item!r} is not a layer:class pair.", _HINT)
        index, cls = _index(item[0], count), str(item[1]).strip()
        if cls not in CLASSES:
            raise EngineError(f"'{cls}' is not a layer class.", f"Use one of: {', '.join(CLASSES)}.")
        out[index] = cls
    return out


def order_override(spec: BranchSpec, count: int) -> tuple[int, ...]:
    """The layers in the order the user wants them painted (may name only some); () when not set."""
    raw = spec.setting(ORDER_SETTING, ())
    if isinstance(raw, str):
        raw = tuple(item for item in raw.replace(";", ",").split(",") if item.strip())
    elif isinstance(raw, int) and not isinstance(raw, bool):
        raw = (raw,)  # one layer: the command line reads "--setting order=4" as a number
    if not isinstance(raw, (tuple, list)):
        raise EngineError(f"The painting order {raw!r} is not a list of layers.", _HINT)
    order = tuple(_index(item, count) for item in raw)
    if len(set(order)) != len(order):
        raise EngineError("The painting order names a layer twice.", _HINT)
    return order


def _index(value: Any, count: int) -> int:
    try:
        index = int(str(value).strip()) if not isinstance(value, bool) else -1
    except ValueError:
        index = -1
    if not 0 <= index < count:
        raise EngineError(f"The artwork has no layer {value!r} (it has {count}).", _HINT)
    return index


def _own_settings(spec: BranchSpec) -> dict[str, Any]:
    """The spec's settings without what a fork continues from: a corrected plan is a new process."""
    return {k: v for k, v in spec.settings if k not in (FORK_OF, FORK_STEP)}


def with_classes(spec: BranchSpec, classes: Mapping[int, str]) -> BranchSpec:
    """`spec` with these layer classes added to (or replacing) the ones it already sets."""
    current = class_overrides(spec, _ANY_COUNT)  # the artwork is not known here: prepare checks them
    current.update({int(k): str(v) for k, v in classes.items()})
    pairs = tuple((index, cls) for index, cls in sorted(current.items()))
    return BranchSpec.make(spec.engine, spec.seed, _own_settings(spec) | {CLASSES_SETTING: pairs})


def with_order(spec: BranchSpec, order: Sequence[int]) -> BranchSpec:
    """`spec` with the layers painted in `order`."""
    return BranchSpec.make(
        spec.engine, spec.seed, _own_settings(spec) | {ORDER_SETTING: tuple(int(i) for i in order)}
    )
