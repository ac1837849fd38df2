"""Shared types of the parity runner: a loaded fixture case and one compared output.

Handlers (one per component) take a `ParityCase` and return `ParityResult`s. They are registered in
`HANDLERS` dicts of the `handlers_*` modules, keyed by the case JSON's `component` field, or by the case
name prefix for cases without one (`text_encoder`, `vae_roundtrip`, `wd14`, `app_preprocess`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ParityCase:
    name: str  # file stem, e.g. "sf_unet_forward"
    folder: Path
    meta: dict[str, Any]  # the parsed JSON
    _tensors: dict[str, Any] | None = field(default=None, repr=False)

    @staticmethod
    def load(json_path: Path) -> ParityCase:
        return ParityCase(
            name=json_path.stem, folder=json_path.parent, meta=json.loads(json_path.read_text())
        )

    @property
    def component(self) -> str | None:
        return self.meta.get("component")

    @property
    def config(self) -> dict[str, Any]:
        cfg = self.meta.get("config") or {}
        return json.loads(cfg) if isinstance(cfg, str) else dict(cfg)

    def tensors(self) -> dict[str, Any]:
        """All tensors of `<name>.safetensors` (torch tensors, weights upcast by the handler)."""
        if self._tensors is None:
            from safetensors.torch import load_file

            self._tensors = load_file(str(self.folder / f"{self.name}.safetensors"))
        return self._tensors

    def weights(self, prefix: str = "weights.") -> dict[str, Any]:
        """The loadable state dict: `weights.<key>` with the prefix stripped, as float32."""
        out = {}
        for key, value in self.tensors().items():
            if key.startswith(prefix):
                out[key[len(prefix) :]] = value.float() if value.is_floating_point() else value
        return out


@dataclass(frozen=True)
class ParityResult:
    case: str
    output: str  # e.g. "output.eps"
    max_abs_err: float
    tolerance: float  # absolute tolerance used
    passed: bool
    note: str = ""  # e.g. "not implemented", "exact string match"


ParityHandler = Callable[[ParityCase], list[ParityResult]]


def relative_tolerance(reference_max_abs: float, rel: float) -> float:
    """README guidance: ~1e-5 x max|value| for single forwards, ~1e-4 for sampler chains / CLIP-vision."""
    return max(rel * reference_max_abs, 1e-7)
