"""Benchmark the Fashion-MNIST VAEs: test negative ELBO, reconstruction and KL (nats per image,
beta = 1) and training seconds per epoch, for the MLP and the conv VAE at latent sizes 2 and 16.

Trains each model from scratch on the full training set (55,000 train / 5,000 validation images)
with Adam (lr 1e-3, cosine schedule, batch 128), evaluates its best checkpoint (by validation loss)
on the 10,000 test images, prints a markdown table and writes it to ``bench/results/vae.md``; the
D = 2 conv VAE's decoded manifold goes to ``bench/results/vae_manifold.png``.

    nice -n 15 python bench/vae.py > /tmp/vae_bench.log 2>&1 &

Training runs go to ``--work-dir`` (a temporary folder by default), never to ``runs/``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch loads: the CPU is shared

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.loop import Callback, FitConfig
from training.suite.vae import VAETaskConfig, load_test_set, load_vae, negative_elbo, train_vae
from training.suite.vae_pictures import plot_manifold

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fashion-mnist"
CONFIGS = [("mlp", 2), ("conv", 2), ("mlp", 16), ("conv", 16)]


class EpochLog(Callback):
    """One flushed line per epoch, so a log file shows how far the benchmark is."""

    def __init__(self, name: str) -> None:
        self.name = name

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        print(f"  {self.name} epoch {epoch + 1}: val loss {metrics['val_loss']:.2f} (recon {metrics['val_recon']:.2f}, "
              f"KL {metrics['val_kl']:.2f}), {metrics['epoch_seconds']:.1f} s", flush=True)


def run_one(arch: str, latent_dim: int, args: argparse.Namespace) -> dict[str, float]:
    """Train one model from scratch and measure it on the test set."""
    out = args.work_dir / f"{arch}-d{latent_dim}"
    shutil.rmtree(out, ignore_errors=True)  # a benchmark starts fresh, never resumes
    task = VAETaskConfig(arch=arch, latent_dim=latent_dim, beta=1.0, batch_size=128, data_dir=args.data_dir,
                         limit=args.limit)
    fit_config = FitConfig(out_dir=out, epochs=args.epochs, lr=1e-3, patience=None, seed=args.seed, resume=False)
    t0 = time.perf_counter()
    result = train_vae(task, fit_config, callbacks=[EpochLog(f"{arch} D={latent_dim}")])
    wall = time.perf_counter() - t0
    model, meta = load_vae(out)
    images, _ = load_test_set(meta, args.data_dir)
    scores = negative_elbo(model, images)
    seconds = [row["epoch_seconds"] for row in result.history]
    return {**scores, "epochs": result.epochs_run, "best_epoch": result.best_epoch + 1,
            "s_per_epoch": sum(seconds) / len(seconds), "wall": wall, "run": str(out)}


def markdown(rows: list[tuple[str, int, dict]], args: argparse.Namespace, total: float) -> str:
    """The results as a markdown section with a table and the conditions they were measured in."""
    lines = [
        "# Fashion-MNIST VAEs",
        "",
        (f"`python bench/vae.py --epochs {args.epochs}`: Adam lr 1e-3 (cosine), batch 128, seed {args.seed}, "
        f"{'first ' + str(args.limit) + ' training images' if args.limit else '55,000 train / 5,000 val images'}; "
        "best checkpoint by validation loss, scored on the 10,000 test images with one latent sample each. "
        "Nats per image, beta = 1; lower is better."),
        (f"CPU: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread(s), "
        f"torch {torch.__version__}; total {total / 60:.1f} min. Seconds per epoch are training only, "
        "measured under `nice` on a machine shared with another training job, so treat them as relative."),
        "",
        "| model | latent D | epochs (best) | test -ELBO | reconstruction | KL | s/epoch |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for arch, d, r in rows:
        lines.append(f"| {arch} VAE | {d} | {r['epochs']} ({r['best_epoch']}) | {r['nelbo']:.2f} | "
                     f"{r['recon']:.2f} | {r['kl']:.2f} | {r['s_per_epoch']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    # The docstring's first paragraph: its first line alone stops mid-sentence.
    p = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "docclean-vae-bench")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only (a quick try)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    rows = []
    for arch, d in CONFIGS:
        print(f"training {arch} VAE, D={d}, {args.epochs} epochs", flush=True)
        r = run_one(arch, d, args)
        print(f"{arch} D={d}: test -ELBO {r['nelbo']:.2f} (recon {r['recon']:.2f}, KL {r['kl']:.2f}), "
              f"{r['s_per_epoch']:.1f} s/epoch", flush=True)
        rows.append((arch, d, r))
    table = markdown(rows, args, time.perf_counter() - t0)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    tmp = args.results / ".vae.md.tmp"
    tmp.write_text(table)
    tmp.replace(args.results / "vae.md")
    conv2 = next(r for arch, d, r in rows if arch == "conv" and d == 2)
    model, _ = load_vae(Path(conv2["run"]))
    print(plot_manifold(model, args.results / "vae_manifold.png"))
    by = {(arch, d): r for arch, d, r in rows}
    for d in (2, 16):
        print(f"D={d}: conv beats MLP: {by[('conv', d)]['nelbo'] < by[('mlp', d)]['nelbo']}")
    print(f"smallest KL {min(r['kl'] for _, _, r in rows):.2f} nats (collapse would be ~0)")


if __name__ == "__main__":
    main()
