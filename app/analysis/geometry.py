"""Where the artwork is in a recording's frames: scale, offset, crop, letterbox, a horizontal flip and a
quarter turn.

Why template matching and not feature matching (ORB + RANSAC): a time-lapse's frames are small after
sampling (320 px), often soft or blocky from the codec, and many artworks have large flat areas with few
corners; normalised cross-correlation over a scale search is robust there, and the search is small
because the frame tells us most of the answer (its letterbox bars, its aspect). Two hypotheses are tried
for each of a few late frames (late frames look most like the artwork), each also mirrored:
- *cropped*: the frame's content (inside uniform bars) is a part of the artwork, scaled — the recorder cut
  the canvas's edges, or the canvas fills the frame exactly;
- *bordered*: the whole artwork sits inside the frame, scaled, with borders that are not uniform (an
  app's interface around the canvas).
The scale is uniform (the same in x and y): a recording stretched to another aspect is not registered
(it gets a low similarity and the "does not match" verdict).

A recording may also show the canvas turned by 90, 180 or 270 degrees (a phone recording held sideways).
Rather than four full searches, each turn (both mirrorings, both hypotheses) is tried at a few scales on
small copies of the late frames (a fraction of the cost of one full search); only the best turn (and a
runner-up within `_ORIENT_MARGIN`) gets the full search, and only when it beats upright clearly. A turned
frame is first turned back (`upright`), then registered as any other: `frame_box` is given in the
upright frame's pixels.

The "bordered" hypothesis places the artwork inside the content box too (never across uniform bars: they
are outside the picture), which also keeps a small placement from matching bars and content by chance.
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
ROTATIONS = (0, 90, 180, 270)  # degrees clockwise a recording may show the canvas turned
_ORIENT_SIDE = 160  # the turn is chosen on frames this small (long side)...
_ORIENT_SCALES = 7  # ...at this many scales, without refining
_ORIENT_MARGIN = 0.05  # a turn scoring within this of the best one gets the full search too
_TURN_PRIOR = 0.1  # a turn is taken when it scores this much better than upright


@dataclass(frozen=True)
class Geometry:
    """`art_box` (artwork pixels): the part of the artwork the recording shows; `frame_box` (full-size
    recording pixels, in the frame turned upright): where it is in a frame; `flip`: the frame shows it
    mirrored left-right; `rotation`: the frame shows it turned this many degrees clockwise."""

    flip: bool
    art_box: Box
    frame_box: Box
    similarity: float  # normalised cross-correlation of the best frame with the artwork, -1..1
    rotation: int = 0  # one of ROTATIONS

    def to_dict(self) -> dict[str, object]:
        return {
            "flip": self.flip,
            "rotation": self.rotation,
            "art_box": [round(v, 2) for v in self.art_box],
            "frame_box": [round(v, 2) for v in self.frame_box],
            "similarity": round(self.similarity, 4),
        }


def _gray(pixels: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)


def upright(pixels: np.ndarray, rotation: int) -> np.ndarray:
    """A frame that shows the canvas turned `rotation` degrees clockwise, turned back (a view, no copy)."""
    return np.rot90(pixels, rotation // 90) if rotation else pixels


def upright_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """(w, h) of a frame of `size` once turned upright."""
    return (size[1], size[0]) if rotation in (90, 270) else size


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
    box: tuple[int, int, int, int]  # the content box in the frame (inside uniform bars); `loc` is in it
    cropped: bool


class _ArtScales:
    """The artwork (grey, at the work size) resized to each size a search asks for, once, mirrored on
    demand (a view). The late frames, and turns 0/180 and 90/270, ask for the same sizes, and resizing
    the artwork was most of a search's cost."""

    def __init__(self, art: np.ndarray) -> None:
        self.art = art
        self._sized: dict[tuple[int, int], np.ndarray] = {}

    def get(self, size: tuple[int, int], flip: bool) -> np.ndarray:
        scaled = self._sized.get(size)
        if scaled is None:
            scaled = self._sized[size] = np.asarray(cv2.resize(self.art, size, interpolation=cv2.INTER_AREA))
        return scaled[:, ::-1] if flip else scaled


def _search(
    frame: np.ndarray,
    art: _ArtScales,
    art_full: tuple[int, int],
    coarse: int = _COARSE,
    refine: bool = True,
) -> _Hit:
    """Best hit over both hypotheses and both mirrorings for one (grey) frame: `coarse` scales, then
    (`refine`) `_FINE` scales around the best."""
    fh, fw = frame.shape
    box = content_box(frame)
    cx0, cy0, cx1, cy1 = box
    content = frame[cy0:cy1, cx0:cx1]
    aw, ah = art_full
    best = _Hit(-2.0, False, 1.0, (0, 0), (1, 1), box, True)
    for flip in (False, True):
        for cropped in (True, False):
            if cropped:
                low = max(content.shape[1] / aw, content.shape[0] / ah)
                scales = low * np.geomspace(1.0, 1.4, coarse)
            else:
                high = min(content.shape[1] / aw, content.shape[0] / ah)
                scales = high * np.geomspace(0.5, 1.0, coarse)
            hit = _scan(content, art, art_full, scales, flip, cropped, box)
            if not refine:
                best = max(best, hit, key=lambda h: h.score)
                continue
            step = float(scales[1] / scales[0])
            fine = hit.scale * np.geomspace(1 / step, step, _FINE)
            if not cropped:
                fine = fine[fine <= scales[-1] * 1.0001]
            hit = max(
                hit,
                _scan(content, art, art_full, fine, flip, cropped, box),
                key=lambda h: h.score,
            )
            if hit.score > best.score:
                best = hit
    return best


