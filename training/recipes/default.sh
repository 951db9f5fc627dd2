#!/usr/bin/env bash
# Reproduce docclean/weights/default.safetensors: a model that keeps faint ink without blackening
# every faint mark (issue 9). Three fine-tuning steps from the stage-3 model (the default before
# issue 9, commit 31892e4; its own three-stage recipe is in its metadata and the README's history):
#
#  1. runs/issue9: Dirty Documents pairs plus 800 synthetic pages whose targets draw every stroke
#     black (--synth-black-targets), ink-weighted loss (ink pixels weigh 5x).
#  2. runs/halo: the same data, but paper within 2 pixels of ink weighs like ink (--ink-halo 2), so
#     the model is no longer pushed to thicken strokes.
#  3. runs/rel: synthetic pages with graded targets (a faint stroke is strengthened, not made black),
#     rendered into runs/synth2.
#
# Every step: 6 Dirty Documents texts held out and only reported (split seed 0), 4 more texts plus 16
# synthetic validation pages pick the checkpoint (the lowest "select"), 26 texts train. Rerunning a
# step resumes it; a finished step is skipped. float32: this machine's CPU has no native bfloat16.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
COMMON=(--crop 128 --batch-size 16 --threads 2 --no-bf16 --no-eval-x2 --select-texts 4 --synth-n 800
        --synth-val-n 16 --ink-weight 4 --scales 1 1 1.5 2 3)
mkdir -p runs
[ -f runs/stage3.safetensors ] || git show 31892e4:docclean/weights/default.safetensors > runs/stage3.safetensors
[ -f runs/issue9/best.safetensors ] && [ -f runs/issue9/done ] || {
  $PY -m training.denoiser --out runs/issue9 --init-from runs/stage3.safetensors --epochs 9 \
      --batches-per-epoch 50 --lr 3e-4 --patience 9 --synth-dir runs/synth --synth-black-targets "${COMMON[@]}"
  touch runs/issue9/done; }
cp runs/issue9/best.safetensors runs/issue9_best.safetensors
[ -f runs/halo/done ] || {
  $PY -m training.denoiser --out runs/halo --init-from runs/issue9_best.safetensors --epochs 10 \
      --batches-per-epoch 60 --lr 2e-4 --patience 10 --synth-dir runs/synth --synth-black-targets \
      --ink-halo 2 "${COMMON[@]}"
  touch runs/halo/done; }
cp runs/halo/best.safetensors runs/halo_best.safetensors
[ -f runs/rel/done ] || {
  $PY -m training.denoiser --out runs/rel --init-from runs/halo_best.safetensors --epochs 12 \
      --batches-per-epoch 60 --lr 2e-4 --patience 12 --workers 2 --synth-dir runs/synth2 \
      --ink-halo 2 "${COMMON[@]}"
  touch runs/rel/done; }
cp runs/rel/best.safetensors docclean/weights/default.safetensors
