"""Format writers for app.core.export: each writes shots (picture + on-screen frames) to a temp path.

A writer is `write(tmp, shots, render, options)`: `render(i)` returns shot i's RGB uint8 picture at the
output size (captioned, progress reported, cancel checked) and is called exactly once per shot, in order,
so only one picture is alive at a time. Kept apart from export.py so that file stays about policy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from PIL import GifImagePlugin, Image, PngImagePlugin

if TYPE_CHECKING:
    from av.video.stream import VideoStream

    from app.core.export import ExportOptions, _Shot

Render = Callable[[int], np.ndarray]
METADATA_NOTE = "This video/image is an AI-simulated drawing process, not a recording of the artist's work."


def _note(options: ExportOptions) -> str:
    return f"{options.label_text}. {METADATA_NOTE} Made with Undo Studio."


# ---------------------------------------------------------------------------------------------- PNG


def write_png_sequence(tmp: Path, shots: Sequence[_Shot], render: Render, options: ExportOptions) -> None:
    """Into the (existing) folder `tmp`: one `frame_NNNNN.png` per video frame in playback order, so the
    sequence at `options.fps` lasts as long as the MP4. A held picture is encoded once and its file
    copied for the other frames (a byte copy, not a second PNG encode)."""
    info = None
    if options.label:
        info = PngImagePlugin.PngInfo()
        info.add_text("Description", _note(options))
        info.add_text("Software", "Undo Studio")
    index = 0
    for i, shot in enumerate(shots):
        first = tmp / png_frame_name(index)
        Image.fromarray(render(i)).save(
            first, format="PNG", pnginfo=info, compress_level=options.png_compress_level
        )
        for k in range(1, shot.frames):
            shutil.copyfile(first, tmp / png_frame_name(index + k))
        index += shot.frames


def png_frame_name(index: int) -> str:
    """`frame_00000.png`: names sort in playback order and end in the number editors look for."""
    return f"frame_{index:05d}.png"


# ---------------------------------------------------------------------------------------- MP4 / WebM


def _write_video(
    tmp: Path,
    shots: Sequence[_Shot],
    render: Render,
    options: ExportOptions,
    container_format: str,
    codec: str,
    codec_options: dict[str, str],
) -> None:
    import av

    container_options = {"movflags": "+faststart"} if container_format == "mp4" else {}
    container = av.open(str(tmp), mode="w", format=container_format, options=container_options)
    try:
        if options.label:
            container.metadata["comment"] = _note(options)
            container.metadata["description"] = _note(options)
            container.metadata["title"] = options.label_text
        # add_stream is typed by codec-name literal; ours are video codecs named at run time.
        rate = Fraction(int(options.fps), 1)
        stream = cast("VideoStream", container.add_stream(codec, rate=rate, options=codec_options))
        ctx = stream.codec_context
        stream.pix_fmt = "yuv420p"
        stream.thread_type = "AUTO"
        pts = 0
        for i, shot in enumerate(shots):
            picture = render(i)
            if i == 0:
                stream.height, stream.width = picture.shape[:2]
                ctx.color_primaries = ctx.color_trc = ctx.colorspace = 1  # BT.709, what players assume for HD
                ctx.color_range = 1  # limited ("tv") range, the yuv420p norm
            yuv = _rgb_frame(av, picture).reformat(format="yuv420p", dst_colorspace="ITU709")
            for _ in range(shot.frames):  # holds re-send the same picture: nearly free for the encoder
                yuv.pts = pts
                pts += 1
                for packet in stream.encode(yuv):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()


def _rgb_frame(av: Any, picture: np.ndarray) -> Any:
    """An rgb24 VideoFrame. Copying into a fresh frame's plane is ~30x faster than
    `VideoFrame.from_ndarray(..., "rgb24")` in PyAV 18 (0.07 ms vs 2.3 ms at 512²): it matters at 1000 frames."""
    height, width = picture.shape[:2]
    frame = av.VideoFrame(width, height, "rgb24")
    plane = frame.planes[0]
    if plane.line_size == width * 3 and picture.flags.c_contiguous:
        plane.update(picture)
        return frame
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")  # padded rows


def write_mp4(tmp: Path, shots: Sequence[_Shot], render: Render, options: ExportOptions) -> None:
    codec_options = {"crf": str(options.crf), "preset": options.preset, "profile": "high"}
    _write_video(tmp, shots, render, options, "mp4", "libx264", codec_options)


def write_webm(tmp: Path, shots: Sequence[_Shot], render: Render, options: ExportOptions) -> None:
    codec_options = {
        "crf": str(options.webm_crf),
        "b": "0",  # constant quality mode
        "deadline": "realtime",
        "cpu-used": "8",
        "row-mt": "1",
    }
    _write_video(tmp, shots, render, options, "webm", "libvpx-vp9", codec_options)


# ---------------------------------------------------------------------------------- GIF / WebP


def frame_durations_ms(shots: Sequence[_Shot], fps: int, unit_ms: int = 1) -> list[int]:
    """Per-shot durations in ms, rounded to `unit_ms` with the error carried so the total stays exact."""
    out: list[int] = []
    elapsed_frames = 0
    shown_ms = 0
    for shot in shots:
        elapsed_frames += shot.frames
        end_ms = round(elapsed_frames * 1000 / fps / unit_ms) * unit_ms
        out.append(max(unit_ms, end_ms - shown_ms))
        shown_ms += out[-1]
    return out


def write_gif(tmp: Path, shots: Sequence[_Shot], render: Render, options: ExportOptions) -> None:
    """Streams frame by frame: each frame gets its own adaptive 256-colour palette, a delay in
    centiseconds, and the file loops forever. Pillow encodes each frame (`GifImagePlugin.getdata`, its
    documented per-frame function); only the header, loop and comment blocks are written here.

    Why not `Image.save(save_all=True, append_images=<iterator>)`: Pillow's GIF writer consumes the
    iterator lazily but keeps every quantized frame (1 byte per pixel) until it writes the file, to
    diff and merge frames. Measured with Pillow 13: +157 MB for 600 frames at 512², so the export
    dialog's default (30 s at 30 fps, original size) would hold 0.9 GB at 1024² and 3.6 GB at 2048²,
    where this holds one frame. What save_all would add is smaller files (it crops each frame to what
    changed, about 15 % smaller here); PyAV's GIF encoder streams but cannot write the comment."""
    durations = frame_durations_ms(shots, options.fps, unit_ms=10)
    with tmp.open("wb") as fh:
        for i, _shot in enumerate(shots):
            picture = render(i)
            if i == 0:
                height, width = picture.shape[:2]
                fh.write(b"GIF89a" + _u16(width) + _u16(height) + b"\x00\x00\x00")  # no global palette
                fh.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + _u16(0) + b"\x00")  # loop forever
                if options.label:
                    fh.write(b"!\xfe" + _sub_blocks(_note(options).encode("ascii", "replace")) + b"\x00")
            paletted = Image.fromarray(picture).quantize(256, method=Image.Quantize.FASTOCTREE)
            for chunk in GifImagePlugin.getdata(
                paletted, (0, 0), duration=durations[i], include_color_table=True
            ):
                fh.write(chunk)
        fh.write(b";")


