"""Contact sheets: grid layout, thumbnails in order, labels drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core.contact_sheet import BACKGROUND, GAP, contact_sheet, save_contact_sheet
from app.errors import ExportError


def _solid(h: int, w: int, colour: tuple[int, int, int]) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.uint8), (h, w, 3)).copy()


def test_grid_shape_order_and_labels():
    frames = [
        (999, _solid(100, 100, (255, 0, 0))),
        (500, _solid(200, 100, (0, 255, 0))),  # portrait: fitted by its height
        (0, _solid(50, 150, (0, 0, 255))),
    ]
    cell = 64
    sheet = contact_sheet(frames, columns=2, cell_px=cell)
    label_h = max(14, cell // 12)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    assert sheet.shape[1] == GAP + 2 * (cell + GAP)
    assert sheet.shape[0] == GAP + 2 * (cell + label_h + GAP)

    def centre(row: int, col: int) -> np.ndarray:
        y = GAP + row * (cell + label_h + GAP) + cell // 2
        x = GAP + col * (cell + GAP) + cell // 2
        return sheet[y, x]

    assert tuple(centre(0, 0)) == (255, 0, 0)
    assert tuple(centre(0, 1)) == (0, 255, 0)
    assert tuple(centre(1, 0)) == (0, 0, 255)
    assert tuple(centre(1, 1)) == BACKGROUND  # empty cell
    # the portrait thumbnail is centred with background on both sides
    y = GAP + cell // 2
    assert tuple(sheet[y, GAP + cell + GAP + 2]) == BACKGROUND
    # a label was drawn under the first cell
    strip = sheet[GAP + cell : GAP + cell + label_h, GAP : GAP + cell]
    assert (np.abs(strip.astype(int) - np.asarray(BACKGROUND)).sum(axis=2) > 100).any()


def test_default_columns_make_a_near_square_grid():
    frames = [(s, _solid(32, 32, (s % 256, 0, 0))) for s in range(0, 1000, 111)]  # 10 frames -> 4 columns
    sheet = contact_sheet(frames, cell_px=32)
    assert sheet.shape[1] == GAP + 4 * (32 + GAP)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        contact_sheet([])
    with pytest.raises(ValueError):
        contact_sheet([(0, np.zeros((10, 10), np.uint8))])


def test_save_contact_sheet_is_atomic_and_refuses_bad_paths(tmp_path: Path) -> None:
    sheet = contact_sheet([(999, np.zeros((8, 8, 3), np.uint8)), (0, np.full((8, 8, 3), 255, np.uint8))])
    target = tmp_path / "sub" / "sheet.png"
    save_contact_sheet(sheet, target)
    assert np.array_equal(np.asarray(Image.open(target).convert("RGB")), sheet)
    for bad, match in (
        (tmp_path, "is a folder"),
        (tmp_path / "sheet", "no extension"),
        (tmp_path / "a.xyz", "'.xyz'"),
    ):
        with pytest.raises(ExportError, match=match) as info:
            save_contact_sheet(sheet, bad)
        assert info.value.hint
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(ExportError, match="failed"):
        save_contact_sheet(sheet, tmp_path / "blocker" / "sheet.png")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["blocker", "sheet.png", "sub"]
