"""App pre/post-processing helpers against the app_preprocess fixture, plus their quirks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from app.inference.paints_undo import preprocess as pp
from tools.parity.case import ParityCase
from tools.parity.handlers_misc import HANDLERS


@pytest.mark.parametrize("size", ["48x40", "40x48", "64x64"])
def test_resize_and_center_crop_matches(size: str, reference_file) -> None:
    image = np.array(Image.open(reference_file("app_input.png")))
    w, h = (int(v) for v in size.split("x"))
    got = pp.resize_and_center_crop(image, target_width=w, target_height=h)
    assert np.array_equal(got, np.load(reference_file(f"app_resize_and_center_crop_{size}.npy")))


def test_tensor_conversions_match(reference_file) -> None:
    x = torch.from_numpy(np.load(reference_file("app_pytorch2numpy_input.npy")))
    assert np.array_equal(
        np.stack(pp.pytorch2numpy(x)), np.load(reference_file("app_pytorch2numpy_output.npy"))
    )
    image = np.array(Image.open(reference_file("app_input.png")))
    got = pp.numpy2pytorch([image[:8, :8], image[-8:, -8:]])
    assert got.dtype == torch.float32
    assert np.array_equal(got.numpy(), np.load(reference_file("app_numpy2pytorch_output.npy")))


def test_buckets_match_reference(reference_file) -> None:
    meta = json.loads(reference_file("app_preprocess.json").read_text())["find_best_bucket"]
    assert [list(b) for b in pp.VIDEO_BUCKETS] == meta["options_hw"]
    for size, want in meta["results_hw_for_input_hw"].items():
        h, w = (int(v) for v in size.split("x"))
        assert list(pp.find_best_bucket(h, w)) == want, size


def test_parity_handler_passes(reference_file) -> None:
    results = HANDLERS["app_preprocess"](ParityCase.load(reference_file("app_preprocess.json")))
    assert len(results) == 13 and all(r.passed for r in results), [r for r in results if not r.passed]


def test_pytorch2numpy_truncates() -> None:
    x = torch.tensor([(200.9 - 127.5) / 127.5]).reshape(1, 1, 1).expand(3, 1, 1)[None]
    assert pp.pytorch2numpy(x)[0][0, 0, 0] == 200
    assert pp.pytorch2numpy(torch.full((1, 3, 1, 1), 2.0))[0][0, 0, 0] == 255  # clipped


def test_bucket_ties_go_to_last_option() -> None:
    assert pp.find_best_bucket(1, 1, [(2, 2), (3, 3)]) == (3, 3)
    with pytest.raises(ValueError):
        pp.find_best_bucket(1, 1, [])


def test_resize_covers_then_crops_centre() -> None:
    image = np.zeros((10, 20, 3), np.uint8)
    image[:, 5:15] = 255  # a centred bright band
    out = pp.resize_and_center_crop(image, target_width=10, target_height=10)
    assert out.shape == (10, 10, 3) and (out == 255).all()
