"""OpenRaster and Krita layer stacks: the tree as written (offsets, opacity, blend, visibility, nested
groups, pass-through), the same stack composited as psd-tools composites it in a PSD, the LZF tiles of
Krita, and bad input (path traversal, zip and tile bombs, broken groups, truncation, zero or too many
layers, unsupported colour spaces) ending in a clear error or the merged image."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, kra_tiles, write_kra, write_ora, write_psd

from app.core import layers_kra, layers_ora
from app.core.artwork import load_artwork
from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.compositor import composite_rgb
from app.core.layers import PASS_THROUGH, Group, Layer
from app.core.layers_kra import lzf_decompress, read_kra_stack
from app.core.layers_ora import read_ora_stack
from app.core.layers_psd import read_psd_stack
from app.errors import ArtworkError, CancelledError

SIZE = (96, 64)


def specs() -> list[Spec]:
    return [
        Spec("Background", gradient_rgba(*SIZE, seed=1, alpha=False)),
        Spec("Lines", gradient_rgba(50, 40, 3), x=-5, y=30, blend="multiply", opacity=200),
        Spec(
            "Colours",
            group=True,
            children=[
                Spec("Light", gradient_rgba(70, 40, 5), x=40, y=20, blend="screen"),
                Spec("Hidden", gradient_rgba(30, 30, 6), x=50, y=5, visible=False),
            ],
        ),
        Spec(
            "Effects",
            group=True,
            pass_through=False,
            opacity=160,
            children=[Spec("Diff", gradient_rgba(40, 40, 7), x=10, y=20, blend="difference")],
        ),
    ]


def _psd_truth(tmp_path: Path) -> np.ndarray:
    stack = read_psd_stack(write_psd(tmp_path / "truth.psd", SIZE, specs()), 10**8, NEVER_CANCELLED)
    assert stack.merged is not None
    return stack.merged


def _close(ours: np.ndarray, theirs: np.ndarray) -> None:
    diff = np.abs(ours.astype(float) - theirs.astype(float))
    mse = (diff**2).mean()
    assert diff.mean() <= 1.0 and (mse == 0 or 10 * np.log10(255**2 / mse) >= 40), diff.mean()


def _check_tree(stack, width: int = 45) -> None:  # type: ignore[no-untyped-def]
    bg, lines, colours, effects = stack.children
    assert isinstance(lines, Layer) and (lines.x, lines.y) == (0, 30) and lines.width == width
    assert lines.blend == "multiply" and abs(lines.opacity - 200 / 255) < 1e-3
    assert isinstance(colours, Group) and colours.blend == PASS_THROUGH
    assert [c.name for c in colours.children] == ["Light", "Hidden"] and not colours.children[1].visible
    assert (
        isinstance(effects, Group) and effects.blend == "normal" and abs(effects.opacity - 160 / 255) < 1e-3
    )


# ------------------------------------------------------------------------------------------- OpenRaster


def test_ora_tree_and_composite_agree_with_the_same_stack_in_a_psd(tmp_path: Path) -> None:
    stack = read_ora_stack(write_ora(tmp_path / "a.ora", SIZE, specs()), 10**8, NEVER_CANCELLED)
    _check_tree(stack)
    assert stack.merged is None and stack.exact
    _close(composite_rgb(stack), _psd_truth(tmp_path))


def test_ora_with_a_merged_image_shows_it_and_keeps_the_layers(tmp_path: Path) -> None:
    merged = np.full((64, 96, 3), 7, np.uint8)
    art = load_artwork(write_ora(tmp_path / "a.ora", SIZE, specs(), merged=merged))
    assert (art.pixels == 7).all() and art.layers is not None and len(art.layers.layers()) == 5


def test_ora_unknown_composite_op_is_reported_as_approximated(tmp_path: Path) -> None:
    layer = Spec("Odd", gradient_rgba(10, 10, 2))
    path = write_ora(tmp_path / "a.ora", SIZE, [layer])
    with zipfile.ZipFile(path) as zf:
        stack_xml = zf.read("stack.xml").decode().replace("svg:src-over", "svg:xor")
        members = {n: zf.read(n) for n in zf.namelist() if n != "stack.xml"}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stack.xml", stack_xml)
        for n, d in members.items():
            zf.writestr(n, d)
    assert read_ora_stack(path, 10**8, NEVER_CANCELLED).approximated == ("Odd",)


def _raw_ora(path: Path, stack: str, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stack.xml", stack)
        for n, d in members.items():
            zf.writestr(n, d)
    return path


@pytest.mark.parametrize("src", ["../../etc/passwd", "/etc/passwd", "C:/x.png", "a/../../b.png"])
def test_ora_layer_names_that_climb_out_of_the_file_are_refused(tmp_path: Path, src: str) -> None:
    path = _raw_ora(tmp_path / "t.ora", f'<image w="4" h="4"><stack><layer src="{src}"/></stack></image>', {})
    with pytest.raises(ArtworkError, match="outside the file"):
        load_artwork(path)


def test_ora_groups_nested_too_deep_are_refused_or_fall_back(tmp_path: Path) -> None:
    from layered_files import png_bytes

    deep = "<stack>" * 80 + '<layer src="l.png"/>' + "</stack>" * 80
    png = png_bytes(np.zeros((2, 2, 4), np.uint8))
    path = _raw_ora(tmp_path / "d.ora", f'<image w="4" h="4"><stack>{deep}</stack></image>', {"l.png": png})
    with pytest.raises(ArtworkError, match="nested more than"):
        load_artwork(path)
    merged = png_bytes(np.full((4, 4, 3), 9, np.uint8))
    path = _raw_ora(
        tmp_path / "m.ora",
        f'<image w="4" h="4"><stack>{deep}</stack></image>',
        {"l.png": png, "mergedimage.png": merged},
    )
    stack = read_ora_stack(path, 10**8, NEVER_CANCELLED)
    assert stack.children == () and "nested" in stack.notes[0] and (load_artwork(path).pixels == 9).all()


def test_ora_with_more_layers_than_the_limit_falls_back_to_its_merged_image(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(layers_ora, "MAX_STACK_LAYERS", 3)
    path = write_ora(tmp_path / "a.ora", SIZE, specs(), merged=np.zeros((64, 96, 3), np.uint8))
    stack = read_ora_stack(path, 10**8, NEVER_CANCELLED)
    assert stack.children == () and "5 layers" in stack.notes[0]


def test_an_ora_with_zero_layers_shows_its_merged_image_or_is_refused(tmp_path: Path) -> None:
    from layered_files import png_bytes

    empty = '<image w="4" h="4"><stack/></image>'
    with pytest.raises(ArtworkError, match="no layers and no merged image"):
        load_artwork(_raw_ora(tmp_path / "e.ora", empty, {}))
    merged = png_bytes(np.full((4, 4, 3), 5, np.uint8))
    art = load_artwork(_raw_ora(tmp_path / "m.ora", empty, {"mergedimage.png": merged}))
    assert (art.pixels == 5).all() and art.layers is not None and art.layers.children == ()


def test_a_truncated_ora_is_called_damaged(tmp_path: Path) -> None:
    data = write_ora(tmp_path / "a.ora", SIZE, specs()).read_bytes()
    (tmp_path / "cut.ora").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtworkError, match="damaged|cut off"):
        load_artwork(tmp_path / "cut.ora")


# ---------------------------------------------------------------------------------------------- Krita


def test_lzf_literals_and_back_references() -> None:
    assert lzf_decompress(b"\x02abc\x20\x02", 6) == b"abcabc"  # 3 literals, then 3 bytes from distance 3
    assert lzf_decompress(b"\x00a\x80\x00", 7) == b"a" * 7  # overlapping: 6 copies at distance 1
    assert lzf_decompress(b"\x00z\xe0\x0a\x00", 20) == b"z" * 20  # long: 7 + 10 + 2 bytes
    for bad in (b"\x05ab", b"\x20\x00", b"\x00a\xe0"):
        with pytest.raises(ValueError):
            lzf_decompress(bad, 16)
    with pytest.raises(ValueError):
        lzf_decompress(b"\x00a\x80\x00", 3)  # more than the tile can hold


def test_kra_tree_and_composite_agree_with_the_same_stack_in_a_psd(tmp_path: Path) -> None:
    stack = read_kra_stack(write_kra(tmp_path / "a.kra", SIZE, specs()), 10**8, NEVER_CANCELLED)
    _check_tree(stack, width=59)  # whole 64-pixel tiles from x=-5: transparent beyond the 45 painted
    assert stack.source_format == "kra" and stack.exact
    _close(composite_rgb(stack), _psd_truth(tmp_path))


def test_kra_tiles_decode_exactly_stored_or_compressed_and_sixteen_bit(tmp_path: Path) -> None:
    pixels = gradient_rgba(70, 65, 3)
    pixels[:, :20] = (10, 20, 30, 255)  # long runs: back-references
    for compress in (True, False):
        path = write_kra(tmp_path / f"{compress}.kra", (70, 65), [Spec("P", pixels)], compress=compress)
        stack = read_kra_stack(path, 10**8, NEVER_CANCELLED)
        assert (stack.layers()[0].pixels == pixels).all()
    deep = read_kra_stack(
        write_kra(tmp_path / "d.kra", (70, 65), [Spec("P", pixels)], colorspace="RGBA16"),
        10**8,
        NEVER_CANCELLED,
    )
    assert np.abs(deep.layers()[0].pixels.astype(int) - pixels).max() == 0


def test_load_artwork_reads_kra_and_prefers_its_merged_image(tmp_path: Path) -> None:
    merged = np.full((64, 96, 3), 3, np.uint8)
    art = load_artwork(write_kra(tmp_path / "a.kra", SIZE, specs(), merged=merged))
    assert (art.pixels == 3).all() and art.layers is not None and art.layer_names[0] == "Background"
    plain = load_artwork(write_kra(tmp_path / "b.kra", SIZE, specs()))
    _close(plain.pixels, _psd_truth(tmp_path))


def test_kra_other_colour_spaces_fall_back_to_the_merged_image_or_are_refused(tmp_path: Path) -> None:
    layer = [Spec("P", gradient_rgba(8, 8, 1))]
    stack = read_kra_stack(
        write_kra(tmp_path / "c.kra", (8, 8), layer, merged=np.zeros((8, 8, 3), np.uint8), colorspace="CMYK"),
        10**8,
        NEVER_CANCELLED,
    )
    assert stack.children == () and "CMYK" in stack.notes[0]
    with pytest.raises(ArtworkError, match="LABA"):
        load_artwork(write_kra(tmp_path / "n.kra", (8, 8), layer, colorspace="LABA"))


def _kra_with_layer_file(tmp_path: Path, data: bytes, name: str = "doc") -> Path:
    doc = (
        f'<DOC><IMAGE name="{name}" width="8" height="8" colorspacename="RGBA"><layers>'
        '<layer nodetype="paintlayer" name="P" filename="layer2" x="0" y="0" opacity="255" visible="1"/>'
        "</layers></IMAGE></DOC>"
    )
    path = tmp_path / "t.kra"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("maindoc.xml", doc)
        zf.writestr(f"{name}/layers/layer2", data)
    return path


def test_kra_document_names_that_climb_out_of_the_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtworkError, match="outside the file"):
        load_artwork(_kra_with_layer_file(tmp_path, kra_tiles(np.zeros((8, 8, 4), np.uint8)), "../../x"))


@pytest.mark.parametrize(
    "data",
    [
        b"VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE 4\nDATA 1\n0,0,LZF,999999999\n",  # tile bomb
        b"VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE 4\nDATA 5\n0,0,LZF,10\n\x01abc",  # cut off
        b"VERSION 3\nTILEWIDTH 64\n",  # another tile format
        b"",
    ],
)
def test_kra_damaged_tile_data_is_a_clear_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ArtworkError, match="cut off or damaged"):
        load_artwork(_kra_with_layer_file(tmp_path, data))


def test_kra_tiles_far_off_the_canvas_are_skipped_and_the_budget_holds(tmp_path: Path) -> None:
    head = b"VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE 4\nDATA 2\n"
    tile = b"\x00" + bytes(64 * 64 * 4)
    data = head + b"640000,0,LZF,16385\n" + tile + b"0,0,LZF,16385\n" + tile
    stack = read_kra_stack(_kra_with_layer_file(tmp_path, data), 10**8, NEVER_CANCELLED)
    assert stack.layers()[0].pixels.shape == (8, 8, 4)
    with pytest.raises(ArtworkError, match="would decode"):
        read_kra_stack(_kra_with_layer_file(tmp_path, data), 64, NEVER_CANCELLED)  # 64 + 4096 > 4 x 64


def test_kra_with_more_layers_than_the_limit_or_none_at_all(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(layers_kra, "MAX_STACK_LAYERS", 3)
    with pytest.raises(ArtworkError, match="7 layers"):  # groups count
        load_artwork(write_kra(tmp_path / "a.kra", SIZE, specs()))
    with pytest.raises(ArtworkError, match="no paint layers"):
        load_artwork(write_kra(tmp_path / "e.kra", SIZE, []))


def test_kra_without_maindoc_and_cancel(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.kra", "w") as zf:
        zf.writestr("mimetype", "application/x-krita")
    with pytest.raises(ArtworkError, match="maindoc.xml"):
        load_artwork(tmp_path / "x.kra")
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        read_kra_stack(write_kra(tmp_path / "a.kra", SIZE, specs()), 10**8, token)
