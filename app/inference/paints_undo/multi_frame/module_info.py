"""Where a model's weights live and in what dtype: what pipelines cast their inputs to."""

from __future__ import annotations

import torch


class DeviceDtypeMixin:
    """`device` and `dtype` of a module's first parameter (all of ours are uniform after loading)."""

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device  # type: ignore[attr-defined]

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype  # type: ignore[attr-defined]
