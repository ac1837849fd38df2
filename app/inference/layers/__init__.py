"""The layers engine: a layered artwork's own layers become the process (issue 13).

numpy + opencv only; importing this package never imports torch or PySide6.
"""

from app.inference.layers.engine import MAX_WORKING_SIDE, LayersEngine, LayersSession

__all__ = ["MAX_WORKING_SIDE", "LayersEngine", "LayersSession"]
