#!/usr/bin/env bash
# Reproduce docclean/weights/fast.safetensors: the default model at half its width (a quarter of the operations per convolution) and
# one block per level (about 5x fewer operations per pixel), then trained on the default's data.
# Warm start: every tensor of the default is sliced to its first channels (training.denoiser
# --warm-from), so training starts from a network that already cleans pages, not from noise.
#
# Same data, split and selection as the default's last step (training/recipes/default.sh, step 3):
# 6 Dirty Documents texts held out and only reported, 4 more texts plus 16 synthetic validation pages
# pick the checkpoint, 26 texts and 800 graded synthetic pages (runs/synth2) train. bf16 on CPUs that
# compute it natively (about 10 minutes in all on 2 AMX cores shared with other jobs), float32 elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
mkdir -p runs
[ -f runs/fast/done ] || {
  $PY -m training.denoiser --out runs/fast --warm-from docclean/weights/default.safetensors \
      --widths 16 32 48 64 --blocks 1 1 1 1 --epochs 24 --batches-per-epoch 60 --lr 1e-3 --patience 24 \
      --workers 2 --synth-dir runs/synth2 --ink-halo 2 --crop 128 --batch-size 16 --threads 2 --no-eval-x2 \
      --select-texts 4 --synth-n 800 --synth-val-n 16 --ink-weight 4 --scales 1 1 1.5 2 3
  touch runs/fast/done; }
cp runs/fast/best.safetensors docclean/weights/fast.safetensors
