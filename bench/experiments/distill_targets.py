"""Experiment (recorded in bench/results/arch_speed.md, not shipped): a synthetic training set whose
targets are the default model's own output on the noisy pages (distillation), for training a
cheaper network to imitate it. The noisy pages are links to an existing set's; its validation pages
keep their real targets.

    python bench/experiments/distill_targets.py runs/synth2 runs/distill/synth
    python -m training.denoiser --out runs/u4d --init-from runs/u4/best.safetensors --epochs 200 \\
        --batches-per-epoch 60 --lr 5e-4 --patience 200 --workers 2 --synth-dir runs/distill/synth \\
        --synth-share 0.7 --ink-halo 2 --crop 128 --batch-size 16 --threads 2 --no-eval-x2 --select-texts 4 \\
        --synth-n 800 --synth-val-n 16 --ink-weight 4 --scales 1 1 1.5 2 3
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray, write_page  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="a synthetic set with train/ and val/")
    p.add_argument("out", type=Path)
    p.add_argument("--model", default="default")
    a = p.parse_args()
    den = Denoiser.load(a.model, precision="fp32")
    (a.out / "train" / "noisy").mkdir(parents=True, exist_ok=True)
    (a.out / "train" / "clean").mkdir(parents=True, exist_ok=True)
    if not (a.out / "val").exists():
        os.symlink((a.source / "val").resolve(), a.out / "val")
    names = sorted(q.name for q in (a.source / "train" / "noisy").iterdir())
    for name in names:
        noisy = a.source / "train" / "noisy" / name
        if not (a.out / "train" / "noisy" / name).exists():
            os.symlink(noisy.resolve(), a.out / "train" / "noisy" / name)
        if not (a.out / "train" / "clean" / name).exists():
            write_page(a.out / "train" / "clean" / name, den.clean(read_gray(noisy)), None)
    print(f"{len(names)} distilled pairs in {a.out}")


if __name__ == "__main__":
    main()
