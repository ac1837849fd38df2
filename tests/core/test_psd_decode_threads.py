"""PSD layers decoded ahead of the reader in threads (`psd_channels.LayerDecoder`) give exactly what the
inline decoding gives, fall back to it when no thread can be started, stop on cancel and on errors with no
thread left running, and turn a damaged layer into the same fallback as before."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from layered_files import Spec, gradient_rgba, write_psd

from app.core import layers_psd, psd_channels
from app.core.cancel import NEVER_CANCELLED, CancelToken
from app.core.layers import Group, Layer, LayerStack
from app.core.layers_psd import read_psd_stack
from app.errors import CancelledError

SIZE = (96, 64)


def _stack() -> list[Spec]:
    ramp = (np.arange(50)[None, :].repeat(30, 0) * 5).astype(np.uint8)
    noisy = np.random.default_rng(3).integers(0, 256, (30, 40, 4), dtype=np.uint8)
    return [
        Spec("Background", gradient_rgba(*SIZE, seed=1, alpha=False)),
        Spec("Base", gradient_rgba(50, 40, 3), x=5, y=5, mask=(ramp, 10, 10)),
        Spec("Noise", noisy, x=-10, y=30),  # literal runs, partly off the canvas
        Spec(
            "Colours",
            group=True,
            children=[
                Spec("Light", gradient_rgba(40, 40, 5), x=40, y=20, blend="screen"),
                Spec("Far", gradient_rgba(20, 20, 6), x=30000, y=30000),  # off the canvas: never decoded
                Spec("Glow", gradient_rgba(30, 30, 7), x=50, y=5, blend="overlay"),
            ],
        ),
        Spec("Sketch", gradient_rgba(40, 40, 8), visible=False),
        Spec("Top", gradient_rgba(96, 64, 9), blend="multiply", opacity=128),
    ]


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, threads: int, cancel: CancelToken = NEVER_CANCELLED):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(layers_psd, "DECODE_THREADS", threads)
    return read_psd_stack(path, 10**8, cancel)


def _spy_decode_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads each layer was decoded on."""
    names: list[str] = []
    real = psd_channels.RgbaPlan.decode

    def decode(self: psd_channels.RgbaPlan) -> np.ndarray:
        names.append(threading.current_thread().name)
        return real(self)

    monkeypatch.setattr(psd_channels.RgbaPlan, "decode", decode)
    return names


def _decode_threads_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("psd-decode")]


def _assert_same(a: LayerStack, b: LayerStack) -> None:
    assert a.notes == b.notes and a.approximated == b.approximated
    assert a.merged is not None and b.merged is not None and np.array_equal(a.merged, b.merged)
    nodes_a, nodes_b = list(a.walk()), list(b.walk())
    assert len(nodes_a) == len(nodes_b)
    for (x, _), (y, _) in zip(nodes_a, nodes_b, strict=True):
        assert type(x) is type(y) and x.name == y.name
        if isinstance(x, Layer) and isinstance(y, Layer):
            assert (x.x, x.y, x.blend, x.visible) == (y.x, y.y, y.blend, y.visible)
            assert x.pixels.shape == y.pixels.shape and x.pixels.tobytes() == y.pixels.tobytes(), x.name
        if x.mask is not None or y.mask is not None:
            assert x.mask is not None and y.mask is not None
            assert np.array_equal(x.mask.pixels, y.mask.pixels)
        if isinstance(x, Group):
            assert isinstance(y, Group) and len(x.children) == len(y.children)


def test_threaded_decoding_is_byte_identical_to_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_psd(tmp_path / "a.psd", SIZE, _stack())
    names = _spy_decode_threads(monkeypatch)
    inline = _read(path, monkeypatch, threads=1)
    assert names and not any(n.startswith("psd-decode") for n in names)
    names.clear()
    threaded = _read(path, monkeypatch, threads=3)
    assert names and all(n.startswith("psd-decode") for n in names)
    assert len(names) == 7  # the eight layers less the one off the canvas
    _assert_same(inline, threaded)
    assert not _decode_threads_alive()


def test_psb_threaded_is_byte_identical_to_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_psd(tmp_path / "a.psb", SIZE, _stack(), psb=True)
    _assert_same(_read(path, monkeypatch, threads=1), _read(path, monkeypatch, threads=2))


