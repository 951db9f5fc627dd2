"""The conversion cache of ``docclean.backends.convert``: seconds to open a backend on a model in a
fresh process, cold (empty cache: ONNX export, the export's check against torch, then OpenVINO's
compile) and warm (a cache hit: the cached ONNX file and OpenVINO's cached compiled network, no
torch), against opening the torch backend.

Every measurement is a fresh ``python`` process with ``DOCCLEAN_CACHE`` pointing at a temporary
folder (a new empty one for each cold run; the one the cold runs filled for the warm runs). Inside
the process the clock starts before docclean is imported (so imports count, as they do for a
user), and the process also says whether torch got imported. "process s" is the wall time of the
whole process, interpreter start and exit included.

    python bench/backend_cache.py [--model default] [--backend openvino] [--cold 2] [--warm 3] [--torch 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from docclean.backends import convert, open_backend
from docclean.models import resolve_model_path
from docclean.settings import CleanSettings

timed = {{"export_s": 0.0, "check_s": 0.0}}
_export, _check = convert.export_onnx, convert._check_export
def export_onnx(*a, **k):
    t = time.perf_counter()
    try:
        return _export(*a, **k)
    finally:
        timed["export_s"] += time.perf_counter() - t
def check_export(*a, **k):
    t = time.perf_counter()
    try:
        return _check(*a, **k)
    finally:
        timed["check_s"] += time.perf_counter() - t
convert.export_onnx, convert._check_export = export_onnx, check_export

model = resolve_model_path({model!r})
backend = open_backend(model, CleanSettings(model={model!r}, backend={backend!r}))
opened = time.perf_counter() - t0
print(json.dumps({{"open_s": opened, "export_s": timed["export_s"] - timed["check_s"],
                  "check_s": timed["check_s"], "torch": "torch" in sys.modules, "name": backend.name}}))
"""


def run(model: str, backend: str, cache: Path) -> dict:
    env = {**os.environ, "DOCCLEAN_CACHE": str(cache)}
    code = CHILD.format(repo=str(REPO), model=model, backend=backend)
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - began
    if proc.returncode:
        raise SystemExit(f"{backend} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--backend", default="openvino", help="the converted backend: openvino or onnx")
    p.add_argument("--cold", type=int, default=2, help="cold runs, each on a new empty cache")
    p.add_argument("--warm", type=int, default=3, help="cache hits after the cold runs")
    p.add_argument("--torch", type=int, default=3, help="torch backend opens")
    a = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="backend_cache-") as tmp:
        cache = Path(tmp) / "cache-0"
        for i in range(a.cold):
            cache = Path(tmp) / f"cache-{i}"
            rows.append(("cold (empty cache)", a.backend, run(a.model, a.backend, cache)))
        for _ in range(a.warm):
            rows.append(("warm (cache hit)", a.backend, run(a.model, a.backend, cache)))
        for _ in range(a.torch):
            rows.append(("torch", "torch", run(a.model, "torch", Path(tmp) / "unused")))
    print(f"model {a.model!r}; seconds from before `import docclean` to an open backend, fresh processes")
    print()
    print("| run | backend | open s | of it export s | of it check s | process s | torch imported |")
    print("|---|---|---|---|---|---|---|")
    for what, name, r in rows:
        print(f"| {what} | {r['name']} | {r['open_s']:.2f} | {r['export_s']:.2f} | {r['check_s']:.2f} | "
              f"{r['process_s']:.2f} | {'yes' if r['torch'] else 'no'} |")
    print()
    for what in ("cold (empty cache)", "warm (cache hit)", "torch"):
        opens = [r["open_s"] for w, _, r in rows if w == what]
        if opens:
            print(f"{what}: open {min(opens):.2f}-{max(opens):.2f} s (median {statistics.median(opens):.2f})")


if __name__ == "__main__":
    main()
