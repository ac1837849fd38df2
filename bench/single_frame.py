"""Benchmark: Paints-UNDO single-frame keyframes, our pipeline vs the same work done the reference's way.

Both sides use the FULL-SIZE SD1.5 architecture (configs from the shipped manifests: 861 M-param UNet,
11-layer CLIP-L text encoder, SD VAE) with identical seeded random weights (no real checkpoint here).
"Reference way" is written below after the reference `gradio_app.process` + `KDiffusionSampler`: the
image and both prompts are encoded again on every call, the prompts in two encoder calls, positive and
negative are two UNet calls per step, and the whole batch is decoded at once. Ours is
`SingleFramePipeline` with the device policy's CPU techniques (app/inference/cpu_tuning.py): one batched
CFG call per step, decode one image at a time, and every call COLD (a new pipeline: the image and the
prompts are encoded inside the timed call too, although the engine reuses them per branch).

`speedup_same_dtype` is the honest figure: both sides in fp32 on a CPU (fp16 on CUDA), same weights,
same tokens, same noise, same thread count (`threads`), CPU seconds (user + system of all threads,
median over the timed batches; `speedup_same_dtype_wall` beside it, `speedup_same_dtype_min` from the
minima). The final latents must agree within
`TOLERANCE_REL` of their largest value and the decoded keyframes within `TOLERANCE_GREY` grey level
(bench/single_frame_report.py)
(`within_tolerance`; the exit status is 1 otherwise). `techniques` has a line per technique: ours with it
vs ours without it, everything else as the policy, CPU/system/wall seconds bought, page faults, peak.
The allocator is process state, so sides run in two kinds of process: the reference way and ours
without the allocator in one with glibc's defaults untouched, ours with it in one tuned before the
models are built (as the engine does). Within a process the sides alternate batch by batch (same load
from other processes); the two kinds alternate over `--rounds` rounds, the timed batches split between
them (each process has its own warm-up), because this shared machine's speed drifts by ~20 % over the
minutes one process takes and would otherwise favour whichever kind ran at the faster time. `speedup`
is ours in the app's dtype for the device (on a CPU bf16 where `dtype_calibration.py` measured it
faster: not the same numbers) in a process of its own. Peak memory is measured per batch (CPU: the freed heap
trimmed, as the engine does after each batch, then VmHWM reset; CUDA: `max_memory_allocated`), so it includes
the resident weights; model construction is not timed. The two ways' peaks are measured once more, each
alone in a process of its own (`reference_way_peak_mb`, `ours_same_dtype_peak_mb`): the rounds' processes
run several sides, whose heap history the tuned allocator keeps (`peak_mb_in_rounds`).

    python bench/single_frame.py [--device cpu] [--size 256x256] [--undo-steps 2] [--steps 4]
                                 [--calls 2] [--rounds 2] [--warmup 1] [--dtype auto|fp32|bf16|fp16]
                                 [--json]
    python bench/single_frame.py --size 128x128 --undo-steps 1 --steps 2   # while iterating
    python bench/single_frame.py --tiny --dtype fp32 --size 64x64         # tiny models: the bench's test
    python bench/single_frame.py --device cuda --size 512x640 --dtype fp16 --undo-steps 6 --steps 50

A "keyframe batch" is one call producing len(undo steps) keyframes; `--warmup` untimed batches first
(one-off kernel/primitive set-up), then `--calls` timed ones. Timings on a shared CPU are noisy: CPU
seconds less so than wall. With `--json` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.inference.cpu_tuning import (  # noqa: E402
    TECHNIQUES,
    CpuTuning,
    choose_cpu_tuning,
    is_glibc,
    prepare_module,
    set_allocator,
)
from bench.single_frame_report import TOLERANCE_GREY, TOLERANCE_REL, compare, report, technique_lines  # noqa: E402

PROMPT = "1girl, solo, long hair, smile, outdoors, sky"
NEGATIVE = "lowres, bad anatomy, bad hands, cropped, worst quality"
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


# ------------------------------------------------------------------------------------ shared setup
class HashTokenizer:
    """Stand-in for the 49408-token CLIP tokenizer (not available offline): words -> stable ids."""

    def __call__(
        self, texts: Any, padding: str, max_length: int, truncation: bool, return_tensors: str
    ) -> dict:
        import torch

        texts = [texts] if isinstance(texts, str) else list(texts)
        rows = []
        for text in texts:
            ids = [49406] + [1000 + (sum(map(ord, w)) * 7919) % 40000 for w in text.replace(",", " ").split()]
            ids = (ids[: max_length - 1] + [49407])[:max_length]
            rows.append(ids + [49407] * (max_length - len(ids)))
        return {"input_ids": torch.tensor(rows, dtype=torch.long)}


def _fill(module: Any, seed: int) -> None:
    """Deterministic random weights (N(0,1)/sqrt(fan_in)); output projections scaled down like the
    zero-initialised layers of a trained model, so activations stay in range in half precision."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            if p.dim() > 1:
                scale = (
                    0.2
                    if any(s in name for s in ("conv2", "proj_out", "to_out", "conv_out", "linear_2"))
                    else 1.0
                )
                p.copy_(
                    torch.randn(p.shape, generator=gen) * (scale / p[0].numel() ** 0.5)
                )  # cast to p.dtype
            elif "norm" in name and name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.zero_()


