"""The procedural engine's settings: what the settings form shows and how a branch's values are read.

Separate from engine.py so the engine reads as prepare/restore/render. Every setting is checked when a
branch is prepared or restored; a bad value is an `EngineError` that says which values are allowed.
"""

from __future__ import annotations

from typing import Any

from app.core.branch import BranchSpec
from app.errors import EngineError
from app.inference.engine import SettingSpec
from app.inference.procedural.behaviours import DEFAULT_CHANCES
from app.inference.procedural.schedule import ORDERS, TIMING_PRESETS
from app.inference.procedural.ways import WAY_CHOICES

DEFAULT_DENSITY = 0.6
# (setting, behaviour, label, help) of the behaviours' chances (behaviours.py)
CHANCE_SETTINGS = (
    (
        "flip_chance",
        "flip",
        "Canvas flips",
        "Chance that the canvas is shown flipped for a while; 0 turns it off.",
    ),
    (
        "grade_chance",
        "grade",
        "Late colour adjustment",
        "Chance of a colour adjustment over everything near the end; 0 turns it off.",
    ),
    (
        "repaint_chance",
        "repaint",
        "Repainted region",
        "Chance that a region is roughed in and repainted later; 0 turns it off.",
    ),
    (
        "background_chance",
        "background",
        "Replaced background",
        "Chance that the background is painted early and replaced later; 0 turns it off.",
    ),
)


def _unit(spec: BranchSpec, name: str, default: float, label: str) -> float:
    """A 0..1 setting of `spec`, or a clear error."""
    try:
        value = float(spec.setting(name, default))
    except (TypeError, ValueError):
        raise EngineError(f"{label} must be a number.", "Use a value from 0 to 1.") from None
    if not 0.0 <= value <= 1.0:
        raise EngineError(f"{label} {value} is out of range.", "Use a value from 0 to 1.")
    return value


def setting_specs() -> tuple[SettingSpec, ...]:
    """The settings the UI shows and the CLI accepts (an unknown `--setting` is refused there)."""
    return (
        SettingSpec(
            "stage_timing",
            "Stage timing",
            "choice",
            "balanced",
            choices=tuple(TIMING_PRESETS),
            help="How the undo steps are shared between sketch, ink, flats, shading and details.",
        ),
        SettingSpec(
            "order",
            "Colouring order",
            "choice",
            "auto",
            choices=ORDERS,
            help="Fill the background or the subject first; auto lets the seed decide.",
        ),
        SettingSpec(
            "sketch_density",
            "Sketch density",
            "float",
            DEFAULT_DENSITY,
            minimum=0.0,
            maximum=1.0,
            help="How much pencil work: searching lines and construction shapes.",
        ),
        SettingSpec(
            "way",
            "Way of working",
            "choice",
            "auto",
            choices=WAY_CHOICES,
            help="Line art first, painterly (masses back to front, then brushwork) or sketch and wash; "
            "auto chooses from the artwork.",
        ),
        *(
            SettingSpec(
                name,
                label,
                "float",
                DEFAULT_CHANCES[key],
                minimum=0.0,
                maximum=1.0,
                help=text,
            )
            for name, key, label, text in CHANCE_SETTINGS
        ),
    )


def read_settings(spec: BranchSpec) -> dict[str, Any]:
    """`spec`'s settings, checked, with defaults filled in; `EngineError` names a bad one."""
    timing = str(spec.setting("stage_timing", "balanced"))
    order = str(spec.setting("order", "auto"))
    way = str(spec.setting("way", "auto"))
    if timing not in TIMING_PRESETS:
        raise EngineError(f"Unknown stage timing '{timing}'.", f"Choose one of: {', '.join(TIMING_PRESETS)}.")
    if order not in ORDERS:
        raise EngineError(f"Unknown colouring order '{order}'.", f"Choose one of: {', '.join(ORDERS)}.")
    if way not in WAY_CHOICES:
        raise EngineError(f"Unknown way of working '{way}'.", f"Choose one of: {', '.join(WAY_CHOICES)}.")
    settings: dict[str, Any] = {"stage_timing": timing, "order": order}
    settings["sketch_density"] = _unit(spec, "sketch_density", DEFAULT_DENSITY, "Sketch density")
    settings["way"] = way
    for name, key, label, _ in CHANCE_SETTINGS:
        settings[name] = _unit(spec, name, DEFAULT_CHANCES[key], label)
    return settings


def chances(settings: dict[str, Any]) -> dict[str, float]:
    """The behaviours' chances (behaviours.py) from checked settings."""
    return {key: float(settings[name]) for name, key, _, _ in CHANCE_SETTINGS}
