"""Do the components of one model fit each other? Checked from safetensors headers only.

Why: each component folder is checked against its own config and manifest, so a part that is whole
but belongs to another model passes: a CLIP-L text encoder (768 wide) in the multi-frame
`text_encoder/` folder where the SD2.1 one (1024 wide) belongs, an image projection whose output is
not the UNet's context width, a VAE with another latent size. Each such part loads, and the failure
comes minutes later as a raw torch shape error deep inside sampling (or, for the multi-frame model,
whose manifests are inferred, only as a warning). The widths that connect the parts are in the
weights' key shapes (the same reading `multi_frame/loading.py` uses to derive configs), so the
check needs no tensor data and works for tiny test models and full-size ones alike.

Which side is "likely wrong": the side whose width differs from the published model's (read from
the shipped manifests with the same functions) when only one side differs; otherwise the part that
feeds the other (the UNet defines the model; encoders and VAEs are the parts people mix up). When
the suspect's width is what the other Paints-UNDO model's UNet takes, the folders were probably
swapped, and the message says so.

Public API:
- `part_mismatches(part_folder, part, known=None) -> list[Mismatch]` (`part`: "single_frame" |
  "multi_frame"; `known`: key shapes already read, by component folder, e.g. by the models report).
- `check_part(part_folder, part)`: raises `WeightsError` listing every mismatch (before loading).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.errors import WeightsError
from app.inference.paints_undo import safetensors_files, weights

Shapes = Mapping[str, tuple[int, ...]]
PART_FOLDERS = {"single_frame": "paints_undo_single_frame", "multi_frame": "paints_undo_multi_frame"}
_REPOS = {
    "single_frame": "lllyasviel/paints_undo_single_frame",
    "multi_frame": "lllyasviel/paints_undo_multi_frame",
}
_LABELS = {"single_frame": "single-frame", "multi_frame": "multi-frame"}


# ------------------------------------------------------------------------------- widths from shapes
def _dim(shapes: Shapes, keys: tuple[str, ...], axis: int) -> int | None:
    for key in keys:
        shape = shapes.get(key)
        if shape is not None and len(shape) > axis:
            return int(shape[axis])
    return None


def _single(values: set[int]) -> int | None:
    """The one width all matching layers agree on; None when there is none or they disagree (a
    model that is inconsistent in itself is the strict load's business, not this check's)."""
    return next(iter(values)) if len(values) == 1 else None


def text_encoder_width(shapes: Shapes) -> int | None:
    """The hidden width of a CLIP text encoder's `last_hidden_state` (transformers 4 or 5 names)."""
    keys = ("final_layer_norm.weight", "embeddings.token_embedding.weight")
    for prefix in ("text_model.", ""):
        width = _dim(shapes, (prefix + keys[0],), 0) or _dim(shapes, (prefix + keys[1],), 1)
        if width:
            return width
    return None


def unet_text_context_width(shapes: Shapes) -> int | None:
    """The input width of the UNet's text cross-attention (`attn2.to_k`). In the multi-frame UNet the
    temporal transformers also have an `attn2` (self-attention), so only the blocks that also take the
    image context (`attn2.to_k_ip`) count there."""
    ip_blocks = {k[: -len("to_k_ip.weight")] for k in shapes if k.endswith("attn2.to_k_ip.weight")}
    to_k = [k for k in shapes if k.endswith("attn2.to_k.weight")]
    if ip_blocks:
        to_k = [k for k in to_k if k[: -len("to_k.weight")] in ip_blocks]
    return _single({int(shapes[k][1]) for k in to_k if len(shapes[k]) == 2})


def unet_image_context_width(shapes: Shapes) -> int | None:
    """The input width of the multi-frame UNet's image cross-attention (`attn2.to_k_ip`)."""
    return _single(
        {int(v[1]) for k, v in shapes.items() if k.endswith("attn2.to_k_ip.weight") and len(v) == 2}
    )


def unet_input_channels(shapes: Shapes) -> int | None:
    return _dim(shapes, ("conv_in.weight", "input_blocks.0.0.weight"), 1)


def vae_latent_channels(shapes: Shapes) -> int | None:
    """The channels of the latent the samplers work in (`post_quant_conv` input, else the decoder's)."""
    return _dim(shapes, ("post_quant_conv.weight",), 1) or _dim(shapes, ("decoder.conv_in.weight",), 1)


def projection_output_width(shapes: Shapes) -> int | None:
    return _dim(shapes, ("proj_out.weight",), 0)


def projection_input_width(shapes: Shapes) -> int | None:
    return _dim(shapes, ("proj_in.weight",), 1) or _dim(shapes, ("input_pos",), 3)


def image_encoder_width(shapes: Shapes) -> int | None:
    """The hidden size of the CLIP vision tower (its `last_hidden_state` is what the projection takes)."""
    return _dim(shapes, ("vision_model.embeddings.patch_embedding.weight",), 0) or _dim(
        shapes, ("vision_model.post_layernorm.weight",), 0
    )


# ------------------------------------------------------------------------------------------- links
@dataclass(frozen=True)
class Link:
    """`target` takes what `source` produces: `target_width == factor * source_width`."""

    source: str  # component sub-folder, e.g. "text_encoder"
    target: str
    source_width: Callable[[Shapes], int | None]
    target_width: Callable[[Shapes], int | None]
    source_what: str
    target_what: str
    factor: int = 1


