"""Ad hoc experiment (2026-12-05; figures in that day's closing note of issue 9): the share of
the cleaned page darker than 0.5, for every page of every set as it is and for the inverted pages
docclean.levels.is_negative misses: does it tell a missed negative from a positive page? (No.)

    python bench/experiments/dark_output.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
import tempfile, json
from pathlib import Path
import numpy as np
from bench.experiments.scoring import every_page_set
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.levels import is_negative, as_positive
den = Denoiser.load()
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for title, files in every_page_set(Path(tmp)).items():
        pos, neg = [], []
        for f in files:
            page = read_gray(f)
            c = den.clean(as_positive(page))
            pos.append((f.name, float((c < 0.5).mean())))
            inv = 1 - page
            if not is_negative(inv):
                c = den.clean(inv)
                neg.append((f.name, float((c < 0.5).mean())))
        out[title] = {'pos': pos, 'neg': neg}
        p = np.array([v for _, v in pos]); n = np.array([v for _, v in neg]) if neg else np.array([np.nan])
        print(f'{title}: positives {len(p)} median {np.median(p):.3f} p99 {np.percentile(p, 99):.3f} max {p.max():.3f} '
              f'({max(pos, key=lambda x: x[1])[0]}); missed negatives {len(neg)} min {np.nanmin(n):.3f} median {np.nanmedian(n):.3f}', flush=True)
json.dump(out, open('runs/dark_output.json', 'w'))
