"""Branch specs (frozen, hashed) and the branch tree with forks (design §1, §3).

A `BranchSpec` is everything that determines the frames: engine, seed and engine settings. Its hash is
part of every frame key. A `Branch` is the user's named, mutable handle on a spec, possibly forked from a
parent at an undo step: the fork keeps the parent's frames for steps >= fork_step.

A fork's *spec* says what it continues from (`BranchSpec.forked`): the settings `fork_of` (the parent's
spec as a nested tuple) and `fork_step`. So the fork's frames below the fork step are a function of its
spec alone, as every branch's are: an engine can continue the parent's canvas at the fork step
(design §9), its frame keys differ from the parent's, and the project file round-trips it as JSON.
`fork_of` is a nested tuple rather than a JSON string so that forks of forks grow linearly (a JSON
string inside JSON doubles its escapes at every level).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.frames import MAX_STEP, MIN_STEP

FORK_OF = "fork_of"
FORK_STEP = "fork_step"
SettingValue = str | int | float | bool | tuple[Any, ...]


def _canonical(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return value  # keep floats as floats: 3.0 and 3 are different settings on purpose
    return value


@dataclass(frozen=True, slots=True)
class BranchSpec:
    engine: str
    seed: int = 0
    settings: tuple[tuple[str, SettingValue], ...] = ()

    @staticmethod
    def make(engine: str, seed: int = 0, settings: Mapping[str, Any] | None = None) -> BranchSpec:
        items = tuple(sorted((str(k), _canonical(v)) for k, v in (settings or {}).items()))
        return BranchSpec(engine=engine, seed=int(seed), settings=items)

    def setting(self, name: str, default: Any = None) -> Any:
        for key, value in self.settings:
            if key == name:
                return value
        return default

    def settings_dict(self) -> dict[str, Any]:
        return dict(self.settings)

    def with_changes(self, seed: int | None = None, **settings: Any) -> BranchSpec:
        merged = self.settings_dict() | settings
        return BranchSpec.make(self.engine, self.seed if seed is None else seed, merged)

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "seed": self.seed, "settings": self.settings_dict()}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> BranchSpec:
        return BranchSpec.make(str(data["engine"]), int(data.get("seed", 0)), data.get("settings") or {})

    def forked(self, step: int, seed: int) -> BranchSpec:
        """The spec of a fork of this branch at undo `step` with a new `seed`: the same engine and
        settings, plus what it continues from (module docstring)."""
        if not MIN_STEP <= int(step) <= MAX_STEP:
            raise ValueError(f"fork step {step} is outside {MIN_STEP}..{MAX_STEP}")
        origin = (self.engine, self.seed, self.settings)
        return self.with_changes(seed=seed, **{FORK_OF: origin, FORK_STEP: int(step)})

    def fork_origin(self) -> tuple[BranchSpec, int] | None:
        """(the parent's spec, the fork step) for a fork's spec, None for any other. Raises ValueError
        when the fork settings are damaged (a hand-edited or foreign project file)."""
        origin, step = self.setting(FORK_OF), self.setting(FORK_STEP)
        if origin is None and step is None:
            return None
        if not isinstance(step, int) or isinstance(step, bool) or not MIN_STEP <= step <= MAX_STEP:
            raise ValueError(f"the fork step {step!r} is not an undo step {MIN_STEP}..{MAX_STEP}")
        try:
            engine, seed, settings = origin
            pairs = {str(k): v for k, v in settings}
            if not isinstance(engine, str) or not isinstance(seed, int) or isinstance(seed, bool):
                raise TypeError
        except (TypeError, ValueError):
            raise ValueError(f"the parent spec {origin!r} of this fork is unreadable") from None
        return BranchSpec.make(engine, seed, pairs), step

    def spec_hash(self) -> str:
        """Stable across runs and machines: sha256 of canonical JSON, first 16 hex digits."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Branch:
    name: str
    spec: BranchSpec
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    parent_id: str | None = None
    fork_step: int | None = None  # frames for steps >= fork_step come from the parent

    def renamed(self, name: str) -> Branch:
        return replace(self, name=name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "spec": self.spec.to_json(),
            "parent_id": self.parent_id,
            "fork_step": self.fork_step,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Branch:
        return Branch(
            name=str(data["name"]),
            spec=BranchSpec.from_json(data["spec"]),
            id=str(data["id"]),
            parent_id=data.get("parent_id"),
            fork_step=data.get("fork_step"),
        )


@dataclass(frozen=True)
class RemovedBranch:
    """A branch taken out of a `BranchTree`, with what it takes to put it back as it was."""

    branch: Branch
    position: int  # where it stood in the list
    was_active: bool
    orphans: tuple[tuple[str, int | None], ...]  # its forks, which became roots: (id, fork step)


class BranchTree:
    """The branches of one artwork and which one is active: the one copy of them. The open document
    and its project file share this object (the project writes it; nothing synchronises copies).

    Forks: a branch with a parent and a fork step shows its parent's frames at and above that step, so
    "which branch's frames show step s" (`owner_for`) is a question of the tree.
    """

    def __init__(self, branches: Iterable[Branch] = (), active_id: str | None = None) -> None:
        self._branches: list[Branch] = list(branches)
        ids = {b.id for b in self._branches}
        self.active_id: str | None = active_id if active_id in ids else self._first_id()

    def _first_id(self) -> str | None:
        return self._branches[0].id if self._branches else None

    def __iter__(self) -> Iterator[Branch]:
        return iter(list(self._branches))

    def __len__(self) -> int:
        return len(self._branches)

    def __contains__(self, branch_id: object) -> bool:
        return any(b.id == branch_id for b in self._branches)

    def ids(self) -> list[str]:
        return [b.id for b in self._branches]

    def get(self, branch_id: str) -> Branch:
        for b in self._branches:
            if b.id == branch_id:
                return b
        raise KeyError(branch_id)

    @property
    def active(self) -> Branch | None:
        return next((b for b in self._branches if b.id == self.active_id), None)

    def add(self, branch: Branch, activate: bool = True, index: int | None = None) -> None:
        """Add a branch at the end, or at `index` (a deleted branch put back where it was)."""
        if index is None:
            self._branches.append(branch)
        else:
            self._branches.insert(max(0, min(index, len(self._branches))), branch)
        if activate or self.active_id is None:
            self.active_id = branch.id

    def remove(self, branch_id: str) -> RemovedBranch:
        """Remove a branch; its forks become roots (they keep their own frames), and the first branch
        becomes active when the removed one was. The record puts it back (`put_back`)."""
        doomed = self.get(branch_id)
        removed = RemovedBranch(
            branch=doomed,
            position=self.ids().index(branch_id),
            was_active=self.active_id == branch_id,
            orphans=tuple((b.id, b.fork_step) for b in self._branches if b.parent_id == branch_id),
        )
        self._branches = [b for b in self._branches if b.id != branch_id]
        for b in self._branches:
            if b.parent_id == branch_id:
                b.parent_id, b.fork_step = None, None
        if self.active_id == branch_id:
            self.active_id = self._first_id()
        return removed

    def put_back(self, removed: RemovedBranch) -> Branch:
        """Undo `remove`: the branch at its place in the list, active if it was, its forks re-attached."""
        b = removed.branch
        self.add(b, activate=removed.was_active, index=removed.position)
        for fork_id, step in removed.orphans:
            if fork_id in self:
                fork = self.get(fork_id)
                fork.parent_id, fork.fork_step = b.id, step
        return b

    def owner_for(self, branch_id: str, step: int) -> str:
        """Which branch's frames show `step`: a fork shows its parent's frames at and above its fork step."""
        b = self.get(branch_id)
        seen = {b.id}
        while b.parent_id in self and b.fork_step is not None and step >= b.fork_step:
            b = self.get(str(b.parent_id))
            if b.id in seen:  # a damaged file could hold a cycle: stop rather than loop
                break
            seen.add(b.id)
        return b.id

    def to_json(self) -> list[dict[str, Any]]:
        return [b.to_json() for b in self._branches]
