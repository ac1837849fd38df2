"""Load the published `paints_undo_multi_frame/` folder into the multi-frame model's modules.

Layout (as `LatentVideoDiffusionPipeline.save_pretrained` wrote it): `unet/`, `vae/`, `image_projection/`
(huggingface_hub mixin: `config.json` = the constructor kwargs, `model.safetensors`), `image_encoder/`,
`text_encoder/` (transformers: `config.json` + `model.safetensors`) and `tokenizer/`.

Why the weights are also read for the config: the published multi-frame configs could not be checked here
(the reference manifests are inferred) and one UNet flag (learnable image-attention alpha) is uncertain. So
every config value the checkpoint's own keys/shapes determine (channels, depths, widths, which optional parts
exist) is taken from the weights; the rest comes from `config.json` (or, if that is absent, the manifest's
inferred full-size config). Unknown config keys such as `_class_name` are ignored with a note. The modules are
built on the `meta` device (no memory, no random init) and loaded strictly: a key that does not fit raises a
`WeightsError` naming the first missing/unexpected/mis-shaped keys, their shapes and the file.
Safetensors only: pickle checkpoints are refused (by `weights.py`). Not `from_pretrained`, even for the
stock `CLIPTextModel`: configs come partly from the weights (above), the image encoder is our subclass, and
`from_pretrained` loads a checkpoint with missing keys by randomly initialising them (see
`single_frame.checkpoint`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.errors import WeightsError
from app.inference.paints_undo import agreement, layer_counts, safetensors_files, weights

from .clip_vision import ImprovedCLIPVisionModelWithProjection, clip_vision_config
from .resampler import RESAMPLER_CONFIG_KEYS, Resampler
from .vae import VAE_CONFIG_KEYS, VideoAutoencoderKL

COMPONENT_NAMES = ("unet", "vae", "text_encoder", "tokenizer", "image_encoder", "image_projection")
MANIFESTS = {
    "unet": "multi_frame_unet",
    "vae": "multi_frame_vae",
    "text_encoder": "multi_frame_text_encoder",
    "image_encoder": "multi_frame_image_encoder",
    "image_projection": "multi_frame_image_projection",
}
# Rough share of the loading time (weights size) per component, for the progress bar.
_WEIGHT = {"unet": 0.55, "vae": 0.06, "text_encoder": 0.14, "tokenizer": 0.01, "image_encoder": 0.2,
           "image_projection": 0.04}  # fmt: skip
_HINT = "Download paints_undo_multi_frame again (see `undo-studio models`)."


@dataclass
class MultiFrameComponents:
    """The loaded modules (eval mode, no grad) plus what was decided while loading.

    A component not requested (see `load_multi_frame(components=...)`) stays None.
    """

    folder: Path
    unet: torch.nn.Module | None = None
    vae: VideoAutoencoderKL | None = None
    text_encoder: torch.nn.Module | None = None
    tokenizer: Any = None
    image_encoder: ImprovedCLIPVisionModelWithProjection | None = None
    image_projection: Resampler | None = None
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # the constructor configs used
    notes: list[str] = field(default_factory=list)  # ignored keys, values taken from the weights

    def modules(self) -> dict[str, torch.nn.Module]:
        names = ("unet", "vae", "text_encoder", "image_encoder", "image_projection")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


# --------------------------------------------------------------------------------------------- configs
def read_component_config(folder: Path, manifest_name: str | None, notes: list[str]) -> dict[str, Any]:
    """`config.json` of a component folder; the manifest's inferred config when the file is absent."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        if manifest_name is None:
            raise WeightsError(f"Missing model config: {path}.", _HINT)
        notes.append(f"{Path(folder).name}: no config.json, using the reference's inferred full-size config")
        return dict(weights.manifest(manifest_name)["config"])
    return safetensors_files.read_json_object(path, "The file is damaged; download it again.")


def _split_known(
    config: Mapping[str, Any], known: Iterable[str], what: str, notes: list[str]
) -> dict[str, Any]:
    known = set(known)
    ignored = sorted(k for k in config if k not in known)
    if ignored:
        notes.append(f"{what}: ignored config keys {', '.join(ignored)}")
    return {k: v for k, v in config.items() if k in known}


def _need(shapes: Mapping[str, tuple[int, ...]], key: str, what: str, source: str) -> tuple[int, ...]:
    if key not in shapes:
        raise WeightsError(
            f"The {what} weights in {source} lack '{key}' (found keys look like: "
            f"{', '.join(list(shapes)[:3]) or 'none'}).",
            "The file belongs to a different model or is damaged. " + _HINT,
        )
    return shapes[key]


