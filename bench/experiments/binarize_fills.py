"""Experiment (2026-12-07): ``--binarize`` with wide grey fills drawn black. A grey logo, a disc
in a diagram or a bar of a bar chart that the engine keeps as scanned (``docclean.shading``,
printed fills) is wide and even: Sauvola's threshold inside it sinks below its own grey, so the
adaptive rule drew it as a ring. The rule tried: pixels of areas a ``THICK`` square fits in and
darker than ``level`` (the page's global cut, or a fixed grey), with nothing much darker nearby
(``DARKER_NEARBY``), are ink, as ``INK_LEVEL`` makes near-black areas ink. Scored on the
historical pages of real-scans/dibco-extra (validation only) and the synthetic pages of
bench/binarize_synthetic.py (seed 3000), each page cleaned once.

    python bench/experiments/binarize_fills.py [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import model_and_size, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import DARKER_NEARBY, SAUVOLA_WINDOW, THICK, adaptive_ink, global_cut  # noqa: E402


def with_fills(page: np.ndarray, level: float | None) -> np.ndarray:
    """The adaptive ink plus wide areas darker than ``level`` (None: the global cut)."""
    ink = adaptive_ink(page)
    cut = global_cut(page) if level is None else level
    under = (page < np.float32(cut)).astype(np.uint8)
    wide = cv2.morphologyEx(under, cv2.MORPH_OPEN, np.ones((THICK, THICK), np.uint8)).astype(bool)
    if wide.any():
        darkest = cv2.erode(page, np.ones((SAUVOLA_WINDOW, SAUVOLA_WINDOW), np.uint8), borderType=cv2.BORDER_REPLICATE)
        ink |= wide & (page <= darkest + np.float32(DARKER_NEARBY))
    return ink


RULES = {"--binarize": None, "wide fills under the cut": "cut", "wide fills under 0.6": 0.6,
         "wide fills under 0.5": 0.5}


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), n)
        print(f"model {model}\n")
        print(table_head("rule"))
        for title, pairs in sets.items():
            rows: dict[str, list[tuple]] = {k: [] for k in RULES}
            changed = dict.fromkeys(RULES, 0)
            for noisy_path, clean_path in pairs:
                cleaned, gt = den.clean(read_gray(noisy_path)), read_gray(clean_path) < 0.5
                base = adaptive_ink(cleaned)
                for k, level in RULES.items():
                    ink = base if level is None else with_fills(cleaned, None if level == "cut" else level)
                    changed[k] += int((ink != base).any())
                    rows[k].append(page_scores(ink, gt))
            for k, v in rows.items():
                print(f"| {title} | {k} (pages changed: {changed[k]}) | {row(v)}", flush=True)


if __name__ == "__main__":
    main()
