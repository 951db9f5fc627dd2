"""Experiment behind ``docclean.levels.soften_bilevel``: 1-bit pages (fax, bilevel TIFF archives, a
scanner's black-and-white mode) cleaned as they are and after a Gaussian blur of several sigmas.
Synthetic text pages (``docclean.synth.render_page``, 8 pages from 150 to 600 dpi) made 1-bit four
ways: the clean page thresholded (``solid``); the same with 1% black and 0.5% white specks; a
degraded scan (``docclean.synth.degrade``: stains, shadow, crease, noise, blur, JPEG) thresholded
at 0.5; and the degraded scan Floyd-Steinberg dithered (Pillow). Scored against the clean page:
RMSE of the grey output, and of ``--binarize`` F-measure, recall and strokes lost
(``docclean.metrics.strokes_lost``).

    python bench/experiments/bilevel.py [--model default]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import docclean.engine as engine  # noqa: E402
import docclean.levels as levels  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.metrics import binary_scores, rmse, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402
from docclean.synth.damage import salt_and_pepper  # noqa: E402

PAGES = ((150, 10), (200, 9), (300, 11), (300, 8), (400, 10), (600, 9), (200, 12), (300, 7))  # (dpi, pt)
SIGMAS = (None, 0.7, 1.0, 1.5)  # None: no blur


def dither(page: np.ndarray) -> np.ndarray:
    """Floyd-Steinberg 1-bit version of a grey page (Pillow's default conversion to mode "1")."""
    u8 = Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8))
    return np.asarray(u8.convert("1"), np.float32)


KINDS = {
    "solid": lambda c, r: (c >= 0.5).astype(np.float32),
    "solid + specks": lambda c, r: (salt_and_pepper(c, r, 0.01) >= 0.5).astype(np.float32),
    "scan, thresholded": lambda c, r: (degrade(c, r) >= 0.5).astype(np.float32),
    "scan, dithered": lambda c, r: dither(degrade(c, r)),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    a = p.parse_args()
    den = Denoiser.load(a.model)
    shipped = engine.soften_bilevel
    print(f"model {a.model}; {len(PAGES)} pages per kind\n")
    print("| 1-bit page | blur sigma | RMSE | F-measure | recall | strokes lost | worst page |")
    print("|---|---|---|---|---|---|---|")
    for kind, make in KINDS.items():
        rows: dict[float | None, list[tuple]] = {s: [] for s in SIGMAS}
        for seed, (dpi, pt) in enumerate(PAGES):
            clean = render_page(int(8.27 * dpi / 2), int(11.69 * dpi * 0.4), dpi=dpi, font_pt=pt)
            noisy, truth = make(clean, np.random.default_rng(seed)), clean < 0.5
            for sigma in SIGMAS:
                engine.soften_bilevel = shipped if sigma else (lambda page: page)
                levels.BILEVEL_SIGMA = sigma or levels.BILEVEL_SIGMA
                out = den.clean(noisy)
                ink = ~binarize(out)
                f, _, _, recall = binary_scores(ink, truth)
                rows[sigma].append((rmse(out, clean), f, recall, *strokes_lost(ink, truth)))
        for sigma, vals in rows.items():
            v = np.array(vals)
            lost, worst = strokes_lost_share(v[:, 3:5])
            print(f"| {kind} | {sigma or 'none'} | {v[:, 0].mean():.4f} | {v[:, 1].mean():.2f} | "
                  f"{v[:, 2].mean():.3f} | {lost:.2%} | {worst:.1%} |", flush=True)


if __name__ == "__main__":
    main()
