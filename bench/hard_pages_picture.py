"""A picture of three kinds of page the engine prepares before the network (``docclean.levels``):
a dithered 1-bit scan, a negative, and a receipt of faded print on a dark scanner lid. Each row:
the page as given (left), docclean's output (right); crops at 100%. Synthetic pages (one degraded page, seed 1).
The negative detector misses about one negative in twelve (bench/results/negatives.md): with seed 0 this
page, inverted, is still one of them (its stains turn into light blotches that join up).

    python bench/hard_pages_picture.py [--out bench/results/hard_pages.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from docclean.engine import Denoiser  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/hard_pages.png")
    a = p.parse_args()
    den = Denoiser.load("default")
    text = render_page(1400, 900, dpi=200, font_pt=10)
    scan = degrade(text, np.random.default_rng(1), jpeg=False)
    dithered = np.asarray(Image.fromarray((scan * 255).astype(np.uint8)).convert("1"), np.float32)
    negative = 1 - scan
    lid = np.full((900, 2000), 0.15, np.float32)
    lid[:, 300:1700] = 1 - (1 - scan) * 0.45  # faded print
    rows = []
    for page, (y, x) in ((dithered, (150, 150)), (negative, (150, 150)), (lid, (150, 450))):
        out = den.clean(page)
        crop = (slice(y, y + 220), slice(x, x + 560))
        rows.append(np.concatenate([page[crop], np.ones((220, 10), np.float32), out[crop]], axis=1))
        rows.append(np.ones((10, rows[-1].shape[1]), np.float32))
    picture = np.concatenate(rows[:-1], axis=0)
    Image.fromarray((np.clip(picture, 0, 1) * 255).round().astype(np.uint8)).save(a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