def build_models(device: str, dtype_name: str, tiny: bool = False) -> dict[str, Any]:
    """The three single-frame models with seeded random weights (full size, or `tiny` for tests)."""
    import torch

    from bench import pu_models

    dtype = getattr(torch, dtype_name)
    # The reference app runs the VAE in bf16 on CUDA; on CPU fp32 is the reference's only sane choice.
    vae_dtype = torch.bfloat16 if device.startswith("cuda") and dtype != torch.float32 else torch.float32
    dtypes = {"single_frame_unet": dtype, "single_frame_vae": vae_dtype, "single_frame_text_encoder": dtype}
    # meta -> target dtype -> real memory, so no fp32 copy inflates the peak of a bf16/fp16 run
    built = {
        c: pu_models.build(c, d, tiny=tiny, device=device, seed=100 + i)
        for i, (c, d) in enumerate(dtypes.items())
    }
    models = {
        "unet": built["single_frame_unet"],
        "vae": built["single_frame_vae"],
        "text_encoder": built["single_frame_text_encoder"],
        "tokenizer": HashTokenizer(),
    }
    if device.startswith("cuda"):
        models["unet"] = models["unet"].to(memory_format=torch.channels_last)
    return models


def make_inputs(width: int, height: int, n_undo: int, calls: int) -> tuple[Any, list[list[int]], Any]:
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    art = (rng.random((height, width, 3)) * 255).astype(np.uint8)
    pool = [400, 600, 800, 900, 950, 999, 300, 500, 700, 850]
    batches = [[pool[(c * n_undo + i) % len(pool)] for i in range(n_undo)] for c in range(calls)]
    noise = torch.randn((1, 4, height // 8, width // 8), generator=torch.Generator().manual_seed(1))
    return art, batches, noise


# ------------------------------------------------------------------------------- the reference way
def reference_way(models: dict, art: Any, undo_steps: list[int], noise: Any, steps: int, cfg: float) -> tuple:
    """gradio_app.process + KDiffusionSampler, re-done: encode everything per call, 2 UNet calls/step."""
    import torch

    from app.inference.paints_undo.preprocess import numpy2pytorch, pytorch2numpy
    from app.inference.paints_undo.single_frame.sampler import KarrasSchedule

    unet, vae, te, tok = models["unet"], models["vae"], models["text_encoder"], models["tokenizer"]
    dev, dtype = next(unet.parameters()).device, next(unet.parameters()).dtype
    with torch.inference_mode():
        concat = vae.encode(numpy2pytorch([art]).to(dev, next(vae.parameters()).dtype)).latent_dist.mode()
        concat = (concat * vae.config.scaling_factor).to(dtype)

        def encode(text: str) -> Any:
            ids = tok(text, padding="max_length", max_length=77, truncation=True, return_tensors="pt")[
                "input_ids"
            ]
            return te(ids.to(dev), attention_mask=None).last_hidden_state

        conds, unconds = encode(PROMPT), encode(NEGATIVE)
        batch = len(undo_steps)
        sched = KarrasSchedule()
        sigmas = sched.karras(steps)[-(steps + 1) :].to(dev)
        x = noise.to(dev, dtype).repeat(batch, 1, 1, 1) * sigmas[0].to(dtype)
        coded = torch.tensor(undo_steps, device=dev)
        pos, neg = conds.repeat(batch, 1, 1), unconds.repeat(batch, 1, 1)
        old = None
        for i in range(steps):
            sigma = sigmas[i] * x.new_ones([batch])
            x_in = x / (sigma[:, None, None, None] ** 2 + 1) ** 0.5
            t = sched.timestep(sigma.float())
            eps_pos = unet(x_in, t, pos, concat, coded)
            eps_neg = unet(x_in, t, neg, concat, coded)
            denoised = x - (eps_neg + cfg * (eps_pos - eps_neg)) * sigma[:, None, None, None]
            t_now, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
            h = t_next - t_now
            if old is None or sigmas[i + 1] == 0:
                x = ((-t_next).exp() / (-t_now).exp()) * x - (-h).expm1() * denoised
            else:
                r = (t_now + sigmas[i - 1].log()) / h
                d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
                x = ((-t_next).exp() / (-t_now).exp()) * x - (-h).expm1() * d
            old = denoised
        latents = x
        pixels = vae.decode(latents.to(next(vae.parameters()).dtype) / vae.config.scaling_factor).sample
        return latents.float().cpu(), pytorch2numpy(pixels.float().cpu())


def ours(models: dict, art: Any, undo_steps: list[int], noise: Any, steps: int, cfg: float) -> tuple:
    """`SingleFramePipeline`, COLD: a new pipeline per call, so the image and both prompts are encoded
    inside the timed call, as the reference way does (the engine would reuse them per branch)."""
    from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline

    dev = str(next(models["unet"].parameters()).device)
    pipe = SingleFramePipeline.from_components(
        models["unet"], models["vae"], models["text_encoder"], models["tokenizer"], device=dev
    )
    size = (art.shape[1], art.shape[0])
    image = pipe.prepare_image(art, size)
    positive, negative = pipe.encode_prompts([PROMPT, NEGATIVE])
    latent = pipe.encode_image(image)
    latents = pipe.denoise(latent, positive, negative, undo_steps, noise, steps, cfg)
    images = pipe.decode(latents)
    return latents.float().cpu(), images


# ------------------------------------------------------------------------------------------ worker
@dataclass(frozen=True)
class Side:
    """One way of running a keyframe batch: the reference way (no techniques) or ours with `tuning`."""

    name: str
    tuning: CpuTuning

    @property
    def is_reference(self) -> bool:
        return self.name == "reference"


def all_sides(device: str) -> list[Side]:
    """reference, ours (the device policy's techniques) and, on a CPU, ours with each technique flipped
    in turn (the policy's on -> off; a candidate the policy leaves off -> on), for the per-technique lines."""
    policy = choose_cpu_tuning("cpu" if device == "cpu" else "gpu")
    sides = [Side("reference", CpuTuning()), Side("ours", policy)]
    if device == "cpu":
        for name in TECHNIQUES:
            flipped = not getattr(policy, name)
            sides.append(
                Side(f"ours_{'with' if flipped else 'without'}_{name}", replace(policy, **{name: flipped}))
            )
    return sides


def process_groups(sides: list[Side]) -> list[list[Side]]:
    """The allocator is the process's state (glibc's defaults cannot be restored once `mallopt` has run,
    and a heap grown by tuned runs serves untuned ones): sides without it run in one process with
    glibc's defaults untouched (the reference's), sides with it in another, tuned before the models are
    built (as the engine does). Within a process the sides alternate batch by batch; channels_last is
    switched between batches, and the sides are ordered so that happens as rarely as possible."""
    groups = [[s for s in sides if s.tuning.allocator == tuned] for tuned in (False, True)]
    return [sorted(g, key=lambda s: (not s.is_reference, s.tuning.channels_last)) for g in groups if g]


def _usage() -> tuple[float, float, float, int]:
    """CPU seconds of all threads, user and system seconds and page faults so far (no `resource` on
    Windows: CPU seconds only)."""
    try:
        import resource
    except ImportError:
        return time.process_time(), 0.0, 0.0, 0
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.process_time(), r.ru_utime, r.ru_stime, r.ru_minflt


def _peak_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak(device: str) -> None:
    """Start a batch's peak afresh. CPU (Linux glibc): freed heap goes back to the OS first (malloc_trim:
    glibc's defaults would return it by themselves, and the engine trims a tuned allocator after each
    keyframe batch), then VmHWM is reset (clear_refs 5). CUDA: `reset_peak_memory_stats`."""
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return
    if is_glibc():
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def _set_tuning(models: dict, tuning: CpuTuning, device: str) -> None:
    """Put the process and the models in `tuning`'s state (untimed: between batches)."""
    import torch

    if device != "cpu":
        return
    fmt = torch.channels_last if tuning.channels_last else torch.contiguous_format
    for key in ("unet", "vae"):
        weight = next(p for p in models[key].parameters() if p.dim() == 4)
        if not weight.is_contiguous(memory_format=fmt):
            models[key].to(memory_format=fmt)
        prepare_module(models[key], replace(tuning, channels_last=False))  # the in-model flags


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One process group (`--worker` names its sides): build the models once, then run the sides batch
    by batch, alternating, so load from other processes hits them alike. Returns per side: wall, CPU, user/system seconds, page faults per
    batch, peak memory, threads, and the first timed batch's latents and images."""
    import torch

    sides = [s for s in all_sides(args.device) if s.name in args.worker.split(",")]
    if args.device == "cpu" and sides[0].tuning.allocator:
        set_allocator(True)  # before the models are built, as the engine does
    torch.manual_seed(0)
    width, height = (int(v) for v in args.size.split("x"))
    t0 = time.perf_counter()
    models = build_models(args.device, DTYPES[args.dtype], tiny=args.tiny)
    build_s = time.perf_counter() - t0
    art, batches, noise = make_inputs(width, height, args.undo_steps, args.warmup + args.calls)
    stats: dict[str, dict[str, Any]] = {s.name: {k: [] for k in RECORDED} for s in sides}
    for n, undo in enumerate(batches):
        for side in sides:
            _set_tuning(models, side.tuning, args.device)
            _reset_peak(args.device)
            way = reference_way if side.is_reference else ours
            wall, before = time.perf_counter(), _usage()
            latents, images = way(models, art, undo, noise, args.steps, args.cfg)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            after, wall = _usage(), time.perf_counter() - wall
            if n < args.warmup:  # untimed: oneDNN/cuDNN primitive creation, first touch of memory
                continue
            st = stats[side.name]
            for key, value in zip(
                RECORDED, (wall, *(a - b for a, b in zip(after, before, strict=True))), strict=False
            ):
                st[key].append(value)
            st["peak_mb"].append(_peak_mb(args.device))
            st["threads"].append(torch.get_num_threads())
            if n == args.warmup:
                st["latents"], st["images"] = latents.numpy(), np.stack(images)
    _set_tuning(models, CpuTuning(), args.device)
    for side in sides:
        st = stats[side.name]
        summarise(st)
        st.update(
            peak_mb=max(st["peak_mb"]), build_s=build_s, dtype=args.dtype, enabled=side.tuning.enabled()
        )
    return stats


RECORDED = ("wall_s", "cpu_s", "user_s", "system_s", "faults", "peak_mb", "threads")
SUMMARISED = RECORDED[:5]


def summarise(st: dict[str, Any]) -> None:
    """Each measure's median over the side's batches (`_med`, the headline figures) and minimum
    (`_min`). The median, because this shared machine's speed swings (one batch of the reference way
    took 54.7 CPU s, the next 87.5, 2026-12-03 15:01), so the minimum rewards whichever side happened to
    run in a fast spell rather than measuring that only other load adds time."""
    for k in SUMMARISED:
        st[f"{k}_med"] = float(np.median(st[k]))
        st[f"{k}_min"] = min(st[k])


def run_group(args: argparse.Namespace, sides: list[str], dtype: str) -> dict:
    """`worker` for these sides in a process of its own (`--tiny`: in this one, for the bench's test)."""
    if args.tiny:
        return worker(argparse.Namespace(**{**vars(args), "dtype": dtype, "worker": ",".join(sides)}))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.pkl"
        cmd = [sys.executable, __file__, "--worker", ",".join(sides), "--dtype", dtype, "--out", str(out),
               "--device", args.device, "--size", args.size, "--undo-steps", str(args.undo_steps),
               "--steps", str(args.steps), "--calls", str(args.calls), "--warmup", str(args.warmup),
               "--cfg", str(args.cfg)]  # fmt: skip
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"{sides} ({dtype}) failed:\n{proc.stderr[-4000:]}")
        with open(out, "rb") as fh:
            return dict(pickle.load(fh))


def merge_stats(into: dict[str, dict], new: dict[str, dict]) -> None:
    """Add a round's per-side stats to the earlier rounds': batches appended, minima and peak over all
    (the first round's latents and images are the ones compared)."""
    for side, st in new.items():
        if side not in into:
            into[side] = st
            continue
        old = into[side]
        for key in (*RECORDED[:5], "threads"):
            old[key] = old[key] + st[key]
        summarise(old)
        old["peak_mb"] = max(old["peak_mb"], st["peak_mb"])


def best_dtype(device: str) -> str:
    if device.startswith("cuda"):
        return "fp16"
    from app.inference.devices import dtype_name, resolve_device

    # the app's own choice: bf16 where it measured clearly faster here (dtype_calibration.py)
    return "bf16" if dtype_name(resolve_device("cpu"), "single_frame_unet") == "bfloat16" else "fp32"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--size", default="256x256", help="WIDTHxHEIGHT, multiples of 64")
    p.add_argument("--undo-steps", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--calls", type=int, default=2, help="timed keyframe batches (over all rounds)")
    p.add_argument(
        "--rounds", type=int, default=2, help="process rounds the timed batches are split over (>= 1)"
    )
    p.add_argument("--warmup", type=int, default=1, help="untimed batches first (same shapes)")
    p.add_argument("--cfg", type=float, default=3.0)
    p.add_argument("--dtype", default="auto", choices=["auto", *DTYPES])
    p.add_argument("--tiny", action="store_true", help="tiny models in this process (a test of the bench)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # comma list of sides
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.rounds = max(1, min(args.rounds, args.calls))
    if args.worker:
        with open(args.out, "wb") as fh:
            pickle.dump(worker(args), fh)
        return 0
    fast = best_dtype(args.device) if args.dtype == "auto" else args.dtype
    # The reference's dtype: fp16 UNet on CUDA (as the app); fp32 on CPU (its only sane CPU choice).
    ref_dtype = "fp16" if args.device.startswith("cuda") else "fp32"
    stats: dict[str, dict] = {}
    per_round = argparse.Namespace(**{**vars(args), "calls": max(1, -(-args.calls // args.rounds))})
    for _ in range(args.rounds):  # the groups alternate round by round: a drift of the machine's speed
        for group in process_groups(all_sides(args.device)):  # hits the reference way and ours alike
            merge_stats(stats, run_group(per_round, [s.name for s in group], ref_dtype))
    ref, same = stats["reference"], stats["ours"]
    # Peak memory of each way ALONE, in a fresh process (one warm-up and one batch): in the rounds a
    # process also runs the other sides (channels_last copies the weights, a technique switched off and
    # on drops and rebuilds its kernels), and a tuned allocator keeps that heap history, so the rounds'
    # peaks overstated ours (6.0 against 5.2 GB; alone it is 5.2 against 5.2).
    alone = argparse.Namespace(**{**vars(args), "calls": 1})
    peaks = {side: run_group(alone, [side], ref_dtype)[side]["peak_mb"] for side in ("reference", "ours")}
    fastest = same if fast == ref_dtype else run_group(args, ["ours"], fast)["ours"]
    same_numbers = compare(ref, same)
    threads = sorted({t for st in stats.values() for t in st["threads"]})
    result = {
        "device": args.device, "size": args.size, "undo_steps": args.undo_steps, "sampler_steps": args.steps,
        "calls": args.calls, "rounds": args.rounds, "tiny": args.tiny, "cold": True, "threads": threads,
        "ours_dtype": fast, "reference_way_dtype": ref_dtype,
        "speedup_same_dtype": round(ref["cpu_s_med"] / same["cpu_s_med"], 3),
        "speedup_same_dtype_wall": round(ref["wall_s_med"] / same["wall_s_med"], 3),
        "speedup_same_dtype_min": round(ref["cpu_s_min"] / same["cpu_s_min"], 3),
        "reference_way_cpu_s": round(ref["cpu_s_med"], 3), "ours_same_dtype_cpu_s": round(same["cpu_s_med"], 3),
        "reference_way_s": round(ref["wall_s_med"], 3), "ours_same_dtype_s": round(same["wall_s_med"], 3),
        "reference_way_system_s": round(ref["system_s_med"], 3),
        "ours_same_dtype_system_s": round(same["system_s_med"], 3),
        "reference_way_faults": ref["faults_med"], "ours_same_dtype_faults": same["faults_med"],
        "reference_way_peak_mb": round(peaks["reference"], 1), "ours_same_dtype_peak_mb": round(peaks["ours"], 1),
        "peak_mb_in_rounds": {"reference": round(ref["peak_mb"], 1), "ours": round(same["peak_mb"], 1)},
        **same_numbers, "tolerance": {"max_rel_diff": TOLERANCE_REL, "max_pixel_diff": TOLERANCE_GREY},
        "techniques": technique_lines(stats) if args.device == "cpu" else {},
        "ours_s": round(fastest["wall_s_med"], 3), "ours_cpu_s": round(fastest["cpu_s_med"], 3),
        "speedup": round(ref["cpu_s_med"] / fastest["cpu_s_med"], 3), "ours_peak_mb": round(fastest["peak_mb"], 1),
        "batches_s": {name: st["wall_s"] for name, st in stats.items()},
        "batches_cpu_s": {name: st["cpu_s"] for name, st in stats.items()},
    }  # fmt: skip
    print(report(args, result))
    if args.json:
        print(json.dumps(result))
    return 0 if same_numbers["within_tolerance"] and len(threads) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