def test_no_thread_to_start_falls_back_to_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_psd(tmp_path / "a.psd", SIZE, _stack())
    inline = _read(path, monkeypatch, threads=1)
    names = _spy_decode_threads(monkeypatch)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(psd_channels.ThreadPoolExecutor, "submit", refuse)
    fallen = _read(path, monkeypatch, threads=3)
    assert names and not any(n.startswith("psd-decode") for n in names)  # all decoded on this thread
    _assert_same(inline, fallen)


def test_a_cancel_during_a_threaded_open_stops_it_with_no_thread_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_psd(tmp_path / "a.psd", SIZE, _stack())
    token = CancelToken()
    asked: list[str] = []
    real = psd_channels.LayerDecoder.rgba

    def rgba(self: psd_channels.LayerDecoder, item: Any) -> np.ndarray | None:
        asked.append(item.name)
        token.cancel()  # the user cancels while the first layers are being decoded
        return real(self, item)

    monkeypatch.setattr(psd_channels.LayerDecoder, "rgba", rgba)
    with pytest.raises(CancelledError):
        _read(path, monkeypatch, threads=3, cancel=token)
    assert asked == ["Background"]  # stopped before the next layer
    assert not _decode_threads_alive()


def _damage_second_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening gives a PSD whose 'Base' red channel is RAW and too short, as a damaged file would be:
    psd-tools' decoding raises ValueError for it (on a decode thread when threaded)."""
    from psd_tools import PSDImage

    real = PSDImage.open

    def open_damaged(path: Any) -> Any:
        psd = real(path)
        base = next(layer for layer in psd.descendants() if layer.name == "Base")
        red = [int(info.id) for info in base._record.channel_info].index(0)
        channel = base._channels[red]
        channel.compression = psd_channels.RAW
        channel.data = channel.data[:10]
        return psd

    monkeypatch.setattr(PSDImage, "open", staticmethod(open_damaged))


def test_a_damaged_layer_gives_the_same_fallback_threaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_psd(tmp_path / "a.psd", SIZE, _stack())
    _damage_second_layer(monkeypatch)
    inline = _read(path, monkeypatch, threads=1)
    threaded = _read(path, monkeypatch, threads=3)
    assert inline.children == () and "its layers are damaged" in inline.notes[0]
    assert threaded.notes == inline.notes and threaded.children == ()
    assert threaded.merged is not None and inline.merged is not None
    assert np.array_equal(threaded.merged, inline.merged)
    assert not _decode_threads_alive()


class _Plan:
    def __init__(self, value: int) -> None:
        self.value = value

    def decode(self) -> np.ndarray:
        return np.full((1, 1, 4), self.value, np.uint8)


@pytest.mark.parametrize("threads", [1, 3])
def test_layers_the_reader_skips_are_dropped(threads: int) -> None:
    items = [type("Item", (), {"value": v})() for v in range(6)]
    plan = lambda item: None if item.value == 4 else _Plan(item.value)  # noqa: E731
    with psd_channels.LayerDecoder(items, plan, threads) as decoder:  # type: ignore[arg-type]
        decoder.start()
        got = [decoder.rgba(items[i]) for i in (1, 3, 4, 5)]  # 0 and 2 are never asked for
    assert [None if g is None else int(g[0, 0, 0]) for g in got] == [1, 3, None, 5]
    assert not _decode_threads_alive()


def test_an_open_on_a_worker_thread_decodes_threaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app opens artworks on its worker thread: the decode threads start from there as well."""
    path = write_psd(tmp_path / "a.psd", SIZE, _stack())
    inline = _read(path, monkeypatch, threads=1)
    names = _spy_decode_threads(monkeypatch)
    out: list[LayerStack] = []
    worker = threading.Thread(target=lambda: out.append(read_psd_stack(path, 10**8, NEVER_CANCELLED)))
    monkeypatch.setattr(layers_psd, "DECODE_THREADS", 2)
    worker.start()
    worker.join(60)
    assert out and names and all(n.startswith("psd-decode") for n in names)
    _assert_same(inline, out[0])
