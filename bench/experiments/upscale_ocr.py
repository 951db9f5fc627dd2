"""Ad hoc experiment (2026-12-05, not shipped; figures in that day's closing note of issue 9):
funsd-train (about 100 dpi) OCR when cleaned then upscaled 2x (as bench/quality_real.py does),
upscaled then cleaned, or cleaned at 2x and brought back to 1x first.

    python bench/experiments/upscale_ocr.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
from multiprocessing import Pool
import cv2, numpy as np
from bench.quality_real import ocr, word_f1, to_u8, REAL
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.postprocess import binarize

def up(x, f=2.0):
    return cv2.resize(x, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC).clip(0, 1)

def job(j):
    key, img, truth = j
    return key, word_f1(ocr(img), truth)

if __name__ == '__main__':
    den = Denoiser.load()
    jobs = []
    for p in sorted((REAL / 'funsd-train/images').iterdir()):
        truth = (REAL / 'funsd-train/text' / (p.stem + '.txt')).read_text(errors='replace')
        raw = read_gray(p)
        a = up(den.clean(raw))
        b = den.clean(up(raw))
        h, w = raw.shape
        c = up(cv2.resize(b, (w, h), interpolation=cv2.INTER_AREA))
        for k, im in (('A clean, then 2x', a), ('B 2x, then clean', b), ('C clean at 2x, back to 1x, then 2x', c)):
            jobs.append(((k, 'grey'), to_u8(im), truth))
            jobs.append(((k, 'bin'), binarize(im).astype(np.uint8) * 255, truth))
    with Pool(2) as pool:
        res = pool.map(job, jobs, chunksize=4)
    out = {}
    for key, f in res:
        out.setdefault(key, []).append(f)
    for k, v in out.items():
        print(k, '%.2f' % (100 * np.mean(v)), flush=True)
