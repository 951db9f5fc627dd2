#!/usr/bin/env bash
# Reproduce docclean/weights/marks.safetensors (`--model marks`): the default model made to keep
# broad pen and marker strokes and stamps where they cross printed text (docs/quality.md, "The marks
# model"; bench/results/marks_training.md).
#
#  1. runs/marks2: fine-tune the shipped default on its recipe's data, split and selection
#     (training/recipes/default.sh), with synthetic pages of which 70% carry one to four broad
#     strokes across the text (--synth-markers 0.7, rendered into runs/synth5; 48 synthetic
#     validation pages, as 16 moved `select` more between epochs than it improved); 30 epochs,
#     the checkpoint picked by `select` (epoch 20, counted from 0).
#  2. Average it weight by weight with the default it started from, half and half (training/average.py):
#     the fine-tune alone lost twice as many strokes of the historical pages when binarized; the
#     average keeps most of what it learned and forgets less. The weight was fixed before any
#     figure of the average was measured, and not tuned.
#
# About 25 minutes of 2-core CPU (float32, as the default's steps). Rerunning resumes or skips step 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
mkdir -p runs
[ -f runs/marks2/done ] || {
  $PY -m training.denoiser --out runs/marks2 --init-from docclean/weights/default.safetensors --epochs 30 \
      --batches-per-epoch 60 --lr 1.5e-4 --patience 30 --workers 2 --synth-dir runs/synth5 --synth-markers 0.7 \
      --ink-halo 2 --crop 128 --batch-size 16 --threads 2 --no-bf16 --no-eval-x2 --select-texts 4 --synth-n 800 \
      --synth-val-n 48 --ink-weight 4 --scales 1 1 1.5 2 3
  touch runs/marks2/done; }
$PY -m training.average docclean/weights/default.safetensors runs/marks2/best.safetensors runs/marks.safetensors \
    --weight 0.5
cp runs/marks.safetensors docclean/weights/marks.safetensors
