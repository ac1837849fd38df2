"""FrameBatches: the frames a project save still has to write, handed out a few at a time (issue 10.2).

Why batches on the one engine worker, not a second writer thread: the project's SQLite connection is
used by the engine worker for every frame read (`app.core.tiered_store`), the checkpoint and Save As;
a second thread writing on it would need a lock around every read and write, and a read behind a write
of hundreds of PNGs would wait just as long. A write job of at most `BATCH_FRAMES` frames (~a second of
PNG encoding at 1024²) runs at autosave priority, and the next batch is submitted only when one ends, so
a render or a frame read requested meanwhile (higher priority) runs between two batches: writing never
holds rendering back by more than one batch. The counts give a long first save its progress.
"""

from __future__ import annotations

from app.core.frames import Frame, FrameKey

BATCH_FRAMES = 8

Item = tuple[FrameKey, Frame]


class FrameBatches:
    """A queue of (key, frame) to write; `written`/`total` count the current run (reset when it empties)."""

    def __init__(self, batch: int | None = None) -> None:
        self.batch = max(1, BATCH_FRAMES if batch is None else batch)
        self._items: dict[FrameKey, Frame] = {}
        self.in_flight: list[Item] | None = None  # the batch being written now
        self.written = 0
        self.total = 0

    def add(self, items: list[Item]) -> None:
        """Queue `items`; a newer frame of a queued key replaces the older one (counted once)."""
        for key, frame in items:
            if key not in self._items:
                self.total += 1
            self._items[key] = frame

    def take(self) -> list[Item] | None:
        """The next batch to write (None when one is in flight or nothing waits)."""
        if self.in_flight is not None or not self._items:
            return None
        keys = list(self._items)[: self.batch]
        self.in_flight = [(key, self._items.pop(key)) for key in keys]
        return self.in_flight

    def done(self) -> None:
        """The batch in flight is in the file."""
        if self.in_flight is not None:
            self.written += len(self.in_flight)
            self.in_flight = None
        if not self._items:
            self.written = self.total = 0

    def give_back(self) -> list[Item]:
        """Everything not written (the batch in flight first), emptying the queue: a write failed."""
        items = (self.in_flight or []) + list(self._items.items())
        self.in_flight = None
        self._items.clear()
        self.written = self.total = 0
        return items

    def dropped(self) -> None:
        """The batch in flight was cancelled (the app is closing): it is not retried."""
        self.in_flight = None
        if not self._items:
            self.written = self.total = 0

    def waiting(self) -> bool:
        return self.in_flight is not None or bool(self._items)
