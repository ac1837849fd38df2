"""Videos through PyAV, streamed: one or more clips (a `.procreate`'s segments) sampled as one recording.

Short recordings are decoded through and every k-th frame is kept (k doubles whenever the kept frames
reach twice the budget, so an estimate that was too low costs no memory). Recordings longer than
`max_decoded` frames are sampled by seeking: one keyframe after each of `max_samples` seeks, so a 10-hour
file costs about as much as a short one. Frames are scaled by swscale while they are converted to RGB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.analysis.recording import (
    HINT_VIDEO,
    Recording,
    RecordingInfo,
    check_size,
    usable_positions,
    with_unit,
)
from app.core.cancel import CancelToken, ProgressCallback
from app.core.imaging import fit_size
from app.errors import RecordingError


@dataclass
class _Clip:
    path: Path
    container: Any
    stream: Any
    duration: float  # seconds (0 when unknown)
    frames: int  # estimated


def _open_clip(path: Path, label: str) -> _Clip:
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise RecordingError(f"'{label}' could not be read as a video ({exc}).", HINT_VIDEO) from exc
    if not container.streams.video:
        container.close()
        raise RecordingError(f"'{label}' has no video in it.", HINT_VIDEO)
    stream = container.streams.video[0]
    stream.thread_type = "FRAME"  # measured faster than AUTO (slice threads) for H.264 on 2 cores
    # Deblocking only polishes block edges, which a 320-pixel sample never shows: skipping it saves ~12 %.
    stream.codec_context.options = {"skip_loop_filter": "all"}
    width, height = int(stream.codec_context.width or 0), int(stream.codec_context.height or 0)
    try:
        check_size(label, width, height)
    except RecordingError:
        container.close()
        raise
    duration = 0.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    rate = float(stream.average_rate) if stream.average_rate else 0.0
    frames = int(stream.frames or 0) or int(round(duration * rate))
    return _Clip(path, container, stream, max(duration, 0.0), max(frames, 1))


def load_videos(
    source: Path,
    paths: list[Path],
    kind: str,
    max_side: int,
    max_samples: int,
    max_decoded: int,
    cancel: CancelToken,
    progress: ProgressCallback,
) -> Recording:
    """One or more clips played one after another (a `.procreate`'s segments), sampled as one."""
    clips: list[_Clip] = []
    try:
        for p in paths:
            cancel.raise_if_cancelled()
            clips.append(_open_clip(p, source.name if p == source else f"{source.name}/{p.name}"))
        first = clips[0].stream.codec_context
        size = sample_size(int(first.width), int(first.height), max_side)
        total = sum(c.frames for c in clips)
        known_length = all(c.duration > 0 for c in clips)
        sampler = _SeekSampler if total > max_decoded and known_length else _DecodeSampler
        frames, positions, decoded = sampler(clips, size, max_samples, max_decoded, cancel, progress).run()
    finally:
        for clip in clips:
            clip.container.close()
    if not frames:
        raise RecordingError(f"'{source.name}' has no frames that could be decoded.", HINT_VIDEO)
    info = RecordingInfo(
        path=source,
        kind=kind,
        width=int(first.width),
        height=int(first.height),
        frame_count=max(total, len(frames)),
        duration_s=sum(c.duration for c in clips) or None,
        position_unit="s",
    )
    pos, unit = usable_positions(positions, "s")
    return Recording(
        info=with_unit(info, unit),
        frames=tuple(frames),
        positions=pos,
        decoded=decoded,
        sampled_by_seeking=sampler is _SeekSampler,
    )


def sample_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The sampled frames' size: at most `max_side`, both sides multiples of 4 (the I420 fast path)."""
    w, h = fit_size(width, height, max_side)
    return max(4, w - w % 4), max(4, h - h % 4)


def _to_rgb(frame: Any, size: tuple[int, int]) -> np.ndarray:
    """A decoded frame at `size`, RGB. The common case (even-sized 4:2:0) resizes the Y, U and V planes
    with OpenCV's area filter and converts only the small picture (about 5x faster than swscale's area
    scaler at 1080p); anything else goes through swscale. The planes are read in place (`_plane`), not
    copied into one array first (`to_ndarray`: 0.6 ms a 1080p frame, a sixth of the conversion)."""
    w, h = size
    full_w, full_h = int(frame.width), int(frame.height)
    if frame.format.name in ("yuv420p", "yuvj420p") and full_w % 2 == 0 and full_h % 2 == 0:
        y, u, v = (_plane(plane) for plane in frame.planes)
        area = cv2.INTER_AREA
        small = np.concatenate(
            [
                cv2.resize(y, (w, h), interpolation=area),
                cv2.resize(u, (w // 2, h // 2), interpolation=area).reshape(h // 4, w),
                cv2.resize(v, (w // 2, h // 2), interpolation=area).reshape(h // 4, w),
            ]
        )
        return np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420))
    pixels = frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")
    return np.ascontiguousarray(pixels)


def _plane(plane: Any) -> np.ndarray:
    """A frame's plane as an array without copying it (rows are `line_size` bytes apart, padding cut)."""
    rows = np.frombuffer(plane, np.uint8, count=plane.line_size * plane.height)
    return rows.reshape(plane.height, plane.line_size)[:, : plane.width]


class _DecodeSampler:
    """Decodes every frame and keeps every k-th (k doubles when the estimate was short), plus the last."""

    def __init__(
        self,
        clips: list[_Clip],
        size: tuple[int, int],
        max_samples: int,
        max_decoded: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> None:
        self.clips, self.size, self.max_samples = clips, size, max_samples
        self.max_decoded, self.cancel, self.progress = max_decoded, cancel, progress

    def _decoded(self, clip: _Clip) -> Iterator[Any]:
        import av

        try:
            yield from clip.container.decode(clip.stream)
        except av.error.FFmpegError:
            return  # a damaged or cut-off tail: what decoded so far is the recording

    def run(self) -> tuple[list[np.ndarray], list[float], int]:
        total = max(1, sum(c.frames for c in self.clips))
        stride = max(1, -(-total // self.max_samples))
        frames: list[np.ndarray] = []
        positions: list[float] = []
        decoded, offset, last = 0, 0.0, None
        for clip in self.clips:
            clip_end = offset
            for frame in self._decoded(clip):
                if decoded % 64 == 0:
                    self.cancel.raise_if_cancelled()
                    self.progress(min(decoded / total, 0.99), "Reading the recording")
                if decoded >= 4 * self.max_decoded:  # the header lied about the length: stop here
                    break
                time = frame.time if frame.time is not None else float("nan")
                position = offset + time if time == time else float(decoded)
                clip_end = max(clip_end, position)
                if decoded % stride == 0:
                    frames.append(_to_rgb(frame, self.size))
                    positions.append(position)
                    last = None
                    if len(frames) >= 2 * self.max_samples:  # halve what is kept, keep going
                        frames, positions, stride = frames[::2], positions[::2], stride * 2
                else:
                    last = (frame, position)
                decoded += 1
            rate = float(clip.stream.average_rate) if clip.stream.average_rate else 0.0
            offset = clip_end + (1.0 / rate if rate > 0 else 0.0)
        if last is not None:  # the final frame is what the artwork is registered against
            frames.append(_to_rgb(last[0], self.size))
            positions.append(last[1])
        return thin(frames, positions, self.max_samples) + (decoded,)


class _SeekSampler:
    """A long recording: one frame (the keyframe at or before each target time) per seek."""

    def __init__(
        self,
        clips: list[_Clip],
        size: tuple[int, int],
        max_samples: int,
        max_decoded: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> None:
        self.clips, self.size, self.max_samples = clips, size, max_samples
        self.cancel, self.progress = cancel, progress

    def run(self) -> tuple[list[np.ndarray], list[float], int]:
        import av

        total = sum(c.duration for c in self.clips)
        targets = np.linspace(0.0, total, self.max_samples)
        frames: list[np.ndarray] = []
        positions: list[float] = []
        decoded, offset, seen = 0, 0.0, set()
        for clip in self.clips:
            start = float(clip.stream.start_time * clip.stream.time_base) if clip.stream.start_time else 0.0
            mine = [t - offset for t in targets if offset <= t <= offset + clip.duration]
            if clip is self.clips[-1] and mine:
                mine[-1] = max(
                    mine[-1], clip.duration
                )  # the last frame: seek past the end, take the last key
            for t in mine:
                self.cancel.raise_if_cancelled()
                self.progress(len(frames) / self.max_samples, "Sampling the recording")
                try:
                    clip.container.seek(int((start + t) / clip.stream.time_base), stream=clip.stream)
                    frame = next(clip.container.decode(clip.stream), None)
                except av.error.FFmpegError:
                    frame = None
                decoded += 1
                if frame is None or frame.pts is None or (id(clip), frame.pts) in seen:
                    continue
                seen.add((id(clip), frame.pts))
                frames.append(_to_rgb(frame, self.size))
                positions.append(offset + float(frame.time or 0.0) - start)
            offset += clip.duration
        order = np.argsort(positions, kind="stable")
        return [frames[i] for i in order], [positions[i] for i in order], decoded


def thin(
    frames: list[np.ndarray], positions: list[float], limit: int
) -> tuple[list[np.ndarray], list[float]]:
    """At most `limit` frames, evenly chosen, the first and the last always kept."""
    if len(frames) <= limit:
        return frames, positions
    keep = np.unique(np.round(np.linspace(0, len(frames) - 1, limit)).astype(int))
    return [frames[i] for i in keep], [positions[i] for i in keep]
