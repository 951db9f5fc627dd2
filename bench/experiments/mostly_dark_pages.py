"""Ad hoc check (2026-12-05; docs/cleaning.md "Negatives"): which pages of every set, as they are, are mostly
dark and not found negative (the only pages docclean.polarity's second look can reach), and what
it does with them.

    python bench/experiments/mostly_dark_pages.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
from pathlib import Path
import tempfile
from bench.experiments.scoring import every_page_set
from docclean.io import read_gray
from docclean.levels import is_negative
from docclean.polarity import mostly_dark, clean_positive, dark_share
from docclean.engine import Denoiser
den = Denoiser.load()
with tempfile.TemporaryDirectory() as tmp:
    for title, files in every_page_set(Path(tmp)).items():
        n = 0
        for f in files:
            p = read_gray(f)
            if is_negative(p) or not mostly_dark(p):
                continue
            n += 1
            pos, c = clean_positive(p, den)
            print(title, f.name, 'dark %.3f' % dark_share(c), 'turned' if pos is not p else '', flush=True)
        print(title, len(files), 'mostly dark', n, flush=True)
