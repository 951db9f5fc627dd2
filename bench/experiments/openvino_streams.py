"""Ad hoc experiment (2026-12-05, not shipped; docs/speed.md): OpenVINO's latency mode
(one request, two tiles a call) against its throughput mode (two streams of one thread, one or two
tiles a request), on 12 random tiles the size of a 300-dpi page's, bf16, three rounds.

    python bench/experiments/openvino_streams.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))
Path("runs").mkdir(exist_ok=True)
import time
import numpy as np
from docclean.backends.openvino_backend import import_openvino
from docclean.backends.convert import onnx_model
from docclean.models import resolve_model_path
ov = import_openvino()
path, info = onnx_model(resolve_model_path('default'))
core = ov.Core()
tiles = np.random.default_rng(0).random((12, 1, 928, 880), dtype=np.float32)
def lat():
    c = core.compile_model(str(path), 'CPU', {'INFERENCE_PRECISION_HINT': 'bf16', 'PERFORMANCE_HINT': 'LATENCY', 'INFERENCE_NUM_THREADS': 2})
    r = c.create_infer_request()
    def go():
        for i in range(0, 12, 2):
            r.infer({0: tiles[i:i+2]})
    return go
def thr(streams, batch):
    c = core.compile_model(str(path), 'CPU', {'INFERENCE_PRECISION_HINT': 'bf16', 'PERFORMANCE_HINT': 'THROUGHPUT', 'NUM_STREAMS': streams, 'INFERENCE_NUM_THREADS': 2})
    q = ov.AsyncInferQueue(c, streams)
    def go():
        for i in range(0, 12, batch):
            q.start_async({0: tiles[i:i+batch]})
        q.wait_all()
    return go
fs = {'latency b2': lat(), 'thr 2 streams b1': thr(2, 1), 'thr 2 streams b2': thr(2, 2)}
for f in fs.values(): f()
for rep in range(3):
    for k, f in fs.items():
        t = time.perf_counter(); f(); print(rep, k, '%.3f s / 12 tiles' % (time.perf_counter() - t), flush=True)
