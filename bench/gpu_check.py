"""GPU check for Paints-UNDO: numbers per dtype against the CPU, then one whole image end to end.

    python bench/gpu_check.py --json                      # on a CUDA machine, <= ~5 minutes
    python bench/gpu_check.py --device cpu --tiny --json  # the same checks, tiny models, on a CPU

1. **Tiny models, device vs CPU.** Single-frame keyframes (2 undo steps) and one multi-frame segment on
   tiny random models, on the device in fp32, fp16 and bf16, compared with the same run on the CPU in
   fp32 (grey levels, uint8): no NaN/black frame, mean difference within `TOLERANCE` for the dtype.
   Then the fall-back path: a hook makes the single-frame UNet and VAE output NaN in half precision, and
   the pipeline must retry in float32 and give a clean image.
2. **Full-size architectures, random weights, one image end to end** (with `--tiny`: tiny models at
   small sizes): 6 keyframes x `--steps` at 512x640, then the 7 segments between artwork, keyframes and
   the white canvas x `--steps` at the 320x512 video bucket, through the app's own `ModelManager` and
   memory policy; `total_s`, seconds per stage, `peak_vram_gb` (`torch.cuda.max_memory_allocated`;
   peak RSS on a CPU), the policy used. Once at the device's own budget, once with `--budget-gb`
   (default 8) forced (policy from that budget and, on CUDA, `set_per_process_memory_fraction`).

The last line with `--json` is one JSON object; `ok` is false when a check failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import pu_models  # noqa: E402

GB = 1 << 30
PROMPT = "1girl, solo, long hair, smile, outdoors, sky"
NEGATIVE = "lowres, bad anatomy, bad hands, cropped, worst quality"
# Mean |difference| in grey levels (0..255) allowed against CPU fp32, per dtype on the device.
TOLERANCE = {"float32": 2.0, "float16": 8.0, "bfloat16": 12.0}
SF = ("single_frame_unet", "single_frame_vae", "single_frame_text_encoder")
MF = (
    "multi_frame_unet",
    "multi_frame_vae",
    "multi_frame_image_encoder",
    "multi_frame_image_projection",
    "multi_frame_text_encoder",
)
TINY_BUCKETS = ((32, 48), (48, 32))


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _reset_peak(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_gb(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / GB
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def _artwork(height: int, width: int) -> Any:
    import numpy as np

    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(0)
    art = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], -1)
    return np.clip(art + rng.integers(-20, 20, art.shape), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- 1. tiny models, per dtype
def _tiny_run(device: str, dtype_name: str, hook_nan: bool = False) -> dict[str, Any]:
    import torch

    from app.inference.paints_undo.multi_frame.pipeline import MultiFramePipeline
    from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline, degenerate

    dtype = getattr(torch, dtype_name)
    sf = {c: pu_models.build(c, dtype, tiny=True, device=device, seed=i) for i, c in enumerate(SF)}
    if hook_nan:  # what fp16/bf16 overflow looks like: NaN out of every half-precision call

        def poison(_m: Any, _args: Any, out: Any) -> Any:
            sample = getattr(out, "sample", out)
            if isinstance(sample, torch.Tensor) and sample.dtype != torch.float32:
                return sample * float("nan") if sample is out else type(out)(sample=sample * float("nan"))
            return out

        sf["single_frame_unet"].register_forward_hook(poison)
        sf["single_frame_vae"].decoder.register_forward_hook(poison)  # decode() does not call forward
    pipe = SingleFramePipeline.from_components(
        sf["single_frame_unet"], sf["single_frame_vae"], sf["single_frame_text_encoder"],
        pu_models.tokenizer(), device=device,
    )  # fmt: skip
    art = _artwork(80, 64)
    noise = torch.randn((1, 4, 10, 8), generator=torch.Generator().manual_seed(1))
    keyframes = pipe(art, PROMPT, NEGATIVE, [400, 999], steps=4, cfg=3.0, size=(64, 80), noise=noise)
    out: dict[str, Any] = {"keyframes": keyframes, "dtypes_used": dict(pipe.last_run_dtypes)}
    if hook_nan:
        return out
    mf = {c: pu_models.build(c, dtype, tiny=True, device=device, seed=10 + i) for i, c in enumerate(MF)}
    video = MultiFramePipeline(
        mf["multi_frame_unet"], mf["multi_frame_vae"], mf["multi_frame_image_encoder"],
        mf["multi_frame_image_projection"], mf["multi_frame_text_encoder"], pu_models.tokenizer(),
        buckets=TINY_BUCKETS,
    )  # fmt: skip
    out["segment"] = video.interpolate(keyframes[0], art, PROMPT, seed=3, steps=2)
    pixels = torch.from_numpy(__import__("numpy").stack(out["segment"])).float() / 127.5 - 1
    out["segment_degenerate"] = degenerate(pixels, pixels=True)
    return out


def _diff(a: list[Any], b: list[Any]) -> tuple[float, float]:
    import numpy as np

    x = np.stack(a).astype(np.float32)
    y = np.stack(b).astype(np.float32)
    return float(np.abs(x - y).mean()), float(np.abs(x - y).max())


def _black_or_nan(images: list[Any]) -> bool:
    import numpy as np

    stack = np.stack(images)
    return bool(stack.max() <= 3 or not np.isfinite(stack).all())


def tiny_checks(device: str, dtypes: list[str]) -> dict[str, Any]:
    reference = _tiny_run("cpu", "float32")
    # Random tiny models may well paint black themselves: only a NaN/black the CPU run has not is a finding.
    reference_bad = _black_or_nan(reference["keyframes"]) or bool(reference["segment_degenerate"])
    report: dict[str, Any] = {"reference_nan_or_black": reference_bad}
    for dtype_name in dtypes:
        start = time.perf_counter()
        try:
            got = _tiny_run(device, dtype_name)
        except Exception as exc:  # a dtype the device cannot run is a finding, not a crash of the check
            report[dtype_name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            continue
        kf_mean, kf_max = _diff(got["keyframes"], reference["keyframes"])
        seg_mean, seg_max = _diff(got["segment"], reference["segment"])
        bad = _black_or_nan(got["keyframes"]) or bool(got["segment_degenerate"])
        report[dtype_name] = {
            "keyframes_mean_diff": round(kf_mean, 3),
            "keyframes_max_diff": kf_max,
            "segment_mean_diff": round(seg_mean, 3),
            "segment_max_diff": seg_max,
            "nan_or_black": bad,
            "dtypes_used": got["dtypes_used"],
            "seconds": round(time.perf_counter() - start, 2),
            "ok": (reference_bad or not bad) and max(kf_mean, seg_mean) <= TOLERANCE[dtype_name],
        }
    half = "float16" if device != "cpu" else "bfloat16"
    fallback = _tiny_run(device, half, hook_nan=True)
    used = fallback["dtypes_used"]
    report["forced_fallback"] = {
        "dtype": half,
        "dtypes_used": used,
        "ok": used.get("single_frame_unet") == "float32"
        and used.get("single_frame_vae") == "float32"
        and not _black_or_nan(fallback["keyframes"]),
    }
    return report


# ----------------------------------------------------------------------- 2. one image end to end
class _StageClock:
    """Seconds per pipeline stage, from the progress messages (digits dropped: '3/50' is one stage)."""

    def __init__(self, device: str, prefix: str, into: dict[str, float]) -> None:
        self.device, self.prefix, self.into = device, prefix, into
        self.stage: str | None = None
        self.since = time.perf_counter()

    def __call__(self, _fraction: float, message: str = "") -> None:
        name = "".join(ch for ch in message if not ch.isdigit()).strip(" /:.") or "work"
        if name != self.stage:
            self.close()
            self.stage = name

    def close(self) -> None:
        _sync(self.device)
        now = time.perf_counter()
        if self.stage is not None and now - self.since >= 1e-3:
            key = f"{self.prefix}: {self.stage}"
            self.into[key] = round(self.into.get(key, 0.0) + now - self.since, 3)
        self.since, self.stage = now, None


def end_to_end(
    device: str, tiny: bool, steps: int, budget_gb: float | None, built: dict, segments: int = 7
) -> dict:
    import torch

    from app.core.segments import DEFAULT_KEYFRAME_STEPS
    from app.inference.devices import choose_dtype, choose_memory_policy, resolve_device
    from app.inference.model_manager import ModelManager
    from app.inference.paints_undo.multi_frame.pipeline import MultiFramePipeline
    from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline

    info = resolve_device(device)
    if budget_gb is not None:
        budget = int(budget_gb * GB)
        info = dataclasses.replace(info, free_bytes=min(info.free_bytes, budget))
        if device.startswith("cuda"):
            torch.cuda.set_per_process_memory_fraction(min(1.0, budget / info.total_bytes))
    policy = choose_memory_policy(info)
    manager = ModelManager(info, policy.model_budget_bytes)
    for i, component in enumerate(SF + MF):
        if component not in built:  # built once on the CPU, reused by both runs
            dtype = choose_dtype(info, component)
            built[component] = pu_models.build(component, dtype, tiny=tiny, device="cpu", seed=i)
        built[component].to("cpu")
        manager.register(component, lambda c=component: built[c])
    stages: dict[str, float] = {}
    size = (64, 80) if tiny else (512, 640)  # (w, h)
    art = _artwork(size[1], size[0])
    _reset_peak(device)
    start = time.perf_counter()
    sf = SingleFramePipeline(manager, pu_models.tokenizer())
    clock = _StageClock(device, "keyframes", stages)
    keys = list(DEFAULT_KEYFRAME_STEPS)
    keyframes = sf(art, PROMPT, NEGATIVE, keys, seed=1, steps=steps, cfg=3.0, size=size, progress=clock)
    clock.close()
    import numpy as np

    chain = [art, *keyframes, np.full_like(art, 255)]
    pinned: dict[str, Any] = {}

    def prepare_module(name: str) -> None:  # as the engine does: one stage's model pinned at a time
        if "stage" in pinned:
            pinned.pop("stage").__exit__(None, None, None)
        context = manager.use(f"multi_frame_{name}")
        setattr(video, name, context.__enter__())
        pinned["stage"] = context

    extra = {"buckets": TINY_BUCKETS} if tiny else {}
    video = MultiFramePipeline(
        None, None, None, None, None, pu_models.tokenizer(), prepare_module=prepare_module, **extra
    )
    frames = 0
    for a, b in list(zip(chain, chain[1:], strict=False))[:segments]:
        clock = _StageClock(device, "segments", stages)
        frames += len(video.interpolate(a, b, PROMPT, seed=2, steps=steps, progress=clock))
        clock.close()
    if "stage" in pinned:
        pinned.pop("stage").__exit__(None, None, None)
    _sync(device)
    total = time.perf_counter() - start
    peak = _peak_gb(device)
    manager.offload_all()
    if device.startswith("cuda") and budget_gb is not None:
        torch.cuda.set_per_process_memory_fraction(1.0)
    return {
        "total_s": round(total, 2),
        "stages_s": stages,
        "peak_vram_gb" if device.startswith("cuda") else "peak_rss_gb": round(peak, 3),
        "policy": policy.mode,
        "model_budget_gb": round(policy.model_budget_bytes / GB, 2),
        "policy_reason": policy.reason,
        "keyframes": len(keyframes),
        "segments": min(segments, len(chain) - 1),
        "frames": frames,
        "keyframe_size": f"{size[0]}x{size[1]}",
        "steps": steps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N, mps or cpu")
    parser.add_argument("--tiny", action="store_true", help="tiny models at small sizes for part 2 too")
    parser.add_argument("--steps", type=int, default=0, help="sampler steps of part 2 (default 50; tiny 2)")
    parser.add_argument("--budget-gb", type=float, default=8.0, help="the forced device budget")
    parser.add_argument("--skip-tiny", action="store_true", help="only part 2")
    parser.add_argument("--dtypes", default="float32,float16,bfloat16", help="part 1's device dtypes")
    parser.add_argument("--segments", type=int, default=7, help="part 2: how many of the 7 segments")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    import torch

    from app.inference.devices import resolve_device

    info = resolve_device(args.device)
    device = info.torch_device
    steps = args.steps or (2 if args.tiny else 50)
    result: dict[str, Any] = {"device": info.describe(), "torch": torch.__version__, "tiny": args.tiny}
    start = time.perf_counter()
    if not args.skip_tiny:
        result["tiny_checks"] = tiny_checks(device, [d for d in args.dtypes.split(",") if d])
    built: dict[str, Any] = {}
    result["end_to_end_default"] = end_to_end(device, args.tiny, steps, None, built, args.segments)
    result["end_to_end_budget"] = end_to_end(device, args.tiny, steps, args.budget_gb, built, args.segments)
    result["end_to_end_budget"]["budget_gb"] = args.budget_gb
    result["check_s"] = round(time.perf_counter() - start, 1)
    checks = result.get("tiny_checks", {})
    result["ok"] = all(v.get("ok", False) for v in checks.values() if isinstance(v, dict))
    if device.startswith("cuda"):
        result["within_budget"] = result["end_to_end_budget"]["peak_vram_gb"] <= args.budget_gb
        result["ok"] = result["ok"] and result["within_budget"]
    for key in ("end_to_end_default", "end_to_end_budget"):
        run = result[key]
        print(f"{key}: {run['total_s']} s, policy {run['policy']}, stages {run['stages_s']}")
    if args.json:
        print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
