"""Issue 14 part 6: a Paints-UNDO run's time and peak memory are known before the wait, from a short
calibration cached per device and size; long or too-big runs are flagged and, on a CPU, the hybrid is
offered. Fake calibrations and devices for the arithmetic, tiny random-weight models for the engine and
the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_single_frame_tiny import artwork, make_components

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.inference.devices import GB, DeviceInfo
from app.inference.paints_undo import estimate as est
from app.inference.paints_undo.engine import PaintsUndoEngine
from app.paths import ENV_CACHE

CPU_INFO = DeviceInfo("cpu", "Test CPU (2 cores)", 16 * GB, 12 * GB, False, True)
GPU_INFO = DeviceInfo("cuda", "Test GPU", 24 * GB, 22 * GB, True, True)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _run(info: DeviceInfo, call_s: float, **kw: object) -> est.RunEstimate:
    args: dict = dict(keyframes=6, segments=7, steps=50, video_steps=50, in_between="model") | kw
    return est.estimate_run(est.Calibration(call_s, 2 * call_s, (640, 512)), info, **args)


def test_a_reference_run_on_a_cpu_is_flagged_and_the_hybrid_offered() -> None:
    slow = _run(CPU_INFO, 4.0)
    assert slow.too_long and slow.seconds > est.LONG_RUN_S and slow.offer_hybrid
    assert slow.keyframe_s == pytest.approx(6 * (50 * 4.0 + 8.0))
    hybrid = slow.hybrid
    assert hybrid is not None and hybrid.in_between == "painted" and hybrid.steps == 12
    assert max(hybrid.working_size) == 384 and hybrid.seconds < slow.seconds / 10
    assert hybrid.hybrid is None and not hybrid.offer_hybrid
    text = "\n".join(slow.warnings())
    assert "30 min" in text and "in_between=painted" in text and "steps=12" in text
    data = slow.to_json()
    json.dumps(data)  # plain values only
    assert data["too_long"] and data["offer_hybrid"] and data["hybrid"]["in_between"] == "painted"


def test_a_gpu_run_is_not_flagged_and_no_hybrid_is_offered() -> None:
    fast = _run(GPU_INFO, 0.05)
    assert not fast.too_long and not fast.too_big and fast.hybrid is None and not fast.offer_hybrid
    assert fast.warnings() == [] and "Test GPU" in fast.summary()


def test_a_run_beyond_the_device_memory_is_flagged() -> None:
    small = DeviceInfo("cuda", "Small GPU", 2 * GB, 2 * GB, True, True)
    tight = _run(small, 0.05)
    assert tight.too_big and tight.peak_bytes > tight.memory_bytes
    assert any("GB free" in w for w in tight.warnings())
    # the hybrid needs only the single-frame model: less memory than the model in-betweens
    assert _run(CPU_INFO, 1.0, in_between="painted").peak_bytes < _run(CPU_INFO, 1.0).peak_bytes


def test_the_cpu_hybrid_itself_is_not_offered_again() -> None:
    hybrid = est.estimate_run(
        est.Calibration(1.0, 2.0, (384, 384)), CPU_INFO,
        keyframes=6, segments=7, steps=12, video_steps=50, in_between="painted",
    )  # fmt: skip
    assert hybrid.hybrid is None and hybrid.seconds == pytest.approx(
        6 * 14.0 + 7 * est.PAINTED_S_PER_MPIX * 0.147456
    )


class FakePipe:
    """The two SingleFramePipeline calls a calibration makes, counted."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def noise_for(self, shape: tuple[int, ...], seed: int) -> None:
        return None

    def denoise(self, *args: object, cancel: object = None, progress=None) -> str:
        self.calls.append("denoise")
        for step in (1, 2):  # the sampler reports after each step
            progress(step / 2, f"Sampling step {step}/2")
        return "latents"

    def decode(self, latents: object, cancel: object = None) -> list:
        self.calls.append("decode")
        return []


class FakeSession:
    image_latent = np.zeros((1, 4, 8, 8), np.float32)
    positive = negative = None
    seed, cfg = 1, 3.0

    def __init__(self, size: tuple[int, int]) -> None:
        self.working_size = size


def test_the_calibration_runs_once_per_device_and_size(own_cache: Path) -> None:
    pipe = FakePipe()
    first = est.calibrate(pipe, FakeSession((384, 384)), CPU_INFO)
    assert pipe.calls == ["denoise", "decode"] and first.size == (384, 384)
    assert (own_cache / est.CACHE_FILE).is_file()
    again = est.calibrate(pipe, FakeSession((384, 384)), CPU_INFO)
    assert again == first and pipe.calls == ["denoise", "decode"]  # cached: nothing ran
    est.calibrate(pipe, FakeSession((512, 384)), CPU_INFO)  # another size
    est.calibrate(pipe, FakeSession((384, 384)), GPU_INFO)  # another device
    assert pipe.calls.count("denoise") == 3
    (own_cache / est.CACHE_FILE).write_text("{damaged", encoding="utf-8")
    est.calibrate(pipe, FakeSession((384, 384)), CPU_INFO)  # a damaged cache: calibrated again
    assert pipe.calls.count("denoise") == 4


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_components(tmp_path_factory.mktemp("sf"))


def test_a_prepared_branch_carries_its_estimate(components: dict) -> None:
    c = components
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    art = Artwork.from_array(artwork(48, 40))
    spec = BranchSpec.make("paints-undo", 7, {"prompt": "a girl", "size": "64", "steps": 2})
    sess = engine.prepare(art, spec, CancelToken(), no_progress)
    found = sess.extra["estimate"]
    assert isinstance(found, est.RunEstimate) and found.cpu
    assert (found.keyframes, found.segments, found.steps) == (6, 7, 2)
    assert found.in_between == "painted" and found.working_size == sess.working_size
    assert found.seconds > 0 and found.peak_bytes > 0 and found.unet_call_s > 0
    assert sess.keyframes == {}  # the calibration rendered no keyframe


def test_the_cli_says_the_estimate_before_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    from app.cli import build_parser
    from app.cli.render import render_command

    image = tmp_path / "art.png"
    Image.fromarray(artwork(48, 40)).save(image)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "batch"))
    args = build_parser().parse_args([
        "render", str(image), "--engine", "tiny_engine:make_engine", "--out", str(tmp_path / "frames"),
        "--setting", "size=64", "--setting", "steps=2", "--setting", "keyframe_steps=999",
        "--steps", "999,0", "--prompt", "a girl", "--json",
    ])  # fmt: skip
    assert render_command(args, CancelToken()) == 0
    out, err = capsys.readouterr()
    assert "Estimate on" in err and err.index("Estimate on") < err.index("Wrote")
    result = json.loads(out.strip().splitlines()[-1])
    assert result["estimate"]["keyframes"] == 1 and result["estimate"]["in_between"] == "painted"
    assert result["frames"] > 0 and "prepare_s" in result["timings"]
