"""Work-around for a reference-counting bug of PySide6 6.12 on Python 3.11.

Measured here: every call of a void Qt method from Python (`QWidget.update`, `QSlider.setValue`,
`QCoreApplication.processEvents`, an overridden `event()`...) releases one reference to `None` it never
took, and every signal emission one reference to `True`. Python 3.12+ makes None/True/False immortal, so
there it is harmless; on 3.11 the interpreter aborts ("Fatal Python error: none_dealloc" / "bool_dealloc")
after some tens of thousands of calls, i.e. after a minute of scrubbing. We give these three singletons a
huge reference count once at start-up, which is what 3.12 does by design. They are statically allocated
and never freed, so nothing leaks. Remove this when the supported PySide6/Python pair is fixed.
"""

from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40
_done = False


def make_singletons_immortal() -> bool:
    """Raise the reference counts of None, True and False far out of reach; True when applied."""
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST  # ob_refcnt is the first field
    _done = True
    return True
