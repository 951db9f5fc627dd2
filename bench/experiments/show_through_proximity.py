"""Experiment (recorded in bench/results/show_through.md, not shipped): ``--remove-show-through``
with a proximity guard. A mark of the lighter layer stays when it lies within ``d`` pixels of the
darker layer's ink (a broken-off piece of a letter, a light stroke inside a line of writing); only
light marks farther away turn to paper. Scored for several ``d`` on the historical pages of
real-scans/dibco-extra (validation only) and the synthetic pages of bench/binarize_synthetic.py
(seed 3000, black targets).

    python bench/experiments/show_through_proximity.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import HEADER, model_and_size, page_scores, page_sets, row  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import adaptive_ink, drop_light_layer  # noqa: E402

DISTANCES = (None, 0, 2, 4, 8, 12, 20)


def guarded_drop(cleaned: np.ndarray, seeds: np.ndarray, distance: int) -> np.ndarray:
    """``drop_light_layer``, then every dropped mark within ``distance`` pixels of the kept ink
    comes back."""
    kept = drop_light_layer(cleaned, seeds)
    dropped = seeds & ~kept
    if distance == 0 or not dropped.any():
        return kept
    edge = 2 * distance + 1
    zone = cv2.dilate(kept.astype(np.uint8), np.ones((edge, edge), np.uint8)).astype(bool)
    count, labels = cv2.connectedComponents(dropped.astype(np.uint8), connectivity=8)
    back = np.zeros(count, dtype=bool)
    back[labels[zone & dropped]] = True
    back[0] = False
    return kept | back[labels]


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), n)
        print(f"model {model}; d: the lighter layer's marks within d pixels of the darker layer's ink stay\n")
        print("| pages | rule " + HEADER[0])
        print("|---|---" + HEADER[1])
        for title, pairs in sets.items():
            rows: dict[int | None, list[tuple]] = {d: [] for d in DISTANCES}
            for noisy, clean in pairs:
                gt = read_gray(clean) < 0.5
                cleaned = den.clean(read_gray(noisy))
                seeds = adaptive_ink(cleaned)
                for d in DISTANCES:
                    ink = seeds if d is None else guarded_drop(cleaned, seeds, d)
                    rows[d].append(page_scores(ink, gt))
            for d, vals in rows.items():
                rule = "--binarize" if d is None else f"--remove-show-through, d = {d}"
                print(f"| {title} | {rule} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
