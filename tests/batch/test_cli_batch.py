"""`undo-studio batch` and `batch-status` as a user runs them: subprocesses, exit codes, --json, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_helpers import GOOD, jobs, leftovers, make_inputs

from app.cli import build_parser

SMALL_ARGS = ("--frames", "4", "--fps", "10", "--hold-last", "0")


def batch_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("inputs"))


def test_help_lists_the_batch_options() -> None:
    out = batch_cli("batch", "--help")
    assert out.returncode == 0
    for option in (
        "--out",
        "--format",
        "--contact-sheet",
        "--workers",
        "--retries",
        "--ray",
        "--json",
        "--engine",
    ):
        assert option in out.stdout
    args = build_parser().parse_args(["batch", "a.png", "b/", "--out", "o", "--setting", "x=1"])
    assert args.inputs == ["a.png", "b/"] and args.setting == ["x=1"] and args.format == "mp4"
    res = batch_cli("batch", "a.png", "--out", "o", "--workers", "0")
    assert res.returncode == 2 and "must be a positive integer" in res.stderr


def test_batch_json_summary_status_and_exit_code(inputs: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text(
        "path,title\n" + "".join(f"{inputs / n},x\n" for n in ("art00.png", "art01.png", "broken_junk.png"))
        + "missing.png,y\n"
    )  # fmt: skip
    res = batch_cli("batch", str(listing), str(inputs / "dup_of_art00.png"), "--out", str(tmp_path / "o"),
                    "--workers", "2", "--json", *SMALL_ARGS)  # fmt: skip
    assert res.returncode == 1, res.stderr  # some items failed
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert (summary["inputs"], summary["jobs"], summary["duplicates"]) == (5, 4, 1)
    assert (summary["rendered"], summary["failed"]) == (2, 2)
    errors = {Path(f["input"]).name: f["error"] for f in summary["failures"]}
    assert "does not exist" in errors["missing.png"] and "export it again" in errors["broken_junk.png"]
    assert "Traceback" not in res.stderr and "2 rendered" in res.stderr

    status = batch_cli("batch-status", str(tmp_path / "o"))
    assert status.returncode == 0 and "2 done" in status.stdout and "2 failed" in status.stdout
    assert "missing.png" in status.stdout
    state = json.loads(batch_cli("batch-status", str(tmp_path / "o"), "--json").stdout)
    assert (state["done"], state["failed"], state["pending"], state["duplicates"]) == (2, 2, 0, 1)


@pytest.mark.parametrize(
    "args, expect",
    [
        (("nowhere/",), "does not exist"),
        (("nowhere/*.png",), "matches no file"),
        (("{inputs}", "--fps", "100000"), "frame rate"),
        (("{inputs}", "--engine", "magic"), "unknown engine"),
        (("{inputs}", "--setting", "colour=blue"), "no setting"),
    ],
)
def test_a_batch_that_cannot_start_says_why_in_one_line(
    inputs: Path, tmp_path: Path, args: tuple[str, ...], expect: str
) -> None:
    res = batch_cli("batch", *(a.format(inputs=inputs) for a in args), "--out", str(tmp_path / "o"))
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 1 and len(lines) == 1 and expect in lines[0].lower(), res.stderr
    assert not (tmp_path / "o" / "batch.sqlite").exists()


def test_batch_status_of_a_folder_without_a_batch(tmp_path: Path) -> None:
    res = batch_cli("batch-status", str(tmp_path))
    assert res.returncode == 1 and "no batch manifest" in res.stderr


def test_sigterm_stops_cleanly_and_the_rerun_does_only_the_rest(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    command = [sys.executable, "-m", "app", "batch", str(inputs), "--out", str(out), "--workers", "2",
               "--json", "--frames", "20", "--fps", "10", "--hold-last", "0"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    first = json.loads(stdout.strip().splitlines()[-1])
    assert first["cancelled"] and first["pending"] > 0 and "resume" in stderr
    assert leftovers(out) == [] and not (out / ".batch-stop").exists()
    assert "running" not in {state for state, _, _ in jobs(out).values()}

    res = batch_cli("batch", str(inputs), "--out", str(out), "--workers", "2", "--json",
                    "--frames", "20", "--fps", "10", "--hold-last", "0")  # fmt: skip
    second = json.loads(res.stdout.strip().splitlines()[-1])
    assert second["skipped"] == first["rendered"] and second["rendered"] == GOOD - first["rendered"]
    assert res.returncode == 1 and second["failed"] == 3 and second["pending"] == 0


def test_importing_the_cli_and_a_local_batch_never_import_ray(inputs: Path, tmp_path: Path) -> None:
    code = (
        "import sys, app.cli, app.batch\n"
        "from batch_helpers import SMALL\n"
        f"app.batch.run([{str(inputs / 'art00.png')!r}], {str(tmp_path)!r}, SMALL, workers=1)\n"
        "print('ray' in sys.modules, 'torch' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parent)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "False"]


def test_the_progress_line_shows_items_per_minute_eta_and_failures() -> None:
    import io

    from app.batch import BatchProgress
    from app.cli.batch import BatchBar

    log = io.StringIO()
    bar = BatchBar(log)
    bar(BatchProgress(total=10, running=2))  # a start: nothing to log
    bar(BatchProgress(total=10, finished=4, failed=1, elapsed_s=120.0, last="art03: done"))
    assert log.getvalue() == "[4/10 items  2.0/min  ETA 3m00s  1 failed] art03: done\n"

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Tty()
    live = BatchBar(screen)
    live(BatchProgress(total=10, finished=5, running=2, elapsed_s=7200.0, last="x: done"))
    live.done()
    assert screen.getvalue().startswith("\r5/10 items  0.0/min  ETA 2h00m  0 failed  2 running  x: done")
