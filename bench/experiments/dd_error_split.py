"""Ad hoc experiment (2026-12-05; figures in that day's closing note of issue 9): the default
model's squared error on the Dirty Documents held-out texts split by the target's pixels: paper
(> 0.95), ink (< 0.3) and the edges between, with the mean error (bias) of each.

    python bench/experiments/dd_error_split.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
from docclean.engine import Denoiser
from docclean.io import read_gray
D='../shared/data/dirty-documents'
den=Denoiser.load()
names=den.metadata['val_pages']
se={'paper':0.,'ink':0.,'edge':0.}; n=0; cnt={'paper':0,'ink':0,'edge':0}
bias={'paper':0.,'ink':0.,'edge':0.}
for nm in names:
    noisy=read_gray(f'{D}/train/{nm}'); clean=read_gray(f'{D}/train_cleaned/{nm}')
    out=den.clean(noisy); e=out-clean
    paper=clean>0.95; ink=clean<0.3; edge=~paper&~ink
    for k,m in (('paper',paper),('ink',ink),('edge',edge)):
        se[k]+=float((e[m]**2).sum()); cnt[k]+=int(m.sum()); bias[k]+=float(e[m].sum())
    n+=e.size
tot=sum(se.values())
print('RMSE',(tot/n)**.5)
for k in se: print(k,'share of pixels %.3f'%(cnt[k]/n),'share of SE %.3f'%(se[k]/tot),'rmse %.4f'%((se[k]/cnt[k])**.5),'bias %.4f'%(bias[k]/cnt[k]))
