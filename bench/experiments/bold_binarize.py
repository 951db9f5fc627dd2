"""Ad hoc experiment (2026-12-05, not shipped; figures in that day's closing note of issue 9):
a bolder --binarize, the adaptive ink grown one pixel into pixels darker than t, on dibco-extra and
the 56 synthetic pages of bench/experiments/scoring.py.

    python bench/experiments/bold_binarize.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
import tempfile
from pathlib import Path
import cv2, numpy as np
from bench.experiments.scoring import page_sets, page_scores, row, table_head
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.postprocess import adaptive_ink, global_cut

def variants(c):
    ink = adaptive_ink(c)
    out = {'shipped': ink}
    grown = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    for t in (0.5, 0.6, 0.7, 0.8, 0.9):
        out[f'grow into < {t}'] = ink | (grown & (c < t))
    out['global cut only'] = c < global_cut(c)
    return out

if __name__ == '__main__':
    den = Denoiser.load()
    with tempfile.TemporaryDirectory() as tmp:
        for title, pairs in page_sets(Path(tmp), 56).items():
            rows = {}
            for noisy, clean in pairs:
                gt = read_gray(clean) < 0.5
                c = den.clean(read_gray(noisy))
                for k, ink in variants(c).items():
                    rows.setdefault(k, []).append(page_scores(ink, gt))
            print(title)
            print(table_head('variant'))
            for k, v in rows.items():
                print(f'| {title} | {k} | ' + row(v), flush=True)
