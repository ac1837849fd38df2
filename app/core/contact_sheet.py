"""Contact sheets: a grid of frame thumbnails labelled with undo step and painting progress.

Used by `undo-studio render --contact-sheet` and for eyeballing an engine's process at a glance (the
whole process on one image is the quickest way to judge whether it reads as painting). Pure
numpy/Pillow/opencv, no Qt, no torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.core.export import replace_atomically
from app.core.frames import progress_percent
from app.errors import ExportError

BACKGROUND = (236, 236, 240)
LABEL_COLOUR = (40, 40, 48)
GAP = 8
SHEET_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _thumbnail(frame: np.ndarray, box: int) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = box / max(h, w)
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(frame[..., :3]), size, interpolation=interp)


def contact_sheet(
    frames: Sequence[tuple[int, np.ndarray]], columns: int | None = None, cell_px: int = 320
) -> np.ndarray:
    """A grid (RGB uint8) of `(undo_step, frame)` thumbnails in the given order, each fitted into a
    `cell_px` square and labelled "step S · P %". `columns` defaults to a near-square grid."""
    if not frames:
        raise ValueError("contact_sheet needs at least one frame")
    if cell_px < 16:
        raise ValueError(f"cell_px must be at least 16, got {cell_px}")
    n = len(frames)
    cols = max(1, min(n, columns if columns else math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    label_h = max(14, cell_px // 12)
    font = _font(max(10, label_h - 6))
    cell_w, cell_h = cell_px, cell_px + label_h
    sheet = Image.new("RGB", (GAP + cols * (cell_w + GAP), GAP + rows * (cell_h + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, (step, frame) in enumerate(frames):
        if frame.ndim != 3 or frame.shape[2] < 3:
            raise ValueError(f"frame for step {step} must be (H, W, 3), got {frame.shape}")
        thumb = _thumbnail(np.asarray(frame, np.uint8), cell_px)
        r, c = divmod(i, cols)
        x0, y0 = GAP + c * (cell_w + GAP), GAP + r * (cell_h + GAP)
        th, tw = thumb.shape[:2]
        sheet.paste(Image.fromarray(thumb, "RGB"), (x0 + (cell_w - tw) // 2, y0 + (cell_px - th) // 2))
        text = f"step {int(step)} · {progress_percent(int(step)):.0f} %"
        box = draw.textbbox((0, 0), text, font=font)
        tx = x0 + (cell_w - (box[2] - box[0])) // 2
        draw.text(
            (tx, y0 + cell_px + (label_h - (box[3] - box[1])) // 2 - box[1]),
            text,
            fill=LABEL_COLOUR,
            font=font,
        )
    return np.asarray(sheet, np.uint8).copy()


def contact_sheet_format(path: Path) -> str:
    """The Pillow format for a contact sheet at `path`, or ExportError. Cheap: the CLI calls it before
    rendering so a bad path fails at once instead of after the whole export (and without a traceback)."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(
            f"The contact sheet path '{path}' is a folder.", "Give a file name such as sheet.png."
        )
    fmt = SHEET_FORMATS.get(path.suffix.lower())
    if fmt is None:
        what = f"unknown image type '{path.suffix}'" if path.suffix else "the name has no extension"
        raise ExportError(
            f"Cannot write the contact sheet '{path.name}': {what}.",
            "Use a .png, .jpg or .webp file name.",
        )
    return fmt


def save_contact_sheet(sheet: np.ndarray, path: Path) -> None:
    """Write `sheet` atomically (temp file beside it, then rename): an old sheet survives a failure."""
    path = Path(path)
    fmt = contact_sheet_format(path)
    image = Image.fromarray(np.asarray(sheet, np.uint8), "RGB")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, lambda tmp: image.save(tmp, format=fmt))
    except OSError as exc:
        raise ExportError(
            f"Writing the contact sheet '{path.name}' failed ({exc}).", "Choose another location."
        ) from exc
