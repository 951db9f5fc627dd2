"""How much does the code move under small input noise? Dense, denoising and contractive autoencoders.

Three runs of the same network (784 -> 32 sigmoid units -> 784, ``--arch contractive``), differing
only in what they are trained to do: plain reconstruction (contractive weight 0), denoising
(gaussian noise 0.5 on the inputs, weight 0) and contractive (the exact Jacobian penalty, weight
each of ``--weights``). Each trains on Fashion-MNIST (55,000 images, best epoch by validation loss) and is
measured on the first 2,000 test images: the mean code change per unit input change under
``eps * N(0, I)`` input noise, the same relative to the codes' spread, the mean squared Frobenius
norm of the encoder's Jacobian (exact) and test BCE on clean inputs (all 10,000 images).

    python bench/contractive.py                         # about 5 min on one quiet CPU thread
    python bench/contractive.py --epochs 1 --limit 2000 # a quick try

Runs go to --runs-dir (a temporary folder by default); the table to bench/results/contractive.md.
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

from training.loop import FitConfig  # noqa: E402
from training.suite.fashion import CONTRACTIVE_WEIGHT, FashionTaskConfig, load_task_data, train_fashion  # noqa: E402
from training.suite.fashion_eval import code_sensitivity, per_image_errors  # noqa: E402
from training.suite.fashion_runs import load_run  # noqa: E402


def jacobian_norm(model: torch.nn.Module, images: torch.Tensor) -> float:
    """Mean squared Frobenius norm of the encoder's Jacobian over ``images`` (closed form)."""
    with torch.inference_mode():
        return float(model.jacobian_penalty(model.encode(images)).mean())


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "fashion-mnist")
    p.add_argument("--runs-dir", type=Path, default=Path(tempfile.gettempdir()) / "docclean-contractive-bench")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-2,
                   help="Adam's peak rate; at 1e-3 the denoising run never left the mean-image plateau")
    p.add_argument("--weights", type=float, nargs="+", default=[0.01, CONTRACTIVE_WEIGHT],
                   help="contractive penalty weights, one run each")
    p.add_argument("--eps", type=float, default=0.01)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images (quick tries)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--measure-only", action="store_true", help="measure the runs already in --runs-dir")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    runs = {"dense": ({}, 0.0), "denoising": ({"noise": "gaussian", "noise_level": 0.5}, 0.0),
            **{f"contractive-{w:g}": ({}, w) for w in args.weights}}
    lines = [f"Fashion-MNIST, 784-32-784 with a sigmoid code, {args.epochs} epochs (Adam lr {args.lr:g}, cosine, batch 64), "
             f"code measured on the first 2,000 test images with input noise eps = {args.eps:g} x N(0, I), BCE on all "
             f"10,000 (clean inputs); torch {torch.__version__}, "
             f"{args.threads} thread(s){', first ' + str(args.limit) + ' training images' if args.limit else ''}.", "",
             "| model | training | code change / input change | relative to code spread | mean squared Frobenius norm of J | test BCE |",
             "|---|---|---:|---:|---:|---:|"]
    for name, (noise, weight) in runs.items():
        out = args.runs_dir / name
        task = FashionTaskConfig(arch="contractive", contractive_weight=weight, batch_size=64, limit=args.limit,
                                 data_dir=str(args.data_dir), **noise)
        t0 = time.perf_counter()
        if not args.measure_only:
            shutil.rmtree(out, ignore_errors=True)
            train_fashion(task, FitConfig(out_dir=out, epochs=args.epochs, lr=args.lr, patience=None))
        model, _ = load_run(out)
        _, _, test, _ = load_task_data(task.resolved(), args.data_dir)
        # Every model is scored on clean inputs (the denoiser too), on all 10,000 test images.
        bce = float(per_image_errors(model, test, FashionTaskConfig(arch="contractive"))[0].mean())
        test = test[:2000]
        s = code_sensitivity(model, test, args.eps)
        j = jacobian_norm(model, test)
        how = {"dense": "reconstruction", "denoising": "gaussian 0.5 inputs"}.get(name, f"Jacobian penalty, weight {weight:g}")
        lines.append(f"| {name.split('-')[0]} | {how} | {s['code_change_per_input_change']:.3f} | {s['relative_change']:.4f} | "
                     f"{j:.2f} | {bce:.4f} |")
        print(f"{name}: {s}, ||J||^2 {j:.3f}, BCE {bce:.4f} ({time.perf_counter() - t0:.0f}s)", flush=True)
    table = "\n".join(lines) + "\n"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "contractive.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
