"""bench/single_frame.py's verdicts: "same numbers" between two sides, the per-technique lines and the
printed report (apart from the measuring, which is the bench itself)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from app.inference.cpu_tuning import TECHNIQUES

# "Same numbers": final latents within this much of max |latent| and decoded keyframes within 1 grey level
TOLERANCE_REL = 1e-4
TOLERANCE_GREY = 1


def compare(ref: dict, side: dict) -> dict[str, Any]:
    """Final latents (max |diff|, and relative to max |latent|) and decoded images (grey levels)."""
    a, b = ref["latents"].astype(np.float64), side["latents"].astype(np.float64)
    diff = float(np.abs(a - b).max())
    pixels = int(np.abs(ref["images"].astype(np.int16) - side["images"].astype(np.int16)).max())
    rel = diff / max(float(np.abs(a).max()), 1e-12)
    return {"max_abs_diff": diff, "max_rel_diff": rel, "max_pixel_diff": pixels,
            "within_tolerance": rel <= TOLERANCE_REL and pixels <= TOLERANCE_GREY}  # fmt: skip


def technique_lines(stats: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """Per technique: ours with it vs ours without it (everything else as the policy), CPU and wall
    seconds; `in_policy` says whether the device policy uses it."""
    out = {}
    for name in TECHNIQUES:
        in_policy = name in stats["ours"]["enabled"]
        flipped = stats[f"ours_{'without' if in_policy else 'with'}_{name}"]
        on, off = (stats["ours"], flipped) if in_policy else (flipped, stats["ours"])
        out[name] = {
            "in_policy": in_policy,
            "cpu_s_on": round(on["cpu_s_med"], 3), "cpu_s_off": round(off["cpu_s_med"], 3),
            "bought_cpu_s": round(off["cpu_s_med"] - on["cpu_s_med"], 3),
            "bought_system_s": round(off["system_s_med"] - on["system_s_med"], 3),
            "bought_wall_s": round(off["wall_s_med"] - on["wall_s_med"], 3),
            "faults_on": on["faults_med"], "faults_off": off["faults_med"],
            "peak_mb_on": round(on["peak_mb"], 1), "peak_mb_off": round(off["peak_mb"], 1),
            "max_abs_diff_on_vs_off": float(np.abs(on["latents"].astype(np.float64) - off["latents"]).max()),
        }  # fmt: skip
    return out


def report(args: argparse.Namespace, r: dict[str, Any]) -> str:
    lines = [
        f"single-frame keyframes, {args.size}{' (tiny models)' if args.tiny else ''}, {args.undo_steps} undo "
        f"steps x {args.steps} sampler steps, cold calls, {args.calls} timed batches (median) in {args.rounds} "
        f"rounds of processes, device "
        f"{args.device}, {r['threads']} threads; CPU s = user + system of all threads",
        f"  reference way ({r['reference_way_dtype']}): {r['reference_way_cpu_s']:.2f} CPU s "
        f"({r['reference_way_system_s']:.2f} system), {r['reference_way_s']:.2f} s wall, "
        f"peak {r['reference_way_peak_mb']:.0f} MB alone ({r['peak_mb_in_rounds']['reference']:.0f} in the rounds)",
        f"  ours ({r['reference_way_dtype']}):          {r['ours_same_dtype_cpu_s']:.2f} CPU s "
        f"({r['ours_same_dtype_system_s']:.2f} system), {r['ours_same_dtype_s']:.2f} s wall, "
        f"peak {r['ours_same_dtype_peak_mb']:.0f} MB alone ({r['peak_mb_in_rounds']['ours']:.0f} in the rounds) "
        f"-> speedup_same_dtype {r['speedup_same_dtype']:.2f}x "
        f"(wall {r['speedup_same_dtype_wall']:.2f}x)",
    ]
    for name, t in r["techniques"].items():
        lines.append(
            f"    {name:14s} {'(policy)' if t['in_policy'] else '(left off)'} bought {t['bought_cpu_s']:+.2f} CPU s ({t['bought_system_s']:+.2f} system, "
            f"{t['bought_wall_s']:+.2f} wall): {t['cpu_s_off']:.2f} -> {t['cpu_s_on']:.2f} CPU s, "
            f"page faults {t['faults_off']} -> {t['faults_on']}, peak {t['peak_mb_off']:.0f} -> {t['peak_mb_on']:.0f} MB"
        )
    lines += [
        f"  ours ({r['ours_dtype']}):          {r['ours_cpu_s']:.2f} CPU s, {r['ours_s']:.2f} s wall, "
        f"peak {r['ours_peak_mb']:.0f} MB -> {r['speedup']:.2f}x (not the same numbers unless fp32)",
        f"  same numbers (ours vs reference way, {r['reference_way_dtype']}, same noise): max |latents diff| "
        f"{r['max_abs_diff']:.3e} (relative {r['max_rel_diff']:.1e}, tolerance {TOLERANCE_REL:.0e}), "
        f"images {r['max_pixel_diff']} grey levels (tolerance {TOLERANCE_GREY}): "
        f"{'within' if r['within_tolerance'] else 'OUTSIDE'} tolerance",
    ]
    return "\n".join(lines)
