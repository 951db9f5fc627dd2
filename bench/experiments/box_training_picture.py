"""A picture for bench/results/box_training.md: the form of ``bench/form_boxes.py`` at 150 dpi
(pencil 0.70, fields 1-2), as scanned and as each model cleans it, the network alone and with the
engine's step for writing between rules (``keep_box_writing``).

    python bench/experiments/box_training_picture.py OUT.png MODEL [MODEL ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.form_boxes import form, without_ruled_step  # noqa: E402
from docclean import Denoiser  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("models", nargs="+", help="model names or weights files, each a pair of rows")
    a = p.parse_args()
    scan, _, _ = form(150, 0.70, 7)
    part = (slice(int(scan.shape[0] * 0.015), int(scan.shape[0] * 0.17)), slice(0, scan.shape[1]))
    rows = [("as scanned", scan[part])]
    for model in a.models:
        den = Denoiser.load(model)
        path = Path(model)
        name = f"{path.parent.name}/{path.stem}" if path.suffix else model
        with without_ruled_step(den):
            rows.append((f"{name}: the network alone", den.clean(scan)[part]))
        rows.append((f"{name}: with the step", den.clean(scan)[part]))
    w = scan.shape[1]
    strips = []
    for label, img in rows:
        head = Image.new("L", (w, 26), 255)
        ImageDraw.Draw(head).text((6, 4), label, fill=0, font=ImageFont.load_default(size=17))
        strips += [np.asarray(head, np.float32) / 255, img, np.full((8, w), 0.75, np.float32)]
    both = np.concatenate(strips)
    Image.fromarray((both.clip(0, 1) * 255).round().astype(np.uint8)).save(a.out, optimize=True)
    print(a.out)


if __name__ == "__main__":
    main()
