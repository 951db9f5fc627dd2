"""Ad hoc experiment (2026-12-05) behind docclean.polarity's limits: each mostly dark page not
found negative (inverted pages, and positive pages on a dark platen), cleaned as it is and inverted:
dark share (< 0.5) and the ink-loss guard of each result.

    python bench/experiments/second_look_cases.py
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
import numpy as np
from bench.experiments.scoring import every_page_set
from bench.experiments.paper_level import on_platen
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.levels import is_negative, light_marks, NEGATIVE_LIGHT
from docclean.inkloss import ink_loss
den = Denoiser.load()
limit = {'dibco-extra': 86, 'funsd-train': 30, 'sroie-train': 30, 'dirty-documents train': 20, 'synthetic (seed 3000)': 56, 'samples/scans': 4}
def both(page):
    a = den.clean(page); b = den.clean(1 - page)
    return (float((a < .5).mean()), ink_loss(page, a), float((b < .5).mean()), ink_loss(1 - page, b))
with tempfile.TemporaryDirectory() as tmp:
    for title, files in every_page_set(Path(tmp)).items():
        rng = np.random.default_rng(0)
        for f in files[:limit[title]]:
            page = read_gray(f)
            for kind, p in (('negative', 1 - page), ('platen', on_platen(page, rng)[0])):
                m = light_marks(p)
                if is_negative(p) or m is None or m[0] >= NEGATIVE_LIGHT:
                    continue
                d = both(p)
                print(f'{kind} {title} {f.name}: as is dark {d[0]:.3f} loss {d[1]:.3f} | inverted dark {d[2]:.3f} loss {d[3]:.3f}', flush=True)
