"""A layer stack is bounded as a whole (issue 10, item 6): an OpenRaster file without a merged image may
decode at most LAYER_PIXEL_BUDGET_FACTOR x max_pixels in all, measured from the layers' headers before
anything is decoded, and a cancel token stops the flattening between layers.

Reproduction of the report: a 1.3 KB .ora whose 1000 layers all point at one 9999x9999 PNG kept the CLI
busy for hours (SIGTERM ignored: nothing checked the token) and blocked the GUI's UI thread."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from app.core import layer_zip
from app.core.artwork import LAYER_PIXEL_BUDGET_FACTOR, load_artwork
from app.core.cancel import CancelToken
from app.errors import ArtworkError, CancelledError


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height: its header reads, decoding it would fail (or take long)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def _png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _ora(path: Path, canvas: tuple[int, int], layers: list[str], members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "image/openraster")
        stack = "".join(layers)
        zf.writestr("stack.xml", f'<image w="{canvas[0]}" h="{canvas[1]}"><stack>{stack}</stack></image>')
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The labels of the images load_artwork decodes (not merely opens to read the header)."""
    seen: list[str] = []
    real = layer_zip.decode

    def spy(im: Image.Image, name: str) -> Image.Image:
        seen.append(name)
        return real(im, name)

    monkeypatch.setattr(layer_zip, "decode", spy)
    return seen


def test_the_reported_thousand_layer_bomb_is_refused_before_any_layer_is_decoded(
    tmp_path: Path, decodes: list[str]
) -> None:
    path = _ora(
        tmp_path / "bomb.ora",
        (9999, 9999),
        ['<layer src="l.png"/>'] * 1000,
        {"l.png": _png_header_only(9999, 9999)},
    )
    assert path.stat().st_size < 2000  # the report's file was 1.3 KB
    with pytest.raises(ArtworkError, match="1000 layers would decode 100,080 megapixels") as info:
        load_artwork(path)
    assert decodes == []
    assert "merged image" in info.value.hint


def test_the_budget_counts_the_canvas_and_every_layer_on_it_but_not_those_off_it(
    tmp_path: Path, decodes: list[str]
) -> None:
    max_pixels = 100 * 100
    red = _png((100, 100), (255, 0, 0, 255))
    off = '<layer src="l.png" x="500" y="0"/>'  # entirely off the canvas: neither counted nor decoded
    on = '<layer src="l.png"/>'
    fits = LAYER_PIXEL_BUDGET_FACTOR - 1  # the canvas takes one share of the budget
    ok = _ora(tmp_path / "ok.ora", (100, 100), [off] * 20 + [on] * fits, {"l.png": red})
    art = load_artwork(ok, max_pixels=max_pixels)
    assert tuple(art.pixels[50, 50]) == (255, 0, 0)
    assert len(decodes) == fits
    decodes.clear()
    over = _ora(tmp_path / "over.ora", (100, 100), [on] * (fits + 1), {"l.png": red})
    with pytest.raises(ArtworkError, match=f"{fits + 1} layers would decode"):
        load_artwork(over, max_pixels=max_pixels)
    assert decodes == []


def test_a_cancel_stops_the_flattening_between_layers(tmp_path: Path, monkeypatch) -> None:
    path = _ora(
        tmp_path / "five.ora", (8, 8), ['<layer src="l.png"/>'] * 5, {"l.png": _png((8, 8), (0, 0, 0, 255))}
    )
    token = CancelToken()
    decoded: list[str] = []
    real = layer_zip.decode

    def decode_then_cancel(im: Image.Image, name: str) -> Image.Image:
        decoded.append(name)
        token.cancel()  # the user presses Cancel (or the CLI gets SIGTERM) while the first layer decodes
        return real(im, name)

    monkeypatch.setattr(layer_zip, "decode", decode_then_cancel)
    with pytest.raises(CancelledError):  # not an ArtworkError: a cancel is not a broken file
        load_artwork(path, cancel=token)
    assert len(decoded) == 1


def test_the_cli_render_passes_its_cancel_token_to_the_load(tmp_path: Path, monkeypatch) -> None:
    """SIGTERM and Ctrl+C set the CLI's token; the artwork load must see it, or a long load ignores them."""
    from app.cli import build_parser, render
    from app.inference import render_job

    path = _ora(
        tmp_path / "a.ora", (8, 8), ['<layer src="l.png"/>'] * 3, {"l.png": _png((8, 8), (0, 0, 0, 255))}
    )

    def no_engine(*_args, **_kwargs):
        raise AssertionError("the engine was created although the load was cancelled")

    monkeypatch.setattr(render_job, "create_engine", no_engine)
    token = CancelToken()
    token.cancel()
    args = build_parser().parse_args(["render", str(path), "--out", str(tmp_path / "out")])
    with pytest.raises(CancelledError):
        render.render_command(args, token)
