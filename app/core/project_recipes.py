"""Stored recipes (the `recipes` table of a project file) and the compact text of the steps a user saw.

A deterministic engine's branch is kept as its recipe (app/inference/recipe.py), not as frames: reopening
restores the session from it and renders any step again in a millisecond. The steps the user has seen
are kept with it, so the timeline can mark them as available at once, as it does for stored frames.
They are written as sorted ranges, "0-120,400,999": a played branch is one range, not 1000 numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.frames import MAX_STEP, MIN_STEP

MAX_STEPS_TEXT = 16 * 1024  # 500 scattered single steps fit in ~2 kB; anything longer is damage
_RANGE = re.compile(r"(\d{1,4})(?:-(\d{1,4}))?", re.ASCII)


@dataclass(frozen=True, eq=False)
class RecipeRecord:
    """One row of the `recipes` table."""

    branch_hash: str  # the spec hash the branch's frame keys use
    engine: str  # the engine that made the recipe (BranchSpec.engine)
    data: bytes  # the engine's recipe, opaque here
    seen_steps: frozenset[int]  # undo steps the user has seen


def format_steps(steps: Iterable[int]) -> str:
    """Sorted, merged ranges: {0, 1, 2, 5} -> "0-2,5". Raises ValueError for a step outside 0..999."""
    ordered = sorted({int(s) for s in steps})
    if ordered and (ordered[0] < MIN_STEP or ordered[-1] > MAX_STEP):
        raise ValueError(f"undo steps must be in {MIN_STEP}..{MAX_STEP}")
    parts = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def parse_steps(text: str) -> frozenset[int]:
    """The inverse of `format_steps`. Raises ValueError for anything else (damaged or hostile text)."""
    if not isinstance(text, str) or len(text) > MAX_STEPS_TEXT:
        raise ValueError("the seen steps are not a short text")
    steps: set[int] = set()
    for part in filter(None, text.split(",")):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a step or a range of steps")
        a = int(match[1])
        b = int(match[2]) if match[2] else a
        if not MIN_STEP <= a <= b <= MAX_STEP:
            raise ValueError(f"{part!r} is outside {MIN_STEP}..{MAX_STEP}")
        steps.update(range(a, b + 1))
    return frozenset(steps)
