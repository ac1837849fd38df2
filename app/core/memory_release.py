"""Give memory that Python has freed back to the operating system (closing a document).

Frames are large numpy buffers made on worker threads; glibc keeps freed blocks in its per-thread arenas
(above the mmap threshold, which it raises dynamically after the first frees, large blocks come from the
arenas too), so a closed document's frames stayed in RSS (1.7 GB after a scrub storm, issue 10 item 11).
`malloc_trim(0)` asks glibc to release the free pages of every arena. There is no portable call for this
and no maintained library wraps it, so it is one ctypes call here; elsewhere (macOS, Windows, musl) it is
a no-op, and those allocators return large blocks on their own."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def return_freed_memory() -> bool:
    """Release freed heap pages to the OS where the C library can (glibc); True if it was asked."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    return True
