"""Image helpers around the Paints-UNDO models, numerically identical to the reference app.

Why exact: these decide the pixels the models see and the uint8 frames users get; the app_preprocess
fixture checks them bit-for-bit (cv2 INTER_AREA resize-to-cover + floor-centred crop; truncating,
not rounding, float -> uint8; ties in the bucket search go to the LAST option).

Public API:
    resize_and_center_crop(image, target_width, target_height, interpolation=cv2.INTER_AREA) -> np.ndarray
    pytorch2numpy(imgs) -> list[np.ndarray]        # (B,3,H,W) [-1,1] tensor(s) -> (H,W,3) uint8 each
    numpy2pytorch(imgs) -> torch.Tensor            # list/array of (H,W,3) uint8 -> (B,3,H,W) float32 [-1,1]
    find_best_bucket(h, w, options=VIDEO_BUCKETS) -> (bucket_h, bucket_w)
    VIDEO_BUCKETS: the 4 (h, w) resolutions of the multi-frame model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

# (height, width) buckets of the video model, in the reference's order (order matters for ties).
VIDEO_BUCKETS: tuple[tuple[int, int], ...] = ((320, 512), (384, 448), (448, 384), (512, 320))


def resize_and_center_crop(
    image: np.ndarray, target_width: int, target_height: int, interpolation: int | None = None
) -> np.ndarray:
    """Scale so the image covers (target_width, target_height), then crop the centre.

    k = max(th/h, tw/w); new size = int(round(w*k)), int(round(h*k)); crop at floor((new-target)/2).
    """
    import cv2

    if interpolation is None:
        interpolation = cv2.INTER_AREA
    original_height, original_width = image.shape[:2]
    k = max(target_height / original_height, target_width / original_width)
    new_width = int(round(original_width * k))
    new_height = int(round(original_height * k))
    resized = cv2.resize(image, (new_width, new_height), interpolation=interpolation)
    x_start = (new_width - target_width) // 2
    y_start = (new_height - target_height) // 2
    return resized[y_start : y_start + target_height, x_start : x_start + target_width]


def pytorch2numpy(imgs: torch.Tensor | Iterable[torch.Tensor]) -> list[np.ndarray]:
    """Each (3,H,W) image in [-1,1] -> (H,W,3) uint8 via x*127.5+127.5, clip, astype (truncates).

    The multiply-add runs in the tensor's own dtype first, as in the reference."""
    results = []
    for x in imgs:
        y = x.movedim(0, -1) * 127.5 + 127.5
        results.append(y.detach().float().cpu().numpy().clip(0, 255).astype(np.uint8))
    return results


def numpy2pytorch(imgs: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
    """Stack of (H,W,3) uint8 -> (B,3,H,W) float32 in [-1,1] (x/127.5 - 1)."""
    import torch

    h = torch.from_numpy(np.stack(list(imgs), axis=0)).float() / 127.5 - 1.0
    return h.movedim(-1, 1)


def find_best_bucket(h: int, w: int, options: Iterable[Sequence[int]] = VIDEO_BUCKETS) -> tuple[int, int]:
    """The (bucket_h, bucket_w) with the aspect ratio closest to h:w (metric |h*bw - w*bh|); ties go to
    the last option, as in the reference (`<=`)."""
    best: tuple[int, int] | None = None
    min_metric: Any = float("inf")
    for bucket_h, bucket_w in options:
        metric = abs(h * bucket_w - w * bucket_h)
        if metric <= min_metric:
            min_metric = metric
            best = (int(bucket_h), int(bucket_w))
    if best is None:
        raise ValueError("find_best_bucket needs at least one option")
    return best
