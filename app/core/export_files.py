"""Where an export lands on disk: temp names beside the target, atomic commit, the folder checks, the
`process.json` manifest of a PNG sequence, and cleaning what a killed export left behind.

Every write goes to a hidden `.{stem}.partial-{8 hex}{suffix}` beside the target and is renamed into
place on success. A SIGKILL (or a power cut) skips every `finally`, so such a partial can outlive its
export; the next export to the same place removes it (`clean_stale_partials`).

Which partials are stale is decided by a lock, not by age: an export holds an exclusive `flock` on its
own partial (the file, or the folder of a PNG sequence) for as long as it writes, and the kernel drops
that lock when the process dies, however it dies. A partial whose lock can be taken is therefore one
nobody writes; one whose lock is held belongs to an export running right now (another window, the
CLI) and is left alone. Age would be wrong both ways: a Paints-UNDO export on a CPU can spend many
minutes on its first frame without touching its partial, and a crashed export is stale at once.
Where `fcntl` does not exist (Windows) a partial counts as stale only after `STALE_WITHOUT_LOCK_S`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from app.core.branch import BranchSpec
from app.errors import ExportError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; see STALE_WITHOUT_LOCK_S
    fcntl = None  # type: ignore[assignment]

MANIFEST_NAME = "process.json"
STALE_WITHOUT_LOCK_S = 24 * 3600.0
_PARTIAL = re.compile(r"\.(?P<stem>.*)\.(?P<kind>partial|old)-[0-9a-f]{8}(?P<suffix>(\.[^.]*)?)")


def temp_beside(path: Path) -> Path:
    """A hidden, unique temp name next to `path` with its suffix (writers pick the format from it)."""
    return path.with_name(f".{path.stem}.partial-{uuid.uuid4().hex[:8]}{path.suffix}")


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """`write` a temp file beside `path`, then rename it over `path`: a failure or an interrupt leaves
    any old file as it was and no temp file behind (the error, an OSError most often, propagates)."""
    tmp = temp_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        remove(tmp)
        raise


def remove(tmp: Path) -> None:
    """Remove a temp file or folder; quietly, since it is only ever called while cleaning up."""
    try:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    except OSError:
        pass


@contextmanager
def held_partial(tmp: Path, is_folder: bool) -> Iterator[None]:
    """Create `tmp` (a folder for a PNG sequence, else an empty file the writer then truncates: same
    inode) and hold an exclusive lock on it until the block ends, so `clean_stale_partials` in another
    export leaves it alone. The lock goes with the process, whichever way it ends."""
    if is_folder:
        tmp.mkdir()
    else:
        tmp.touch(exist_ok=False)
    if fcntl is None:
        yield
        return
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def clean_stale_partials(out: Path) -> list[Path]:
    """Remove what killed exports to `out` left beside it: `.{stem}.partial-*{suffix}` that no running
    export holds (see the module docstring), and `.{stem}.old-*` folders of an interrupted commit once
    `out` itself exists again (the old copy is then garbage). Only names of this exact pattern and
    target are touched. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.fullmatch(entry.name)
        if match is None or match["stem"] != out.stem or match["suffix"] != out.suffix:
            continue
        stale = out.exists() if match["kind"] == "old" else _unlocked(entry)
        if stale:
            remove(entry)
            removed.append(entry)
    return removed


def _unlocked(path: Path) -> bool:
    if fcntl is None:
        try:
            return time.time() - path.stat().st_mtime > STALE_WITHOUT_LOCK_S
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # an export is writing it right now
    finally:
        os.close(fd)
    return True


def is_export_file(name: str) -> bool:
    """A file an earlier PNG-sequence export wrote (`frame_*.png` now, `step_*.png` before, the manifest)."""
    return (name.endswith(".png") and name.startswith(("frame_", "step_"))) or name == MANIFEST_NAME


def check_target(out: Path, fmt: str) -> None:
    """A video must not land on a folder; a PNG sequence replaces only a folder holding an old export."""
    if fmt != "png":
        if out.is_dir():
            raise ExportError(f"'{out}' is a folder.", "Choose a file name for the video.")
        return
    if out.exists() and not out.is_dir():
        raise ExportError(
            f"'{out}' exists and is not a folder.", "Choose a new folder name for the PNG sequence."
        )
    if out.is_dir():
        strangers = [p.name for p in out.iterdir() if not is_export_file(p.name)]
        if strangers:
            raise ExportError(
                f"The folder '{out}' already contains other files ({', '.join(sorted(strangers)[:3])}).",
                "Choose an empty or new folder for the PNG sequence.",
            )


def commit(tmp: Path, out: Path, fmt: str) -> None:
    """Atomic rename into place (the target is checked again: it may have changed while we rendered)."""
    check_target(out, fmt)
    if fmt != "png":
        os.replace(tmp, out)
        return
    if out.is_dir():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(tmp, out)


def write_manifest(path: Path, manifest: Mapping[str, object]) -> None:
    """Write `process.json` atomically (design §8): a full disk leaves no truncated manifest. The one
    manifest writer: the CLI and the GUI's PNG sequences both go through `export_process`, which calls
    it inside the sequence's temp folder, so a finished folder always holds its manifest."""

    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(dict(manifest), indent=2))

    try:
        replace_atomically(path, write)
    except OSError as exc:
        raise ExportError(
            f"The frames were written, but not '{path}' ({exc}).", "Check free disk space and try again."
        ) from exc


def source_fields(
    artwork: Path | str | None,
    artwork_hash: str,
    branches: Sequence[tuple[str, BranchSpec]],
    size: tuple[int, int] | None = None,
) -> dict[str, object]:
    """What `process.json` says about where the frames came from, the same from the CLI and the GUI:
    the artwork, and the engine, seed and settings of the branch (flat, for one branch) or of each
    compared branch (`branches`), named when a name is given. `size` is the size the engine worked at."""
    out: dict[str, object] = {
        "artwork": None if artwork is None else str(artwork),
        "artwork_hash": artwork_hash,
    }
    specs = [({"name": name} if name else {}) | spec.to_json() for name, spec in branches]
    if len(specs) == 1:
        out.update(specs[0])
    else:
        out["branches"] = specs
    if size is not None:
        out["size"] = [int(size[0]), int(size[1])]
    return out
