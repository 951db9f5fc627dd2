"""Experiment (recorded in bench/results/crisp_pages.md, not shipped): soften crisp pages before
the network, as ``docclean.levels.soften_bilevel`` softens 1-bit ones.

The network learned on scans, whose edges spread over a pixel or two; a page rendered crisp (a
born-digital form, a clean fax made grey) has edges a pixel wide, and the network draws some of its
thin strokes grey and a label bar with white writing as a grey blur (``docclean.bars``). This
measures, per page, how sharp its edges are (:func:`sharpness`: over its strong edges, the median
share of the rise across five pixels taken in the steepest one-pixel step: near 1 for a crisp
edge, 0.52 for one blurred by a Gaussian of sigma 0.7), prints it for every page set (the real
scans counted, never tuned on), and cleans, with a Gaussian blur of sigma 0.5 / 0.7 / 1.0 first
and without, (a) the 56 synthetic test pages' clean targets as pages (crisp renders) and (b) the
noisy synthetic pages whose sharpness is above 0.7: RMSE against the clean target, the grey
output's ink kept (< 0.5), and the ``--binarize`` page's scores.

    python bench/experiments/crisp_pages.py [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import (  # noqa: E402
    HEADER, every_page_set, experiment_parser, page_scores, page_sets, row,
)
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import as_positive, is_bilevel, page_levels  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402

SIGMAS = (None, 0.5, 0.7, 1.0)
SHARP = 0.7


def sharpness(page: np.ndarray) -> float:
    """Over a page's strong edges (a rise of 0.6 of its contrast within five pixels, across rows
    and columns), the median share of the rise taken in its steepest one-pixel step."""
    _, contrast = page_levels(page)
    shares = []
    for p in (page, page.T):
        p = np.ascontiguousarray(p)
        step = np.abs(np.diff(p, axis=1))
        window = np.ones((1, 5), np.uint8)
        rise = (cv2.dilate(p, window) - cv2.erode(p, window))[:, :-1]
        peak = ((step >= np.roll(step, 1, axis=1)) & (step >= np.roll(step, -1, axis=1))
                & (rise > 0.6 * contrast) & (step > 0.2 * contrast))
        shares.append(step[peak] / rise[peak])
    share = np.concatenate(shares)
    return float(np.median(share)) if share.size else float("nan")


def main() -> None:
    args = experiment_parser(__doc__).parse_args()
    den = Denoiser.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        print("| pages | count (not 1-bit) | sharpness min / median / max | above 0.7 |\n|---|---|---|---|")
        for title, files in every_page_set(Path(tmp) / "counts").items():
            pages = [as_positive(read_gray(f)) for f in files]
            s = np.array([sharpness(p) for p in pages if not is_bilevel(p)])
            print(f"| {title} | {len(s)} | {np.nanmin(s):.2f} / {np.nanmedian(s):.2f} / {np.nanmax(s):.2f} "
                  f"| {int((s > SHARP).sum())} |", flush=True)
        pairs = [v for k, v in page_sets(Path(tmp) / "pairs", args.n).items() if k.startswith("synthetic")][0]
        for label, crisp in ((f"the {len(pairs)} synthetic pages' clean targets, as pages", True),
                             (f"noisy synthetic pages sharper than {SHARP}", False)):
            scores, rmse, kept = ({s: [] for s in SIGMAS} for _ in range(3))
            for noisy_path, clean_path in pairs:
                clean = read_gray(clean_path)
                page = clean if crisp else read_gray(noisy_path)
                if not crisp and sharpness(page) <= SHARP:
                    continue
                truth = clean < 0.5
                for s in SIGMAS:
                    out = den.clean(page if s is None else cv2.GaussianBlur(page, (0, 0), s))
                    scores[s].append(page_scores(~binarize(out), truth))
                    rmse[s].append(float(np.sqrt(np.mean((out - clean) ** 2))))
                    kept[s].append(float((out[truth] < 0.5).mean()))
            print(f"\n{label}: {len(rmse[None])} pages\n")
            print("| blur sigma | RMSE | grey ink kept median / min |" + HEADER[0][1:])
            print("|---|---|---|" + HEADER[1][1:])
            for s in SIGMAS:
                print(f"| {s or 'none'} | {np.mean(rmse[s]):.4f} | {np.median(kept[s]):.3f} / {np.min(kept[s]):.3f} | "
                      + row(scores[s]), flush=True)


if __name__ == "__main__":
    main()
