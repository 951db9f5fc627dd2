"""Experiment: clean wide-stroked pages at a lower resolution. The page's stroke width is estimated
(``docclean.strokes.stroke_width``); where it is above ``W`` pixels the page is shrunk (area
averaging) until it is ``W``, cleaned, and the cleaned page enlarged back (bicubic) before the
adaptive binarization; "both" keeps, pixel by pixel, the darker of that and the page cleaned at
full resolution (a stroke either one keeps stays). Scored for several ``W`` on the pages of bench/experiments/resolution.py
(dibco-extra, validation only, and the synthetic pages, seed 3000), each at 1x and 2x.

    python bench/experiments/stroke_scale.py [--model default] [--n 56] [--widths 7 11 15] [--factors 1 2]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.resolution import rescale  # noqa: E402
from bench.experiments.scoring import experiment_parser, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.strokes import stroke_width  # noqa: E402


def clean_at(den: Denoiser, page: np.ndarray, factor: float) -> np.ndarray:
    """``den.clean`` of ``page`` shrunk by ``factor`` (< 1), enlarged back to the page's size."""
    h, w = page.shape
    small = cv2.resize(page, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(den.clean(small), (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def main() -> None:
    p = experiment_parser(__doc__)
    p.add_argument("--widths", type=float, nargs="+", default=[7.0, 11.0, 15.0])
    p.add_argument("--factors", type=float, nargs="+", default=[1.0, 2.0])
    a = p.parse_args()
    den = Denoiser.load(a.model, max_stroke=0)  # the rule is applied here, by hand
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), a.n)
        print(f"model {a.model}; W: pages whose strokes are wider than W pixels are cleaned shrunk to W\n")
        print(table_head("scale", "rule", "shrunk pages"))
        for title, pairs in sets.items():
            for factor in a.factors:
                rules = [(None, False)] + [(w, both) for w in a.widths for both in (False, True)]
                rows: dict[tuple[float | None, bool], list[tuple]] = {r: [] for r in rules}
                shrunk = dict.fromkeys(rows, 0)
                for noisy_path, clean_path in pairs:
                    noisy = rescale(read_gray(noisy_path), factor)
                    gt = rescale(read_gray(clean_path), factor) < 0.5
                    width = stroke_width(noisy)
                    full = den.clean(noisy)
                    small = {w: clean_at(den, noisy, w / width) for w in a.widths if width > w}
                    for w, both in rows:
                        cleaned = full
                        if w in small:
                            cleaned = np.minimum(full, small[w]) if both else small[w]
                            shrunk[(w, both)] += 1
                        rows[(w, both)].append(page_scores(~binarize(cleaned), gt))
                for (w, both), vals in rows.items():
                    rule = "full resolution" if w is None else f"W = {w:g}" + (", both" if both else "")
                    print(f"| {title} | {factor:g}x | {rule} | {shrunk[(w, both)]} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
