"""Experiment: does the default keep its strokes at every resolution? The historical pages of
real-scans/dibco-extra (validation only) and the synthetic pages of bench/binarize_synthetic.py
(seed 3000, black targets) are rescaled by each factor (the noisy page by area averaging going
down and bicubic going up, as a scanner at that resolution would roughly see it; the ground truth
by the same filter, then cut at 0.5) and scored: ``--binarize`` beside raw-page Sauvola (whose
window scales with the page, as a user would set it) in the same run.

    python bench/experiments/resolution.py [--model default] [--n 56] [--factors 0.5 1 2] [--max-stroke PX]

``--max-stroke 0`` scores the engine without its wide-stroke pass (docclean.engine); the default is
the shipped setting.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import experiment_parser, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import SAUVOLA_WINDOW, binarize, sauvola_threshold  # noqa: E402
from docclean.settings import MAX_STROKE  # noqa: E402


def rescale(page: np.ndarray, factor: float) -> np.ndarray:
    """``page`` scaled by ``factor``: area averaging down, bicubic up (clipped to 0..1)."""
    if factor == 1:
        return page
    h, w = page.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    inter = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(page, size, interpolation=inter).clip(0, 1)


def main() -> None:
    p = experiment_parser(__doc__)
    p.add_argument("--factors", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    p.add_argument("--max-stroke", type=int, default=MAX_STROKE)
    a = p.parse_args()
    den = Denoiser.load(a.model, max_stroke=a.max_stroke)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), a.n)
        print(f"model {a.model}, max_stroke {a.max_stroke}\n")
        print(table_head("scale", "method"))
        for title, pairs in sets.items():
            for factor in a.factors:
                rows: dict[str, list[tuple]] = {"raw Sauvola": [], "docclean --binarize": []}
                window = max(3, int(round(SAUVOLA_WINDOW * factor)) | 1)
                for noisy_path, clean_path in pairs:
                    noisy = rescale(read_gray(noisy_path), factor)
                    gt = rescale(read_gray(clean_path), factor) < 0.5
                    rows["raw Sauvola"].append(page_scores(noisy < sauvola_threshold(noisy, window=window), gt))
                    rows["docclean --binarize"].append(page_scores(~binarize(den.clean(noisy)), gt))
                for method, vals in rows.items():
                    print(f"| {title} | {factor:g}x | {method} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
