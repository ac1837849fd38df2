"""`undo-studio tag` and `models`: thin commands over the Paints-UNDO infrastructure.
Imports are local so `undo-studio render` with the procedural engine never loads the neural stack."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from app.core.artwork import load_artwork
from app.errors import WeightsError
from app.paths import default_models_dir


def _models_dir(args: argparse.Namespace) -> Path:
    return Path(args.models).expanduser() if getattr(args, "models", None) else default_models_dir()


def tag_command(args: argparse.Namespace) -> int:
    from app.inference.paints_undo.layout import WD14_CSV, WD14_ONNX
    from app.inference.paints_undo.tagger import Wd14Tagger

    folder = _models_dir(args) / "wd14"
    onnx_path, csv_path = folder / WD14_ONNX, folder / WD14_CSV
    for path in (onnx_path, csv_path):
        if not path.is_file():
            raise WeightsError(
                f"The WD14 tagger file {path} is missing.",
                "Run `undo-studio models` to see where to get it, or `undo-studio models --download`.",
            )
    artwork = load_artwork(args.image)
    tagger = Wd14Tagger(onnx_path, csv_path)
    print(tagger.tag(np.asarray(artwork.pixels), exclude_tags=args.exclude))
    return 0


def models_command(args: argparse.Namespace) -> int:
    from app.inference.paints_undo.layout import format_models_table, models_report

    models_dir = _models_dir(args)
    if args.download:
        from app.inference.paints_undo.hub import download_missing

        download_missing(models_dir)
    print(f"models folder: {models_dir}")
    print(format_models_table(models_report(models_dir)))
    return 0
