"""WD14 tagger against the reference fixture (tiny mimic ONNX + CSV) and its error paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.errors import WeightsError
from app.inference.paints_undo import tagger as wd14
from tools.parity.case import ParityCase
from tools.parity.handlers_misc import HANDLERS


@pytest.fixture(scope="module")
def meta(reference_file: Callable[[str], Path]) -> dict:
    return json.loads(reference_file("wd14.json").read_text())


@pytest.fixture(scope="module")
def tagger(reference_file: Callable[[str], Path]) -> wd14.Wd14Tagger:
    return wd14.Wd14Tagger(reference_file("wd14_tiny_tagger.onnx"), reference_file("wd14_tiny_tagger.csv"))


@pytest.fixture(scope="module")
def image(reference_file: Callable[[str], Path]) -> Callable[[str], np.ndarray]:
    return lambda name: np.array(Image.open(reference_file(f"wd14_{name}.png")))


@pytest.mark.parametrize("name", ["nonsquare_100x70", "square_49x49"])
def test_matches_reference_exactly(
    tagger: wd14.Wd14Tagger, meta: dict, image: Callable[[str], np.ndarray], reference_file, name: str
) -> None:
    assert tagger.input_size == meta["model_input_size"] == 64
    model_input = tagger.model_input(image(name))
    want = np.load(reference_file(f"wd14_{name}_model_input.npy"))
    assert model_input.dtype == np.float32 and np.array_equal(model_input, want)
    probs = tagger.probabilities(image(name))
    assert np.max(np.abs(probs - np.asarray(meta["probabilities"][name]))) <= 1e-6
    assert tagger.tag(image(name)) == meta["expected_prompts"][name]
    excl = meta["expected_prompts_with_exclude_tags"]
    assert tagger.tag(image(name), exclude_tags=excl["exclude_tags"]) == excl["prompts"][name]


def test_parity_handler_passes(reference_file) -> None:
    results = HANDLERS["wd14"](ParityCase.load(reference_file("wd14.json")))
    assert len(results) == 9 and all(r.passed for r in results), [r for r in results if not r.passed]


def test_preprocessing_details_are_load_bearing(meta: dict, image, reference_file) -> None:
    """The sensitivity the README lists: truncation + centring + BGR all change the input."""
    img = image("square_49x49")
    exact = wd14.preprocess(img, 64)
    assert (exact[0, 63, :, :] == 255).all()  # 49 * 64/49 truncates to 63: white last row
    rgb = exact[..., ::-1]
    assert not np.array_equal(rgb, np.load(reference_file("wd14_square_49x49_model_input.npy")))
    nonsq = wd14.preprocess(image("nonsquare_100x70"), 64)
    offset = meta["preprocessing_as_observed"]["nonsquare_100x70"]["paste_offset_xy"][1]
    assert (nonsq[0, :offset] == 255).all() and not (nonsq[0, offset] == 255).all()


def test_selection_and_formatting_rules() -> None:
    tags = [wd14.Tag("general", "9"), wd14.Tag("a_b", "0"), wd14.Tag("^_^", "0"), wd14.Tag("x_(y)", "0")]
    tags += [wd14.Tag("char_(z)", "4"), wd14.Tag("other", "4")]
    probs = [0.99, 0.35, 0.36, 0.9, 0.86, 0.85]
    names = wd14.select_tags(tags, probs)
    assert names == ["char_(z)", "^_^", "x_(y)"]  # character first; 0.35 and 0.85 are not strictly above
    assert wd14.format_prompt(names) == "char \\(z\\), ^ ^, x \\(y\\)"
    assert wd14.select_tags(tags, probs, exclude_tags=" X_(Y) ,char_(z)") == ["^_^"]


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    with pytest.raises(WeightsError, match="tag list .* is missing"):
        wd14.read_tags(csv)
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(WeightsError, match="not a WD14 selected_tags.csv"):
        wd14.read_tags(csv)
    csv.write_text("tag_id,name,category,count\n1,a,0,5\n")
    t = wd14.Wd14Tagger(tmp_path / "none.onnx", csv)
    with pytest.raises(WeightsError, match="tagger model .* is missing") as err:
        t.tag(np.zeros((8, 8, 3), np.uint8))
    assert "SmilingWolf/wd-v1-4-moat-tagger-v2" in err.value.hint
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"definitely not onnx")
    with pytest.raises(WeightsError, match="corrupt or not an ONNX model"):
        wd14.Wd14Tagger(bad, csv).tag(np.zeros((8, 8, 3), np.uint8))


def test_tag_count_mismatch_is_reported(tmp_path: Path, reference_file) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("tag_id,name,category,count\n1,a,0,5\n")
    with pytest.raises(WeightsError, match="predicts 26 tags but 't.csv' lists 1"):
        wd14.Wd14Tagger(reference_file("wd14_tiny_tagger.onnx"), csv).tag(np.zeros((8, 8, 3), np.uint8))


def test_tag_file_uses_models_dir_layout(tmp_path: Path, meta: dict, reference_file) -> None:
    (tmp_path / "wd14").mkdir()
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.onnx").write_bytes(
        reference_file("wd14_tiny_tagger.onnx").read_bytes()
    )
    (tmp_path / "wd14/wd-v1-4-moat-tagger-v2.csv").write_bytes(
        reference_file("wd14_tiny_tagger.csv").read_bytes()
    )
    prompt = wd14.tag_file(reference_file("wd14_square_49x49.png"), models_dir=tmp_path)
    assert prompt == meta["expected_prompts"]["square_49x49"]


def test_image_forms() -> None:
    gray = wd14.preprocess(np.full((5, 5), 10, np.uint8), 8)
    assert gray.shape == (1, 8, 8, 3)
    rgba = np.zeros((4, 4, 4), np.uint8)  # fully transparent -> white
    assert (wd14.preprocess(rgba, 4) == 255).all()
    with pytest.raises(ValueError, match="uint8"):
        wd14.preprocess(np.zeros((4, 4, 3), np.float32), 4)
