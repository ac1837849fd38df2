"""Which engines exist: the built-ins plus any third-party ones registered under the
`undo_studio.engines` entry-point group. Engines are constructed lazily, so listing is cheap and
importing this module imports no engine (and no torch)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from app.errors import EngineError
from app.inference.engine import ProcessEngine

ENTRY_POINT_GROUP = "undo_studio.engines"
DEFAULT_ENGINE = "procedural"

_BUILTINS: dict[str, str] = {
    "procedural": "app.inference.procedural:ProceduralEngine",
    "paints-undo": "app.inference.paints_undo.engine:PaintsUndoEngine",
    "layers": "app.inference.layers:LayersEngine",
    "recording": "app.inference.recorded:RecordedEngine",
}
RECORDING_ENGINE = "recording"  # a real time-lapse as a branch (recorded.py)
PAINTS_UNDO_ENGINE = "paints-undo"
LAYERS_ENGINE = "layers"  # the first branch of a layered artwork (PSD, ORA, KRA)
# Made by adding a recording, never picked for a new branch: not listed by `engine_names`.
NOT_LISTED = frozenset({RECORDING_ENGINE})


def _load(target: str) -> Callable[..., ProcessEngine]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def engine_names() -> list[str]:
    """The engines a user picks for a new branch: built-ins first, then third-party ones in name order."""
    names = [n for n in _BUILTINS if n not in NOT_LISTED]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name not in names and ep.name not in NOT_LISTED:
            names.append(ep.name)
    return names


def create_engine(name: str, models_dir: Path | None = None, device: str | None = None) -> ProcessEngine:
    """Build engine `name`. Engines that need weights take `models_dir`/`device`; others ignore them.

    `name` may also be a target 'module:factory' (scripts driving `app.batch.run` with an engine of
    their own that is not installed as a package, and the tests): it is imported like an entry point."""
    target = _BUILTINS.get(name)
    factory: Callable[..., ProcessEngine] | None = _load(target) if target else None
    if factory is None and ":" in name:
        try:
            factory = _load(name)
        except (ImportError, AttributeError) as exc:
            raise EngineError(
                f"Cannot load the engine '{name}' ({exc}).", "Check the module:factory name."
            ) from exc
    if factory is None and ":" not in name:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                factory = ep.load()
                break
    if factory is None:
        raise EngineError(f"Unknown engine '{name}'.", f"Choose one of: {', '.join(engine_names())}.")
    if name in ("procedural", "layers"):
        return factory()
    try:
        return factory(models_dir=models_dir, device=device)
    except TypeError:
        return factory()
