"""Benchmark: Paints-UNDO single-frame keyframes, our pipeline vs the same work done the reference's way.

Both sides use the FULL-SIZE SD1.5 architecture (configs from the shipped manifests: 861 M-param UNet,
11-layer CLIP-L text encoder, SD VAE) with identical seeded random weights (no real checkpoint here).
"Reference way" is written below after the reference `gradio_app.process` + `KDiffusionSampler`: the
image and both prompts are encoded again on every call, the prompts in two encoder calls, positive and
negative are two UNet calls per step, and the whole batch is decoded at once. Ours is
`SingleFramePipeline`: image latent and prompts cached, one batched CFG call per step, decode one image at
a time, optional bf16/fp16. The reference way and ours in the same dtype alternate batch by batch in one
process (same weights, same load from other processes); ours in its faster dtype runs in its own process.
Peak memory is measured per batch (CPU: freed heap trimmed, then VmHWM reset and read; CUDA:
`max_memory_allocated`), so it includes the resident weights; model construction is not timed.

    python bench/single_frame.py [--device cpu] [--size 256x256] [--undo-steps 2] [--steps 4]
                                 [--calls 2] [--warmup 1] [--dtype auto|fp32|bf16|fp16] [--json]
    python bench/single_frame.py --device cuda --size 512x640 --dtype fp16 --undo-steps 6 --steps 50

A "keyframe batch" is one call producing len(undo steps) keyframes; after `--warmup` untimed batches
(one-off kernel/primitive set-up), `--calls` batches for the same artwork/prompt are timed, and the
fastest counts (the engine renders keyframes this way: encodings made once per branch, so ours reuses
them; the reference re-encodes every call). `max_abs_diff` compares the final latents of ours and the
reference way in the SAME dtype (fp32 on CPU) with the same injected noise.
Timings on a shared CPU are noisy. With `--json` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def build_models(device: str, dtype_name: str) -> dict[str, Any]:
    import torch

    from app.inference.paints_undo.single_frame.text_encoder import build_text_encoder
    from app.inference.paints_undo.single_frame.unet import build_unet
    from app.inference.paints_undo.single_frame.vae import build_vae
    from app.inference.paints_undo.weights import manifest

    dtype = getattr(torch, dtype_name)
    # The reference app runs the VAE in bf16 on CUDA; on CPU fp32 is the reference's only sane choice.
    vae_dtype = torch.bfloat16 if device.startswith("cuda") and dtype != torch.float32 else torch.float32
    built = []
    for i, (module, mdtype) in enumerate(
        (
            (build_unet(manifest("single_frame_unet")["config"]), dtype),
            (build_vae(manifest("single_frame_vae")["config"]), vae_dtype),
            (build_text_encoder(manifest("single_frame_text_encoder")["config"]), dtype),
        )
    ):
        # meta -> target dtype -> real memory, so no fp32 copy inflates the peak of a bf16/fp16 run
        module = torch.nn.Module.to(module, mdtype).to_empty(device=device)
        _fill(module, seed=100 + i)
        built.append(module.eval().requires_grad_(False))
    unet, vae, te = built
    for name, buf in te.named_buffers():
        if name.endswith("position_ids"):
            buf.copy_(torch.arange(buf.shape[-1])[None])
    models = {"unet": unet, "vae": vae, "text_encoder": te, "tokenizer": HashTokenizer()}
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


def ours(
    models: dict, pipe_cache: dict, art: Any, undo_steps: list[int], noise: Any, steps: int, cfg: float
) -> tuple:
    from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline

    if "pipe" not in pipe_cache:
        dev = str(next(models["unet"].parameters()).device)
        pipe_cache["pipe"] = SingleFramePipeline.from_components(
            models["unet"], models["vae"], models["text_encoder"], models["tokenizer"], device=dev
        )
    pipe = pipe_cache["pipe"]
    size = (art.shape[1], art.shape[0])
    image = pipe.prepare_image(art, size)
    positive, negative = pipe.encode_prompts([PROMPT, NEGATIVE])
    latent = pipe.encode_image(image)
    latents = pipe.denoise(latent, positive, negative, undo_steps, noise, steps, cfg)
    images = pipe.decode(latents)
    return latents.float().cpu(), images


# ------------------------------------------------------------------------------------------ worker
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


def _reset_peak_rss() -> None:
    """Linux: give freed heap back to the OS (malloc_trim), then reset VmHWM (clear_refs 5), so a batch's
    peak is its own and not what the previous batch (or model building) left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def _reset_peak(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    else:
        _reset_peak_rss()


def worker(args: argparse.Namespace) -> None:
    """Build the models once, then run the requested side(s); with "both", reference and ours batches
    alternate so load from other processes hits both alike. Peak memory is measured per batch."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    width, height = (int(v) for v in args.size.split("x"))
    t0 = time.perf_counter()
    models = build_models(args.device, DTYPES[args.dtype])
    build_s = time.perf_counter() - t0
    sides = ["reference", "ours"] if args.worker == "both" else [args.worker]
    art, batches, noise = make_inputs(width, height, args.undo_steps, args.warmup + args.calls)
    cache: dict = {}

    def run(side: str, undo: list[int]) -> Any:
        if side == "ours":
            return ours(models, cache, art, undo, noise, args.steps, args.cfg)[0]
        return reference_way(models, art, undo, noise, args.steps, args.cfg)[0]

    for undo in batches[: args.warmup]:  # untimed: oneDNN/cuDNN primitive creation, first-touch of memory
        for side in sides:
            run(side, undo)
    stats: dict[str, dict] = {side: {"batches": [], "peaks": []} for side in sides}
    for n, undo in enumerate(batches[args.warmup :]):
        for side in sides:
            _reset_peak(args.device)
            start = time.perf_counter()
            latents = run(side, undo)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            stats[side]["batches"].append(time.perf_counter() - start)
            stats[side]["peaks"].append(_peak_mb(args.device))
            if n == 0:
                np.save(f"{args.out}.{side}.npy", latents.numpy())
    for side in sides:
        st = stats[side]
        # min over batches: other processes' load only ever adds time
        st.update(
            seconds_per_batch=min(st["batches"]), peak_mb=max(st["peaks"]), build_s=build_s, dtype=args.dtype
        )
    print(json.dumps(stats))


def run_worker(args: argparse.Namespace, side: str, dtype: str, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", side, "--dtype", dtype, "--out", str(out), "--device", args.device,
           "--size", args.size, "--undo-steps", str(args.undo_steps), "--steps", str(args.steps),
           "--calls", str(args.calls), "--warmup", str(args.warmup), "--cfg", str(args.cfg)]  # fmt: skip
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{side} ({dtype}) failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best_dtype(device: str) -> str:
    if device.startswith("cuda"):
        return "fp16"
    from app.inference.devices import _cpu_bf16

    return "bf16" if _cpu_bf16() else "fp32"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--size", default="256x256", help="WIDTHxHEIGHT, multiples of 64")
    p.add_argument("--undo-steps", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--calls", type=int, default=2, help="timed keyframe batches")
    p.add_argument("--warmup", type=int, default=1, help="untimed batches first (same shapes)")
    p.add_argument("--cfg", type=float, default=3.0)
    p.add_argument("--dtype", default="auto", choices=["auto", *DTYPES])
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", choices=["ours", "reference", "both"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    import numpy as np

    fast = best_dtype(args.device) if args.dtype == "auto" else args.dtype
    # The reference's dtype: fp16 UNet on CUDA (as the app); fp32 on CPU (its only sane CPU choice).
    ref_dtype = "fp16" if args.device.startswith("cuda") else "fp32"
    with tempfile.TemporaryDirectory() as tmp:
        both = run_worker(args, "both", ref_dtype, Path(tmp) / "same")
        ref, same = both["reference"], both["ours"]
        fastest = same if fast == ref_dtype else run_worker(args, "ours", fast, Path(tmp) / "fast")["ours"]
        a, b = np.load(Path(tmp) / "same.reference.npy"), np.load(Path(tmp) / "same.ours.npy")
        diff = float(np.abs(a.astype(np.float64) - b).max())
        rel = diff / float(np.abs(a).max())
    result = {
        "device": args.device, "size": args.size, "undo_steps": args.undo_steps, "sampler_steps": args.steps,
        "calls": args.calls, "ours_dtype": fast, "reference_way_dtype": ref_dtype,
        "ours_s": round(fastest["seconds_per_batch"], 3), "reference_way_s": round(ref["seconds_per_batch"], 3),
        "speedup": round(ref["seconds_per_batch"] / fastest["seconds_per_batch"], 3),
        "ours_peak_mb": round(fastest["peak_mb"], 1), "reference_way_peak_mb": round(ref["peak_mb"], 1),
        "ours_same_dtype_s": round(same["seconds_per_batch"], 3),
        "speedup_same_dtype": round(ref["seconds_per_batch"] / same["seconds_per_batch"], 3),
        "ours_same_dtype_peak_mb": round(same["peak_mb"], 1),
        "max_abs_diff": diff, "max_rel_diff": rel,
        "batches_s": {"ours": fastest["batches"], "ours_same_dtype": same["batches"], "reference_way": ref["batches"]},
    }  # fmt: skip
    print(
        f"single-frame keyframes, {args.size}, {args.undo_steps} undo steps x {args.steps} sampler steps, "
        f"{args.calls} timed batches (min), device {args.device}; timings on a shared machine are noisy\n"
        f"  reference way ({ref_dtype}): {result['reference_way_s']:.2f} s/batch, peak {result['reference_way_peak_mb']:.0f} MB\n"
        f"  ours ({ref_dtype}):          {result['ours_same_dtype_s']:.2f} s/batch, peak {result['ours_same_dtype_peak_mb']:.0f} MB"
        f"  -> {result['speedup_same_dtype']:.2f}x\n"
        f"  ours ({fast}):          {result['ours_s']:.2f} s/batch, peak {result['ours_peak_mb']:.0f} MB"
        f"  -> {result['speedup']:.2f}x\n"
        f"  max |latents ours - reference way| (same dtype, same noise): {diff:.3e} (relative {rel:.1e})"
    )  # fmt: skip
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
