#!/usr/bin/env bash
# The GPU checks, as one script for a machine with a CUDA GPU (run from the repository root):
# the CUDA tests, the network alone (bench/gpu_network.py), end-to-end pages/s
# (bench/clean_speed.py --device cuda).
# Figures go to stdout and, when $OUT is set, to files there. Wheels for packages the machine
# lacks may wait in .whl/ (installed to /tmp/site first).
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONPATH="/tmp/site:$PWD"
OUT=${OUT:-/tmp/gpu-check}; mkdir -p "$OUT"
PY=${PY:-python3}
if ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
nproc
timeout 100 $PY -m pytest -q -p no:cacheprovider tests/docclean/backends/test_torch_backend.py tests/docclean/test_engine.py 2>&1 | tail -4
timeout 100 $PY bench/gpu_network.py 2>&1 | tee "$OUT/network.txt"
timeout 240 $PY bench/clean_speed.py --device cuda --dpis 150 300 600 --pages 16 --no-startup 2>&1 | grep -v "^measured" | tee "$OUT/speed.txt"
