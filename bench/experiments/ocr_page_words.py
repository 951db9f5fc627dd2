"""Ad hoc look (2026-12-05; issue 9's closing note): for the pages named, the words Tesseract reads
right on the raw and on the cleaned page against the ground-truth text, what cleaning lost and
gained, and the wrong words it added; writes raw | cleaned | --binarize side by side to runs/look/.

    python bench/experiments/ocr_page_words.py funsd-train 2 88547278_88547279
    python bench/experiments/ocr_page_words.py sroie-train 1 044 054 575
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path('runs/look').mkdir(parents=True, exist_ok=True)
import cv2, numpy as np
from bench.quality_real import ocr, words, to_u8
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.postprocess import binarize
den=Denoiser.load()
ds, up = sys.argv[1], float(sys.argv[2])
for n in sys.argv[3:]:
    raw=read_gray(f'../shared/data/real-scans/{ds}/images/{n}.'+('png' if ds.startswith('funsd') else 'jpg'))
    truth=words(open(f'../shared/data/real-scans/{ds}/text/{n}.txt').read())
    c=den.clean(raw)
    cv2.imwrite(f'runs/look/{n}.png',(np.hstack([raw,c,binarize(c).astype(np.float32)])*255).astype(np.uint8))
    if up!=1:
        size=(round(raw.shape[1]*up), round(raw.shape[0]*up))
        raw=cv2.resize(raw,size,interpolation=cv2.INTER_CUBIC).clip(0,1); c=cv2.resize(c,size,interpolation=cv2.INTER_CUBIC).clip(0,1)
    tr=ocr(to_u8(raw)); tc=ocr(to_u8(c))
    wr,wc=words(tr),words(tc)
    print(n, 'truth',sum(truth.values()),'raw hits',sum((wr&truth).values()),'pred',sum(wr.values()), '| cln hits',sum((wc&truth).values()),'pred',sum(wc.values()))
    print('  lost:', list(((wr&truth)-(wc&truth)).elements()))
    print('  gained:', list(((wc&truth)-(wr&truth)).elements()))
    print('  extra wrong in cleaned:', list((wc-truth-(wr-truth)).elements())[:40])
