"""A branch's encodings, kept where the next segment will use them (issue 14, part 1).

Every multi-frame segment needs the prompt's text embeddings, and for each of its two keyframes the
CLIP-vision tokens, the video VAE's latent and the VAE encoder's hidden states (the decoder's reference
context). A keyframe that ends one segment starts the next, and the prompt is the branch's for every
segment, so without a cache a 7-segment chain runs the text encoder 7 times and encodes 6 of its
keyframes twice. `EncodingCache` keeps each encoding once per branch:

on a GPU (CUDA/MPS) on the device within a budget, spilled to host memory LRU-first; on a CPU in host
memory (the budget machinery is `device_cache.DeviceTensorCache`'s).

Entries are tuples of tensors (a keyframe's latent plus its hidden states is one entry, so they spill
together). Keys are content hashes (`frame_key`), not step numbers, so a user keyframe that replaces a
generated one is a new entry and never a stale hit.
"""

from __future__ import annotations

import hashlib

import numpy as np

from app.inference.paints_undo.device_cache import CPU_BUDGET, DeviceTensorCache

__all__ = ["CPU_BUDGET", "EncodingCache", "frame_key"]


def frame_key(kind: str, image: np.ndarray) -> str:
    """A key for an encoding of `image` (its shape and bytes), namespaced by `kind`."""
    digest = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16)
    digest.update(repr(image.shape).encode())
    return f"{kind}:{digest.hexdigest()}"


class EncodingCache(DeviceTensorCache):
    """A branch's encodings by key (`frame_key`, or the prompt's hash), kept as the module says."""
