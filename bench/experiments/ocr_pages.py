"""Ad hoc experiment (2026-12-05, not shipped; figures in that day's closing note of issue 9):
per-page OCR word F1 of the raw page, the cleaned page and --binarize on funsd-train and sroie-train
(validation only), OCR as in bench/quality_real.py, then the pages cleaning helps and hurts most.

    python bench/experiments/ocr_pages.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
import json, sys
from multiprocessing import Pool
from pathlib import Path
from bench.quality_real import ocr_jobs, word_f1, ocr, Denoiser

def job(j):
    ds, method, img, truth = j
    return method, word_f1(ocr(img), truth)

if __name__ == '__main__':
    den = Denoiser.from_settings(__import__('docclean.settings', fromlist=['CleanSettings']).CleanSettings())
    out = {}
    for ds, up in (('funsd-train', 2.0), ('sroie-train', 1.0)):
        folder = Path('../shared/data/real-scans') / ds / 'images'
        names = sorted(p.stem for p in folder.iterdir())
        jobs = [j for j in ocr_jobs(den, ds, None, up) if j[1] in ('raw page', 'docclean cleaned', 'docclean --binarize')]
        with Pool(2) as pool:
            res = pool.map(job, jobs)
        for i, n in enumerate(names):
            out[f'{ds}/{n}'] = {m: f for m, f in res[3*i:3*i+3]}
        print(ds, 'done', flush=True)
    Path('runs/ocr_pages.json').write_text(json.dumps(out, indent=1))
    import statistics as st
    for ds in ('funsd', 'sroie'):
        items = [(k, v) for k, v in out.items() if k.startswith(ds)]
        for m in ('docclean cleaned', 'docclean --binarize'):
            diffs = sorted(((v[m] - v['raw page']), k) for k, v in items)
            print(ds, m, 'mean diff %.4f' % st.mean(x for x, _ in diffs), 'better', sum(x > 0.01 for x, _ in diffs),
                  'worse', sum(x < -0.01 for x, _ in diffs))
            for x, k in diffs[:8]:
                print('   %.3f' % x, k, 'raw %.3f' % out[k]['raw page'])
