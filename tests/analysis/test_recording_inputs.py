"""Hostile and odd recordings (issue 11): each gets a clear `RecordingError` or a usable recording,
never a crash or a hang; long recordings are sampled, not decoded through."""

from __future__ import annotations

import os
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import synthetic_recordings as S
from PIL import Image

from app.analysis.align import align
from app.analysis.sources import is_animation, load_recording, natural_key
from app.core.cancel import CancelToken
from app.errors import CancelledError, RecordingError


def _frames(count: int, size=(64, 48)) -> list[np.ndarray]:
    """Frames that change: a bar growing left to right."""
    out = []
    for i in range(count):
        frame = np.full((size[1], size[0], 3), 255, np.uint8)
        frame[:, : int(size[0] * (i + 1) / count)] = (200, 60, 40)
        out.append(frame)
    return out


def _mp4(
    path: Path,
    frames: list[np.ndarray],
    rate: Fraction = Fraction(30),
    gop: int = 12,
    faststart: bool = False,
) -> Path:
    import av

    with av.open(str(path), "w", options={"movflags": "+faststart"} if faststart else {}) as container:
        stream = container.add_stream("libx264", rate=rate, options={"preset": "ultrafast", "g": str(gop)})
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_missing_empty_and_corrupt_files(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        load_recording(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(RecordingError, match="empty"):
        load_recording(tmp_path / "empty.mp4")
    (tmp_path / "noise.mp4").write_bytes(os.urandom(5000))
    with pytest.raises(RecordingError, match="could not be read as a video"):
        load_recording(tmp_path / "noise.mp4")
    with pytest.raises(RecordingError, match="no PNG, JPEG or WebP"):
        load_recording(tmp_path)  # a folder with no frames in it


def test_truncated_video_keeps_what_decoded(tmp_path):
    """A download cut off after two thirds: with the index at the front (faststart) the frames before
    the cut are the recording; with the index at the end the file cannot be opened, a clear error."""
    for faststart in (True, False):
        whole = _mp4(tmp_path / f"whole{faststart}.mp4", _frames(60), faststart=faststart).read_bytes()
        cut = tmp_path / f"cut{faststart}.mp4"
        cut.write_bytes(whole[: len(whole) * 2 // 3])
        if faststart:
            rec = load_recording(cut)
            assert 0 < len(rec.frames) < 60 and np.all(np.diff(rec.positions) > 0)
        else:
            with pytest.raises(RecordingError, match="could not be read as a video"):
                load_recording(cut)


def test_one_frame_and_a_still_video_are_refused_by_the_aligner(tmp_path):
    art = S.artwork()
    one = tmp_path / "one"
    one.mkdir()
    Image.fromarray(np.asarray(art.pixels)).save(one / "frame1.png")
    with pytest.raises(RecordingError, match="only one frame"):
        align(load_recording(one), art.pixels)
    still = _mp4(tmp_path / "still.mp4", [np.asarray(art.pixels)[:192, :144]] * 8)
    with pytest.raises(RecordingError, match="never changes"):
        align(load_recording(still), art.pixels)


def test_one_pixel_recordings_are_refused(tmp_path):
    frames = [Image.new("RGB", (1, 1), (i * 50, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "tiny.gif", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(RecordingError, match="1x1 pixels, too small"):
        load_recording(tmp_path / "tiny.gif")
    folder = tmp_path / "tiny"
    folder.mkdir()
    frames[0].save(folder / "1.png")
    with pytest.raises(RecordingError):
        load_recording(folder)


def test_zero_delay_animation_falls_back_to_frame_order(tmp_path):
    """An animated WebP whose delays are all 0 ("0 fps"): order is the only record of progress."""
    frames = [Image.fromarray(f) for f in _frames(6)]
    frames[0].save(tmp_path / "zero.webp", save_all=True, append_images=frames[1:], duration=0, lossless=True)
    rec = load_recording(tmp_path / "zero.webp")
    assert rec.info.position_unit == "frame"
    assert list(rec.positions) == [0, 1, 2, 3, 4, 5]


def test_timed_animated_webp_keeps_its_delays(tmp_path):
    frames = [Image.fromarray(f) for f in _frames(4)]
    frames[0].save(tmp_path / "t.webp", save_all=True, append_images=frames[1:], duration=250, lossless=True)
    rec = load_recording(tmp_path / "t.webp")
    assert rec.info.position_unit == "s" and list(rec.positions) == [0.0, 0.25, 0.5, 0.75]


def test_a_ten_hour_recording_is_sampled_by_seeking(tmp_path):
    """600 frames at one a minute: 10 hours. With a decode limit below its length, it is read by
    seeking: about one decoded frame per sample, positions in seconds across the 10 hours."""
    path = _mp4(tmp_path / "long.mp4", _frames(600), rate=Fraction(1, 60), gop=10)
    rec = load_recording(path, max_samples=40, max_decoded=100)
    assert rec.info.duration_s is not None and rec.info.duration_s >= 9.9 * 3600
    assert rec.sampled_by_seeking and rec.decoded <= 40
    assert 20 <= len(rec.frames) <= 40
    assert rec.positions[-1] > 9.5 * 3600 and np.all(np.diff(rec.positions) > 0)
    whole = load_recording(path, max_samples=40)  # under the limit: decoded through, thinned
    assert not whole.sampled_by_seeking and len(whole.frames) <= 40 and whole.decoded == 600


def test_cancel_stops_reading(tmp_path):
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        load_recording(_mp4(tmp_path / "a.mp4", _frames(10)), cancel=token)


def test_procreate_without_a_time_lapse(tmp_path):
    path = tmp_path / "NoVideo.procreate"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Document.archive", b"bplist00")
    with pytest.raises(RecordingError, match="no time-lapse"):
        load_recording(path)
    (tmp_path / "broken.procreate").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(RecordingError, match="damaged zip"):
        load_recording(tmp_path / "broken.procreate")


def test_a_damaged_frame_in_a_folder_is_skipped(tmp_path):
    for i, frame in enumerate(_frames(5)):
        Image.fromarray(frame).save(tmp_path / f"f{i}.png")
    (tmp_path / "f2.png").write_bytes(b"\x89PNG broken")
    rec = load_recording(tmp_path)
    assert rec.skipped == ("f2.png",) and list(rec.positions) == [0, 1, 3, 4]


def test_natural_sort():
    names = ["frame10.png", "frame2.png", "frame1.png"]
    assert sorted(names, key=natural_key) == ["frame1.png", "frame2.png", "frame10.png"]


def test_an_animation_is_told_from_a_still_image(tmp_path: Path):
    """A GIF or WebP may be an artwork or a time-lapse: more than one frame makes it an animation."""
    frames = [Image.fromarray(f) for f in _frames(4)]
    for suffix in (".gif", ".webp"):
        frames[0].save(tmp_path / f"anim{suffix}", save_all=True, append_images=frames[1:], duration=100)
        frames[0].save(tmp_path / f"still{suffix}")
        assert is_animation(tmp_path / f"anim{suffix}") and not is_animation(tmp_path / f"still{suffix}")
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])  # APNG: not asked about
    (tmp_path / "broken.gif").write_bytes(b"GIF89a not really")
    assert not is_animation(tmp_path / "anim.png") and not is_animation(tmp_path / "broken.gif")
    assert not is_animation(tmp_path / "missing.gif")
