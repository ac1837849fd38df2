"""load_artwork: every supported path, every failure as a clear ArtworkError, limits checked before decoding."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core.artwork import MAX_ORA_LAYERS, SUPPORTED_SUFFIXES, Artwork, fit_within, load_artwork
from app.errors import ArtworkError, UndoStudioError


def _rgb(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, with a tiny (invalid for that size) IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "fmt,suffix", [("PNG", ".png"), ("BMP", ".bmp"), ("TIFF", ".tif"), ("WEBP", ".webp")]
)
def test_lossless_formats_round_trip_exactly(tmp_path: Path, fmt: str, suffix: str) -> None:
    px = _rgb()
    path = tmp_path / f"a{suffix}"
    Image.fromarray(px).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    art = load_artwork(path)
    assert art.pixels.shape == (24, 32, 3) and art.pixels.dtype == np.uint8
    np.testing.assert_array_equal(art.pixels, px)
    assert art.source == path and not art.pixels.flags.writeable


def test_jpeg_loads_close_to_source(tmp_path: Path) -> None:
    px = np.full((40, 50, 3), (200, 100, 50), np.uint8)
    Image.fromarray(px).save(tmp_path / "a.jpg", quality=95)
    art = load_artwork(tmp_path / "a.jpg")
    assert art.pixels.shape == (40, 50, 3)
    assert np.abs(art.pixels.astype(int) - px).max() <= 6


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:2, :, 3] = 0  # top half fully transparent
    rgba[2:, :2, 3] = 255  # opaque red
    rgba[2:, 2:, 3] = 128  # half red over white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    px = load_artwork(tmp_path / "a.png").pixels
    assert (px[:2] == 255).all()
    assert tuple(px[3, 0]) == (255, 0, 0)
    assert px[3, 3, 0] == 255 and 125 <= px[3, 3, 1] <= 129 and 125 <= px[3, 3, 2] <= 129


def test_palette_with_transparency_and_greyscale(tmp_path: Path) -> None:
    im = Image.new("P", (4, 4), 0)
    im.putpalette([0, 0, 255, 10, 20, 30] + [0] * 762)
    im.putpixel((0, 0), 1)
    im.info["transparency"] = 0
    im.save(tmp_path / "p.png", transparency=0)
    px = load_artwork(tmp_path / "p.png").pixels
    assert tuple(px[1, 1]) == (255, 255, 255) and tuple(px[0, 0]) == (10, 20, 30)
    Image.new("L", (3, 3), 77).save(tmp_path / "g.png")
    assert (load_artwork(tmp_path / "g.png").pixels == 77).all()


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = np.array([[0, 65535], [32896, 257]], dtype=np.uint16)
    Image.fromarray(grey).save(tmp_path / "g16.png")
    px = load_artwork(tmp_path / "g16.png").pixels
    np.testing.assert_array_equal(px[..., 0], [[0, 255], [128, 1]])


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (8, 8), (0, 0, 0, 0)).save(tmp_path / "c.jpg")
    px = load_artwork(tmp_path / "c.jpg").pixels
    assert px.shape == (8, 8, 3) and px.min() > 240


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    px = np.zeros((10, 20, 3), np.uint8)
    px[:, :10] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    Image.fromarray(px).save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    art = load_artwork(tmp_path / "r.jpg")
    assert art.pixels.shape == (20, 10, 3)
    assert art.pixels[:8].mean() > 200 and art.pixels[-8:].mean() < 50  # white half now on top


def test_animated_file_uses_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (6, 6), c) for c in [(255, 0, 0), (0, 0, 255)]]
    frames[0].save(tmp_path / "a.webp", save_all=True, append_images=frames[1:], lossless=True, duration=100)
    px = load_artwork(tmp_path / "a.webp").pixels
    assert tuple(px[3, 3]) == (255, 0, 0)


def _ora(path: Path, with_merged: bool) -> None:
    bottom = Image.new("RGBA", (8, 6), (0, 0, 255, 255))
    top = Image.new("RGBA", (4, 6), (255, 0, 0, 255))
    stack = (
        '<?xml version="1.0"?><image w="8" h="6"><stack>'
        '<layer name="Ink" src="data/top.png" x="4" y="0"/>'
        '<layer name="Background" src="data/bottom.png" x="0" y="0"/>'
        "</stack></image>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "image/openraster")
        zf.writestr("stack.xml", stack)
        for name, im in [("data/top.png", top), ("data/bottom.png", bottom)]:
            buf = io.BytesIO()
            im.save(buf, "PNG")
            zf.writestr(name, buf.getvalue())
        if with_merged:
            buf = io.BytesIO()
            Image.new("RGB", (8, 6), (0, 255, 0)).save(buf, "PNG")
            zf.writestr("mergedimage.png", buf.getvalue())


def test_ora_uses_merged_image_and_keeps_layer_names_bottom_to_top(tmp_path: Path) -> None:
    _ora(tmp_path / "a.ora", with_merged=True)
    art = load_artwork(tmp_path / "a.ora")
    assert art.layer_names == ("Background", "Ink")
    assert (art.pixels == (0, 255, 0)).all()


def test_ora_without_merged_image_composites_the_stack(tmp_path: Path) -> None:
    _ora(tmp_path / "b.ora", with_merged=False)
    art = load_artwork(tmp_path / "b.ora")
    assert tuple(art.pixels[2, 1]) == (0, 0, 255) and tuple(art.pixels[2, 6]) == (255, 0, 0)


def test_ora_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.ora").write_bytes(b"not a zip at all")
    with pytest.raises(ArtworkError, match="OpenRaster"):
        load_artwork(tmp_path / "bad.ora")
    with zipfile.ZipFile(tmp_path / "nostack.ora", "w") as zf:
        zf.writestr("mimetype", "image/openraster")
    with pytest.raises(ArtworkError, match="stack.xml"):
        load_artwork(tmp_path / "nostack.ora")
    with zipfile.ZipFile(tmp_path / "huge.ora", "w") as zf:
        zf.writestr("stack.xml", '<image w="30000" h="30000"><stack/></image>')
    with pytest.raises(ArtworkError, match="megapixels"):
        load_artwork(tmp_path / "huge.ora")


def _psd(path: Path, layers: list[tuple[str, tuple[int, int, int]]], w: int = 4, h: int = 3) -> None:
    """A minimal RGB PSD with raw (uncompressed) layers, bottom layer first, and a composite."""
    records, channel_data = b"", b""
    for name, colour in layers:
        records += struct.pack(">iiiiH", 0, 0, h, w, 3)
        for cid in range(3):
            records += struct.pack(">hI", cid, 2 + w * h)
            channel_data += struct.pack(">H", 0) + bytes([colour[cid]]) * (w * h)
        raw_name = name.encode("latin-1")
        pascal = bytes([len(raw_name)]) + raw_name
        pascal += b"\0" * (-len(pascal) % 4)
        extra = struct.pack(">II", 0, 0) + pascal
        records += b"8BIMnorm" + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra
    layer_info = struct.pack(">h", len(layers)) + records + channel_data
    layer_info += b"\0" * (len(layer_info) % 2)
    layer_block = struct.pack(">I", len(layer_info)) + layer_info + struct.pack(">I", 0)
    top = layers[-1][1]
    composite = struct.pack(">H", 0) + b"".join(bytes([top[c]]) * (w * h) for c in range(3))
    header = b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 + struct.pack(">HIIHH", 3, h, w, 8, 3)
    data = (
        header
        + struct.pack(">I", 0)
        + struct.pack(">I", 0)
        + struct.pack(">I", len(layer_block))
        + layer_block
    )
    path.write_bytes(data + composite)


def test_psd_composite_and_layer_names(tmp_path: Path) -> None:
    _psd(tmp_path / "a.psd", [("Paper", (255, 255, 255)), ("Colour", (10, 200, 30))])
    art = load_artwork(tmp_path / "a.psd")
    assert art.layer_names == ("Paper", "Colour")
    assert art.pixels.shape == (3, 4, 3) and tuple(art.pixels[1, 1]) == (10, 200, 30)


def test_decompression_bomb_header_fails_fast_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(30000, 30000))
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ArtworkError, match="900 megapixels") as info:
        load_artwork(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    assert time.perf_counter() - start < 5  # generous; the point is "no 2.7 GB decode"
    assert "Scale it down" in info.value.hint


def test_custom_pixel_limit(tmp_path: Path) -> None:
    Image.fromarray(_rgb(20, 20)).save(tmp_path / "a.png")
    with pytest.raises(ArtworkError, match="megapixels"):
        load_artwork(tmp_path / "a.png", max_pixels=100)
    assert load_artwork(tmp_path / "a.png", max_pixels=400).width == 20


@pytest.mark.parametrize(
    "case,match",
    [
        ("missing", "does not exist"),
        ("folder", "folder"),
        ("empty", "empty"),
        ("text", "not an image format"),
        ("truncated", "truncated|damaged"),
        ("garbage_after_header", "damaged|truncated"),
    ],
)
def test_broken_inputs_give_clear_artwork_errors(tmp_path: Path, case: str, match: str) -> None:
    path = tmp_path / "x.png"
    if case == "folder":
        path.mkdir()
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("hello, I am a text file\n" * 20)
    elif case == "truncated":
        buf = io.BytesIO()
        Image.fromarray(_rgb(64, 64)).save(buf, "PNG")
        path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    elif case == "garbage_after_header":
        path.write_bytes(_png_header_only(64, 64))
    with pytest.raises(ArtworkError, match=match) as info:
        load_artwork(path)
    err = info.value
    assert isinstance(err, UndoStudioError) and err.hint  # always says what to do


def test_truncated_jpeg_is_an_artwork_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.fromarray(_rgb(64, 64)).save(buf, "JPEG")
    (tmp_path / "t.jpg").write_bytes(buf.getvalue()[:300])
    with pytest.raises(ArtworkError):
        load_artwork(tmp_path / "t.jpg")


def test_unsupported_format_by_content(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png", format="ICO")
    with pytest.raises(ArtworkError, match="not supported"):
        load_artwork(tmp_path / "a.png")


def test_fit_within_keeps_aspect_and_is_identity_when_small() -> None:
    art = Artwork.from_array(_rgb(100, 400))
    assert fit_within(art, 400) is art
    small = fit_within(art, 200)
    assert (small.width, small.height) == (200, 50)
    assert small.content_hash != art.content_hash
    with pytest.raises(ValueError):
        fit_within(art, 0)


def test_supported_suffixes() -> None:
    assert {
        ".png",
        ".jpg",
        ".jpeg",
        ".webp",
        ".bmp",
        ".tif",
        ".tiff",
        ".ora",
        ".psd",
        ".psb",
        ".kra",
    } <= SUPPORTED_SUFFIXES


def test_header_over_our_limit_but_under_pillows_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(_png_header_only(12000, 12000))  # 144 MP: over our 100 MP, under Pillow's bomb error
    with pytest.raises(ArtworkError, match="12000x12000"):
        load_artwork(path)


def _png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_ora_zip_bomb_member_is_decoded_from_the_stream_not_read_whole(tmp_path: Path) -> None:
    """A 10x10 merged image followed by 256 MB of zeros is a few hundred KB zipped; reading the member
    whole (as before) allocated all 256 MB, and 2 GB of zeros ran the machine out of memory."""
    path = tmp_path / "bomb.ora"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stack.xml", '<image w="10" h="10"><stack/></image>')
        with zf.open("mergedimage.png", "w", force_zip64=True) as member:
            member.write(_png_bytes(Image.new("RGB", (10, 10), (1, 2, 3))))
            zeros = b"\0" * (16 * 1024 * 1024)
            for _ in range(16):
                member.write(zeros)
    tracemalloc.start()
    art = load_artwork(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert art.pixels.shape == (10, 10, 3) and tuple(art.pixels[0, 0]) == (1, 2, 3)
    assert peak < 50 * 1024 * 1024


def test_ora_oversized_stack_xml_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.ora"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stack.xml", "<image>" + " " * (17 * 1024 * 1024) + "</image>")
    with pytest.raises(ArtworkError, match="stack.xml .* too large") as info:
        load_artwork(path)
    assert info.value.hint


def test_ora_without_merged_image_has_a_layer_limit(tmp_path: Path) -> None:
    layer = _png_bytes(Image.new("RGBA", (2, 2), (0, 0, 0, 255)))
    hidden = '<layer src="l.png" visibility="hidden"/>' * 50
    for count, ok in ((MAX_ORA_LAYERS, True), (MAX_ORA_LAYERS + 1, False)):
        path = tmp_path / f"{count}.ora"
        with zipfile.ZipFile(path, "w") as zf:
            visible = '<layer src="l.png"/>' * count
            zf.writestr("stack.xml", f'<image w="4" h="4"><stack>{hidden}{visible}</stack></image>')
            zf.writestr("l.png", layer)
        if ok:
            assert load_artwork(path).pixels.shape == (4, 4, 3)
        else:
            with pytest.raises(ArtworkError, match=f"{count} visible layers") as info:
                load_artwork(path)
            assert "Merge" in info.value.hint


def test_ora_layers_off_or_partly_off_the_canvas_composite_where_they_overlap(tmp_path: Path) -> None:
    red = _png_bytes(Image.new("RGBA", (4, 4), (255, 0, 0, 255)))
    stack = (
        '<image w="6" h="6"><stack>'
        '<layer src="l.png" x="1e30" y="0"/>'  # far away: used to fail with "int too large"
        '<layer src="l.png" x="-2" y="-2" opacity="0.5"/>'  # top-left 2x2 visible, half opacity
        '<layer src="l.png" x="4" y="4" opacity="7"/>'  # bottom-right 2x2, opacity clamped to 1
        "</stack></image>"
    )
    path = tmp_path / "offsets.ora"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stack.xml", stack)
        zf.writestr("l.png", red)
    px = load_artwork(path).pixels
    assert tuple(px[0, 0]) == tuple(px[1, 1]) == (255, 128, 128)  # 255 * 0.5 = 127.5, rounded
    assert tuple(px[2, 2]) == tuple(px[3, 3]) == (255, 255, 255)
    assert tuple(px[4, 4]) == tuple(px[5, 5]) == (255, 0, 0)


def test_a_pipe_is_not_called_an_empty_file(tmp_path: Path) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ArtworkError, match="not a regular file"):
        load_artwork(fifo)
