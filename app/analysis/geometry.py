"""Where the artwork is in a recording's frames: scale, offset, crop, letterbox and a horizontal flip.

Why template matching and not feature matching (ORB + RANSAC): a time-lapse's frames are small after
sampling (320 px), often soft or blocky from the codec, and many artworks have large flat areas with few
corners; normalised cross-correlation over a scale search is robust there, and the search is small
because the frame tells us most of the answer (its letterbox bars, its aspect). Two hypotheses are tried
for each of a few late frames (late frames look most like the artwork), each also mirrored:
- *cropped*: the frame's content (inside uniform bars) is a part of the artwork, scaled — the recorder cut
  the canvas's edges, or the canvas fills the frame exactly;
- *bordered*: the whole artwork sits inside the frame, scaled, with borders that are not uniform (an
  app's interface around the canvas).
The scale is uniform (the same in x and y): a recording stretched to another aspect, or rotated, is not
registered (it gets a low similarity and the "does not match" verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.core.imaging import fit_size, resize_to

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (x1, y1 exclusive)
_WORK_SIDE = 640  # the artwork is scaled from this size during the search (the frames are smaller)
_COARSE = 11
_FINE = 9


@dataclass(frozen=True)
class Geometry:
    """`art_box` (artwork pixels): the part of the artwork the recording shows; `frame_box` (full-size
    recording pixels): where it is in a frame; `flip`: the frame shows it mirrored left-right."""

    flip: bool
    art_box: Box
    frame_box: Box
    similarity: float  # normalised cross-correlation of the best frame with the artwork, -1..1

    def to_dict(self) -> dict[str, object]:
        return {
            "flip": self.flip,
            "art_box": [round(v, 2) for v in self.art_box],
            "frame_box": [round(v, 2) for v in self.frame_box],
            "similarity": round(self.similarity, 4),
        }


def _gray(pixels: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)


def content_box(gray: np.ndarray) -> tuple[int, int, int, int]:
    """The frame inside uniform bars of the corners' colour (letterbox, pillarbox, a plain border)."""
    h, w = gray.shape
    corners = np.array([gray[0, 0], gray[0, -1], gray[-1, 0], gray[-1, -1]], dtype=np.float32)
    colour = float(np.median(corners))
    g = gray.astype(np.float32)

    def bar(line: np.ndarray) -> bool:
        return float(line.std()) < 6.0 and abs(float(line.mean()) - colour) < 12.0

    top, bottom, left, right = 0, h, 0, w
    while top < h // 2 and bar(g[top]):
        top += 1
    while bottom > top + 1 and bottom > h // 2 and bar(g[bottom - 1]):
        bottom -= 1
    while left < w // 2 and bar(g[top:bottom, left]):
        left += 1
    while right > left + 1 and right > w // 2 and bar(g[top:bottom, right - 1]):
        right -= 1
    if right - left < max(8, w // 8) or bottom - top < max(8, h // 8):
        return 0, 0, w, h  # nearly all "bar": a blank or one-colour frame, no box to find
    return left, top, right, bottom


def _match(image: np.ndarray, template: np.ndarray) -> tuple[float, tuple[int, int]]:
    if template.shape[0] > image.shape[0] or template.shape[1] > image.shape[1] or template.std() < 1e-3:
        return -1.0, (0, 0)
    result = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)
    result = np.nan_to_num(result, nan=-1.0, posinf=-1.0, neginf=-1.0)
    _, score, _, loc = cv2.minMaxLoc(result)
    return float(score), (int(loc[0]), int(loc[1]))


@dataclass(frozen=True)
class _Hit:
    score: float
    flip: bool
    scale: float
    loc: tuple[int, int]
    art_size: tuple[int, int]  # the scaled artwork's (w, h)
    box: tuple[int, int, int, int]  # content box in the frame (cropped) or (0, 0, w, h) (bordered)
    cropped: bool


def _search(frame: np.ndarray, art: np.ndarray, art_full: tuple[int, int]) -> _Hit:
    """Best hit over both hypotheses and both mirrorings for one (grey) frame."""
    fh, fw = frame.shape
    box = content_box(frame)
    cx0, cy0, cx1, cy1 = box
    content = frame[cy0:cy1, cx0:cx1]
    aw, ah = art_full
    best = _Hit(-2.0, False, 1.0, (0, 0), (1, 1), box, True)
    for flip in (False, True):
        source = art[:, ::-1] if flip else art
        for cropped in (True, False):
            if cropped:
                low = max(content.shape[1] / aw, content.shape[0] / ah)
                scales = low * np.geomspace(1.0, 1.4, _COARSE)
            else:
                high = min(fw / aw, fh / ah)
                scales = high * np.geomspace(0.5, 1.0, _COARSE)
            hit = _scan(frame if not cropped else content, source, art_full, scales, flip, cropped, box)
            step = float(scales[1] / scales[0])
            fine = hit.scale * np.geomspace(1 / step, step, _FINE)
            if not cropped:
                fine = fine[fine <= scales[-1] * 1.0001]
            hit = max(
                hit,
                _scan(frame if not cropped else content, source, art_full, fine, flip, cropped, box),
                key=lambda h: h.score,
            )
            if hit.score > best.score:
                best = hit
    return best


