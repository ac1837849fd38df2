"""Shared by the batch tests: the 20-artwork input set, output checks, and finding the worker that is
rendering an item right now (it holds the item's `.partial-` file open)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

from app.core.export import ExportOptions
from app.inference.render_job import RenderRequest

GOOD = 15
BROKEN = ("broken_junk.png", "broken_truncated.png", "broken_empty.jpg")
DUPLICATES = {"dup_of_art00.png": "art00.png", "dup_of_art07.png": "art07.png"}
# Few frames, small pictures: an item costs a fraction of a second.
SMALL = RenderRequest(frames=4, export=ExportOptions(fps=10, hold_last_s=0.0))


def artwork(seed: int, size: tuple[int, int] = (64, 80)) -> np.ndarray:
    """A small picture with shapes (something for the procedural analysis to find) and some noise."""
    rng = np.random.default_rng(seed)
    h, w = size
    img = np.full((h, w, 3), rng.integers(150, 255, 3), np.uint8)
    for _ in range(4):
        y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
        img[y : y + rng.integers(6, h // 2), x : x + rng.integers(6, w // 2)] = rng.integers(0, 255, 3)
    noise = rng.integers(-12, 12, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


def make_inputs(folder: Path, size: tuple[int, int] = (64, 80)) -> Path:
    """15 good artworks, 3 broken files and 2 duplicates (copies under other names): 20 inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(GOOD):
        Image.fromarray(artwork(i, size)).save(folder / f"art{i:02d}.png")
    (folder / BROKEN[0]).write_bytes(b"this is not an image")
    (folder / BROKEN[1]).write_bytes((folder / "art01.png").read_bytes()[:60])
    (folder / BROKEN[2]).write_bytes(b"")
    for dup, original in DUPLICATES.items():
        shutil.copy(folder / original, folder / dup)
    return folder


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def jobs(out: Path) -> dict[str, tuple[str, int, str | None]]:
    """name -> (state, attempts, error), read straight from the manifest."""
    with sqlite3.connect(out / "batch.sqlite") as db:
        return {n: (s, a, e) for n, s, a, e in db.execute("SELECT name, state, attempts, error FROM jobs")}


def leftovers(out: Path) -> list[str]:
    """Half-written things: partial files, and items with some of their outputs but not all."""
    names = [p.name for p in out.iterdir()]
    bad = [n for n in names if ".partial-" in n or ".old-" in n]
    videos = {n[: -len(".mp4")] for n in names if n.endswith(".mp4")}
    sidecars = {n[: -len(".json")] for n in names if n.endswith(".json")}
    return bad + sorted(videos ^ sidecars)


def holder_of_partial(out: Path, timeout: float = 60.0) -> int:
    """The pid of a process that has a `.partial-` file of `out` open: a worker in the middle of an item."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
                for fd in fds:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith(str(out)) and ".partial-" in target:
                        return int(pid)
            except OSError:
                continue
        time.sleep(0.02)
    raise AssertionError("no worker started an item in time")
