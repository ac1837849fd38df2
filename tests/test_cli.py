"""The command line as a user runs it: real subprocesses, exit codes, one-line errors, outputs checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import build_parser
from app.errors import EngineError
from app.inference.render_job import evenly_spaced_steps, parse_settings


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@pytest.fixture()
def small_artwork(tmp_path: Path) -> Path:
    from app.paths import sample_artworks

    samples = sample_artworks()
    assert samples, "the bundled samples are missing"
    img = Image.open(samples[0]).convert("RGB")
    img.thumbnail((160, 160))
    path = tmp_path / "art.png"
    img.save(path)
    return path


def test_help_explains_every_render_option() -> None:
    out = run_cli("render", "--help")
    assert out.returncode == 0
    for option in (
        "--engine",
        "--seed",
        "--frames",
        "--steps",
        "--size",
        "--out",
        "--contact-sheet",
        "--no-label",
    ):
        assert option in out.stdout
    top = run_cli("--help")
    assert top.returncode == 0 and "render" in top.stdout and "models" in top.stdout


def test_evenly_spaced_steps_keep_both_ends() -> None:
    assert evenly_spaced_steps(5) == [999, 749, 500, 250, 0]
    assert evenly_spaced_steps(5000)[:2] == [999, 998] and len(evenly_spaced_steps(5000)) == 1000
    assert evenly_spaced_steps(1) == [0]


def test_settings_parse_numbers_and_reject_garbage() -> None:
    assert parse_settings(["a=1", "b=0.5", "c=subject-first"]) == {"a": 1, "b": 0.5, "c": "subject-first"}
    with pytest.raises(EngineError):
        parse_settings(["novalue"])


def test_steps_option_validates_range() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["render", "x.png", "--out", "o", "--steps", "1200"])


def test_render_to_folder_writes_frames_and_manifest(small_artwork: Path, tmp_path: Path) -> None:
    out = tmp_path / "frames"
    sheet = tmp_path / "sheet.png"
    res = run_cli(
        "render",
        str(small_artwork),
        "--steps",
        "999,500,0",
        "--seed",
        "3",
        "--out",
        str(out),
        "--contact-sheet",
        str(sheet),
        "--no-label",
    )
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.glob("frame_*.png"))
    manifest = json.loads((out / "process.json").read_text())
    assert manifest["engine"] == "procedural" and manifest["seed"] == 3
    assert manifest["steps"] == [999, 500, 0] and manifest["ai_simulated_process"] is True
    assert set(manifest["timings"]) >= {"load_s", "prepare_s"}
    # one file per video frame: the default 1 s hold at 30 fps is 30 more files of step 0
    assert manifest["frames"] == [999, 500] + [0] * 31 and len(names) == 33
    final = np.asarray(Image.open(out / names[-1]).convert("RGB"))
    assert np.array_equal(final, np.asarray(Image.open(small_artwork).convert("RGB")))  # no caption: exact
    labelled = tmp_path / "labelled"
    assert run_cli("render", str(small_artwork), "--steps", "0", "--out", str(labelled)).returncode == 0
    with Image.open(labelled / "frame_00000.png") as im:
        assert "AI-simulated" in im.info.get("Description", "")
    assert sheet.is_file() and Image.open(sheet).size[0] > 0


def test_render_mp4_is_h264(small_artwork: Path, tmp_path: Path) -> None:
    import av

    out = tmp_path / "p.mp4"
    res = run_cli("render", str(small_artwork), "--frames", "20", "--hold-last", "0", "--out", str(out))
    assert res.returncode == 0, res.stderr
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 20


@pytest.mark.parametrize(
    "content, expect",
    [(b"", "empty"), (b"hello, I am text", ""), (b"\x89PNG\r\n\x1a\n\x00\x00", "")],
)
def test_bad_input_is_one_line_error_and_nonzero(tmp_path: Path, content: bytes, expect: str) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    res = run_cli("render", str(bad), "--out", str(tmp_path / "o.mp4"))
    assert res.returncode == 1
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert "Traceback" not in res.stderr
    assert expect in lines[0].lower()
    assert not (tmp_path / "o.mp4").exists()


def test_missing_file_and_unknown_engine_and_suffix(small_artwork: Path, tmp_path: Path) -> None:
    res = run_cli("render", str(tmp_path / "nope.png"), "--out", str(tmp_path / "o.mp4"))
    assert res.returncode == 1 and "error:" in res.stderr
    res = run_cli("render", str(small_artwork), "--engine", "magic", "--out", str(tmp_path / "o.mp4"))
    assert res.returncode == 1 and "procedural" in res.stderr
    res = run_cli("render", str(small_artwork), "--out", str(tmp_path / "o.avi"))
    assert res.returncode == 1 and ".mp4" in res.stderr


def test_paints_undo_without_weights_says_what_is_missing(small_artwork: Path, tmp_path: Path) -> None:
    res = run_cli(
        "render",
        str(small_artwork),
        "--engine",
        "paints-undo",
        "--models",
        str(tmp_path / "empty"),
        "--out",
        str(tmp_path / "o.mp4"),
    )
    assert res.returncode == 1
    assert "not ready" in res.stderr and "paints_undo_single_frame" in res.stderr


def _one_error_line(res: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert res.returncode == 1 and len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    return lines[0]


def test_number_options_reject_non_integers_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for option, value in (("--frames", "abc"), ("--fps", "1.5"), ("--size", "big")):
        with pytest.raises(SystemExit):
            parser.parse_args(["render", "x.png", "--out", "o", option, value])
        err = capsys.readouterr().err
        assert f"must be a positive integer, got '{value}'" in err and "_positive" not in err


def test_steps_option_drops_repeated_steps() -> None:
    args = build_parser().parse_args(["render", "x.png", "--out", "o", "--steps", "5,5,900,5,0"])
    assert args.steps == [5, 900, 0]


@pytest.mark.parametrize(
    "extra, expect",
    [
        (("--hold-last", "nan"), "hold last frame"),  # was a ValueError traceback
        (("--hold-last", "1e9"), "hold last frame"),  # was an endless encode
        (("--fps", "100000"), "frame rate"),  # was 100000 frames per second of hold
    ],
)
def test_absurd_video_options_fail_before_the_artwork_is_read(
    tmp_path: Path, extra: tuple[str, ...], expect: str
) -> None:
    """Checked up front: the error names the option even though the image does not exist either, so a
    typo costs a second, not an analysis and a render."""
    res = run_cli("render", str(tmp_path / "missing.png"), "--out", str(tmp_path / "o.mp4"), *extra)
    assert expect in _one_error_line(res).lower()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sheet", ["sheet", "sheet.xyz", "."])
def test_bad_contact_sheet_path_fails_before_rendering(
    small_artwork: Path, tmp_path: Path, sheet: str
) -> None:
    out = tmp_path / "frames"
    res = run_cli(
        "render",
        str(small_artwork),
        "--steps",
        "0",
        "--out",
        str(out),
        "--contact-sheet",
        str(tmp_path / sheet),
    )
    assert "contact sheet" in _one_error_line(res)
    assert not out.exists()


def test_done_message_counts_the_video_frames_written(small_artwork: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.mp4"
    res = run_cli(
        "render", str(small_artwork), "--steps", "999,0", "--fps", "10", "--hold-last", "1", "--out", str(out)
    )
    assert res.returncode == 0, res.stderr
    assert "(12 frames" in res.stderr  # 2 steps + 10 frames holding the last one


def test_sigterm_mid_render_cancels_cleanly_without_partial_file(tmp_path: Path) -> None:
    """`timeout`, schedulers and `kill` send SIGTERM: it must clean up like the first Ctrl+C."""
    import signal
    import time

    big = tmp_path / "in" / "art.png"
    big.parent.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (384, 384, 3), np.uint8)).save(big)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "render",
            str(big),
            "--frames",
            "1000",
            "--out",
            str(out_dir / "v.mp4"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not any(".partial-" in p.name for p in out_dir.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the export never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Cancelled." in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_manifest_write_failure_is_an_export_error_not_a_traceback(tmp_path: Path) -> None:
    from app.core.export_files import write_manifest as _write_manifest
    from app.errors import ExportError

    (tmp_path / "gone").write_text("the folder was replaced by a file")
    with pytest.raises(ExportError, match="process.json") as info:
        _write_manifest(tmp_path / "gone" / "process.json", {"steps": [0]})
    assert info.value.hint
    _write_manifest(tmp_path / "process.json", {"steps": [0]})
    assert json.loads((tmp_path / "process.json").read_text()) == {"steps": [0]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone", "process.json"]


def test_unknown_setting_name_is_an_error_not_silently_ignored(tmp_path: Path, capsys) -> None:
    from app.cli import main

    image = tmp_path / "a.png"
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(image)
    assert main(["render", str(image), "--out", str(tmp_path / "o"), "--setting", "density=0.5"]) == 1
    err = capsys.readouterr().err
    assert "no setting 'density'" in err and "sketch_density" in err


def test_a_gif_larger_than_the_warning_size_is_announced_before_rendering(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from app.cli import main
    from app.core import export

    image = tmp_path / "a.png"
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(image)
    args = ["render", str(image), "--frames", "5", "--hold-last", "0"]
    assert main([*args, "--out", str(tmp_path / "small.gif")]) == 0
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setattr(export, "GIF_WARN_BYTES", 1000)
    assert main([*args, "--out", str(tmp_path / "big.gif")]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "MB" in warning[0] and (tmp_path / "big.gif").is_file()


def test_render_a_layered_file_with_the_layers_engine(tmp_path: Path) -> None:
    from layered_files import Spec, gradient_rgba, write_psd

    specs = [
        Spec("Background", gradient_rgba(64, 48, 1, alpha=False)),
        Spec("Lineart", gradient_rgba(30, 20, 2), x=5),
    ]
    art = write_psd(tmp_path / "art.psd", (64, 48), specs)
    out = tmp_path / "frames"
    res = run_cli(
        "render", str(art), "--engine", "layers", "--steps", "999,0", "--out", str(out), "--no-label"
    )
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.glob("frame_*.png"))
    assert (np.asarray(Image.open(out / names[0]).convert("RGB")) == 255).all()  # the blank canvas
    flat = run_cli(
        "render", str(tmp_path / "frames" / names[0]), "--engine", "layers", "--out", str(tmp_path / "x")
    )
    assert flat.returncode == 1 and "no layers" in flat.stderr