_TEXT = Link(
    "text_encoder", "unet", text_encoder_width, unet_text_context_width,
    "hidden width", "cross-attention (attn2.to_k) input width",
)  # fmt: skip
# The UNet's input is the noisy latent and the artwork's VAE latent, concatenated: 2 x latent channels.
_LATENT = Link(
    "vae", "unet", vae_latent_channels, unet_input_channels,
    "latent channels", "input channels (noisy latent + artwork latent, 2 x the VAE's)", factor=2,
)  # fmt: skip
LINKS: dict[str, tuple[Link, ...]] = {
    "single_frame": (_TEXT, _LATENT),
    "multi_frame": (
        _TEXT,
        Link("image_projection", "unet", projection_output_width, unet_image_context_width,
             "output width", "image cross-attention (attn2.to_k_ip) input width"),
        Link("image_encoder", "image_projection", image_encoder_width, projection_input_width,
             "hidden size", "input width"),
        _LATENT,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Mismatch:
    """Two connected components of one model that do not fit; `suspect` is the likely wrong one."""

    part: str
    source: Path  # component folders
    target: Path
    suspect: str  # "source" or "target"
    message: str
    hint: str

    @property
    def suspect_folder(self) -> Path:
        return self.source if self.suspect == "source" else self.target

    @property
    def suspect_component(self) -> str:
        """The layout component name of the suspect, e.g. "multi_frame_text_encoder"."""
        return f"{self.part}_{self.suspect_folder.name}"

    def error(self) -> WeightsError:
        return WeightsError(self.message, self.hint)


def _folder_shapes(folder: Path) -> Shapes | None:
    """The key shapes of a component folder, or None when it is absent or unreadable (those problems
    are reported, precisely, by the models report and the loaders themselves)."""
    try:
        return safetensors_files.read_shapes(folder) if folder.is_dir() else None
    except (WeightsError, OSError):
        return None


def _reference(part: str, sub: str) -> Shapes:
    """The published model's key shapes (shipped manifests), to tell which side is the odd one."""
    required, optional = weights.manifest_shapes(f"{part}_{sub}")
    return {**required, **optional}


def _other_part_expects(
    part_folder: Path, part: str, link: Link, shapes_of: Callable[[Path], Shapes | None]
) -> tuple[str, int | None]:
    """(other part, the width its `link.target` takes): read from the sibling folder when it is
    there, else from the published model's manifest."""
    other = next(p for p in PART_FOLDERS if p != part)
    shapes = shapes_of(part_folder.parent / PART_FOLDERS[other] / link.target)
    width = link.target_width(shapes) if shapes is not None else None
    if width is None and any(link.source == x.source for x in LINKS[other]):
        width = link.target_width(_reference(other, link.target))
    return other, width


def _mismatch(
    part_folder: Path, part: str, link: Link, src: int, tgt: int, shapes_of: Callable[[Path], Shapes | None]
) -> Mismatch:
    source, target = part_folder / link.source, part_folder / link.target
    ref_src = link.source_width(_reference(part, link.source))
    ref_tgt = link.target_width(_reference(part, link.target))
    suspect = "target" if src == ref_src and tgt != ref_tgt else "source"
    wrong, name = (source, link.source) if suspect == "source" else (target, link.target)
    expected = f", expected {link.factor} x {src} = {link.factor * src}" if link.factor != 1 else ""
    why = ""
    if suspect == "source":
        other, takes = _other_part_expects(part_folder, part, link, shapes_of)
        if takes is not None and takes == link.factor * src:
            why = (
                f" ({src} is what the {_LABELS[other]} model's {link.target} takes: it looks like the "
                f"{_LABELS[other]} {link.source.replace('_', ' ')}; the two {link.source}/ folders may be swapped)"
            )
    message = (
        f"{source} ({link.source_what} {src}) does not fit {target} ({link.target_what} {tgt}{expected}): "
        f"the {name.replace('_', ' ')} in {wrong} is likely the wrong one{why}."
    )
    hint = (
        f"Download the '{name}/' folder of https://huggingface.co/{_REPOS[part]} into {wrong} "
        "(see `undo-studio models`); every folder of a model must come from the same release."
    )
    return Mismatch(part, source, target, suspect, message, hint)


def part_mismatches(
    part_folder: str | Path, part: str, known: Mapping[Path, Shapes] | None = None
) -> list[Mismatch]:
    """Every connection of `part` whose two components are present, readable and do not fit.

    Reads safetensors headers only, each folder's once, and none of a folder in `known` (the key
    shapes a caller already read, by component folder: the models report has read every header by
    then). Pairs where a side is missing, unreadable or its width cannot be read from its keys are
    skipped: those are reported by the per-component checks.
    """
    part_folder = Path(part_folder)
    cache: dict[Path, Shapes | None] = dict(known or {})

    def shapes_of(folder: Path) -> Shapes | None:
        if folder not in cache:
            cache[folder] = _folder_shapes(folder)
        return cache[folder]

    out = []
    for link in LINKS[part]:
        source, target = shapes_of(part_folder / link.source), shapes_of(part_folder / link.target)
        if source is None or target is None:
            continue
        src, tgt = link.source_width(source), link.target_width(target)
        if src is not None and tgt is not None and tgt != link.factor * src:
            out.append(_mismatch(part_folder, part, link, src, tgt, shapes_of))
    return out


def check_part(part_folder: str | Path, part: str) -> None:
    """Raise `WeightsError` before loading when components of the model do not fit each other.

    Why before loading: a mismatch otherwise surfaces as a raw shape error in the middle of sampling,
    after minutes of loading and denoising. Every mismatch is listed, one sentence each.
    """
    found = part_mismatches(part_folder, part)
    if found:
        message = " ".join(m.message for m in found)
        hint = " ".join(dict.fromkeys(m.hint for m in found))
        raise WeightsError(message, hint)
