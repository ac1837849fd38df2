"""Undo Studio: reconstructs a plausible drawing process for a finished artwork."""

__version__ = "0.1.0"
