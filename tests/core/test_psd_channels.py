"""The fast 8-bit channel path gives exactly what psd-tools' own decoding gives (RLE, raw and ZIP
channels, PSD and PSB, RGB and greyscale), hands other depths back to psd-tools, and leaves a damaged
RLE channel to psd-tools' padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_psd
from PIL import Image

from app.core.psd_channels import rgba_8bit

SIZE = (70, 50)


def _layers(path: Path) -> list:  # type: ignore[type-arg]
    from psd_tools import PSDImage

    psd = PSDImage.open(path)
    return [psd, [layer for layer in psd.descendants() if not layer.is_group()]]


def _expected(layer) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(layer.topil(apply_icc=False).convert("RGBA"))


def _specs() -> list[Spec]:
    noisy = np.random.default_rng(1).integers(0, 256, (30, 40, 4), dtype=np.uint8)  # literal runs
    return [
        Spec("Back", gradient_rgba(*SIZE, seed=1, alpha=False)),
        Spec("Noise", noisy, x=5, y=7),
        Spec("Soft", gradient_rgba(50, 40, 3), x=-10, y=20),  # partly off the canvas
    ]


@pytest.mark.parametrize("psb", [False, True])
def test_rle_layers_decode_as_psd_tools_decodes_them(tmp_path: Path, psb: bool) -> None:
    psd, layers = _layers(write_psd(tmp_path / "a.psd", SIZE, _specs(), psb=psb))
    for layer in layers:
        got = rgba_8bit(layer, 8, int(psd.version), grey=False)
        assert got is not None and np.array_equal(got, _expected(layer)), layer.name


@pytest.mark.parametrize("compression", ["RAW", "ZIP", "ZIP_WITH_PREDICTION"])
def test_other_compressions_decode_as_psd_tools_decodes_them(tmp_path: Path, compression: str) -> None:
    from psd_tools import PSDImage
    from psd_tools.constants import Compression

    psd = PSDImage.new("RGBA", SIZE, color=(255, 255, 255, 0))
    pixels = gradient_rgba(40, 30, 5)
    psd.create_pixel_layer(Image.fromarray(pixels, "RGBA"), name="L", compression=Compression[compression])
    psd.save(tmp_path / "a.psd")
    psd, layers = _layers(tmp_path / "a.psd")
    got = rgba_8bit(layers[0], 8, 1, grey=False)
    assert got is not None and np.array_equal(got, _expected(layers[0]))


def test_greyscale_layers_repeat_the_grey(tmp_path: Path) -> None:
    from psd_tools import PSDImage

    psd = PSDImage.new("LA", SIZE, color=(255, 0))
    grey = np.random.default_rng(2).integers(0, 256, (30, 40, 2), dtype=np.uint8)
    psd.create_pixel_layer(Image.fromarray(grey, "LA"), name="G")
    psd.save(tmp_path / "g.psd")
    psd, layers = _layers(tmp_path / "g.psd")
    got = rgba_8bit(layers[0], 8, 1, grey=True)
    assert got is not None
    assert np.array_equal(got[..., 0], grey[..., 0]) and np.array_equal(got[..., 2], grey[..., 0])
    assert np.array_equal(got[..., 3], grey[..., 1])


def test_sixteen_bit_is_left_to_psd_tools(tmp_path: Path) -> None:
    psd, layers = _layers(write_psd(tmp_path / "a.psd", SIZE, _specs()[:1], depth=16))
    assert rgba_8bit(layers[0], 16, 1, grey=False) is None


def test_a_damaged_rle_channel_is_left_to_psd_tools(tmp_path: Path) -> None:
    psd, layers = _layers(write_psd(tmp_path / "a.psd", SIZE, _specs()))
    layer = layers[1]
    red = [int(info.id) for info in layer._record.channel_info].index(0)
    channel = layer._channels[red]
    data = bytearray(channel.data)
    data[0:2] = (int.from_bytes(data[0:2], "big") + 3).to_bytes(2, "big")  # row 0 claims 3 more bytes
    channel.data = bytes(data)
    got = rgba_8bit(layer, 8, 1, grey=False)
    plain = np.frombuffer(channel.get_data(layer.width, layer.height, 8, 1), np.uint8)
    assert got is not None
    assert np.array_equal(got[..., 0], plain.reshape(layer.height, layer.width))  # psd-tools' own result


def test_a_channel_that_decodes_short_is_left_to_psd_tools(tmp_path: Path) -> None:
    flat = np.full((30, 40, 4), 200, np.uint8)  # every row one repeat run: [header, value]
    psd, layers = _layers(write_psd(tmp_path / "a.psd", SIZE, [Spec("Flat", flat)]))
    layer = layers[0]
    red = [int(info.id) for info in layer._record.channel_info].index(0)
    channel = layer._channels[red]
    data = bytearray(channel.data)
    table = 2 * layer.height
    assert data[table] > 128  # a repeat header; one more repeats one byte less: the row lengths still add up
    data[table] += 1
    channel.data = bytes(data)
    got = rgba_8bit(layer, 8, 1, grey=False)
    plain = np.frombuffer(channel.get_data(layer.width, layer.height, 8, 1), np.uint8)
    assert got is not None
    assert np.array_equal(got[..., 0], plain.reshape(layer.height, layer.width))  # row 0 padded, not shifted
    assert got[0, -1, 0] == 0 and got[1, 0, 0] == 200
