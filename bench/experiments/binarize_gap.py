"""Experiment (recorded in bench/results/binarize_gap.md): where the default ``--binarize`` loses
to raw-page Sauvola on the historical pages of real-scans/dibco-extra (validation only, never
tuned on), split by distance.

* Ink missed, as a share of the ground truth's ink: within 1.5 px of the output's own ink (the
  stroke drawn thinner than the ground truth draws it) or farther (the stroke, or its part, gone).
* False ink, as a share of the ground truth's ink: within 1.5 px of ground-truth ink (a stroke
  drawn bolder), 1.5-3.5 px, or farther (marks that are no ink in the ground truth: bleed-through,
  show-through, stains).
* Per page under 80% of its ink kept: the share of its missed pixels at a stroke's edge (within
  1.5 px of the ground truth's paper).

    python bench/experiments/binarize_gap.py [--model default]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import DIBCO, experiment_parser  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import binary_scores  # noqa: E402
from docclean.postprocess import binarize, sauvola_threshold  # noqa: E402


def distance_to(mask: np.ndarray) -> np.ndarray:
    """Per pixel, the distance to the nearest pixel of ``mask``."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)


def split(ink: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(missed near, missed far, false near, false 1.5-3.5, false far, F-measure) of one page; the
    first five as pixel counts."""
    to_truth, to_ink = distance_to(truth), distance_to(ink)
    missed, false = truth & ~ink, ink & ~truth
    return np.array([(missed & (to_ink <= 1.5)).sum(), (missed & (to_ink > 1.5)).sum(),
                     (false & (to_truth <= 1.5)).sum(), (false & (to_truth > 1.5) & (to_truth <= 3.5)).sum(),
                     (false & (to_truth > 3.5)).sum(), binary_scores(ink, truth)[0]], dtype=np.float64)


def main() -> None:
    den = Denoiser.load(experiment_parser(__doc__).parse_args().model)
    names = sorted(p.name for p in (DIBCO / "noisy").iterdir())
    totals = {"raw page, Sauvola": np.zeros(6), "docclean --binarize": np.zeros(6)}
    thin = []
    ink_pixels = 0
    for name in names:
        noisy = read_gray(DIBCO / "noisy" / name)
        truth = read_gray(DIBCO / "clean" / name) < 0.5
        ink = ~binarize(den.clean(noisy))
        ink_pixels += int(truth.sum())
        totals["raw page, Sauvola"] += split(noisy < sauvola_threshold(noisy), truth)
        totals["docclean --binarize"] += split(ink, truth)
        kept = float(ink[truth].mean())
        if kept < 0.8:
            missed = truth & ~ink
            at_edge = missed & (cv2.distanceTransform(truth.astype(np.uint8), cv2.DIST_L2, 3) <= 1.5)
            thin.append((name, kept, at_edge.sum() / max(1, missed.sum())))
    print(f"dibco-extra, {len(names)} pages; shares of the ground truth's ink pixels (all pages together)\n")
    print("| method | F-measure (mean page) | missed, near its own ink | missed, far | false, within 1.5 px "
          "| false, 1.5-3.5 px | false, farther |")
    print("|---|---|---|---|---|---|---|")
    for method, t in totals.items():
        shares = t[:5] / ink_pixels
        print(f"| {method} | {t[5] / len(names):.2f} | " + " | ".join(f"{s:.1%}" for s in shares) + " |")
    print("\npages keeping under 80% of their ink with --binarize: share of their missed pixels at a stroke's edge\n")
    print("| page | ink kept | missed at the edge |\n|---|---|---|")
    for name, kept, edge in sorted(thin, key=lambda r: r[1]):
        print(f"| {name} | {kept:.3f} | {edge:.0%} |")


if __name__ == "__main__":
    main()
