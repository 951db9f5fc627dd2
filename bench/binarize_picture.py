"""A picture of ``--binarize`` against ``--binarize --keep-faint`` on a synthetic page with faint ink
(never a real scan): the noisy page, the cleaned page, both 1-bit pages and the truth (every stroke
black), side by side at 100% zoom.

The pages are ``bench/binarize_synthetic.py``'s (``docclean.synth`` pairs, seed 3000); the picture
shows the page (of those at 200 dpi or more), and the square of it, where the two rules differ most (an illustration chosen for
the difference, not a typical page: the tables in ``bench/results/binarize_synthetic.md`` are).

    python bench/binarize_picture.py [--pages-dir runs/synth_bin] [--out bench/results/binarize_keep_faint.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.synth.pairs import PairKind, pair_specs, write_pairs  # noqa: E402

SIDE = 256
#: Pages below this resolution are skipped: their letters are too small to see in the picture.
MIN_DPI = 200


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=56)
    p.add_argument("--seed", type=int, default=3000)
    p.add_argument("--pages-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results/binarize_keep_faint.png")
    a = p.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    den = Denoiser.load("default")
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.pages_dir or Path(tmp)
        best = None
        write_pairs(folder, a.n, seed=a.seed, kind=PairKind(graded=False), workers=2)
        for spec in pair_specs(a.n, seed=a.seed, kind=PairKind(graded=False)):
            if spec.dpi < MIN_DPI:
                continue
            name = spec.name
            noisy, truth = read_gray(folder / "noisy" / name), read_gray(folder / "clean" / name) < 0.5
            cleaned = den.clean(noisy)
            plain, faint = binarize(cleaned), binarize(cleaned, keep_faint=True)
            # Where keep-faint recovers true ink that the plain rule lost, summed over a square.
            gained = cv2.boxFilter((truth & plain & ~faint).astype(np.float32), -1, (SIDE, SIDE), normalize=False,
                                   anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            h, w = noisy.shape
            gained = gained[: h - SIDE + 1, : w - SIDE + 1]
            y, x = np.unravel_index(int(np.argmax(gained)), gained.shape)
            if best is None or gained[y, x] > best[0]:
                best = (gained[y, x], name, [noisy, cleaned, plain, faint, ~truth], y, x)
    assert best is not None
    _, name, panels, y, x = best
    titles = ["noisy (synthetic)", "cleaned", "--binarize", "--binarize --keep-faint", "truth: every stroke"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 4.4), dpi=100)
    for ax, img, title in zip(axes, panels, titles):
        ax.imshow(np.asarray(img, np.float32)[y:y + SIDE, x:x + SIDE], cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.text(0.5, 0.01, f"synthetic page {name}, {SIDE} x {SIDE} pixels at ({x}, {y}); model: default",
             ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.out)
    print(f"{a.out}: {name} at ({x}, {y})")


if __name__ == "__main__":
    main()
