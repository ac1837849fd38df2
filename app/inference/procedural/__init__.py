"""The embedded procedural engine: no weights, CPU only, deterministic per seed (design §4).

numpy + opencv + Pillow only; importing this package never imports torch or PySide6.
"""

from app.inference.procedural.engine import MAX_WORKING_SIDE, ProceduralEngine, ProceduralSession

__all__ = ["MAX_WORKING_SIDE", "ProceduralEngine", "ProceduralSession"]
