"""The one error hierarchy (design §8). Every error a user can see carries what happened and what to do.

`str(err)` is the one-line message the CLI prints and the UI shows; `hint` says what to do about it.
"""

from __future__ import annotations


class UndoStudioError(Exception):
    """Base of every error we raise on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_text(self) -> str:
        """Message and hint in one line, for a status bar or a terminal."""
        return f"{self.message} {self.hint}".strip()


class ArtworkError(UndoStudioError):
    """An artwork file could not be read or is not acceptable (size, format, corruption)."""


class ProjectError(UndoStudioError):
    """A project file is damaged, from a newer version, or cannot be written."""


class DiskFullError(ProjectError):
    """The disk (or quota) is full: nothing is lost, writing can resume once space is freed."""


class ProjectReadOnlyError(ProjectError):
    """The project cannot be opened for writing (read-only file or folder, or open in another instance
    of the app): it can still be opened read-only."""


class RecordingError(UndoStudioError):
    """A recording (time-lapse video, numbered frames, `.procreate` file) could not be read, or is not
    one Undo Studio can align (too small, no frames, no time-lapse inside)."""


class ExportError(UndoStudioError):
    """Writing frames or a video failed."""


class EngineError(UndoStudioError):
    """An engine failed to prepare or render."""


class WeightsError(EngineError):
    """Model weights are missing, corrupt, of the wrong shape, or in a refused format (pickle)."""


class DeviceError(EngineError):
    """The requested compute device is not available or ran out of memory."""


class BatchError(UndoStudioError):
    """A batch cannot start or go on as a whole: no inputs, an unusable output folder or manifest, another
    batch writing the same folder, Ray asked for but not installed or not reachable. (An item's own
    failure is not raised: it is recorded in the manifest and the batch goes on.)"""


class CancelledError(UndoStudioError):
    """A long operation was cancelled by the user. Not a failure: callers usually swallow it."""

    def __init__(self, message: str = "Cancelled.", hint: str = "") -> None:
        super().__init__(message, hint)
