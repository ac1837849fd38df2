"""Issue 10 items 3, 5 and 12: every format lasts as long for the same settings, a PNG sequence carries
its process.json, a GIF's size is estimated before rendering, a comparison uses the on-screen layout,
and what a killed export left behind is cleaned on the next export to that place."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from app.core.compare_layout import compare_grid, grid_columns, grid_size
from app.core.export import ExportOptions, estimate_gif_bytes, export_comparison, export_process
from app.core.export_files import clean_stale_partials, held_partial

STEPS = list(range(29, -1, -1))
SIZE = (37, 51)  # height, width


def frame_for_step(step: int) -> np.ndarray:
    return np.full((*SIZE, 3), 255 - (step * 8) % 256, np.uint8)


def _seconds(path: Path, fps: int) -> float:
    """How long the export plays: decoded video frames / fps, animation delays, PNG files / fps."""
    if path.is_dir():
        return len(list(path.glob("frame_*.png"))) / fps
    if path.suffix in {".gif", ".webp"}:
        with Image.open(path) as im:
            total = 0
            for i in range(im.n_frames):
                im.seek(i)
                im.load()
                total += im.info["duration"]
        return total / 1000
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0)) / fps


@pytest.mark.parametrize(
    "options",
    [
        ExportOptions(fps=10, hold_last_s=1.5, label=False),
        ExportOptions(fps=10, hold_last_s=0.5, show_final_first=True, final_first_s=0.7, label=False),
        ExportOptions(fps=30, length="15s", hold_last_s=2.0, show_final_first=True, label=False),
    ],
    ids=["hold", "final-first", "preset"],
)
def test_every_format_lasts_as_long_for_the_same_settings(tmp_path: Path, options: ExportOptions) -> None:
    """The PNG sequence used to drop "hold last frame" and "show final first" (30 files, not 45)."""
    steps = list(range(999, -1, -1)) if options.length != "full" else STEPS
    lengths = {}
    for name in ("a.mp4", "a.webm", "a.gif", "a.webp", "frames"):
        result = export_process(steps, frame_for_step, tmp_path / name, options)
        lengths[name] = _seconds(tmp_path / name, options.fps)
        assert lengths[name] == pytest.approx(result.duration_s, abs=0.011), name
    expected = lengths["a.mp4"]
    assert all(v == pytest.approx(expected, abs=0.011) for v in lengths.values()), lengths


def test_a_png_sequence_holds_the_last_and_shows_the_final_first_in_playback_order(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    options = ExportOptions(fps=10, hold_last_s=0.3, show_final_first=True, final_first_s=0.2, label=False)
    result = export_process(STEPS[:3], frame_for_step, out, options)
    files = sorted(out.glob("frame_*.png"))
    shown = [int(np.asarray(Image.open(f))[0, 0, 0]) for f in files]
    final, a, b = (255 - s * 8 for s in (27, 29, 28))
    assert shown == [final, final, a, b, final, final, final, final]
    assert result.frame_count == len(files) and result.duration_s == pytest.approx(0.8)
    manifest = json.loads((out / "process.json").read_text())
    assert manifest["frames"] == [27, 27, 29, 28, 27, 27, 27, 27]
    assert manifest["steps"] == [29, 28, 27] and manifest["fps"] == 10 and manifest["duration_s"] == 0.8
    assert manifest["ai_simulated_process"] is True


def test_the_manifest_carries_the_callers_fields_and_commits_with_the_frames(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    export_process(STEPS[:2], frame_for_step, out, manifest={"engine": "procedural", "seed": 7})
    manifest = json.loads((out / "process.json").read_text())
    assert manifest["engine"] == "procedural" and manifest["seed"] == 7
    assert not any(".partial-" in p.name for p in tmp_path.iterdir())
    export_process(STEPS[:2], frame_for_step, tmp_path / "a.mp4", manifest={"engine": "procedural"})
    assert not (tmp_path / "process.json").exists()  # videos carry their note in their metadata


def test_the_gif_estimate_is_made_before_rendering_and_errs_on_the_large_side(tmp_path: Path) -> None:
    """A painting-like process: a bundled illustration appearing band by band on white."""
    from app.paths import sample_artworks

    with Image.open(sample_artworks()[0]) as im:
        painting = np.asarray(im.convert("RGB").resize((128, 128)))

    def source(step: int) -> np.ndarray:
        frame = np.full_like(painting, 255)
        rows = round(128 * (29 - step) / 29)
        frame[:rows] = painting[:rows]
        return frame

    options = ExportOptions(fps=10, hold_last_s=1.0, label=False)
    estimate = estimate_gif_bytes(STEPS, options, 128, 128)
    export_process(STEPS, source, tmp_path / "a.gif", options)
    actual = (tmp_path / "a.gif").stat().st_size
    assert estimate / 6 < actual < estimate, (actual, estimate)
    assert estimate_gif_bytes(STEPS, ExportOptions(max_size=64), 128, 128) < estimate / 2  # size applies
    assert estimate_gif_bytes(STEPS * 2, options, 128, 128) > estimate * 1.9  # frame count applies


def test_four_branches_are_a_two_by_two_grid_like_the_compare_view(tmp_path: Path) -> None:
    """Used to be a 1×4 strip; the compare view shows four branches 2×2."""
    assert [grid_columns(n) for n in (1, 2, 3, 4)] == [1, 2, 3, 2]
    colours = (40, 90, 160, 220)
    panes = [(f"Seed {c}", (lambda s, c=c: np.full((*SIZE, 3), c, np.uint8))) for c in colours]
    result = export_comparison(
        panes, STEPS[:3], tmp_path / "c.mp4", ExportOptions(hold_last_s=0, label=False)
    )
    h, w = SIZE
    assert (result.width, result.height) == grid_size(4, w, h) == (2 * w + 8, 2 * h + 8)
    picture = compare_grid([src(0) for _, src in panes])
    for (row, col), colour in zip([(0, 0), (0, 1), (1, 0), (1, 1)], colours, strict=True):
        y, x = row * (h + 8) + h - 5, col * (w + 8) + w - 5  # away from the pane's label
        assert picture[y, x, 0] == colour
    three = export_comparison(panes[:3], STEPS[:2], tmp_path / "c3.gif", ExportOptions(hold_last_s=0))
    assert (three.width, three.height) == (3 * w + 16, h)


def _partial_writer(out: Path) -> subprocess.Popen[bytes]:
    """A process exporting a PNG sequence to `out` that stops after its first frame, holding its partial."""
    code = textwrap.dedent(
        f"""
        import time, numpy as np
        from pathlib import Path
        from app.core.export import export_process
        def source(step):
            if step == 1:
                time.sleep(600)
            return np.zeros((8, 8, 3), np.uint8)
        export_process([2, 1, 0], source, Path({str(out)!r}))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


