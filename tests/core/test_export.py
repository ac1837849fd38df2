"""Export: each format decoded back and checked; length presets; atomic writes; cancel leaves nothing."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from app.core.cancel import CancelToken
from app.core.export import ExportOptions, export_comparison, export_format, export_process, select_steps
from app.errors import CancelledError, ExportError

STEPS = list(range(29, -1, -1))  # painting order, 30 steps


def frame_for_step(step: int) -> np.ndarray:
    """Brightness encodes the step, so decoded frames can be checked for order."""
    return np.full((37, 51, 3), 255 - step * 8, np.uint8)


def _no_temp_files(folder: Path) -> bool:
    return not any(".partial-" in p.name or ".old-" in p.name for p in folder.iterdir())


def _decode(path: Path) -> tuple[av.container.InputContainer, list[np.ndarray]]:
    container = av.open(str(path))
    frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return container, frames


def test_mp4_is_h264_yuv420p_even_sized_with_metadata(tmp_path: Path) -> None:
    out = tmp_path / "p.mp4"
    options = ExportOptions(fps=10, hold_last_s=0.5)
    result = export_process(STEPS, frame_for_step, out, options)
    container, frames = _decode(out)
    stream = container.streams.video[0]
    assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert (stream.width, stream.height) == (50, 36) == (result.width, result.height)
    assert len(frames) == 30 + 5 == result.frame_count
    assert "AI-simulated" in container.metadata.get("comment", "")
    container.close()
    means = [f[:20, :20].mean() for f in frames[:30]]  # away from the caption
    assert all(a <= b + 2 for a, b in zip(means, means[1:], strict=False))  # painting order: brightening
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart
    assert _no_temp_files(tmp_path)


def test_webm_is_vp9(tmp_path: Path) -> None:
    out = tmp_path / "p.webm"
    export_process(STEPS, frame_for_step, out, ExportOptions(fps=10, hold_last_s=0))
    container, frames = _decode(out)
    assert container.streams.video[0].codec_context.name == "vp9"
    assert len(frames) == 30
    assert "AI-simulated" in {k.lower(): v for k, v in container.metadata.items()}.get("comment", "")
    container.close()


def test_gif_frames_durations_loop_and_comment(tmp_path: Path) -> None:
    out = tmp_path / "p.gif"
    result = export_process(
        STEPS, frame_for_step, out, ExportOptions(fps=10, hold_last_s=1.0, show_final_first=True)
    )
    with Image.open(out) as im:
        assert im.n_frames == 31 == result.frame_count  # final first + 30 steps (hold = longer last frame)
        assert im.info["loop"] == 0 and b"AI-simulated" in im.info["comment"]
        durations = []
        firsts = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            firsts.append(np.asarray(im.convert("RGB"))[5, 5, 0])
    assert durations[0] == 1000 and durations[-1] == 1100 and durations[1] == 100
    assert sum(durations) == pytest.approx(result.duration_s * 1000)
    assert (
        firsts[0] >= 252 and abs(int(firsts[1]) - (255 - 29 * 8)) <= 3
    )  # finished artwork first, then the blank-ish start


def test_gif_durations_keep_total_time_at_awkward_fps(tmp_path: Path) -> None:
    out = tmp_path / "p.gif"
    result = export_process(STEPS, frame_for_step, out, ExportOptions(fps=30, hold_last_s=0))
    with Image.open(out) as im:
        total = 0
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
    assert abs(total - result.duration_s * 1000) <= 10


def test_webp_animation_frames_and_metadata(tmp_path: Path) -> None:
    out = tmp_path / "p.webp"
    result = export_process(STEPS, frame_for_step, out, ExportOptions(fps=10, hold_last_s=0.5))
    with Image.open(out) as im:
        assert im.n_frames == 30 == result.frame_count
        assert im.info.get("loop") == 0
        assert "AI-simulated" in im.getexif().get(0x010E, "")
        assert b"AI-simulated" in im.info.get("xmp", b"")
        im.seek(29)
        im.load()
        assert im.info["duration"] == 600


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animation_has_one_frame_per_shot_with_its_duration(tmp_path: Path, suffix: str) -> None:
    """Final first (1 s), 30 steps of 1/10 s, the last held 0.5 s longer: 31 frames, each its own delay."""
    out = tmp_path / f"p{suffix}"
    options = ExportOptions(fps=10, hold_last_s=0.5, show_final_first=True)
    result = export_process(STEPS, frame_for_step, out, options)
    with Image.open(out) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            durations.append(im.info["duration"])
    assert durations == [1000] + [100] * 29 + [600]
    assert len(durations) == result.frame_count and sum(durations) == 1000 * result.duration_s


def test_png_sequence_names_and_text_chunk(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    result = export_process(STEPS, frame_for_step, out, ExportOptions(max_size=25, hold_last_s=0))
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"frame_{i:05d}.png" for i in range(len(STEPS))] + ["process.json"])
    with Image.open(out / "frame_00000.png") as im:  # playback order: step 29 first
        assert im.size == (25, 18) == (result.width, result.height)
        assert "AI-simulated" in im.text["Description"]
    assert _no_temp_files(tmp_path)


def test_png_sequence_replaces_an_old_export_but_not_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    out.mkdir()
    (out / "step_0500.png").write_bytes(b"old")
    (out / "process.json").write_text("{}")
    export_process(STEPS[:3], frame_for_step, out, ExportOptions(hold_last_s=0))
    names = sorted(p.name for p in out.iterdir())
    assert names == ["frame_00000.png", "frame_00001.png", "frame_00002.png", "process.json"]
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"keep me")
    with pytest.raises(ExportError, match="other files"):
        export_process(STEPS[:3], frame_for_step, foreign)
    assert [p.name for p in foreign.iterdir()] == ["holiday.jpg"]
    assert _no_temp_files(tmp_path)


def test_label_off_leaves_pixels_and_metadata_clean(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    export_process(STEPS[:2], frame_for_step, out, ExportOptions(label=False))
    with Image.open(out / "frame_00000.png") as im:
        assert "Description" not in im.text
        np.testing.assert_array_equal(np.asarray(im.convert("RGB")), frame_for_step(29)[:, :, :3])


def test_label_on_marks_the_pixels(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    export_process([0], lambda s: np.full((200, 300, 3), 128, np.uint8), out)
    with Image.open(out / "frame_00000.png") as im:
        px = np.asarray(im.convert("RGB"))
    assert (px[-30:, -150:] != 128).any() and (px[:100, :100] == 128).all()


def test_length_preset_selects_evenly_spaced_steps_keeping_ends() -> None:
    steps = list(range(999, -1, -1))
    options = ExportOptions(fps=30, length="15s", hold_last_s=1.0)
    chosen = select_steps(steps, options)
    assert len(chosen) == 15 * 30 - 30
    assert chosen[0] == 999 and chosen[-1] == 0
    assert list(chosen) == sorted(chosen, reverse=True) and len(set(chosen)) == len(chosen)
    assert select_steps(steps[:10], options) == tuple(steps[:10])  # already short enough
    assert select_steps(steps, ExportOptions(length="full")) == tuple(steps)
    with pytest.raises(ExportError):
        select_steps(steps, ExportOptions(length="5m"))  # type: ignore[arg-type]


def test_length_preset_sets_video_duration(tmp_path: Path) -> None:
    steps = list(range(999, -1, -1))
    result = export_process(
        steps,
        lambda s: np.zeros((16, 16, 3), np.uint8),
        tmp_path / "a.mp4",
        ExportOptions(fps=10, length="15s"),
    )
    assert result.frame_count == 150 and result.duration_s == pytest.approx(15.0)


@pytest.mark.parametrize("suffix", [".mp4", ".webp", ".gif"])
def test_frames_are_rendered_lazily_not_all_kept(tmp_path: Path, suffix: str) -> None:
    """60 frames of 256x256 are 11.8 MB together; the export must never hold more than a few."""
    import tracemalloc

    def source(step: int) -> np.ndarray:
        return np.full((256, 256, 3), step * 4, np.uint8)

    tracemalloc.start()
    export_process(list(range(59, -1, -1)), source, tmp_path / f"a{suffix}", ExportOptions(hold_last_s=0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".webp", ""])
def test_cancel_midway_leaves_nothing_and_keeps_existing_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    if suffix:
        out.write_bytes(b"previous export")
    token = CancelToken()
    calls = 0

    def source(step: int) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 10:
            token.cancel()
        return frame_for_step(step)

    with pytest.raises(CancelledError):
        export_process(STEPS, source, out, ExportOptions(fps=10), cancel=token)
    assert calls == 10
    if suffix:
        assert out.read_bytes() == b"previous export"
    else:
        assert not out.exists()
    assert _no_temp_files(tmp_path)


def test_error_in_frame_source_becomes_export_error_and_cleans_up(tmp_path: Path) -> None:
    def source(step: int) -> np.ndarray:
        if step == 20:
            raise RuntimeError("engine exploded")
        return frame_for_step(step)

    with pytest.raises(ExportError, match="engine exploded"):
        export_process(STEPS, source, tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_per_frame_and_ends_at_one(tmp_path: Path) -> None:
    seen: list[float] = []
    export_process(STEPS, frame_for_step, tmp_path / "a.gif", progress=lambda f, m="": seen.append(f))
    assert len(seen) >= len(STEPS) and seen[-1] == 1.0
    assert seen == sorted(seen)


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unsupported extension"):
        export_format(tmp_path / "a.avi")
    with pytest.raises(ExportError, match="nothing to export"):
        export_process([], frame_for_step, tmp_path / "a.mp4")
    (tmp_path / "d.mp4").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_process(STEPS[:2], frame_for_step, tmp_path / "d.mp4")
    with pytest.raises(ExportError, match="shape"):
        export_process(STEPS[:2], lambda s: np.zeros((4, 4), np.uint8), tmp_path / "x.mp4")


def test_comparison_is_side_by_side(tmp_path: Path) -> None:
    panes = [("Seed 1", frame_for_step), ("Seed 2", lambda s: np.zeros((37, 51, 3), np.uint8))]
    result = export_comparison(
        panes, STEPS[:4], tmp_path / "c.mp4", ExportOptions(hold_last_s=0, label=False)
    )
    container, frames = _decode(tmp_path / "c.mp4")
    container.close()
    assert result.width == 51 * 2 + 8 and len(frames) == 4
    assert frames[0][30, 10].mean() > 10 and frames[0][30, 80].mean() < 10
    with pytest.raises(ExportError, match="2 to 4"):
        export_comparison(panes[:1], STEPS, tmp_path / "c1.mp4")


@pytest.mark.parametrize("width", [64, 50])  # 64: fast plane copy; 50: padded rows fall back to from_ndarray
def test_mp4_colours_survive_bt709_round_trip(tmp_path: Path, width: int) -> None:
    colours = [(200, 30, 40), (20, 160, 90), (128, 128, 128)]
    pictures = {i: np.full((48, width, 3), c, np.uint8) for i, c in enumerate(colours)}
    export_process(
        [0, 1, 2], pictures.__getitem__, tmp_path / "c.mp4", ExportOptions(hold_last_s=0, label=False)
    )
    with av.open(str(tmp_path / "c.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.colorspace == 1  # tagged BT.709
        decoded = [
            f.reformat(format="rgb24", src_colorspace="ITU709").to_ndarray()
            for f in container.decode(video=0)
        ]
    for picture, frame in zip(pictures.values(), decoded, strict=True):
        assert np.abs(frame[10:30, 10:30].astype(int) - picture[0, 0]).max() <= 6


def test_webm_without_vp9_encoder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_codec(name: str, mode: str = "r") -> None:
        raise ValueError(f"no encoder {name}")

    monkeypatch.setattr(av.codec, "Codec", no_codec)
    with pytest.raises(ExportError, match="WebM .*not available") as info:
        export_process(STEPS, frame_for_step, tmp_path / "a.webm")
    assert "MP4" in info.value.hint and not list(tmp_path.iterdir())


def test_gif_fps_is_capped_so_browsers_do_not_slow_it_down(tmp_path: Path) -> None:
    """Above 50 fps a GIF shows fewer pictures, each at least 20 ms, for the same length as the MP4."""
    result = export_process(STEPS, frame_for_step, tmp_path / "a.gif", ExportOptions(fps=60, hold_last_s=0))
    durations = _animation_durations(tmp_path / "a.gif")
    assert min(durations) >= 20 and len(durations) < 30
    assert (
        result.duration_s == pytest.approx(30 / 60, abs=0.02) and sum(durations) / 1000 == result.duration_s
    )


@pytest.mark.parametrize(
    "options,match",
    [
        (ExportOptions(fps=0), "Frame rate"),
        (ExportOptions(fps=-3), "Frame rate"),
        (ExportOptions(fps=100_000), "Frame rate"),  # 1 s hold = 100000 encoded frames
        (ExportOptions(fps=2.5), "Frame rate"),  # the stream rate is an integer: the length would lie
        (ExportOptions(hold_last_s=float("nan")), "Hold last frame"),
        (ExportOptions(hold_last_s=float("inf")), "Hold last frame"),
        (ExportOptions(hold_last_s=1e9), "Hold last frame"),  # would encode for hours
        (ExportOptions(show_final_first=True, final_first_s=float("nan")), "Show final first"),
        (ExportOptions(max_size=-5), "Size"),  # used to give a 2x2 video
    ],
)
def test_absurd_options_are_refused_before_any_frame_is_rendered(
    tmp_path: Path, options: ExportOptions, match: str
) -> None:
    rendered: list[int] = []

    def source(step: int) -> np.ndarray:
        rendered.append(step)
        return frame_for_step(step)

    with pytest.raises(ExportError, match=match) as info:
        export_process(STEPS, source, tmp_path / "a.mp4", options)
    assert info.value.hint and rendered == [] and list(tmp_path.iterdir()) == []


def test_wrong_kind_of_target_fails_before_rendering(tmp_path: Path) -> None:
    rendered: list[int] = []

    def source(step: int) -> np.ndarray:
        rendered.append(step)
        return frame_for_step(step)

    (tmp_path / "d.mp4").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_process(STEPS, source, tmp_path / "d.mp4")
    (tmp_path / "frames").write_bytes(b"a file, not a folder")
    with pytest.raises(ExportError, match="not a folder"):
        export_process(STEPS, source, tmp_path / "frames")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="other files"):
        export_process(STEPS, source, tmp_path / "mine")
    assert rendered == []
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".webp", ""])
def test_hard_abort_midway_leaves_no_partial_file(tmp_path: Path, suffix: str) -> None:
    """A second Ctrl+C raises KeyboardInterrupt inside the writer: the temp file must still go."""
    calls = 0

    def source(step: int) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise KeyboardInterrupt
        return frame_for_step(step)

    with pytest.raises(KeyboardInterrupt):
        export_process(STEPS, source, tmp_path / f"out{suffix}", ExportOptions(fps=10))
    assert list(tmp_path.iterdir()) == []


def test_png_sequence_with_repeated_steps_counts_the_files_it_writes(tmp_path: Path) -> None:
    """Files are numbered by frame, not named by step: a repeated step no longer overwrites its file."""
    result = export_process([5, 5, 5, 0], frame_for_step, tmp_path / "seq", ExportOptions(hold_last_s=0))
    names = sorted(p.name for p in (tmp_path / "seq").glob("frame_*.png"))
    assert names == [f"frame_{i:05d}.png" for i in range(4)]
    assert result.frame_count == 4 and result.steps == (5, 5, 5, 0)


def test_webp_too_wide_is_a_clear_error_not_an_encoder_code(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="too large for WEBP") as info:
        export_process([1, 0], lambda s: np.zeros((1, 20000, 3), np.uint8), tmp_path / "strip.webp")
    assert "MP4" in info.value.hint and list(tmp_path.iterdir()) == []


def _animation_durations(path: Path) -> list[int]:
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            durations.append(im.info["duration"])
    return durations
