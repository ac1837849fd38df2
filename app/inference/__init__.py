"""Engines and everything that runs them (design §2). torch is imported lazily, never at import time."""
