"""Experiment: does the default keep its strokes when a scan is darker or paler overall? The pages of
bench/experiments/resolution.py (dibco-extra, validation only, and the synthetic pages, seed 3000)
are re-exposed before cleaning (the ground truth is unchanged) and scored with ``--binarize``
beside raw-page Sauvola:

- ``dark``: every grey level times 0.7 (an underexposed scan: paper near 0.6);
- ``pale``: contrast halved towards white, ``1 - (1 - x) / 2`` (a washed-out scan);
- ``as is``.

The engine runs without its auto levels, then with two corrections of the input: ``gain`` brightens
a page whose paper (``docclean.levels.page_levels``: the median of its brighter grey levels) is
darker than 0.85 until it is 0.85; ``auto levels`` is ``docclean.levels.auto_levels`` (the shipped
default): that gain, then a page whose contrast (paper minus its darkest 1%) is under 0.4
stretched away from white until it is 0.4 (at most 3x). (Until the end of 2026-12-05 ``gain`` read
the paper as every pixel's median, the shipped rule of before that day.)

    python bench/experiments/exposure.py [--model default] [--n 56] [--synthetic-only]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import experiment_parser, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import PAPER, auto_levels, page_levels  # noqa: E402
from docclean.postprocess import binarize, sauvola_threshold  # noqa: E402

EXPOSURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as is": lambda x: x,
    "dark": lambda x: x * 0.7,
    "pale": lambda x: 1 - (1 - x) / 2,
}


def gain(x: np.ndarray) -> np.ndarray:
    """Auto levels' paper brought up to :data:`~docclean.levels.PAPER` where it is darker; no stretch."""
    paper = page_levels(x)[0]
    return np.clip(x * (PAPER / paper), 0, 1).astype(np.float32) if 0 < paper < PAPER else x


CORRECTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    ", no auto levels": lambda x: x, ", gain only": gain, ", auto levels (shipped)": auto_levels}


def main() -> None:
    p = experiment_parser(__doc__)
    p.add_argument("--synthetic-only", action="store_true", help="skip the historical pages (choosing a model)")
    a = p.parse_args()
    den = Denoiser.load(a.model, auto_levels=False)  # the corrections are applied here, by hand
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), a.n)
        if a.synthetic_only:
            sets = {k: v for k, v in sets.items() if k.startswith("synthetic")}
        print(f"model {a.model}\n")
        print(table_head("exposure", "method"))
        for title, pairs in sets.items():
            for name, expose in EXPOSURES.items():
                rows: dict[str, list[tuple]] = {"raw Sauvola": [],
                                                **{f"docclean --binarize{c}": [] for c in CORRECTIONS}}
                for noisy_path, clean_path in pairs:
                    noisy = expose(read_gray(noisy_path)).astype(np.float32)
                    gt = read_gray(clean_path) < 0.5
                    rows["raw Sauvola"].append(page_scores(noisy < sauvola_threshold(noisy), gt))
                    for c, correct in CORRECTIONS.items():
                        rows[f"docclean --binarize{c}"].append(page_scores(~binarize(den.clean(correct(noisy))), gt))
                for method, vals in rows.items():
                    print(f"| {title} | {name} | {method} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
