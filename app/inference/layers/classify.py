"""What each layer of a layered artwork is: sketch, line art, base colour, shadow, highlight, background,
effect or text. By name first (English, Chinese, Japanese and the defaults of common apps), then by the
group it is in, then, when the names say nothing ("Layer 1", "图层 1"), by its blend mode and content:
thin dark marks are lines, thin faint ones sketch, a layer covering the canvas at the bottom background.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from app.core.layers import Layer

SKETCH, LINES, BASE, SHADOW, HIGHLIGHT, BACKGROUND, EFFECT, TEXT = (
    "sketch",
    "lines",
    "base",
    "shadow",
    "highlight",
    "background",
    "effect",
    "text",
)
CLASSES = (SKETCH, LINES, BASE, SHADOW, HIGHLIGHT, BACKGROUND, EFFECT, TEXT)

# Checked in this order: "lineart" before "line"s of other words, "highlight" before "light".
_NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (SKETCH, ("sketch", "rough", "draft", "草稿", "草图", "ラフ", "下書き", "したがき", "アタリ")),
    (
        LINES,
        ("lineart", "line art", "line", "ink", "outline", "线稿", "線画", "线条", "描线", "ペン入れ", "主線"),
    ),
    (HIGHLIGHT, ("highlight", "hilight", "light", "gloss", "高光", "亮部", "ハイライト", "光")),
    (SHADOW, ("shadow", "shade", "shading", "阴影", "暗部", "影", "かげ", "陰")),
    (BACKGROUND, ("background", "backdrop", "bg", "背景", "はいけい")),
    (EFFECT, ("effect", "fx", "glow", "filter", "特效", "效果", "エフェクト", "効果", "加工")),
    (TEXT, ("text", "title", "caption", "文字", "テキスト", "台词", "セリフ")),
    (
        BASE,
        (
            "base",
            "flat",
            "fill",
            "colour",
            "color",
            "底色",
            "平涂",
            "上色",
            "固有色",
            "下塗り",
            "ベタ",
            "塗り",
        ),
    ),
)
_WORD = re.compile(r"[a-z]+")


def class_from_name(name: str) -> str | None:
    """The class a layer or group name says, or None ("Layer 1", "图层 1", "レイヤー 1" say nothing)."""
    low = name.lower()
    words = set(_WORD.findall(low))
    for cls, keys in _NAME_RULES:
        for key in keys:
            if key.isascii() and " " not in key:
                # Latin keys match whole words, plurals or (4+ letters) word starts ("lines", "shading"),
                # not inner letters ("bg" must not match "ebgx", "ink" not "pink").
                if any(w in (key, key + "s") or (len(key) >= 4 and w.startswith(key)) for w in words):
                    return cls
            elif key in low:
                return cls
    return None


@dataclass(frozen=True)
class Content:
    """What a layer's pixels look like, at the working size."""

    coverage: float  # painted pixels / canvas pixels
    thin: float  # share of painted pixels on a stroke's edge (1: hairlines, 0: solid areas)
    luminance: float  # mean of the painted pixels, 0..1
    saturation: float
    alpha: float  # mean alpha of the painted pixels


def measure(layer: Layer, canvas_pixels: int) -> Content:
    """Coverage at full size; the rest on a regular sample of at most 512 pixels a side (enough to tell
    strokes from fills; sampling, unlike area resizing, keeps hairlines thin)."""
    full_alpha = layer.pixels[..., 3]
    coverage = float((full_alpha > 16).sum()) / max(canvas_pixels, 1)
    pixels = layer.pixels
    step = max(1, -(-max(pixels.shape[:2]) // 512))
    if step > 1:
        pixels = pixels[::step, ::step]  # nearest sampling keeps hairlines one pixel wide
    alpha = pixels[..., 3]
    painted = alpha > 16
    count = int(painted.sum())
    if count == 0:
        return Content(0.0, 0.0, 1.0, 0.0, 0.0)
    eroded = cv2.erode(painted.astype(np.uint8), np.ones((3, 3), np.uint8))
    thin = 1.0 - float(eroded.sum()) / count
    rgb = pixels[..., :3][painted].astype(np.float32) / 255.0
    lum = float((rgb @ np.array([0.3, 0.59, 0.11], np.float32)).mean())
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    # max/min of three columns elementwise: numpy's reduce along a short axis took most of `measure`
    sat = float((np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)).mean())
    return Content(coverage, thin, lum, sat, float(alpha[painted].mean()) / 255.0)


def class_from_content(layer: Layer, content: Content, is_bottom: bool) -> str:
    """The class the blend mode and pixels suggest (names said nothing)."""
    if is_bottom and content.coverage > 0.85:
        return BACKGROUND
    if content.thin > 0.55 and content.coverage < 0.35:
        if content.luminance < 0.45 and content.alpha > 0.5:
            return LINES
        if content.saturation < 0.2:
            return SKETCH
    if layer.blend in ("multiply", "color_burn", "darken"):
        return SHADOW
    if layer.blend in ("screen", "linear_dodge", "color_dodge", "lighten"):
        return HIGHLIGHT
    if layer.blend in ("overlay", "soft_light", "hard_light", "hue", "saturation", "color", "luminosity"):
        return EFFECT
    if content.coverage > 0.85:
        return BACKGROUND
    return BASE


def classify(layer: Layer, group_names: tuple[str, ...], canvas_pixels: int, is_bottom: bool) -> str:
    """Name, then the innermost group whose name says something, then content."""
    by_name = class_from_name(layer.name) or layer_kind_class(layer)
    if by_name is not None:
        return by_name
    for group in reversed(group_names):
        by_group = class_from_name(group)
        if by_group is not None:
            return by_group
    return class_from_content(layer, measure(layer, canvas_pixels), is_bottom)


def layer_kind_class(layer: Layer) -> str | None:
    return TEXT if layer.kind == "text" else None
