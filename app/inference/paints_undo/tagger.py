"""WD14 tagger (wd-v1-4-moat-tagger-v2, onnxruntime): the prompt of the single-frame model.

Why exact: the prompt conditions every keyframe, so it must equal what the reference `wd14tagger.py`
produces for the same image. The pre-processing (int() truncated resize, PIL LANCZOS, paste on white
at floor-centred offsets, float32, RGB->BGR, no normalisation, size from the model's input shape) and
the post-processing (rating rows ignored, general p > 0.35, character p > 0.85, character tags first
then general in CSV order, ", " join, parentheses escaped, every "_" -> " ", exclude_tags compared with
the raw names) follow the reference README and are checked bit-exactly by the wd14 fixture.

Public API:
    tagger = Wd14Tagger(onnx_path, csv_path, providers=None)   # session created on first use
    Wd14Tagger.from_models_dir(models_dir=None)                # <models>/wd14/wd-v1-4-moat-tagger-v2.*
    tagger.tag(image_rgb_uint8, threshold=0.35, character_threshold=0.85, exclude_tags="") -> str
    tagger.probabilities(image_rgb_uint8) -> np.ndarray (num_tags,) float32
    tagger.model_input(image_rgb_uint8) -> np.ndarray (1, S, S, 3) float32 BGR
    tagger.input_size -> int;  tagger.tags -> list[Tag]
    preprocess(image, size) and format_prompt(tags, probs, ...) are pure functions for reuse.
    tag_file(image_path, models_dir=None, **thresholds) -> str  # for `undo-studio tag`
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import WeightsError

DEFAULT_THRESHOLD = 0.35
DEFAULT_CHARACTER_THRESHOLD = 0.85
GENERAL, CHARACTER, RATING = "0", "4", "9"
_FALLBACK_SIZE = 448  # the real tagger's input size, used only if the model's shape is symbolic


@dataclass(frozen=True)
class Tag:
    name: str  # raw CSV name, e.g. "holding_(object)"
    category: str  # "0" general, "4" character, "9" rating


_HEADER = ["tag_id", "name", "category"]


def _not_a_tag_list(path: Path) -> WeightsError:
    return WeightsError(
        f"'{path}' is not a WD14 selected_tags.csv (needs the header tag_id,name,category,count and "
        "general tags).",
        "Download selected_tags.csv from SmilingWolf/wd-v1-4-moat-tagger-v2 again.",
    )


def _unreadable(path: Path, exc: Exception) -> WeightsError:
    return WeightsError(f"WD14 tag list '{path}' is unreadable: {exc}.", "Download it again.")


def check_tag_list_header(csv_path: str | Path) -> None:
    """Raise `WeightsError` unless the file starts with the selected_tags.csv header. Reads one row
    only, so the models report (refreshed on every visit of the start page) can call it and never
    say the tagger is ready when its tag list is some other CSV."""
    path = Path(csv_path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            first = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, exc) from exc
    if [c.strip() for c in first[:3]] != _HEADER:
        raise _not_a_tag_list(path)


def read_tags(csv_path: str | Path) -> list[Tag]:
    """Tags in CSV order from a `selected_tags.csv` (header tag_id,name,category,count)."""
    path = Path(csv_path)
    if not path.is_file():
        raise WeightsError(
            f"WD14 tag list '{path}' is missing.",
            "Download selected_tags.csv from https://huggingface.co/SmilingWolf/wd-v1-4-moat-tagger-v2 "
            f"and save it as {path}.",
        )
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, exc) from exc
    if not rows or [c.strip() for c in rows[0][:3]] != _HEADER:
        raise _not_a_tag_list(path)
    try:
        tags = [Tag(row[1], row[2]) for row in rows[1:] if row]
    except IndexError as exc:
        raise _not_a_tag_list(path) from exc
    if GENERAL not in {t.category for t in tags}:
        raise _not_a_tag_list(path)
    return tags


def preprocess(image: np.ndarray, size: int) -> np.ndarray:
    """(1, size, size, 3) float32 BGR 0..255, exactly as the reference (see module docstring)."""
    from PIL import Image

    pil = Image.fromarray(_as_rgb(image))
    ratio = float(size) / max(pil.size)
    new_size = tuple(int(x * ratio) for x in pil.size)  # int(): truncation is part of the reference
    pil = pil.resize(new_size, Image.LANCZOS)
    square = Image.new("RGB", (size, size), (255, 255, 255))
    square.paste(pil, ((size - new_size[0]) // 2, (size - new_size[1]) // 2))
    array = np.array(square).astype(np.float32)
    return np.ascontiguousarray(array[:, :, ::-1])[None]


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"the tagger needs a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 4:  # composite on white, like a flattened artwork
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        return (image[:, :, :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the tagger needs an (H, W, 3) image, got shape {image.shape}")
    return image


def select_tags(
    tags: Sequence[Tag],
    probs: Sequence[float],
    threshold: float = DEFAULT_THRESHOLD,
    character_threshold: float = DEFAULT_CHARACTER_THRESHOLD,
    exclude_tags: str = "",
) -> list[str]:
    """Raw names of the selected tags: character tags first, then general, each in CSV order."""
    categories = [t.category for t in tags]
    general_start = categories.index(GENERAL)
    character_start = categories.index(CHARACTER) if CHARACTER in categories else len(tags)
    pairs = list(zip((t.name for t in tags), probs, strict=True))
    general = [n for n, p in pairs[general_start:character_start] if p > threshold]
    character = [n for n, p in pairs[character_start:] if p > character_threshold]
    remove = {s.strip() for s in exclude_tags.lower().split(",")}
    return [n for n in character + general if n not in remove]


def format_prompt(names: Sequence[str]) -> str:
    """ ", " join, escape parentheses, then every "_" -> " " (kaomoji like ^_^ become ^ ^, as upstream)."""
    return ", ".join(n.replace("(", "\\(").replace(")", "\\)") for n in names).replace("_", " ")


class Wd14Tagger:
    def __init__(
        self, onnx_path: str | Path, csv_path: str | Path, providers: Sequence[str] | None = None
    ) -> None:
        self.onnx_path = Path(onnx_path)
        self.csv_path = Path(csv_path)
        self._providers = list(providers) if providers else None
        self._session: Any = None
        self._tags: list[Tag] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_models_dir(
        cls, models_dir: str | Path | None = None, providers: Sequence[str] | None = None
    ) -> Wd14Tagger:
        from app.inference.paints_undo.layout import component_path
        from app.paths import default_models_dir

        base = Path(models_dir) if models_dir is not None else default_models_dir()
        return cls(component_path(base, "wd14_onnx"), component_path(base, "wd14_csv"), providers)

    @property
    def tags(self) -> list[Tag]:
        if self._tags is None:
            self._tags = read_tags(self.csv_path)
        return self._tags

    def _default_providers(self) -> list[str]:
        import onnxruntime as ort

        available = ort.get_available_providers()
        wanted = ["CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider"]
        return [p for p in wanted if p in available] or ["CPUExecutionProvider"]

    def session(self) -> Any:
        """The onnxruntime session, created on first use (loading the real model takes ~1 s)."""
        with self._lock:
            if self._session is None:
                if not self.onnx_path.is_file():
                    raise WeightsError(
                        f"WD14 tagger model '{self.onnx_path}' is missing.",
                        "Download model.onnx from https://huggingface.co/SmilingWolf/wd-v1-4-moat-tagger-v2 "
                        f"and save it as {self.onnx_path}, or type a prompt yourself.",
                    )
                import onnxruntime as ort

                try:
                    session = ort.InferenceSession(
                        str(self.onnx_path), providers=self._providers or self._default_providers()
                    )
                except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
                    raise WeightsError(
                        f"WD14 tagger model '{self.onnx_path}' is corrupt or not an ONNX model: {exc}.",
                        "Delete it and download model.onnx again.",
                    ) from exc
                width = session.get_outputs()[0].shape[-1]
                if isinstance(width, int) and width != len(self.tags):
                    raise WeightsError(
                        f"WD14 model '{self.onnx_path.name}' predicts {width} tags but '{self.csv_path.name}' "
                        f"lists {len(self.tags)}.",
                        "The .onnx and .csv come from different taggers; download both from the same repo.",
                    )
                self._session = session
            return self._session

    @property
    def input_size(self) -> int:
        size = self.session().get_inputs()[0].shape[1]
        return size if isinstance(size, int) else _FALLBACK_SIZE

    def model_input(self, image_rgb_uint8: np.ndarray) -> np.ndarray:
        return preprocess(image_rgb_uint8, self.input_size)

    def probabilities(self, image_rgb_uint8: np.ndarray) -> np.ndarray:
        session = self.session()
        feed = {session.get_inputs()[0].name: self.model_input(image_rgb_uint8)}
        return np.asarray(session.run([session.get_outputs()[0].name], feed)[0][0], dtype=np.float32)

    def tag(
        self,
        image_rgb_uint8: np.ndarray,
        threshold: float = DEFAULT_THRESHOLD,
        character_threshold: float = DEFAULT_CHARACTER_THRESHOLD,
        exclude_tags: str = "",
    ) -> str:
        probs = self.probabilities(image_rgb_uint8)
        return format_prompt(select_tags(self.tags, probs, threshold, character_threshold, exclude_tags))


def tag_file(
    image_path: str | Path,
    models_dir: str | Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    character_threshold: float = DEFAULT_CHARACTER_THRESHOLD,
    exclude_tags: str = "",
) -> str:
    """The prompt for an image file (what `undo-studio tag IMAGE` prints). Uses Pillow to read the
    image so the tagger sees the same RGB pixels the reference got from `np.array(Image.open(...))`."""
    from PIL import Image

    from app.errors import ArtworkError

    try:
        with Image.open(image_path) as im:
            image = np.array(im.convert("RGBA") if im.mode in ("RGBA", "LA", "P") else im.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise ArtworkError(
            f"Cannot read image '{image_path}': {exc}.", "Use a PNG, JPEG, WebP, BMP or TIFF file."
        ) from exc
    tagger = Wd14Tagger.from_models_dir(models_dir)
    return tagger.tag(image, threshold, character_threshold, exclude_tags)
