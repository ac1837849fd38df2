"""A terminal progress bar for long CLI work: redraws one line on a TTY, prints nothing otherwise
(so logs and pipes stay clean)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._start = time.perf_counter()

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if fraction < 1.0 and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(round(fraction * self.width))
        bar = "█" * filled + "·" * (self.width - filled)
        elapsed = now - self._start
        text = f"\r{self.label:<10} {bar} {fraction * 100:5.1f}%  {elapsed:5.1f}s  {message[:40]:<40}"
        self.stream.write(text)
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self(1.0, "done")
            self.stream.write("\n")
            self.stream.flush()
