"""Recordings with a known truth, made from our procedural engine's process (issue 11).

A process of `count` frames (undo steps 999 -> 0, evenly spaced: frame j is at progress j/(count-1)) is
cropped, resized, letterboxed into a 16:9 frame and mirrored, then framed by an intro card, a blank-canvas
hold and a final hold, with a few frames dropped. Frame k of the recording is shown at time k / FPS, so a
dropped frame leaves a gap in the time stamps (or in the file numbers), as a recorder under load does.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.inference.procedural import ProceduralEngine
from app.paths import SAMPLES_DIR

FPS = 2
ART_SIZE = (144, 192)  # w, h
FRAME_SIZE = (256, 144)
CROP = (0.08, 0.05, 0.0, 0.02)  # left, top, right, bottom: fractions of the artwork the recorder cut off
CONTENT_HEIGHT = 132


def artwork(name: str = "lighthouse.png", size: tuple[int, int] = ART_SIZE) -> Artwork:
    pixels = np.asarray(Image.open(SAMPLES_DIR / name).convert("RGB"))
    return Artwork.from_array(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))


# The truth is a plain process (the engine's own flips, grades and repaints off): a recording with the
# canvas flipped for a stretch is made from it where a test wants one (test_recording_orientation.py).
CALM = {name: 0.0 for name in ("flip_chance", "grade_chance", "repaint_chance", "background_chance")}


def process(
    art: Artwork, seed: int, count: int = 48, way: str = "line-art", engine: ProceduralEngine | None = None
) -> list[np.ndarray]:
    """`count` frames of the procedural process of `seed` in `way` (no behaviours), steps 999 -> 0."""
    engine = engine or ProceduralEngine()
    spec = BranchSpec.make("procedural", seed, {"way": way, **CALM})
    session = engine.prepare(art, spec, CancelToken(), no_progress)
    steps = [round(999 * (1 - j / (count - 1))) for j in range(count)]
    return [engine.render_step(session, s) for s in steps]


def art_box(size: tuple[int, int] = ART_SIZE, crop: tuple[float, ...] = CROP) -> tuple[float, ...]:
    w, h = size
    return (round(crop[0] * w), round(crop[1] * h), w - round(crop[2] * w), h - round(crop[3] * h))


def transform(frame: np.ndarray, flip: bool = True, crop: tuple[float, ...] = CROP) -> np.ndarray:
    """Cropped, scaled to CONTENT_HEIGHT, mirrored, centred on black in a FRAME_SIZE frame."""
    x0, y0, x1, y1 = (int(v) for v in art_box((frame.shape[1], frame.shape[0]), crop))
    part = frame[y0:y1, x0:x1]
    width = round(part.shape[1] * CONTENT_HEIGHT / part.shape[0])
    part = cv2.resize(part, (width, CONTENT_HEIGHT), interpolation=cv2.INTER_AREA)
    if flip:
        part = part[:, ::-1]
    out = np.zeros((FRAME_SIZE[1], FRAME_SIZE[0], 3), np.uint8)
    top, left = (FRAME_SIZE[1] - CONTENT_HEIGHT) // 2, (FRAME_SIZE[0] - width) // 2
    out[top : top + CONTENT_HEIGHT, left : left + width] = part
    return out


def content_box() -> tuple[int, int, int, int]:
    """Where `transform` puts the picture in a frame (x0, y0, x1, y1)."""
    w, h = ART_SIZE
    x0, y0, x1, y1 = art_box()
    width = round((x1 - x0) * CONTENT_HEIGHT / (y1 - y0))
    top, left = (FRAME_SIZE[1] - CONTENT_HEIGHT) // 2, (FRAME_SIZE[0] - width) // 2
    return left, top, left + width, top + CONTENT_HEIGHT


def title_card() -> np.ndarray:
    card = np.full((FRAME_SIZE[1], FRAME_SIZE[0], 3), (30, 20, 90), np.uint8)
    cv2.putText(card, "MY SPEEDPAINT", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (250, 240, 200), 2)
    return card


@dataclass
class Made:
    """A recording's frames, their numbers (time = number / FPS) and the truth."""

    frames: list[np.ndarray]
    numbers: list[int]
    truth: dict[int, float]  # recording frame number -> progress of the process frame it shows
    start_number: int  # number of the frame at progress 0 (the last frame of the blank hold)
    end_number: int  # the first frame of the final hold


def make(
    steps: list[np.ndarray],
    intro: int = 4,
    blank: int = 6,
    hold: int = 10,
    drop: tuple[int, ...] = (9, 23, 37),
    flip: bool = True,
) -> Made:
    frames, numbers, truth = [], [], {}
    number = 0
    for _ in range(intro):
        frames.append(title_card())
        numbers.append(number)
        number += 1
    for _ in range(blank):
        frames.append(transform(steps[0], flip))
        numbers.append(number)
        number += 1
    count = len(steps)
    start_number = number
    for j, step in enumerate(steps):
        if j not in drop:
            frames.append(transform(step, flip))
            numbers.append(number)
            truth[number] = j / (count - 1)
        number += 1
    end_number = number - 1
    for _ in range(hold):
        frames.append(transform(steps[-1], flip))
        numbers.append(number)
        number += 1
    return Made(frames, numbers, truth, start_number, end_number)


def write_mp4(path: Path, frames: list[np.ndarray], numbers: list[int], fps: int = FPS) -> Path:
    """H.264 with each frame's time stamp = number / fps (gaps where frames were dropped)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(fps, 1), options={"crf": "18", "preset": "ultrafast"}
        )
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for frame, number in zip(frames, numbers, strict=True):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = number
            vf.time_base = Fraction(1, fps)
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_folder(folder: Path, frames: list[np.ndarray], numbers: list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for frame, number in zip(frames, numbers, strict=True):
        Image.fromarray(frame).save(folder / f"frame{number}.png")  # unpadded: natural sort needed
    return folder


def write_procreate(path: Path, frames: list[np.ndarray], numbers: list[int], segments: int = 3) -> Path:
    """A minimal `.procreate`-style zip: the time-lapse cut into segment-1.mp4 ... (numbered from 1),
    stored in the zip in a scrambled order, beside a thumbnail."""
    cuts = np.array_split(np.arange(len(frames)), segments)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("QuickLook/Thumbnail.png", b"not really a png")
        for k in reversed(range(segments)):
            idx = cuts[k]
            base = numbers[idx[0]]
            tmp = path.parent / f"seg{k}.mp4"
            write_mp4(tmp, [frames[i] for i in idx], [numbers[i] - base for i in idx])
            archive.write(tmp, f"video/segments/segment-{k + 1}.mp4")
            tmp.unlink()
    return path
