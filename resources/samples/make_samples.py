"""Draws the bundled sample artworks (our own work, drawn entirely by this script).

Run `python resources/samples/make_samples.py` to regenerate `cat_window.png` (1024x1024),
`lighthouse.png` (960x1280) and `portrait.png` (768x1024). They imitate a finished digital illustration on purpose: dark line art,
flat colour regions, soft shading and highlights and small details, because those are exactly the
cues the procedural engine analyses. `landscape.png` (1024x768) is the other kind: a painterly
landscape without line art, which the engine paints in its painterly way. Deterministic (fixed seeds);
Pillow + numpy only.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scene_cat import draw_cat_window  # noqa: E402
from scene_landscape import draw_landscape  # noqa: E402
from scene_lighthouse import draw_lighthouse  # noqa: E402
from scene_portrait import draw_portrait  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent


def main() -> None:
    draw_cat_window().result().save(OUT_DIR / "cat_window.png", optimize=True)
    draw_lighthouse().result().save(OUT_DIR / "lighthouse.png", optimize=True)
    draw_portrait().result().save(OUT_DIR / "portrait.png", optimize=True)
    draw_landscape().save(OUT_DIR / "landscape.png", optimize=True)


if __name__ == "__main__":
    main()