def _indices(shapes: Mapping[str, Any], pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return sorted({int(m.group(1)) for k in shapes if (m := rx.match(k))})


def _override(config: dict[str, Any], key: str, value: Any, what: str, notes: list[str]) -> None:
    if key in config and config[key] != value:
        notes.append(f"{what}: {key}={value!r} from the weights (config said {config[key]!r})")
    config[key] = value


def infer_vae_config(
    shapes: Mapping[str, tuple[int, ...]], base: Mapping[str, Any], notes: list[str], source: str = "vae"
) -> dict[str, Any]:
    """VideoAutoencoderKL kwargs: channel layout from the weights, `resolution`/`dropout`... from `base`."""
    config = _split_known(base, VAE_CONFIG_KEYS, "vae", notes)
    conv_in = _need(shapes, "encoder.conv_in.weight", "VAE", source)
    ch = conv_in[0]
    levels = _indices(shapes, r"encoder\.down\.(\d+)\.")
    blocks = _indices(shapes, r"encoder\.down\.0\.block\.(\d+)\.")
    if not levels or not blocks:
        _need(shapes, "encoder.down.0.block.0.conv1.weight", "VAE", source)
    ch_mult = [
        _need(shapes, f"encoder.down.{i}.block.0.conv1.weight", "VAE", source)[0] // ch for i in levels
    ]
    z_channels = _need(shapes, "decoder.conv_in.weight", "VAE", source)[1]
    enc_out = _need(shapes, "encoder.conv_out.weight", "VAE", source)[0]
    derived = {
        "ch": ch,
        "in_channels": conv_in[1],
        "ch_mult": ch_mult,
        "num_res_blocks": len(blocks),
        "z_channels": z_channels,
        "double_z": enc_out == 2 * z_channels,
        "out_ch": _need(shapes, "decoder.conv_out.weight", "VAE", source)[0],
        "attn_level": [i for i in levels if f"decoder.attn_refinement.{i}.to_q.weight" in shapes],
    }
    for key, value in derived.items():
        _override(config, key, value, "vae", notes)
    return config


def infer_resampler_config(
    shapes: Mapping[str, tuple[int, ...]],
    base: Mapping[str, Any],
    notes: list[str],
    source: str = "image_projection",
) -> dict[str, Any]:
    """Resampler kwargs: widths/depth from the weights; heads, dim_head and num_queries vs video_length
    (only their products are in the weights) from `base`, checked against those products."""
    config = _split_known(base, RESAMPLER_CONFIG_KEYS, "image_projection", notes)
    latents = _need(shapes, "latents", "image projection", source)
    input_pos = _need(shapes, "input_pos", "image projection", source)
    dim = latents[2]
    inner = _need(shapes, "layers.0.0.to_q.weight", "image projection", source)[0]
    ff_inner = _need(shapes, "layers.0.1.1.weight", "image projection", source)[0]
    derived = {
        "dim": dim,
        "depth": len(_indices(shapes, r"layers\.(\d+)\.")),
        "embedding_dim": input_pos[3],
        "input_frames_length": input_pos[1],
        "output_dim": _need(shapes, "proj_out.weight", "image projection", source)[0],
        "ff_mult": ff_inner // dim if ff_inner % dim == 0 else ff_inner / dim,
    }
    for key, value in derived.items():
        _override(config, key, value, "image_projection", notes)
    heads, dim_head = int(config.get("heads", 16)), int(config.get("dim_head", 64))
    if heads * dim_head != inner:
        if inner % dim_head == 0:
            _override(config, "heads", inner // dim_head, "image_projection", notes)
        else:
            raise WeightsError(
                f"The image projection in {source} has attention width {inner}, which does not fit "
                f"heads={heads} x dim_head={dim_head} of its config.",
                "config.json and model.safetensors are from different models. " + _HINT,
            )
    video_length = int(config.get("video_length", 16))
    if latents[1] % video_length:
        raise WeightsError(
            f"The image projection in {source} has {latents[1]} query latents, not a multiple of "
            f"video_length={video_length} of its config.",
            "config.json and model.safetensors are from different models. " + _HINT,
        )
    _override(config, "num_queries", latents[1] // video_length, "image_projection", notes)
    return config


def infer_image_encoder_config(
    shapes: Mapping[str, tuple[int, ...]],
    base: Mapping[str, Any],
    notes: list[str],
    source: str = "image_encoder",
) -> dict[str, Any]:
    """CLIPVisionConfig values from the weights (hidden, layers, MLP, projection, patch, image size)."""
    config = dict(base.get("vision_config") or base)  # a full CLIPConfig keeps the vision part there
    patch = _need(shapes, "vision_model.embeddings.patch_embedding.weight", "image encoder", source)
    positions = _need(shapes, "vision_model.embeddings.position_embedding.weight", "image encoder", source)[0]
    side = round((positions - 1) ** 0.5)
    derived = {
        "hidden_size": patch[0],
        "num_channels": patch[1],
        "patch_size": patch[2],
        "image_size": side * patch[2],
        "num_hidden_layers": len(_indices(shapes, r"vision_model\.encoder\.layers\.(\d+)\.")),
        "intermediate_size": _need(
            shapes, "vision_model.encoder.layers.0.mlp.fc1.weight", "image encoder", source
        )[0],
        "projection_dim": _need(shapes, "visual_projection.weight", "image encoder", source)[0],
    }
    for key, value in derived.items():
        _override(config, key, value, "image_encoder", notes)
    if "num_attention_heads" not in base:
        config["num_attention_heads"] = max(1, derived["hidden_size"] // 80)  # ViT-H/14: 1280 / 80 = 16 heads
        notes.append(
            f"image_encoder: num_attention_heads={config['num_attention_heads']} assumed (head dim 80)"
        )
    return config


# --------------------------------------------------------------------------------------------- modules
def _fix_position_ids(module: torch.nn.Module) -> None:
    """Non-persistent `position_ids` (arange) cannot come from a file; recreate it on meta-built models."""
    for name, buf in list(module.named_buffers()):
        if name.endswith("position_ids") and buf.is_meta:
            owner = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
            ids = torch.arange(buf.shape[-1], dtype=torch.long).expand(tuple(buf.shape)).clone()
            owner.register_buffer("position_ids", ids, persistent=False)


def _build_and_load(
    factory: Callable[[], torch.nn.Module], state_dict: Mapping[str, torch.Tensor], source: str, device: Any
) -> torch.nn.Module:
    module = weights.meta_module(factory)
    weights.load_into(module, state_dict, strict=True, source=source)
    _fix_position_ids(module)
    leftovers = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if leftovers:
        raise WeightsError(f"{source}: tensors left without values: {', '.join(leftovers[:3])}.", _HINT)
    module.to(device)
    return module.eval().requires_grad_(False)


def _state(folder: Path, dtype: torch.dtype | None, device: Any) -> tuple[dict[str, torch.Tensor], str]:
    files = safetensors_files.weight_files(folder)
    source = str(files[0]) if len(files) == 1 else f"{folder} ({len(files)} shards)"
    return weights.load_safetensors(folder, device=device, dtype=dtype), source


def _shapes(state_dict: Mapping[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state_dict.items()}


def load_vae(folder: Path, dtype: torch.dtype | None = torch.float32, device: Any = "cpu",
             notes: list[str] | None = None) -> tuple[VideoAutoencoderKL, dict[str, Any]]:  # fmt: skip
    notes = [] if notes is None else notes
    base = read_component_config(folder, MANIFESTS["vae"], notes)
    sd, source = _state(Path(folder), dtype, device)
    with weights.config_errors(Path(folder) / "config.json", "multi-frame VAE"):
        config = infer_vae_config(_shapes(sd), base, notes, source)
        return _build_and_load(lambda: VideoAutoencoderKL(**config), sd, source, device), config  # type: ignore[return-value]


def load_image_projection(folder: Path, dtype: torch.dtype | None = torch.float32, device: Any = "cpu",
                          notes: list[str] | None = None) -> tuple[Resampler, dict[str, Any]]:  # fmt: skip
    notes = [] if notes is None else notes
    base = read_component_config(folder, MANIFESTS["image_projection"], notes)
    sd, source = _state(Path(folder), dtype, device)
    with weights.config_errors(Path(folder) / "config.json", "image projection (Resampler)"):
        config = infer_resampler_config(_shapes(sd), base, notes, source)
        return _build_and_load(lambda: Resampler(**config), sd, source, device), config  # type: ignore[return-value]


def load_image_encoder(folder: Path, dtype: torch.dtype | None = torch.float32, device: Any = "cpu",
                       notes: list[str] | None = None) -> tuple[ImprovedCLIPVisionModelWithProjection, dict[str, Any]]:  # fmt: skip
    notes = [] if notes is None else notes
    base = read_component_config(folder, MANIFESTS["image_encoder"], notes)
    sd, source = _state(Path(folder), dtype, device)
    with weights.config_errors(Path(folder) / "config.json", "image encoder (CLIP vision)"):
        config = infer_image_encoder_config(_shapes(sd), base, notes, source)
        cfg = clip_vision_config(config)
        cfg._attn_implementation = "sdpa"
        model = _build_and_load(lambda: ImprovedCLIPVisionModelWithProjection(cfg), sd, source, device)
    return model, config  # type: ignore[return-value]


def load_unet(folder: Path, dtype: torch.dtype | None = torch.float32, device: Any = "cpu",
              notes: list[str] | None = None) -> tuple[torch.nn.Module, dict[str, Any]]:  # fmt: skip
    """The multi-frame `UNet3DModel`; `image_cross_attention_scale_learnable` is decided by the
    `attn2.alpha` keys."""
    from . import unet3d
    from .unet3d import UNet3DModel
    from .unet3d_config import infer_unet3d_config

    notes = [] if notes is None else notes
    base = read_component_config(folder, MANIFESTS["unet"], notes)
    params = inspect.signature(UNet3DModel.__init__).parameters
    known = {n for n, p in params.items() if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD}
    # reference kwargs the UNet accepts and ignores (dropout, use_checkpoint ...), minus bookkeeping keys
    known |= {k for k in getattr(unet3d, "_IGNORED_KWARGS", ()) if not k.startswith("_")}
    base = _split_known(base, known, "unet", notes)
    config_path = Path(folder) / "config.json"
    if config_path.is_file():  # the layout comes from it, so an absurd count would hang the build below
        keys = safetensors_files.read_shapes(folder)
        layer_counts.check_layer_counts("multi_frame_unet", base, keys, config_path, "multi-frame UNet")
    sd, source = _state(Path(folder), dtype, device)
    with weights.config_errors(Path(folder) / "config.json", "multi-frame UNet"):
        config = infer_unet3d_config(_shapes(sd), base)
        learnable = bool(config.get("image_cross_attention_scale_learnable"))
        notes.append(f"unet: image_cross_attention_scale_learnable={learnable} (attn2.alpha keys "
                     f"{'present' if learnable else 'absent'} in the weights)")  # fmt: skip
        return _build_and_load(lambda: UNet3DModel(**config), sd, source, device), config


def load_multi_frame(
    folder: str | Path,
    *,
    dtype: torch.dtype | None = torch.float32,
    device: Any = "cpu",
    components: Iterable[str] = COMPONENT_NAMES,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> MultiFrameComponents:
    """Load the requested components of `paints_undo_multi_frame/` (the folder itself is `folder`).

    Floating-point weights are cast to `dtype` while reading. Raises `WeightsError` (missing folder or
    file, pickle checkpoint, keys/shapes that do not fit) and `CancelledError` between components.
    """
    from app.inference.paints_undo.single_frame.text_encoder import load_text_encoder, load_tokenizer

    root = Path(folder)
    wanted = list(components)
    unknown = [c for c in wanted if c not in COMPONENT_NAMES]
    if unknown:
        raise ValueError(f"unknown multi-frame components {unknown}; choose from {COMPONENT_NAMES}")
    if not root.is_dir():
        raise WeightsError(f"The multi-frame model folder '{root}' does not exist.", _HINT)
    # Parts that are whole but from another model load fine one by one and fail only mid-sampling.
    agreement.check_part(root, "multi_frame")
    progress = progress or no_progress
    out = MultiFrameComponents(folder=root)
    total = sum(_WEIGHT[c] for c in wanted) or 1.0
    done = 0.0
    loaders = {"vae": load_vae, "image_encoder": load_image_encoder, "image_projection": load_image_projection,
               "unet": load_unet}  # fmt: skip
    for name in wanted:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(done / total, f"Loading multi-frame {name.replace('_', ' ')}")
        sub = root / name
        if not sub.is_dir():
            raise WeightsError(f"The multi-frame model folder lacks '{name}/' ({sub} does not exist).", _HINT)
        if name == "tokenizer":
            out.tokenizer = load_tokenizer(sub)
        elif name == "text_encoder":
            model = load_text_encoder(sub, dtype=dtype or torch.float32)
            out.text_encoder = model.to(device).eval().requires_grad_(False)
        else:
            module, config = loaders[name](sub, dtype=dtype, device=device, notes=out.notes)
            setattr(out, name, module)
            out.configs[name] = config
        done += _WEIGHT[name]
    progress(1.0, "Multi-frame model loaded")
    return out