def _scan(
    image: np.ndarray,
    art: np.ndarray,
    art_full: tuple[int, int],
    scales: Sequence[float] | np.ndarray,
    flip: bool,
    cropped: bool,
    box: tuple[int, int, int, int],
) -> _Hit:
    best = _Hit(-2.0, flip, 1.0, (0, 0), (1, 1), box, cropped)
    for s in scales:
        size = (max(1, int(np.ceil(art_full[0] * s))), max(1, int(np.ceil(art_full[1] * s))))
        if size[0] < 8 or size[1] < 8 or size[0] * size[1] > 4 * _WORK_SIDE**2:
            continue
        scaled = cv2.resize(art, size, interpolation=cv2.INTER_AREA)
        score, loc = _match(scaled, image) if cropped else _match(image, scaled)
        if score > best.score:
            best = _Hit(score, flip, float(s), loc, size, box, cropped)
    return best


def estimate_geometry(
    frames: Sequence[np.ndarray], full_size: tuple[int, int], artwork: np.ndarray
) -> Geometry:
    """The geometry of the best-matching of `frames` (sampled frames, RGB, all one size; pass a few late
    ones). `full_size` is the recording's (w, h): boxes are given in its pixels."""
    art_full = (int(artwork.shape[1]), int(artwork.shape[0]))
    work = min(_WORK_SIDE, 2 * max(frames[0].shape[:2]))  # never scaled up past twice the frame
    art = _gray(resize_to(artwork, *fit_size(art_full[0], art_full[1], work)))
    # the search scales the artwork from its full size: express `art` as if it were full size
    best: _Hit | None = None
    for frame in frames:
        hit = _search(_gray(frame), art, art_full)
        if best is None or hit.score > best.score:
            best = hit
    assert best is not None, "estimate_geometry needs at least one frame"
    kx = full_size[0] / frames[0].shape[1]  # sample pixels -> full recording pixels
    ky = full_size[1] / frames[0].shape[0]
    sx, sy = best.art_size[0] / art_full[0], best.art_size[1] / art_full[1]
    if best.cropped:
        x0, y0, x1, y1 = best.box
        ax0, ay0 = best.loc[0] / sx, best.loc[1] / sy
        ax1, ay1 = (best.loc[0] + x1 - x0) / sx, (best.loc[1] + y1 - y0) / sy
        if best.flip:
            ax0, ax1 = art_full[0] - ax1, art_full[0] - ax0
        art_box: Box = (ax0, ay0, ax1, ay1)
        frame_box: Box = (x0 * kx, y0 * ky, x1 * kx, y1 * ky)
    else:
        art_box = (0.0, 0.0, float(art_full[0]), float(art_full[1]))
        x, y = best.loc
        frame_box = (x * kx, y * ky, (x + best.art_size[0]) * kx, (y + best.art_size[1]) * ky)
    return Geometry(best.flip, _clip_box(art_box, art_full), frame_box, best.score)


def _clip_box(box: Box, size: tuple[int, int]) -> Box:
    return (max(0.0, box[0]), max(0.0, box[1]), min(float(size[0]), box[2]), min(float(size[1]), box[3]))


def view_size(geometry: Geometry, side: int) -> tuple[int, int]:
    """(w, h) of the common analysis view: the art box's aspect, long side `side`."""
    w = geometry.art_box[2] - geometry.art_box[0]
    h = geometry.art_box[3] - geometry.art_box[1]
    scale = side / max(w, h)
    return max(16, round(w * scale)), max(16, round(h * scale))


def _crop(pixels: np.ndarray, box: Box, full: tuple[float, float]) -> np.ndarray:
    """`box`, given in the pixels of a (w, h) = `full` image, in `pixels` (any scale of it), rounded to
    whole pixels."""
    h, w = pixels.shape[:2]
    ux, uy = full[0] / w, full[1] / h
    x0 = min(max(0, int(round(box[0] / ux))), w - 1)
    y0 = min(max(0, int(round(box[1] / uy))), h - 1)
    x1 = min(max(x0 + 1, int(round(box[2] / ux))), w)
    y1 = min(max(y0 + 1, int(round(box[3] / uy))), h)
    return pixels[y0:y1, x0:x1]


def register(
    frame: np.ndarray, geometry: Geometry, full_size: tuple[int, int], size: tuple[int, int] | None = None
) -> np.ndarray:
    """A sampled recording frame in the analysis view: cropped to the frame box, unmirrored, resized to
    `size` (None: the crop's own size). `full_size`: the recording's (w, h), the frame box's unit."""
    part = _crop(frame, geometry.frame_box, full_size)
    view = part if size is None else resize_to(part, *size)
    return np.ascontiguousarray(view[:, ::-1] if geometry.flip else view)


def artwork_view(
    pixels: np.ndarray, geometry: Geometry, art_size: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    """An image in the artwork's geometry (the artwork, a branch's frame at any scale) in the view.
    `art_size`: the artwork's (w, h), which the art box is given in."""
    return resize_to(_crop(pixels, geometry.art_box, art_size), *size)
