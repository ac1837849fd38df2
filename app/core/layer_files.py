"""Which reader a layered file goes to: PSD/PSB (psd-tools), OpenRaster, Krita.

`read_layer_stack` is the one entry; `load_artwork` uses it for these suffixes, so the open dialog,
drag-and-drop, the start page, `undo-studio render` and projects accept all of them. Clip Studio
(.clip) is not among them: no maintained reader compatible with Apache-2.0 exists; export to PSD.
"""

from __future__ import annotations

from pathlib import Path

from app.core.cancel import CancelToken
from app.core.layers import LayerStack

LAYERED_SUFFIXES: frozenset[str] = frozenset({".psd", ".psb", ".ora", ".kra"})


def read_layer_stack(path: Path, max_pixels: int, cancel: CancelToken) -> LayerStack:
    """The layer stack of a layered file (suffix decides the format). Raises ArtworkError."""
    suffix = path.suffix.lower()
    if suffix in (".psd", ".psb"):
        from app.core.layers_psd import read_psd_stack

        return read_psd_stack(path, max_pixels, cancel)
    if suffix == ".ora":
        from app.core.layers_ora import read_ora_stack

        return read_ora_stack(path, max_pixels, cancel)
    if suffix == ".kra":
        from app.core.layers_kra import read_kra_stack

        return read_kra_stack(path, max_pixels, cancel)
    raise ValueError(f"{path.name} is not a layered file")