def _wait_for_partial(folder: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not any(p.is_dir() and any(p.iterdir()) for p in folder.iterdir() if ".partial-" in p.name):
        assert proc.poll() is None and time.monotonic() < deadline, "the export never started"
        time.sleep(0.05)


def test_a_killed_png_export_leaves_a_partial_that_the_next_export_there_removes(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    proc = _partial_writer(out)
    try:
        _wait_for_partial(tmp_path, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert _partials(tmp_path)  # SIGKILL runs no cleanup
    keep = [
        tmp_path / ".other.partial-0123abcd",
        tmp_path / ".frames.partial-notours",
        tmp_path / "frames.txt",
    ]
    for path in keep:
        path.write_text("not this export's")
    export_process(STEPS[:2], frame_for_step, out)
    assert _partials(tmp_path) == sorted(p.name for p in keep if ".partial-" in p.name)
    assert all(p.exists() for p in keep) and (out / "process.json").is_file()


def test_a_partial_another_export_is_writing_right_now_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    proc = _partial_writer(out)
    try:
        _wait_for_partial(tmp_path, proc)
        before = _partials(tmp_path)
        export_process(STEPS[:2], frame_for_step, out)  # the same place, while the other one writes
        assert _partials(tmp_path) == before
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert clean_stale_partials(out) and _partials(tmp_path) == []


def test_a_video_partial_is_locked_while_written_and_stale_after(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    tmp = tmp_path / ".a.partial-0123abcd.mp4"
    with held_partial(tmp, is_folder=False):
        assert clean_stale_partials(out) == [] and tmp.exists()
    assert clean_stale_partials(out) == [tmp] and not tmp.exists()
