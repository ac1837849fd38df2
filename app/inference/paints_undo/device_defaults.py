"""Per-device defaults of the Paints-UNDO settings: the reference values on a GPU, the CPU hybrid's on a CPU.

Why: at the reference's 50 sampler steps and 640 px a CPU needs most of an hour for the keyframes alone,
and the multi-frame model hours more (issue 14 part 4). On a CPU device a branch therefore defaults to
the hybrid: fewer sampler steps (DPM-Solver++(2M) on Karras sigmas keeps most of its quality at a
dozen steps), a smaller working size (frames are resized to the artwork's size anyway) and painted
in-betweens. They are only defaults: the settings form shows them (`PaintsUndoEngine.settings()` is
built from this module for its device) and a value the user sets wins on every device.

A frame's key (app/core/keyframe_plan.py) names the settings it depends on, and a setting the spec does
not hold keys as "absent". Absent means the reference value on a GPU, so `keyed_settings` writes the
device's resolved value into the keyed settings wherever it differs from that: a project rendered with
the CPU defaults and reopened on a GPU renders its frames again instead of showing the CPU's as the GPU's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import EngineError

AUTO = "auto"
# How segments are filled: auto = the multi-frame model on a GPU, painted in-betweens on a CPU.
IN_BETWEEN_CHOICES = (AUTO, "model", "painted")
# the reference app's values (on a GPU), and the CPU hybrid's (bench/hybrid.py measures them)
REFERENCE: dict[str, Any] = {"steps": 50, "size": "640", "in_between": "model"}
CPU: dict[str, Any] = {"steps": 12, "size": "384", "in_between": "painted"}
DEVICE_DEPENDENT = tuple(REFERENCE)
# How keyframes are decoded: in tiles or in one piece; auto = tiles only where one piece does not fit
# a GPU's free memory (single_frame/vae.py `wants_tiling`).
TILING_CHOICES = (AUTO, "on", "off")


def is_cpu(kind: str) -> bool:
    """`kind` is a DeviceInfo kind or a device string ("cpu", "cuda:1", "mps")."""
    return kind.split(":")[0].strip().lower() == "cpu"


def device_defaults(kind: str) -> dict[str, Any]:
    """The defaults of the device-dependent settings ("steps", "size", "in_between") on `kind`."""
    return dict(CPU if is_cpu(kind) else REFERENCE)


def resolve_in_between(choice: str, kind: str) -> str:
    """`choice` with "auto" resolved for the device `kind`: "model" or "painted"."""
    if choice not in IN_BETWEEN_CHOICES:
        raise EngineError(
            f"Invalid in-between mode '{choice}'.", f"Choose one of {', '.join(IN_BETWEEN_CHOICES)}."
        )
    return str(device_defaults(kind)["in_between"]) if choice == AUTO else choice


def keyed_settings(settings: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """`settings` (a spec's) with each device-dependent one the spec leaves to the device (absent, or
    "auto" for in_between) made explicit where the device's value is not the reference's (see above)."""
    out = dict(settings)
    resolved = device_defaults(kind)
    for name in DEVICE_DEPENDENT:
        left_to_device = name not in out or (name == "in_between" and out[name] == AUTO)
        if left_to_device and resolved[name] != REFERENCE[name]:
            out[name] = resolved[name]
    return out


def check_tiling(choice: object) -> str:
    """`choice` as a `vae_tiling` value, or a clear error naming the valid ones."""
    if str(choice) not in TILING_CHOICES:
        raise EngineError(
            f"Invalid keyframe decode '{choice}'.", f"Choose one of {', '.join(TILING_CHOICES)}."
        )
    return str(choice)
