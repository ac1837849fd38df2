"""FittingLabel: a QLabel whose text is never cut; it shows the longest of its texts that fits its width.

A QLabel clips a text wider than itself: at a 2x scale on a small window the timeline's step label read
"Step 9" (its minimum width was measured before the style sheet made it bold, and for "Step 999" only).
Eliding with "…" would cut the very number the label is there for, and a minimum as wide as the full
line would push the row's other controls (and the window's minimum) past a small screen. So the label is
given its texts from longest to shortest (the full line, then a short form that still carries what
matters) and shows the first that fits. Its minimum width fits the widest short form it can ever show
(`set_shortest_texts`), measured with the font it has now, so after the style sheet's polish (a
FontChange) it is measured again. The tooltip always has the full text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget


class FittingLabel(QLabel):
    """A one-line label that shows the first of `set_texts(...)` that fits and never clips it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts: tuple[str, ...] = ("",)
        self._shortest: tuple[str, ...] = ()
        self._widest: tuple[str, int] = ("", 0)  # (font key, widest short form's advance) measured last
        # a label with a style-sheet padding has a frame, and a framed label's default indent is half an "x"
        # on the aligned side: not in the padding, it cut "999" by a digit's half at 2x
        self.setIndent(0)

    def set_shortest_texts(self, texts: Iterable[str]) -> None:
        """Every short form the label may ever have to show: its minimum width fits the widest of them, so
        the minimum does not follow the text shown (a window's minimum that changes with every frame makes
        Qt grow and shrink the window)."""
        self._shortest = tuple(texts)
        self._widest = ("", 0)
        self.updateGeometry()

    def set_texts(self, *texts: str) -> None:
        """Show the first of `texts` (longest first) that fits; the last one is shown when none does. The
        tooltip has the first."""
        if not texts:
            raise ValueError("FittingLabel.set_texts needs at least one text")
        if texts == self._texts:
            return
        self._texts = texts
        self.setToolTip(texts[0])
        self.updateGeometry()  # the size hint is the full text's
        self._fit()

    def full_text(self) -> str:
        """The longest form (what the tooltip says), whichever form is shown."""
        return self._texts[0]

    def text_width(self, text: str) -> int:
        """The label's width that shows `text` uncut: the text's advance in the label's font plus the
        margins (the style sheet's padding and border are contents margins)."""
        m = self.contentsMargins()
        return self._advance(text) + m.left() + m.right() + 2 * self.margin()

    def _advance(self, text: str) -> int:
        """The text's advance rounded up: the rounded integer advance is a fraction short of the bold
        glyphs' ink at a 2x scale."""
        return math.ceil(QFontMetricsF(self.fontMetrics()).horizontalAdvance(text))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        # the shown short form counts too: a caller that left one out of `set_shortest_texts` still never
        # gets a cut label
        width = max(self.text_width(self._texts[-1]), self.text_width("") + self._widest_advance())
        return QSize(width, super().minimumSizeHint().height())

    def _widest_advance(self) -> int:
        """The widest short form's advance, measured once per font (layouts ask for the minimum often, and
        the step label lists all 1000 steps)."""
        key = self.font().key()
        if self._widest[0] != key:
            self._widest = (key, max((self._advance(t) for t in self._shortest), default=0))
        return self._widest[1]

    def sizeHint(self) -> QSize:  # noqa: N802
        width = max(self.text_width(self._texts[0]), self.minimumSizeHint().width())
        return QSize(width, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.updateGeometry()
            self._fit()

    def _fit(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        shown = next((t for t in self._texts if self._advance(t) <= room), self._texts[-1])
        if shown != self.text():
            self.setText(shown)
