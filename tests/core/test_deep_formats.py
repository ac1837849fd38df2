"""Valid files Pillow has no mode for are read, not called damaged (issue 10, item 10): 16- and 32-bit
PSD and floating-point TIFF become 8-bit sRGB; HDR values above 1 are clipped to white. Files that really
are damaged still say so. Every file is written by the test."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from app.core.artwork import load_artwork
from app.core.pixel_modes import to_rgb_array
from app.errors import ArtworkError


def _psd(path: Path, planes: np.ndarray, depth: int, layers: tuple[str, ...] = ()) -> Path:
    """A minimal RGB PSD: header, a raw composite of `planes` (3, H, W) at `depth` bits, and optional
    empty-bounded layer records (only their names matter here), bottom layer first."""
    channels, height, width = planes.shape
    dtype = {16: ">u2", 32: ">f4"}[depth]
    records = b""
    for name in layers:
        records += struct.pack(">iiiiH", 0, 0, 0, 0, channels)
        records += b"".join(struct.pack(">hI", cid, 2) for cid in range(channels))
        raw = name.encode("latin-1")
        pascal = bytes([len(raw)]) + raw
        pascal += b"\0" * (-len(pascal) % 4)
        extra = struct.pack(">II", 0, 0) + pascal
        records += b"8BIMnorm" + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra
    layer_info = b""
    if layers:
        layer_info = struct.pack(">h", len(layers)) + records + struct.pack(">H", 0) * channels * len(layers)
        layer_info += b"\0" * (len(layer_info) % 2)
    layer_block = (struct.pack(">I", len(layer_info)) + layer_info + struct.pack(">I", 0)) if layers else b""
    header = (
        b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 + struct.pack(">HIIHH", channels, height, width, depth, 3)
    )
    body = struct.pack(">II", 0, 0) + struct.pack(">I", len(layer_block)) + layer_block
    composite = struct.pack(">H", 0) + np.ascontiguousarray(planes, dtype=dtype).tobytes()
    path.write_bytes(header + body + composite)
    return path


def test_sixteen_bit_psd_is_read_and_scaled_to_eight_bits(tmp_path: Path) -> None:
    planes = np.zeros((3, 2, 3), np.uint16)
    planes[0] = [[0, 32896, 65535], [257, 0, 0]]
    planes[1] = 65535
    path = _psd(tmp_path / "deep.psd", planes, 16, layers=("Paper", "Ink"))
    art = load_artwork(path)
    assert art.pixels.shape == (2, 3, 3)
    assert np.abs(art.pixels[..., 0].astype(int) - [[0, 128, 255], [1, 0, 0]]).max() <= 1
    assert (art.pixels[..., 1] == 255).all() and (art.pixels[..., 2] == 0).all()
    assert art.layer_names == ("Paper", "Ink")


def test_thirty_two_bit_psd_clips_hdr_to_white(tmp_path: Path) -> None:
    planes = np.zeros((3, 1, 4), np.float32)
    planes[:] = [0.0, 0.5, 1.0, 4.0]  # 4.0: an HDR highlight
    art = load_artwork(_psd(tmp_path / "hdr.psd", planes, 32))
    grey = art.pixels[0, :, 0].astype(int)
    assert grey[0] == 0 and abs(grey[1] - 128) <= 1 and grey[2] == 255 and grey[3] == 255


def test_a_truncated_sixteen_bit_psd_is_called_damaged_not_an_unknown_format(tmp_path: Path) -> None:
    path = _psd(tmp_path / "cut.psd", np.zeros((3, 64, 64), np.uint16), 16)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ArtworkError, match="damaged") as info:
        load_artwork(path)
    assert "not an image format" not in str(info.value)


def _float_rgb() -> np.ndarray:
    rgb = np.zeros((2, 3, 3), np.float32)
    rgb[0] = [[0.0, 0.0, 0.0], [0.25, 0.5, 1.0], [3.0, -1.0, np.nan]]  # HDR, negative, NaN
    rgb[1] = 0.5
    return rgb


@pytest.mark.parametrize("options", [{}, {"compression": "lzw", "predictor": True}, {"compression": "zlib"}])
def test_float32_rgb_tiff_scales_zero_to_one_and_clips(tmp_path: Path, options: dict[str, object]) -> None:
    path = tmp_path / "f.tif"
    tifffile.imwrite(path, _float_rgb(), photometric="rgb", **options)  # LZW + predictor: Photoshop's default
    px = load_artwork(path).pixels
    assert tuple(px[0, 1]) == (64, 128, 255)
    assert tuple(px[0, 2]) == (255, 0, 0)  # 3.0 -> white, -1 -> black, NaN -> black
    assert (px[1] == 128).all()


def test_float_tiff_alpha_is_flattened_onto_white_and_greyscale_is_read(tmp_path: Path) -> None:
    rgba = np.zeros((1, 2, 4), np.float32)
    rgba[0, 0] = [1.0, 0.0, 0.0, 0.0]  # transparent red: white
    rgba[0, 1] = [1.0, 0.0, 0.0, 1.0]  # opaque red
    tifffile.imwrite(tmp_path / "a.tif", rgba, photometric="rgb", extrasamples=["unassalpha"])
    px = load_artwork(tmp_path / "a.tif").pixels
    assert tuple(px[0, 0]) == (255, 255, 255) and tuple(px[0, 1]) == (255, 0, 0)
    tifffile.imwrite(tmp_path / "g.tif", np.array([[0.5, 2.0]], np.float32))
    assert load_artwork(tmp_path / "g.tif").pixels[0, :, 0].tolist() == [128, 255]


def test_float_tiff_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((20, 20, 3), np.float32), photometric="rgb")
    with pytest.raises(ArtworkError, match="megapixels"):
        load_artwork(tmp_path / "big.tif", max_pixels=100)


def test_pillow_float_images_are_zero_to_one_even_with_hdr_values() -> None:
    """Mode "F" used to be scaled by its own maximum: one HDR pixel turned the whole image black."""
    im = Image.fromarray(np.array([[0.5, 2.0, 0.0]], np.float32), "F")
    assert to_rgb_array(im)[0, :, 0].tolist() == [128, 255, 0]


def test_a_dark_sixteen_bit_image_stays_dark(tmp_path: Path) -> None:
    """16-bit samples are divided by 257 whatever the image's maximum (it used to show a dark image as
    if it were 8-bit, i.e. 257 times too bright)."""
    Image.fromarray(np.array([[0, 128, 255]], np.uint16)).save(tmp_path / "dark.png")
    assert load_artwork(tmp_path / "dark.png").pixels[0, :, 0].tolist() == [0, 0, 1]
