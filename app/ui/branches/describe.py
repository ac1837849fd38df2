"""What a branch list item says: the branch's name, then what makes it differ from the others (engine,
seed, fork step) and the engine settings that are not the engine's defaults, in the UI language.

A function of its own so the list, its tooltip and the tests read one text."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication

from app.core.branch import FORK_OF, FORK_STEP, Branch
from app.inference.engine import SettingSpec
from app.inference.layers.stages import LAYER_STAGES
from app.ui.i18n import tr_engine

CONTEXT = "BranchesController"  # the list's strings were translated in this context before
translate = QCoreApplication.translate
FORK_SETTINGS = frozenset({FORK_OF, FORK_STEP})


def _value(spec: SettingSpec | None, value: object) -> str:
    if isinstance(value, bool):
        return translate(CONTEXT, "on") if value else translate(CONTEXT, "off")
    if isinstance(value, float):
        return f"{value:g}"
    if spec is not None and spec.name == LAYER_STAGES and isinstance(value, (tuple, list)) and value:
        return ", ".join(str(v) for v in value[0]) if isinstance(value[0], (tuple, list)) else "?"
    if spec is not None and spec.kind == "panel":
        return translate(CONTEXT, "your own")  # a list of layer indices says nothing in a list item
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if spec is not None and spec.kind == "choice":
        return tr_engine(str(value))
    return str(value)


def changed_settings(branch: Branch, specs: Sequence[SettingSpec]) -> list[str]:
    """'Label: value' for each setting of the branch that is not its engine's default, in the engine's
    order (settings the engine no longer knows come last, by their stored name)."""
    by_name = {s.name: s for s in specs}
    values = branch.spec.settings_dict()
    pair = translate(CONTEXT, "%1: %2")  # Chinese puts a full-width colon here

    def line(label: str, value: str) -> str:
        return pair.replace("%1", label).replace("%2", value)

    out = []
    for spec in specs:
        if spec.name in values and values[spec.name] != spec.default:
            out.append(line(tr_engine(spec.label), _value(spec, values[spec.name])))
    for name, value in values.items():
        if name not in by_name and name not in FORK_SETTINGS:  # a fork's origin is said as "fork @N"
            out.append(line(name, _value(None, value)))
    return out


def describe(branch: Branch, engine_name: str, specs: Sequence[SettingSpec]) -> str:
    """Name; engine; seed · fork; the changed settings: one short fact per line, so an item's height is
    its line count and nothing is cut in the panel's width (Qt's list underestimates wrapped items)."""
    facts = [translate(CONTEXT, "seed %1").replace("%1", str(branch.spec.seed))]
    if branch.fork_step is not None:
        facts.append(translate(CONTEXT, "fork @%1").replace("%1", str(branch.fork_step)))
    lines = [branch.name, engine_name, " · ".join(facts), *changed_settings(branch, specs)]
    return "\n".join(lines)
