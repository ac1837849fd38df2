"""The comparison layout: how 2-4 branches are arranged, on screen and in a comparison video alike.

One rule for both (`grid_columns`): a row of two or three panes, and a 2×2 grid for four. A 1×4 strip
of a portrait artwork is four slivers; the grid keeps each pane large and matches what the user saw in
the compare view when they pressed Export.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.core.imaging import side_by_side

GAP = 8  # pixels between panes, the compare view's spacing at 100 %
GAP_COLOUR = 32


def grid_columns(count: int) -> int:
    """Columns for `count` panes: 2 for four (2×2), otherwise all in one row."""
    return 2 if count == 4 else max(1, count)


def grid_size(count: int, width: int, height: int, gap: int = GAP) -> tuple[int, int]:
    """The composite's (width, height) for `count` panes of width×height: lets a caller estimate an
    export's size before any frame is rendered."""
    cols = grid_columns(count)
    rows = -(-count // cols)
    return cols * width + (cols - 1) * gap, rows * height + (rows - 1) * gap


def compare_grid(
    frames: Sequence[np.ndarray], labels: Sequence[str] | None = None, gap: int = GAP
) -> np.ndarray:
    """Panes in `grid_columns` rows (each row `side_by_side`, labelled), rows stacked with a `gap`;
    a shorter row is padded on the right so the picture stays rectangular."""
    if not frames:
        raise ValueError("compare_grid needs at least one frame")
    cols = grid_columns(len(frames))
    rows = []
    for start in range(0, len(frames), cols):
        row_labels = None if labels is None else list(labels[start : start + cols])
        rows.append(side_by_side(frames[start : start + cols], row_labels, gap=gap, gap_colour=GAP_COLOUR))
    if len(rows) == 1:
        return rows[0]
    width = max(r.shape[1] for r in rows)
    stacked: list[np.ndarray] = []
    for i, row in enumerate(rows):
        if i:
            stacked.append(np.full((gap, width, 3), GAP_COLOUR, np.uint8))
        if row.shape[1] < width:
            pad = np.full((row.shape[0], width - row.shape[1], 3), GAP_COLOUR, np.uint8)
            row = np.concatenate([row, pad], axis=1)
        stacked.append(row)
    return np.ascontiguousarray(np.concatenate(stacked, axis=0))