def _scan(
    image: np.ndarray,
    art: _ArtScales,
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
        scaled = art.get(size, flip)
        score, loc = _match(scaled, image) if cropped else _match(image, scaled)
        if score > best.score:
            best = _Hit(score, flip, float(s), loc, size, box, cropped)
    return best


def estimate_geometry(
    frames: Sequence[np.ndarray], full_size: tuple[int, int], artwork: np.ndarray
) -> Geometry:
    """The geometry of the best-matching of `frames` (sampled frames, RGB, all one size; pass a few late
    ones). `full_size` is the recording's (w, h): boxes are given in its pixels (turned upright)."""
    art_full = (int(artwork.shape[1]), int(artwork.shape[0]))
    work = min(_WORK_SIDE, 2 * max(frames[0].shape[:2]))  # never scaled up past twice the frame
    art = _ArtScales(_gray(resize_to(artwork, *fit_size(art_full[0], art_full[1], work))))
    # the search scales the artwork from its full size: express `art` as if it were full size
    grays = [_gray(frame) for frame in frames]
    assert grays, "estimate_geometry needs at least one frame"
    best, rotation = _Hit(-2.0, False, 1.0, (0, 0), (1, 1), (0, 0, 1, 1), True), 0
    for turn in _orientations(grays, art, art_full):
        for gray in grays:
            hit = _search(np.ascontiguousarray(upright(gray, turn)), art, art_full)
            if hit.score > best.score:
                best, rotation = hit, turn
    up_w, up_h = upright_size((int(frames[0].shape[1]), int(frames[0].shape[0])), rotation)
    up_full = upright_size(full_size, rotation)
    kx, ky = up_full[0] / up_w, up_full[1] / up_h  # sample pixels -> full recording pixels
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
        x, y = best.loc[0] + best.box[0], best.loc[1] + best.box[1]
        frame_box = (x * kx, y * ky, (x + best.art_size[0]) * kx, (y + best.art_size[1]) * ky)
    return Geometry(best.flip, _clip_box(art_box, art_full), frame_box, best.score, rotation)


def _orientations(grays: list[np.ndarray], art: _ArtScales, art_full: tuple[int, int]) -> list[int]:
    """The turns worth a full search: each is tried on small copies of the frames at a few scales (both
    mirrorings, both hypotheses). Upright, unless a turn scores `_TURN_PRIOR` better (most recordings are
    upright, and eight ways to place a picture find a fair match for an unrelated one more often than
    two); then the best turn and, within `_ORIENT_MARGIN` of it, the runner-up."""
    scores = dict.fromkeys(ROTATIONS, -2.0)
    for gray in grays:
        h, w = gray.shape
        small = _shrink(gray, *fit_size(w, h, _ORIENT_SIDE))
        for turn in ROTATIONS:
            hit = _search(np.ascontiguousarray(upright(small, turn)), art, art_full, _ORIENT_SCALES, False)
            scores[turn] = max(scores[turn], hit.score)
    turned = sorted(
        (t for t in ROTATIONS[1:] if scores[t] >= scores[0] + _TURN_PRIOR), key=lambda t: -scores[t]
    )
    return [t for t in turned if scores[t] >= scores[turned[0]] - _ORIENT_MARGIN][:2] or [0]


def _shrink(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    """A grey image at (width, height) (copy-free when it already is)."""
    if gray.shape[1] == width and gray.shape[0] == height:
        return gray
    return np.asarray(cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA))


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
    """A sampled recording frame in the analysis view: turned upright, cropped to the frame box,
    unmirrored, resized to `size` (None: the crop's own size). `full_size`: the recording's (w, h) as
    stored (the frame box's unit once turned upright)."""
    turned = np.ascontiguousarray(upright(frame, geometry.rotation)) if geometry.rotation else frame
    part = _crop(turned, geometry.frame_box, upright_size(full_size, geometry.rotation))
    view = part if size is None else resize_to(part, *size)
    return np.ascontiguousarray(view[:, ::-1] if geometry.flip else view)


def artwork_view(
    pixels: np.ndarray, geometry: Geometry, art_size: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    """An image in the artwork's geometry (the artwork, a branch's frame at any scale) in the view.
    `art_size`: the artwork's (w, h), which the art box is given in."""
    return resize_to(_crop(pixels, geometry.art_box, art_size), *size)
