"""The bundled sample artworks: present, the documented sizes, and made of what the procedural engine
looks for (dark line art around many flat colour regions)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from app.core.cancel import CancelToken, no_progress
from app.inference.procedural.analysis import analyse
from app.paths import SAMPLES_DIR, sample_artworks

SAMPLES = {"cat_window.png": (1024, 1024), "lighthouse.png": (960, 1280), "portrait.png": (768, 1024)}


def test_samples_are_listed():
    names = {p.name for p in sample_artworks()}
    assert set(SAMPLES) <= names


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_has_line_art_and_regions(name):
    image = Image.open(SAMPLES_DIR / name)
    assert image.mode == "RGB" and image.size == SAMPLES[name]
    pixels = np.asarray(image)
    small = cv2.resize(pixels, (image.size[0] // 2, image.size[1] // 2), interpolation=cv2.INTER_AREA)
    an = analyse(small, CancelToken(), no_progress)
    line_share = float((an.line_alpha > 0.35).mean())
    assert 0.01 < line_share < 0.25
    big_regions = int((an.region_area > small.shape[0] * small.shape[1] * 0.002).sum())
    assert big_regions >= 15
    assert len(np.unique(an.flat.reshape(-1, 3), axis=0)) >= 8  # many distinct flat colours
