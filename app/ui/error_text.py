"""How an error reads in the user's language: the one place every UI error display goes through.

The core and the engines raise `UndoStudioError`s in English (design §8: what happened + what to do).
Their messages carry file names, sizes and numbers from ~200 raise sites, so translating each message
is not worth it; instead, as localized desktop apps do, an error is shown as

- a headline per error class ("Export failed") in the UI language,
- the hint (what to do), translated when it is one of the fixed hint strings of `app/core` and
  `app/inference` (looked up by exact text in the `Errors` context of the `.ts` file; a hint built at
  run time stays English),
- the original English message as the detail, so nothing the core said is lost.

In the English UI the text is exactly `user_text()` (message and hint), as before: a headline there
would only repeat what the message says.

Errors travel to the status bar and the message box as strings (Qt signals of `str`), so `text()` lays
the parts out with a fixed separator and `ErrorText.from_text` takes them apart again where a dialog
wants the detail in a separate place.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from app.errors import (
    ArtworkError,
    CancelledError,
    DeviceError,
    EngineError,
    ExportError,
    ProjectError,
    RecordingError,
    UndoStudioError,
    WeightsError,
)

CONTEXT = "Errors"
DETAIL_SEPARATOR = "\n\n"  # between what the user reads first and the original English message
LINE_SEPARATOR = " — "  # where a status bar line joins the parts


@dataclass(frozen=True)
class ErrorText:
    """An error as shown: `summary` in the UI language, `detail` the original English message ("" when
    the summary already says everything, as in the English UI)."""

    summary: str
    detail: str = ""

    def text(self) -> str:
        """Summary, a blank line, then the detail: for labels, tooltips and message boxes."""
        return self.summary + (DETAIL_SEPARATOR + self.detail if self.detail else "")

    def line(self) -> str:
        """One line, for the status bar (a multi-line label would make the bar grow)."""
        return one_line(self.text())

    @classmethod
    def from_text(cls, text: str) -> ErrorText:
        """The parts of a `text()` again, for a message box that puts the detail under the summary.
        Text that did not come from `text()` (a plain UI message) is all summary."""
        summary, _sep, detail = text.partition(DETAIL_SEPARATOR)
        return cls(summary, detail)


def _translate(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text) or text


def _headline(exc: BaseException) -> tuple[str, str]:
    """(English source, translation) of the headline for the most specific class `exc` is one of.

    The literals are written out in `translate` calls (not a table of sources) so the .ts completeness
    test finds them, and they are looked up at display time so the current translator is used."""
    tr = QCoreApplication.translate
    table: list[tuple[type[BaseException], str, str]] = [
        (ArtworkError, "Could not open this artwork", tr(CONTEXT, "Could not open this artwork")),
        (ProjectError, "Problem with the project file", tr(CONTEXT, "Problem with the project file")),
        (ExportError, "Export failed", tr(CONTEXT, "Export failed")),
        (RecordingError, "Could not use this recording", tr(CONTEXT, "Could not use this recording")),
        (WeightsError, "Problem with the model files", tr(CONTEXT, "Problem with the model files")),
        (DeviceError, "Problem with the compute device", tr(CONTEXT, "Problem with the compute device")),
        (EngineError, "The engine could not finish", tr(CONTEXT, "The engine could not finish")),
        (CancelledError, "Cancelled", tr(CONTEXT, "Cancelled")),
    ]
    for cls in type(exc).__mro__:  # most specific first: WeightsError before EngineError
        for klass, source, translated in table:
            if cls is klass:
                return source, translated or source
    return "Something went wrong", tr(CONTEXT, "Something went wrong") or "Something went wrong"


def translate_hint(hint: str) -> str:
    """The hint in the UI language when it is one of the fixed hints of the core and the engines; any
    other hint (built at run time, or new and not translated yet) as it is."""
    return _translate(hint) if hint else hint


def describe(exc: BaseException) -> ErrorText:
    """How `exc` reads in the UI language. Not only our errors: an unexpected exception (a bug, a
    library's error) gets the generic headline and its own text as the detail."""
    if isinstance(exc, UndoStudioError):
        message, hint, english = exc.message, exc.hint, exc.user_text()
    else:
        message, hint, english = str(exc) or type(exc).__name__, "", str(exc) or type(exc).__name__
    source, headline = _headline(exc)
    if headline == source:  # no translation for the UI language: the English text says it all
        return ErrorText(english)
    summary = "\n".join(part for part in (headline, translate_hint(hint)) if part)
    return ErrorText(summary, message)


def error_text(exc: BaseException) -> str:
    """`describe(exc).text()`: what the UI's error signals carry and labels show."""
    return describe(exc).text()


def one_line(text: str) -> str:
    """`text` (possibly from `error_text`) on one line: its parts joined by a dash."""
    return LINE_SEPARATOR.join(part.strip() for part in text.splitlines() if part.strip())
