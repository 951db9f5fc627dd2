"""Train the faces autoencoders on the Olivetti faces and score them on people they never saw.

Three runs of the same deep convolutional autoencoder (64x64 -> 64 numbers -> 64x64): plain
reconstruction, denoising of gaussian noise and denoising of masked 8x8 patches, beside two
references that need no training (PCA with 64 components, and the mean face). Faces are split
by person (seed 0): 28 people train, 4 validate (best epoch by validation MSE), 8 test. Reported:
test MSE and PSNR of the output against the clean faces and, for the denoisers, of the corrupted
input itself (the baseline). Pictures of test faces go to ``bench/results/faces_*.png``.

    nice -n 15 python bench/faces.py                  # about 15 min on one CPU thread
    python bench/faces.py --epochs 2 --only plain     # a quick try

Runs go to --runs-dir (a temporary folder by default); the table to bench/results/faces.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.loop import Callback, FitConfig, read_history  # noqa: E402
from training.suite.faces import FacesTaskConfig, train_faces  # noqa: E402
from training.suite.faces_eval import evaluate_faces_run, pca_baseline, reconstruction_picture  # noqa: E402

RUNS = {"plain": (None, None), "gaussian": ("gaussian", 0.2), "mask": ("mask", 0.25)}
"""Run name -> (corruption, level)."""


class PrintEpochs(Callback):
    """One flushed line per epoch, so a log shows progress."""

    def __init__(self, name: str) -> None:
        self.name = name

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        print(f"{self.name} epoch {epoch + 1}: train {metrics['train_loss']:.5f} val {metrics['val_loss']:.5f} "
              f"({metrics['epoch_seconds']:.1f}s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "olivetti")
    p.add_argument("--runs-dir", type=Path, default=Path(tempfile.gettempdir()) / "docclean-faces-bench")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--only", nargs="+", choices=list(RUNS), default=list(RUNS))
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baselines-only", action="store_true",
                   help="only the untrained references (PCA, mean face): seconds; writes faces_baselines.md")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    lines = [f"Olivetti faces, deep conv autoencoder (code 64), {args.epochs} epochs, Adam lr {args.lr:g} (cosine), "
             f"batch 32, seed {args.seed}; split by person: 28 train, 4 validation, 8 test people (80 test faces). "
             f"torch {torch.__version__}, {args.threads} thread(s).", "",
             "| model | corruption | best epoch | test MSE | test PSNR dB | input MSE | input PSNR dB | s/epoch |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    # References that need no training: a linear code of the same length, and no code at all.
    ref = pca_baseline(FacesTaskConfig(data_dir=str(args.data_dir)), 64)
    lines.append(f"| PCA, 64 components (fitted on the training people) | - | - | {ref['pca_mse']:.5f} | "
                 f"{ref['pca_psnr']:.2f} | - | - | - |")
    lines.append(f"| mean training face | - | - | {ref['mean_mse']:.5f} | {ref['mean_psnr']:.2f} | - | - | - |")
    if args.baselines_only:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "faces_baselines.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return 0
    for name in args.only:
        noise, level = RUNS[name]
        out = args.runs_dir / name
        shutil.rmtree(out, ignore_errors=True)  # a benchmark starts fresh
        task = FacesTaskConfig(noise=noise, noise_level=level, data_dir=str(args.data_dir))
        fit_config = FitConfig(out_dir=out, epochs=args.epochs, lr=args.lr, patience=None, seed=args.seed)
        t0 = time.perf_counter()
        train_faces(task, fit_config, callbacks=[PrintEpochs(name)])
        wall = time.perf_counter() - t0
        r = evaluate_faces_run(out)
        history = read_history(out)
        per_epoch = sum(row["epoch_seconds"] for row in history) / max(len(history), 1)
        corruption = f"{noise} {level:g}" if noise else "-"
        base = (f"{r['input_mse']:.5f} | {r['input_psnr']:.2f}" if noise else "- | -")
        lines.append(f"| {'denoising' if noise else 'autoencoder'} | {corruption} | {r['best_epoch']} | "
                     f"{r['test_mse']:.5f} | {r['test_psnr']:.2f} | {base} | {per_epoch:.1f} |")
        print(f"{name}: {r} ({wall:.0f}s)", flush=True)
        picture = reconstruction_picture(out, args.results / f"faces_{name}.png")
        print(picture, flush=True)
    table = "\n".join(lines) + "\n"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "faces.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
