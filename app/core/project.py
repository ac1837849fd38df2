"""A project: the artwork, its branch tree, the active branch, view state and engine settings, persisted
in a `ProjectStore` (design §6).

`Project` is the in-memory picture; `save_state()` writes the small parts (branches, active branch, view,
settings) in one transaction, `put_frames()` autosaves a finished frame batch, `put_recipe()` keeps a
deterministic engine's recipe in place of its frames. Reopening gives back the same branches, every stored
frame by key and every recipe; nothing is analysed or encoded again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from app.core.artwork import Artwork, load_artwork
from app.core.branch import Branch, BranchTree
from app.core.frames import MAX_STEP, MIN_STEP, Frame, FrameKey, FrameKind, FramePart
from app.core.project_recipes import RecipeRecord
from app.core.project_store import PROJECT_SUFFIX, ProjectStore
from app.errors import ArtworkError, ProjectError

T = TypeVar("T")

__all__ = ["PROJECT_SUFFIX", "Project", "clean_view_state"]

_BRANCHES = "branches"
_ACTIVE = "active_branch"
_VIEW = "view"
_ENGINE_SETTINGS = "engine_settings"
# The hint of `Project.layers_lost` (fixed, so the UI can show it translated).
LAYERS_LOST_HINT = (
    "Put the layered file back where it was, as it was when you saved the project, and open the project "
    "again: its layers are read from it then. Or open the layered file itself to start a new project "
    "with its layers."
)


def clean_view_state(view: object) -> dict[str, Any]:
    """The saved view with what the UI cannot use left out: `step` an undo step (an int in 0..999),
    `compare` a list of branch ids. The view is a convenience: a damaged one (`"step": "abc"`, a list,
    10**30) opens with the defaults instead of failing where the window applies it."""
    if not isinstance(view, dict):
        return {}
    clean = dict(view)
    step = clean.pop("step", None)
    if isinstance(step, int) and not isinstance(step, bool) and MIN_STEP <= step <= MAX_STEP:
        clean["step"] = step
    compare = clean.pop("compare", None)
    if isinstance(compare, list) and all(isinstance(i, str) for i in compare):
        clean["compare"] = list(compare)
    return clean


def _optional_state(store: ProjectStore, key: str) -> Any:
    """A state value that may be damaged beyond JSON (then: none), unlike the branch list."""
    try:
        return store.get_state(key, {})
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return {}


@dataclass
class Project:
    store: ProjectStore
    artwork: Artwork
    tree: BranchTree = field(default_factory=BranchTree)  # shared with the open document, not copied
    view_state: dict[str, Any] = field(default_factory=dict)  # e.g. {"step": 999, "compare": [...]}
    engine_settings: dict[str, Any] = field(default_factory=dict)  # app-wide engine choices (device...)
    # Why a project the user asked to edit was opened read-only (locked elsewhere, read-only location):
    # set by whoever fell back to read-only, for the notice the user gets.
    read_only_reason: ProjectError | None = None
    # The file has no branch list: a copy taken without its `-wal` file (the branch list was still in
    # the WAL), or a file that was never finished. The artwork is there; the user is told.
    incomplete: bool = False
    # The artwork's layer stack is not in the file yet: `put_layers` writes it (the UI does, on its
    # worker). Set by `create(layers=False)`, and by `open` when the stack was never written (the app
    # stopped before `put_layers`) or is damaged and was read again from the unchanged source file.
    layers_due: bool = False
    # The artwork had layers that the file lacks and its source could not give back (gone, changed,
    # unreadable): it opened flat, everything else is there. What happened and what to do, for the notice.
    layers_lost: ProjectError | None = None

    # ---------------------------------------------------------------------------------- lifecycle
    @staticmethod
    def create(
        path: Path, artwork: Artwork, tree: BranchTree | Sequence[Branch] = (), layers: bool = True
    ) -> Project:
        """A new project file at `path` (replaced atomically if it exists) with the artwork and branches.
        A `BranchTree` is kept as it is (the document's own tree); a sequence makes a new tree.
        `layers=False`: without the artwork's layer stack, which `put_layers` writes (encoding a large
        stack takes seconds: the UI creates the file at once and writes the layers on its worker)."""
        if not isinstance(tree, BranchTree):
            tree = BranchTree(tree)
        project = Project(ProjectStore.create(Path(path), artwork, layers), artwork, tree)
        project.layers_due = not layers and artwork.layers is not None
        project.save_state()
        project.store.checkpoint()  # the branch list in the main file at once: a copy of it alone opens
        return project

    @staticmethod
    def open(path: Path, read_only: bool = False) -> Project:
        """Reopen a project: artwork, branches, active branch, view and settings. Frames stay in the file.
        A layer stack that was never written (or is damaged) is read again from the artwork's source
        file when that still holds the same image (`layers_due`: the caller writes it), else the artwork
        opens flat and `layers_lost` says why and what to do."""
        store = ProjectStore.open(Path(path), read_only=read_only)
        try:
            artwork = store.load_artwork()
            lost: ProjectError | None = None
            missing = store.layers_damaged is not None or store.layers_pending
            if artwork.layers is None and missing:
                artwork, lost = _layers_from_source(artwork, store)
            branches = [Branch.from_json(b) for b in store.get_state(_BRANCHES, [])]
            active = store.get_state(_ACTIVE)
            # The view and settings are conveniences: a damaged one falls back to the defaults rather
            # than locking the user out of their branches and frames.
            view = _optional_state(store, _VIEW)
            settings = _optional_state(store, _ENGINE_SETTINGS)
            incomplete = _BRANCHES not in store.state_keys()
        except ProjectError:
            store.close()
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            store.close()
            raise ProjectError(
                f"The branch list in '{Path(path).name}' is damaged ({exc}).",
                "Start a new project from the artwork.",
            ) from exc
        active = active if isinstance(active, str) else None
        settings = settings if isinstance(settings, dict) else {}
        tree = BranchTree(branches, active)
        project = Project(store, artwork, tree, clean_view_state(view), dict(settings))
        project.incomplete = incomplete
        project.layers_due, project.layers_lost = artwork.layers is not None and missing, lost
        return project

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    def save_state(self) -> None:
        """Branches, active branch, view state and engine settings in one transaction."""
        self.store.set_state(
            {
                _BRANCHES: self.tree.to_json(),
                _ACTIVE: self.tree.active_id,
                _VIEW: self.view_state,
                _ENGINE_SETTINGS: self.engine_settings,
            }
        )

    def save_as(self, path: Path) -> None:
        """Copy the file to `path` atomically (every stored frame with it), continue working on the copy
        and write the state there: the original is left as it was, so a read-only one can be saved too."""
        self.store = self.store.save_as(Path(path))
        self.save_state()

    def put_layers(self) -> None:
        """Write the artwork's layer stack (`layers_due`: a project created with `layers=False`, or one
        whose stack was read again from its source on opening)."""
        self._on_current_store(lambda store: store.put_layers(self.artwork))
        self.layers_due = False

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------------- branches
    @property
    def branches(self) -> list[Branch]:
        return list(self.tree)

    @property
    def active_branch_id(self) -> str | None:
        return self.tree.active_id

    def branch(self, branch_id: str) -> Branch:
        return self.tree.get(branch_id)

    @property
    def active_branch(self) -> Branch | None:
        return self.tree.active

    def add_branch(self, branch: Branch, activate: bool = True) -> None:
        self.tree.add(branch, activate)

    def remove_branch(self, branch_id: str, delete_frames: bool = True) -> None:
        """Remove a branch; its frames and recipe go too unless another branch has the same spec."""
        doomed = self.tree.remove(branch_id).branch
        spec_hash = doomed.spec.spec_hash()
        if delete_frames and all(b.spec.spec_hash() != spec_hash for b in self.branches):
            self.store.delete_frames(spec_hash)
            self.store.delete_recipe(spec_hash)

    # ---------------------------------------------------------------------------------- frames
    def frame_key(self, branch: Branch, part: FramePart) -> FrameKey:
        return FrameKey(self.artwork.content_hash, branch.spec.spec_hash(), part)

    def put_frames(self, items: Sequence[tuple[FrameKey, Frame]]) -> int:
        """Autosave one finished batch (one transaction)."""
        return self._on_current_store(lambda store: store.put_frames(items))

    def get_frame(self, key: FrameKey) -> Frame | None:
        return self._on_current_store(lambda store: store.get_frame(key))

    def _on_current_store(self, call: Callable[[ProjectStore], T]) -> T:
        """Frames are written and read on a worker thread while Save As may swap the store on the UI
        thread; a call that met the old store just closed goes to the new one instead of failing."""
        while True:
            store = self.store
            try:
                return call(store)
            except ProjectError:
                if self.store is store:
                    raise

    # ---------------------------------------------------------------------------------- recipes
    def put_recipe(self, branch: Branch, data: bytes, seen_steps: Iterable[int] = ()) -> None:
        """Keep the recipe of `branch` (a deterministic engine's), keyed like its frames."""
        spec = branch.spec
        self._on_current_store(
            lambda store: store.put_recipe(spec.spec_hash(), spec.engine, data, seen_steps)
        )

    def put_seen_steps(self, branch: Branch, seen_steps: Iterable[int]) -> bool:
        """Update the steps seen on `branch`; False when it has no stored recipe."""
        return self._on_current_store(lambda store: store.put_seen_steps(branch.spec.spec_hash(), seen_steps))

    def get_seen_steps(self, branch: Branch) -> frozenset[int]:
        """The steps seen on `branch` when it keeps a recipe (empty when it has none)."""
        return (
            self._on_current_store(lambda store: store.get_seen_steps(branch.spec.spec_hash())) or frozenset()
        )

    def get_recipe(self, branch: Branch) -> RecipeRecord | None:
        """The stored recipe of `branch`, or None (none stored, damaged, or made by another engine)."""
        record = self._on_current_store(lambda store: store.get_recipe(branch.spec.spec_hash()))
        return record if record is not None and record.engine == branch.spec.engine else None

    def stored_frames(
        self, branch: Branch, hashes: Iterable[str] | None = None
    ) -> list[tuple[FrameKey, FrameKind, int]]:
        """(key, kind, step) for every stored frame of `branch`, without decoding images. `hashes`:
        the branch's frame hashes when its engine keys frames per part (keyframe engines)."""
        return self.store.frame_index(branch.spec.spec_hash() if hashes is None else hashes)


def _layers_from_source(artwork: Artwork, store: ProjectStore) -> tuple[Artwork, ProjectError | None]:
    """The artwork with the layer stack its file lacks, read again from its source file when that still
    holds the same image (same content hash); else the artwork as it is (flat) and why. Reading a large
    layered file takes seconds: `Project.open` runs on the UI's worker."""
    name, source = store.path.name, artwork.source
    if store.layers_damaged is not None:
        cause = f"The layers stored in '{name}' are damaged ({store.layers_damaged})"
    else:
        cause = f"The layers of '{name}' were never saved (the app stopped before it had written them)"
    if source is None:
        return artwork, ProjectError(f"{cause}: the artwork opened flat.", LAYERS_LOST_HINT)
    try:
        again = load_artwork(source)
    except ArtworkError as exc:
        gone = "is no longer there" if not source.exists() else f"could not be read ({exc.message})"
        return artwork, ProjectError(
            f"{cause}, and '{source}' {gone}: the artwork opened flat.", LAYERS_LOST_HINT
        )
    if again.content_hash != artwork.content_hash or again.layers is None:
        return artwork, ProjectError(
            f"{cause}, and '{source}' has changed since: the artwork opened flat.", LAYERS_LOST_HINT
        )
    return Artwork(artwork.pixels, source, artwork.layer_names, artwork.content_hash, again.layers), None
