"""`undo-studio score ARTWORK RECORDING`, run as a user runs it (subprocess, exit codes, JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import synthetic_recordings as S
from PIL import Image


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    art = S.artwork()
    Image.fromarray(np.asarray(art.pixels)).save(folder / "art.png")
    made = S.make(S.process(art, 3))
    other = S.artwork("portrait.png")
    made_other = S.make(S.process(other, 1, count=12), intro=0, blank=1, hold=1, drop=())
    return {
        "art": folder / "art.png",
        "rec": S.write_mp4(folder / "rec.mp4", made.frames, made.numbers),
        "other": S.write_mp4(folder / "other.mp4", made_other.frames, made_other.numbers),
    }


def test_score_prints_json_with_the_generating_seed_first(files):
    out = run_cli("score", str(files["art"]), str(files["rec"]), "--seed", "1", "3", "--seed", "5", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["ranking"][0] == "procedural seed 3"
    assert [b["name"] for b in data["branches"]] == [
        "procedural seed 1",
        "procedural seed 3",
        "procedural seed 5",
    ]
    assert data["alignment"]["geometry"]["flip"] is True and data["recording"]["kind"] == "video"
    assert data["alignment"]["geometry"]["rotation"] == 0
    assert len(data["recording_profile"]) == len(data["progress"]) == 41


def test_score_table_and_clear_errors(files):
    out = run_cli("score", str(files["art"]), str(files["rec"]))
    assert out.returncode == 0 and "procedural seed 0" in out.stdout and "Mirrored: yes" in out.stdout
    assert "Turned: 0° clockwise" in out.stdout
    out = run_cli("score", str(files["art"]), str(files["other"]))
    assert (
        out.returncode == 1 and "does not match this artwork" in out.stderr and "Traceback" not in out.stderr
    )
    out = run_cli("score", str(files["art"]), str(files["rec"].with_name("missing.mp4")))
    assert out.returncode == 1 and "does not exist" in out.stderr
    out = run_cli("score", str(files["art"]), str(files["rec"]), "--setting", "nosuch=1")
    assert out.returncode == 1 and "no setting 'nosuch'" in out.stderr


def test_render_beside_a_recording(files, tmp_path):
    out = tmp_path / "frames"
    done = run_cli(
        "render",
        str(files["art"]),
        "--seed",
        "3",
        "--recording",
        str(files["rec"]),
        "--frames",
        "5",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    first = Image.open(sorted(out.glob("frame_*.png"))[0])
    art = Image.open(files["art"])
    assert first.height == art.height and first.width > 1.5 * art.width  # the recording's pane beside it
    refused = run_cli(
        "render",
        str(files["art"]),
        "--recording",
        str(files["other"]),
        "--frames",
        "5",
        "--out",
        str(tmp_path / "x"),
    )
    assert refused.returncode == 1 and "does not match this artwork" in refused.stderr


def test_score_can_fit_within_a_budget(files):
    out = run_cli("score", str(files["art"]), str(files["rec"]), "--fit", "0", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["fit"]["tried"] == 1 and data["fit"]["budget_spent"] is True
    assert data["fit"]["seed"] == 0 and data["fit"]["settings"]["stage_timing"] == "balanced"
    assert "procedural seed 0 (fitted)" in data["ranking"]


def test_score_takes_a_hand_corrected_start_and_end(files):
    out = run_cli("score", str(files["art"]), str(files["rec"]), "--start", "10", "--end", "20", "--json")
    assert out.returncode == 0, out.stderr
    alignment = json.loads(out.stdout.strip().splitlines()[-1])["alignment"]
    assert alignment["hand_corrected"] is True
    assert alignment["lead_trim"][1] == 10.0 and alignment["tail_trim"][0] == 20.0
    out = run_cli("score", str(files["art"]), str(files["rec"]), "--start", "20", "--end", "10")
    assert out.returncode == 1 and "must come after its start" in out.stderr
