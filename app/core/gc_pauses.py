"""Short garbage-collector pauses on the UI thread (issue 10 item 11).

CPython's cyclic collector walks every tracked object in a full (generation 2) collection. After start-up
the app holds about 85,000 of them (the modules of PySide6, numpy and pyqtgraph, the window's widgets),
all living until exit, and a full collection took 40-70 ms on the UI thread: the longest stalls of a scrub
storm, and the collector runs one whenever enough new objects have survived, i.e. every few seconds while
frames and requests come and go. `gc.freeze()` moves what exists now into a permanent generation that
collections never walk; they then see only what came later (documents, frames, requests), which is what
they are there for. The app calls this once, after the main window is built and before any document
opens, so nothing a document owns is frozen and a closed document's cycles are still collected.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_start_up_objects() -> bool:
    """Collect once, then exempt every object alive now from later collections. Only the first call
    of a process does it (True); later ones would freeze a document's objects with the window's."""
    global _frozen
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True
