"""A branch's segments on a GPU: latents until decoded, decoded frames as uint8 device tensors (issue 14,
part 1).

Why: on a GPU a segment is sampled, decoded and converted in one go, so a decode that is cancelled or
fails (out of memory while another app holds the device) threw the sampling away, and every frame went
to host memory as float pixels before the picks were made. `DeviceFrames` keeps, per segment key:

* the sampled **latents**, on the device, from the end of sampling until the decode has succeeded
  (then they are freed): a cancelled decode resumes from them without sampling again;
* the **decoded frames** as `(H, W, 3)` uint8 tensors (a quarter of the bytes of float pixels, one
  entry per frame), so asking a segment again (the core's memory LRU evicted its frames, the project is
  unsaved) re-uses them instead of running the model;
* the **numpy** each frame was handed out as, by weak reference: the UI's memory LRU holds that array,
  and while it does, the same array is handed out again (no second conversion, no second copy). A frame
  is converted once per time it is shown after an eviction, never per request.

The tensors live in a `DeviceTensorCache` (device_cache.py): on the device within a budget, spilled to
host memory LRU-first. On a CPU there is no `DeviceFrames` at all (`for_device` returns None): the
pipeline hands numpy out as before, with no extra copy and no cache.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Sequence

import numpy as np
import torch

from app.inference.paints_undo.device_cache import DeviceTensorCache
from app.inference.paints_undo.encodings import frame_key

Finish = Callable[[np.ndarray], np.ndarray]  # the engine's last step on a frame (resize to the output size)


def segment_key(frame_a: np.ndarray, frame_b: np.ndarray, *settings: object) -> str:
    """A segment's key: both keyframes' content and whatever else its frames depend on (`settings`:
    prompt, seed, sampler steps, cfg, buckets ...), so a changed keyframe or setting is a new segment."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (frame_key("a", frame_a), frame_key("b", frame_b), repr(settings)):
        digest.update(part.encode())
    return f"segment:{digest.hexdigest()}"


class DeviceFrames:
    """Segment latents and decoded frames of one branch on a GPU (see the module docstring)."""

    def __init__(self, tensors: DeviceTensorCache) -> None:
        self.tensors = tensors
        self.conversions = 0  # frames converted to numpy (tests: at most once while the UI holds one)
        self._counts: dict[str, int] = {}  # segment -> number of decoded frames
        self._handed: weakref.WeakValueDictionary[str, np.ndarray] = weakref.WeakValueDictionary()

    @classmethod
    def for_device(cls, device: torch.device, usable_bytes: int, model_bytes: int) -> DeviceFrames | None:
        """The store for a branch on `device` (the encodings' budget rule), or None on a CPU."""
        if device.type == "cpu":
            return None
        return cls(DeviceTensorCache.for_device(device, usable_bytes, model_bytes))

    # -- latents, until decoded ------------------------------------------------------------------
    def put_latents(self, segment: str, latents: torch.Tensor) -> None:
        self.tensors.put(_latents_key(segment), (latents,))

    def latents(self, segment: str) -> torch.Tensor | None:
        entry = self.tensors.get(_latents_key(segment))
        return None if entry is None else entry[0]

    # -- decoded frames ----------------------------------------------------------------------------
    def put_frames(self, segment: str, video: torch.Tensor) -> None:
        """Keep `video` `(T, H, W, 3)` uint8 one entry per frame and free the segment's latents."""
        if video.dtype != torch.uint8 or video.ndim != 4:
            raise ValueError(
                f"frames must be a (T, H, W, 3) uint8 tensor, got {tuple(video.shape)} {video.dtype}"
            )
        self.tensors.discard(_latents_key(segment))
        self._counts[segment] = int(video.shape[0])
        for index, frame in enumerate(video.unbind(0)):
            # its own contiguous storage: a view would keep the whole clip alive after the frame spills,
            # and the budget counts frames
            own = frame.clone(memory_format=torch.contiguous_format)
            self.tensors.put(_frame_key(segment, index), (own,))

    def frame_count(self, segment: str) -> int | None:
        """How many frames the segment was decoded into, when all of them are still kept."""
        count = self._counts.get(segment)
        if count is None or any(_frame_key(segment, i) not in self.tensors for i in range(count)):
            return None
        return count

    def numpy_frames(
        self,
        segment: str,
        indices: Sequence[int],
        finish: Finish,
        video: torch.Tensor | None = None,
    ) -> list[np.ndarray] | None:
        """`finish(frame as numpy)` for each index: the array handed out before while somebody still
        holds it, else converted now from the kept tensor (or `video`'s, just decoded). None when a
        frame is neither (dropped by the host budget): the segment must be made again."""
        out: list[np.ndarray] = []
        for index in indices:
            name = _frame_key(segment, int(index))
            array = self._handed.get(name)
            if array is None:
                entry = self.tensors.get(name)
                tensor = entry[0] if entry is not None else None if video is None else video[int(index)]
                if tensor is None:
                    return None
                array = finish(_to_numpy(tensor))
                self.conversions += 1
                self._handed[name] = array
            out.append(array)
        return out

    def segment_frames(
        self, segment: str, count: int, finish: Finish, make: Callable[[], torch.Tensor]
    ) -> list[np.ndarray]:
        """`count` frames of the segment, evenly picked: from what is kept when every frame still is,
        else from `make()` (the model: `(T,H,W,3)` uint8, which it leaves here too)."""
        total = self.frame_count(segment)
        if total is not None:
            kept = self.numpy_frames(segment, picks(total, count), finish)
            if kept is not None:
                return kept
        video = make()
        made = self.numpy_frames(segment, picks(int(video.shape[0]), count), finish, video=video)
        if made is None:  # cannot happen: every index is in `video`
            raise RuntimeError("a just-decoded segment lost a frame")
        return made


def picks(total: int, count: int) -> list[int]:
    """`count` frame indices evenly spread over `total` frames, both ends included (as on a CPU)."""
    return [int(i) for i in np.linspace(0, total - 1, count).round().astype(int)]


def _to_numpy(frame: torch.Tensor) -> np.ndarray:
    """A host copy the caller owns: `.cpu()` copies a device tensor; a host tensor (spilled, or the
    fake device of the tests) is copied so the kept tensor never aliases a frame the UI holds."""
    array = frame.cpu().numpy()
    return np.array(array) if frame.device.type == "cpu" else np.ascontiguousarray(array)


def _latents_key(segment: str) -> str:
    return f"{segment}/latents"


def _frame_key(segment: str, index: int) -> str:
    return f"{segment}/frame{index}"
