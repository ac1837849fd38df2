"""A fork's spec says what it continues from (issue 10 item 1): the parent's spec and the fork step,
round-tripped through the project file's JSON and keyed apart from the parent and from a plain seed."""

from __future__ import annotations

import json

import pytest

from app.core.branch import FORK_OF, FORK_STEP, Branch, BranchSpec, BranchTree

PARENT = BranchSpec.make("procedural", 7, {"order": "subject-first", "sketch_density": 0.4})


def test_a_forks_spec_names_its_parent_and_the_fork_step() -> None:
    fork = PARENT.forked(443, 99)
    assert fork.seed == 99 and fork.engine == PARENT.engine
    assert fork.setting("order") == "subject-first"  # the parent's settings carry over
    assert fork.fork_origin() == (PARENT, 443)
    assert PARENT.fork_origin() is None


def test_fork_specs_are_keyed_apart_and_round_trip_through_json() -> None:
    fork = PARENT.forked(443, 99)
    hashes = {PARENT.spec_hash(), fork.spec_hash(), PARENT.with_changes(seed=99).spec_hash()}
    assert len(hashes) == 3
    assert PARENT.forked(442, 99).spec_hash() != fork.spec_hash()
    again = BranchSpec.from_json(json.loads(json.dumps(fork.to_json())))
    assert again == fork and again.spec_hash() == fork.spec_hash()
    tree = BranchTree([Branch("fork", fork)])
    restored = BranchTree([Branch.from_json(d) for d in json.loads(json.dumps(tree.to_json()))])
    assert next(iter(restored)).spec.fork_origin() == (PARENT, 443)


def test_forks_of_forks_nest_without_growing_escapes() -> None:
    spec = PARENT
    for level in range(30):
        spec = spec.forked(900 - 20 * level, level + 1)
    text = json.dumps(spec.to_json())
    assert "\\" not in text and len(text) < 10_000
    parent, step = spec.fork_origin()  # type: ignore[misc]
    assert step == 900 - 20 * 29 and parent.fork_origin()[1] == 900 - 20 * 28  # type: ignore[index]


@pytest.mark.parametrize(
    "settings",
    [{FORK_STEP: 400}, {FORK_OF: 5, FORK_STEP: 400}, {FORK_OF: ("procedural", 7, ()), FORK_STEP: -1}],
)
def test_damaged_fork_settings_raise_value_error(settings) -> None:
    with pytest.raises(ValueError):
        BranchSpec.make("procedural", 1, settings).fork_origin()


def test_a_fork_step_outside_the_timeline_is_refused() -> None:
    with pytest.raises(ValueError):
        PARENT.forked(1000, 3)