def _u16(value: int) -> bytes:
    return int(value).to_bytes(2, "little")


def _sub_blocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))


class _LazyFrames(Image.Image):
    """A multi-frame Pillow image whose frame i is rendered on `seek(i)`: Pillow's animated-WebP encoder
    pulls frames through seek, so only one frame is decoded at a time.

    Why a subclass that sets `_mode`/`_size`/`im` (what Pillow's own multi-frame plugins set) instead
    of `append_images=<iterator>`: the WebP writer calls `list()` on `append_images`, so an iterator of
    frames would hold every frame, 3 bytes per pixel, before encoding the first (measured: 287 MB
    instead of 125 MB peak for 200 frames at 512²). PyAV's `libwebp_anim` streams too, but its WebP
    muxer writes neither EXIF nor XMP, where we put the "AI-simulated" note."""

    def __init__(self, count: int, render: Render, size: tuple[int, int]) -> None:
        super().__init__()
        self._count, self._render, self._index = count, render, -1
        self._mode = "RGB"
        self._size = size
        self.n_frames = count

    def seek(self, frame: int) -> None:
        if frame != self._index:
            self.im = Image.fromarray(self._render(frame)).im
            self._index = frame

    def tell(self) -> int:
        return self._index


def write_webp(tmp: Path, shots: Sequence[_Shot], render: Render, options: ExportOptions) -> None:
    durations = frame_durations_ms(shots, options.fps)
    first = Image.fromarray(render(0))
    rest = _LazyFrames(len(shots) - 1, lambda i: render(i + 1), first.size)
    extra: dict[str, Any] = {}
    if options.label:
        exif = Image.Exif()
        exif[0x010E] = _note(options)  # ImageDescription
        exif[0x0131] = "Undo Studio"  # Software
        extra["exif"] = exif.tobytes()
        extra["xmp"] = _xmp(_note(options))
    with tmp.open("wb") as fh:  # Pillow assembles the file in memory anyway: no second copy here
        first.save(
            fh,
            format="WEBP",
            save_all=len(shots) > 1,
            append_images=[rest] if len(shots) > 1 else [],
            duration=durations if len(shots) > 1 else durations[0],
            loop=0,
            quality=options.webp_quality,
            method=2,
            **extra,
        )


def _xmp(text: str) -> bytes:
    from xml.sax.saxutils import escape

    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Undo Studio">'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'
        "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


WRITERS: dict[str, Callable[[Path, Sequence[Any], Render, Any], None]] = {
    "png": write_png_sequence,
    "mp4": write_mp4,
    "webm": write_webm,
    "gif": write_gif,
    "webp": write_webp,
}
