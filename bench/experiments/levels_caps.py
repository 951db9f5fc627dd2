"""Experiment: how far ``docclean.levels.auto_levels`` may stretch a washed-out page. The synthetic
pages of bench/binarize_synthetic.py (seed 3000, black targets) as they are and with their contrast
halved, and 12 blank sheets (a white page through ``docclean.synth.degrade``: stains, shadow,
crease, noise), cleaned after auto levels with each cap on the stretch; the blank sheets report the
share of their binarized page that is black (none would be right).

    python bench/experiments/levels_caps.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import docclean.levels as levels  # noqa: E402
from bench.experiments.scoring import model_and_size, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.synth.damage import degrade  # noqa: E402

CAPS = (None, 2.0, 3.0, 4.0, 1e9)  # None: no auto levels; 1e9: no cap


def main() -> None:
    model, n, den = model_and_size(__doc__)
    den.auto_levels = False  # applied here, by hand

    def clean(x: np.ndarray, cap: float | None) -> np.ndarray:
        if cap is None:
            return den.clean(x)
        levels.MAX_STRETCH = cap
        return den.clean(levels.auto_levels(x))

    with tempfile.TemporaryDirectory() as tmp:
        synth = [v for k, v in page_sets(Path(tmp), n).items() if k.startswith("synthetic")][0]
        print(f"model {model}; cap: the most auto levels may stretch a page's contrast\n")
        print(table_head("exposure", "cap"))
        for name, expose in (("as is", lambda x: x), ("contrast halved", lambda x: 1 - (1 - x) / 2)):
            for cap in CAPS:
                vals = [page_scores(~binarize(clean(expose(read_gray(a)).astype(np.float32), cap)), read_gray(b) < 0.5)
                        for a, b in synth]
                print(f"| synthetic ({len(synth)} pages) | {name} | {cap} | {row(vals)}", flush=True)
    blanks = [degrade(np.ones((1000, 800), np.float32), np.random.default_rng(100 + i)) for i in range(12)]
    print("\n| blank sheets (12) | exposure | cap | black share, mean | black share, worst |\n|---|---|---|---|---|")
    for name, expose in (("as is", lambda x: x), ("contrast halved", lambda x: 1 - (1 - x) / 2)):
        for cap in CAPS:
            black = [float((~binarize(clean(expose(b).astype(np.float32), cap))).mean()) for b in blanks]
            print(f"| | {name} | {cap} | {np.mean(black):.2%} | {np.max(black):.2%} |", flush=True)


if __name__ == "__main__":
    main()
