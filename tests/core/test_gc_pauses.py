"""Issue 10 item 11: the objects alive after start-up are exempt from collections (full collections walk
only what came later), once per process, and cycles made later are still collected. In a subprocess: a
frozen test process would keep every test's garbage cycles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECK = """
import gc, weakref
from app.core.gc_pauses import freeze_start_up_objects

class Node:
    pass

start_up = [Node() for _ in range(1000)]
tracked_before = len(gc.get_objects())
assert freeze_start_up_objects()
assert gc.get_freeze_count() >= 1000 and len(gc.get_objects()) < tracked_before // 2
assert not freeze_start_up_objects()  # only once: a document's objects are never frozen
later = Node()
later.me = later
ref = weakref.ref(later)
del later
gc.collect()
assert ref() is None  # a cycle made after start-up is still collected
print("ok")
"""


def test_start_up_objects_are_frozen_once_and_later_cycles_are_collected() -> None:
    root = Path(__file__).resolve().parents[2]
    env = os.environ | {"PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
