"""Parity handlers for the non-neural fixtures: the WD14 tagger and the app's pre/post-processing.

Keyed by case-name prefix ("wd14", "app_preprocess"). Prompts and bucket choices must match exactly,
model-input and image arrays exactly (they are uint8-derived), tagger probabilities within 1e-6
(README guidance). Each compared output is one `ParityResult`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tools.parity.case import ParityCase, ParityHandler, ParityResult

PROBABILITY_TOLERANCE = 1e-6


def _file(case: ParityCase, described: str) -> Path:
    """Fixture JSONs name files as "name.npy (description)"; take the file name."""
    return case.folder / described.split()[0]


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im)


def _array_result(
    case: str, output: str, got: np.ndarray, want: np.ndarray, tol: float = 0.0
) -> ParityResult:
    if got.shape != want.shape:
        return ParityResult(case, output, float("inf"), tol, False, f"shape {got.shape} != {want.shape}")
    if got.size == 0:
        return ParityResult(case, output, 0.0, tol, True, "empty")
    err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
    return ParityResult(case, output, err, tol, err <= tol, "exact" if tol == 0 else "")


def _text_result(case: str, output: str, got: str, want: str) -> ParityResult:
    ok = got == want
    return ParityResult(
        case,
        output,
        0.0 if ok else 1.0,
        0.0,
        ok,
        "exact string match" if ok else f"got {got!r}, want {want!r}",
    )


def check_wd14(case: ParityCase) -> list[ParityResult]:
    from app.inference.paints_undo.tagger import Wd14Tagger

    meta = case.meta
    files = meta["files"]
    tagger = Wd14Tagger(
        case.folder / files["model"], case.folder / files["csv"], providers=["CPUExecutionProvider"]
    )
    results = [
        ParityResult(
            case.name,
            "model_input_size",
            float(abs(tagger.input_size - int(meta["model_input_size"]))),
            0.0,
            tagger.input_size == int(meta["model_input_size"]),
            "read from the model's input shape",
        )
    ]
    exclude = meta["expected_prompts_with_exclude_tags"]
    for image_name, png in files["images"].items():
        image = _read_png(case.folder / png)
        model_input = tagger.model_input(image)
        want_input = np.load(case.folder / files["model_inputs"][image_name])
        results.append(_array_result(case.name, f"{image_name}.model_input", model_input, want_input))
        probs = tagger.probabilities(image)
        want_probs = np.asarray(meta["probabilities"][image_name], dtype=np.float64)
        results.append(
            _array_result(case.name, f"{image_name}.probabilities", probs, want_probs, PROBABILITY_TOLERANCE)
        )
        results.append(
            _text_result(
                case.name, f"{image_name}.prompt", tagger.tag(image), meta["expected_prompts"][image_name]
            )
        )
        results.append(
            _text_result(
                case.name,
                f"{image_name}.prompt_with_exclude_tags",
                tagger.tag(image, exclude_tags=exclude["exclude_tags"]),
                exclude["prompts"][image_name],
            )
        )
    return results


def check_app_preprocess(case: ParityCase) -> list[ParityResult]:
    import torch

    from app.inference.paints_undo.preprocess import (
        find_best_bucket,
        numpy2pytorch,
        pytorch2numpy,
        resize_and_center_crop,
    )

    meta = case.meta
    files = meta["files"]
    image = _read_png(_file(case, files["input_image"]))
    results = []
    for size, described in files["resize_and_center_crop"].items():
        width, height = (int(v) for v in size.split("x"))
        got = resize_and_center_crop(image, target_width=width, target_height=height)
        results.append(
            _array_result(case.name, f"resize_and_center_crop.{size}", got, np.load(_file(case, described)))
        )
    p2n = files["pytorch2numpy"]
    got = np.stack(pytorch2numpy(torch.from_numpy(np.load(_file(case, p2n["input"])))))
    results.append(_array_result(case.name, "pytorch2numpy", got, np.load(_file(case, p2n["output"]))))
    got = numpy2pytorch([image[:8, :8], image[-8:, -8:]]).numpy()
    results.append(
        _array_result(case.name, "numpy2pytorch", got, np.load(_file(case, files["numpy2pytorch"]["output"])))
    )
    buckets = meta["find_best_bucket"]
    options = [tuple(o) for o in buckets["options_hw"]]
    for size, want in buckets["results_hw_for_input_hw"].items():
        h, w = (int(v) for v in size.split("x"))
        got_hw = find_best_bucket(h, w, options)
        ok = list(got_hw) == list(want)
        results.append(
            ParityResult(
                case.name,
                f"find_best_bucket.{size}",
                0.0 if ok else 1.0,
                0.0,
                ok,
                f"got {got_hw}, want {tuple(want)}",
            )
        )
    return results


HANDLERS: dict[str, ParityHandler] = {"wd14": check_wd14, "app_preprocess": check_app_preprocess}
