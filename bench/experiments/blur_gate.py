"""Experiment (recorded in bench/results/show_through.md, not shipped): ``--remove-show-through``
with a blur gate. Ink that shows through from the other side has crossed the paper, so its edges
are softer than the front's writing. Of the lighter layer (``docclean.postprocess.ink_layers``, the
split ``--remove-show-through`` uses), a mark turns to paper only when its edge sharpness on the
input page (the median gradient magnitude on its rim, lightly smoothed, over its contrast with the
local paper) is under ``r``
times the dark layer's median; the rest of the light layer stays. Scored for several ``r`` on the
historical pages of real-scans/dibco-extra (validation only) and the synthetic pages of
bench/binarize_synthetic.py (seed 3000, black targets).

    python bench/experiments/blur_gate.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import model_and_size, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.inkloss import median_paper  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import adaptive_ink, ink_layers  # noqa: E402


RATIOS = (0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0)


def sharpness(noisy: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Per mark: the median gradient magnitude on its rim over its contrast with the local paper."""
    g = cv2.GaussianBlur(noisy, (0, 0), 0.7)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8
    mag = np.sqrt(gx * gx + gy * gy)
    m = labels > 0
    box = np.ones((3, 3), np.uint8)
    ring = cv2.dilate(m.astype(np.uint8), box).astype(bool) & ~cv2.erode(m.astype(np.uint8), box).astype(bool)
    near = cv2.dilate(labels.astype(np.float32), box).astype(np.int32)  # rim pixels take a neighbour's label
    idx, val = near[ring], mag[ring]
    order = np.argsort(idx, kind="stable")
    idx, val = idx[order], val[order]
    starts = np.searchsorted(idx, np.arange(count))
    ends = np.searchsorted(idx, np.arange(count), side="right")
    med = np.zeros(count, np.float32)
    for k in range(1, count):
        if ends[k] > starts[k]:
            med[k] = np.median(val[starts[k]:ends[k]])
    lo = np.ones(count, np.float32)
    np.minimum.at(lo, labels[m], g[m])
    paper = np.zeros(count, np.float32)
    np.maximum.at(paper, labels[m], median_paper(noisy)[m])
    return med / np.maximum(paper - lo, 1e-3)


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), n)
        print(f"model {model}; r: a light mark goes when its edges are under r times as sharp as the dark layer's\n")
        print(table_head("rule"))
        score(den, sets)


def score(den: Denoiser, sets: dict[str, list[tuple[Path, Path]]]) -> None:
    """One table row per rule and page set."""
    for title, pairs in sets.items():
        rules = ["--binarize", "--remove-show-through", *(f"light and blurry, r = {r}" for r in RATIOS)]
        rows: dict[str, list[tuple]] = {k: [] for k in rules}
        for noisy_path, clean_path in pairs:
            noisy, gt = read_gray(noisy_path), read_gray(clean_path) < 0.5
            cleaned = den.clean(noisy)
            ink = adaptive_ink(cleaned)
            outputs = dict.fromkeys(rules, ink)
            layers = ink_layers(cleaned, ink)
            if layers is not None:
                labels, light = layers
                outputs["--remove-show-through"] = ink & ~light[labels]
                s = sharpness(noisy, labels, light.size)
                dark = ~light
                dark[0] = False
                ref = np.median(s[dark])
                for r in RATIOS:
                    outputs[f"light and blurry, r = {r}"] = ink & ~(light & (s < r * ref))[labels]
            for k, ink_out in outputs.items():
                rows[k].append(page_scores(ink_out, gt))
        for k, v in rows.items():
            print(f"| {title} | {k} | {row(v)}", flush=True)


if __name__ == "__main__":
    main()
