"""Time and peak memory of a Paints-UNDO run, known before the wait (issue 14 part 6).

Why: on a CPU a branch at the reference settings takes the better part of a day, and nothing said so
before it started. A short calibration times what dominates a run on THIS device at THIS working size:
one warm UNet call (one keyframe with its CFG pair, one sampler step) and one VAE decode, seconds on a
CPU, cached per device, dtype and size in the app's user cache folder (`paths.user_cache_dir`;
`$UNDO_STUDIO_CACHE` overrides it), so it runs once per machine and size. From it:

* keyframes: sampler steps x keyframes x the call (a batch costs its size on a CPU; on a GPU this
  over-estimates, which errs on the safe side) + one decode per keyframe;
* model segments: the video UNet's 16 frames at its 320x512 bucket, scaled from the calibrated call
  by pixels and `VIDEO_FRAME_COST` (its temporal layers; one video call takes minutes on a CPU, too
  long to calibrate), x video steps x 2 CFG passes, + the 16-frame decode likewise;
* painted segments: `PAINTED_S_PER_MPIX` per working-size megapixel (bench/hybrid.py measures it);
* peak memory: the weights the device policy keeps (devices.py) + the largest stage's working memory
  (devices.ACTIVATION_BYTES, scaled to the size), + the process itself on a CPU.

The engine puts the estimate in `session.extra["estimate"]`; the CLI prints it before rendering and the
UI shows it when a branch is ready, with a warning beyond `LONG_RUN_S` or the device's free memory and,
on a CPU, the hybrid's estimate as the alternative.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.inference.devices import (
    ACTIVATION_BYTES,
    GB,
    MULTI_FRAME,
    SINGLE_FRAME,
    DeviceInfo,
    choose_memory_policy,
    dtype_name,
)
from app.inference.paints_undo.device_defaults import CPU, is_cpu
from app.paths import cached_entry, remember_entry, user_cache_dir

log = logging.getLogger(__name__)

CACHE_FILE = "paints_undo_calibration.json"
LONG_RUN_S = 30 * 60  # warn beyond this
VIDEO_BUCKET_PX = 320 * 512  # the video model's working size (its reference bucket)
VIDEO_FRAMES = 16
VIDEO_FRAME_COST = 1.3  # one video-UNet frame vs one single-frame image at equal pixels (temporal layers)
VIDEO_DECODE_COST = 1.5  # the video VAE's temporal decoder vs the single-frame decoder, per frame
PAINTED_S_PER_MPIX = 2.0  # one painted segment per working megapixel (bench/hybrid.py: 1.6 s for 7 at 384²)
PROCESS_BYTES = GB // 2  # Python, torch and the app itself, on a CPU
_REFERENCE_PX = 320 * 512  # the size devices.ACTIVATION_BYTES are given for


@dataclass(frozen=True)
class Calibration:
    """Seconds of one UNet call (one keyframe, its CFG pair) and one VAE decode at `size` (w, h)."""

    unet_call_s: float
    decode_s: float
    size: tuple[int, int]


@dataclass(frozen=True)
class RunEstimate:
    """What a run will cost on this device; `hybrid` is the CPU hybrid's estimate where it is offered."""

    seconds: float
    keyframe_s: float
    segment_s: float
    peak_bytes: int
    memory_bytes: int  # the device's free memory when estimated
    device: str
    cpu: bool
    keyframes: int
    segments: int
    steps: int
    working_size: tuple[int, int]
    in_between: str
    unet_call_s: float
    hybrid: RunEstimate | None = None

    @staticmethod
    def hybrid_settings() -> dict[str, Any]:
        """The branch settings that switch a branch to the CPU hybrid."""
        return {"in_between": CPU["in_between"], "steps": CPU["steps"], "size": CPU["size"]}

    @property
    def too_long(self) -> bool:
        return self.seconds > LONG_RUN_S

    @property
    def too_big(self) -> bool:
        return self.peak_bytes > self.memory_bytes > 0

    @property
    def offer_hybrid(self) -> bool:
        """On a CPU, when the run is long or too big and the hybrid would be cheaper."""
        return self.hybrid is not None and (self.too_long or self.too_big)

    def warnings(self) -> list[str]:
        """English warnings for the CLI (the UI words its own, translated, from the numbers)."""
        out = []
        if self.too_long:
            out.append(f"this run would take about {_duration(self.seconds)} (more than 30 min).")
        if self.too_big:
            out.append(
                f"it would need about {self.peak_bytes / GB:.1f} GB, more than the "
                f"{self.memory_bytes / GB:.1f} GB free on {self.device}."
            )
        if self.offer_hybrid and self.hybrid is not None:
            out.append(
                f"the CPU hybrid would take about {_duration(self.hybrid.seconds)}: "
                f"--setting in_between=painted --setting steps={CPU['steps']} --setting size={CPU['size']}"
            )
        return out

    def summary(self) -> str:
        w, h = self.working_size
        return (
            f"Estimate on {self.device}: about {_duration(self.seconds)} "
            f"({self.keyframes} keyframes x {self.steps} steps at {w}x{h}: {_duration(self.keyframe_s)}; "
            f"{self.segments} {self.in_between} segments: {_duration(self.segment_s)}), "
            f"peak memory about {self.peak_bytes / GB:.1f} GB"
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["hybrid"] = None if self.hybrid is None else self.hybrid.to_json()
        out.update(too_long=self.too_long, too_big=self.too_big, offer_hybrid=self.offer_hybrid)
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# -- the calibration ----------------------------------------------------------------------------
def cache_file() -> Path:
    return user_cache_dir() / CACHE_FILE


def calibration_key(info: DeviceInfo, size: tuple[int, int]) -> str:
    return f"{info.kind}|{info.name}|{dtype_name(info, 'single_frame_unet')}|{size[0]}x{size[1]}"


def cached(key: str) -> Calibration | None:
    entry = cached_entry(CACHE_FILE, key)
    try:
        size = (int(entry["size"][0]), int(entry["size"][1]))
        return Calibration(float(entry["unet_call_s"]), float(entry["decode_s"]), size)
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # none yet, or a damaged entry: calibrate again


def remember(key: str, calibration: Calibration) -> None:
    remember_entry(CACHE_FILE, key, asdict(calibration))


def calibrate(pipe: Any, sess: Any, info: DeviceInfo, cancel: CancelToken = NEVER_CANCELLED) -> Calibration:
    """The cached calibration for this device and working size, else one measured with `pipe` (a
    SingleFramePipeline) on the session's own latent and prompts: two sampler steps of one keyframe
    (the second one timed), then its decode."""
    key = calibration_key(info, sess.working_size)
    found = cached(key)
    if found is not None:
        return found
    noise = pipe.noise_for(tuple(sess.image_latent.shape), sess.seed)
    marks: list[float] = []  # after each sampler step: the second call is timed warm (bench/hybrid.py
    # saw a cold first call on a CPU take about 2x a keyframe's share of a warm batch: set-up, page faults)
    start = time.perf_counter()
    latents = pipe.denoise(
        sess.image_latent, sess.positive, sess.negative, [999], noise, 2, sess.cfg,
        cancel=cancel, progress=lambda _f, _m="": marks.append(time.perf_counter()),
    )  # fmt: skip
    middle = time.perf_counter()
    pipe.decode(latents, cancel)
    end = time.perf_counter()
    call_s = marks[-1] - marks[-2] if len(marks) >= 2 else (middle - start) / 2
    w, h = sess.working_size
    calibration = Calibration(call_s, end - middle, (int(w), int(h)))
    remember(key, calibration)
    return calibration


# -- the estimate -------------------------------------------------------------------------------
def estimate_run(
    calibration: Calibration,
    info: DeviceInfo,
    *,
    keyframes: int,
    segments: int,
    steps: int,
    video_steps: int,
    in_between: str,
    hybrid: bool = True,
) -> RunEstimate:
    """The estimate of a run (see the module docstring); with `hybrid`, on a CPU, the hybrid's too."""
    w, h = calibration.size
    px = w * h
    keyframe_s = keyframes * (steps * calibration.unet_call_s + calibration.decode_s)
    components: tuple[str, ...] = SINGLE_FRAME
    if in_between == "painted":
        per_segment = PAINTED_S_PER_MPIX * px / 1e6
    else:
        scale = VIDEO_FRAMES * VIDEO_BUCKET_PX / px
        per_segment = scale * (
            video_steps * 2 * VIDEO_FRAME_COST * calibration.unet_call_s / 2
            + VIDEO_DECODE_COST * calibration.decode_s
        )  # the calibrated call is a CFG pair: half of it per image and pass
        components = SINGLE_FRAME + MULTI_FRAME
    segment_s = segments * per_segment
    policy = choose_memory_policy(info, components)
    weights = sum(policy.weights_bytes.values())
    kept = weights if policy.mode == "resident" else policy.model_budget_bytes
    work = [
        ACTIVATION_BYTES["single_frame_unet"] * px / _REFERENCE_PX * max(1, keyframes) / 6,
        ACTIVATION_BYTES["single_frame_vae"] * px / _REFERENCE_PX,
    ]
    if in_between != "painted":
        work += [ACTIVATION_BYTES["multi_frame_unet"], ACTIVATION_BYTES["multi_frame_vae"]]
    cpu = is_cpu(info.kind)
    peak = int(kept + max(work) * (2 if cpu else 1) + (PROCESS_BYTES if cpu else 0))  # CPU: fp32 parts
    estimate = RunEstimate(
        seconds=keyframe_s + segment_s,
        keyframe_s=keyframe_s,
        segment_s=segment_s,
        peak_bytes=peak,
        memory_bytes=int(info.free_bytes),
        device=info.name,
        cpu=cpu,
        keyframes=keyframes,
        segments=segments,
        steps=steps,
        working_size=(w, h),
        in_between=in_between,
        unet_call_s=calibration.unet_call_s,
    )
    is_hybrid = in_between == "painted" and steps <= int(CPU["steps"]) and max(w, h) <= int(CPU["size"])
    if not (cpu and hybrid) or is_hybrid:
        return estimate
    side = int(CPU["size"]) / max(w, h)
    small = replace(calibration, unet_call_s=calibration.unet_call_s * min(1.0, side * side))
    small = replace(small, decode_s=calibration.decode_s * min(1.0, side * side))
    small = replace(small, size=(max(64, int(w * min(1.0, side))), max(64, int(h * min(1.0, side)))))
    alternative = estimate_run(
        small, info, keyframes=keyframes, segments=segments, steps=min(steps, int(CPU["steps"])),
        video_steps=video_steps, in_between="painted", hybrid=False,
    )  # fmt: skip
    return replace(estimate, hybrid=alternative)
