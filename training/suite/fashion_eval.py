"""Evaluate, compare and probe trained Fashion-MNIST autoencoder runs.

* :func:`evaluate_run` scores a run's best checkpoint on the 10,000 test images (per-pixel BCE and
  MSE; a denoising run is scored on inputs corrupted with a fixed seed against clean targets) and
  writes ``eval.json`` into the run folder (:func:`score_run` and :func:`save_scores` apart: a
  read-only run is still scored).
* :func:`compare_runs` gathers runs into one table and one plot of their validation curves.
* :func:`rank_anomalies` ranks test images by reconstruction error (MSE) and draws the most and least
  typical ones (``anomalies.png``, with the full ranking in ``anomalies.csv``).

Which folders are Fashion-MNIST runs, and a run's task and best checkpoint, are
``training.suite.fashion_runs``'s.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from docclean.atomic import atomic_path
from docclean.errors import DataError, OutputError
from training.loop import read_history
from training.run_folder import writing_in
from training.suite.fashion import (
    Batches,
    FashionTaskConfig,
    load_test_data,
    to_model_input,
)
from training.suite.fashion_data import CLASS_NAMES
from training.suite.fashion_runs import load_run, run_task
from training.suite.plots import plot_anomalies, plot_compare


@torch.inference_mode()
def per_image_errors(model: nn.Module, images: torch.Tensor, task: FashionTaskConfig,
                     batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Per-image mean BCE and MSE of the model's reconstructions (noisy inputs for a denoising run)."""
    bce, mse = [], []
    for inputs, targets in Batches(images, batch_size, task.noise, task.noise_level, fixed=True):
        logits = model.decode_logits(model.encode(to_model_input(model, inputs))).float().cpu()
        targets = targets.reshape(logits.shape)
        bce.append(F.binary_cross_entropy_with_logits(logits, targets, reduction="none").flatten(1).mean(1))
        mse.append((torch.sigmoid(logits) - targets).square().flatten(1).mean(1))
    return torch.cat(bce).numpy(), torch.cat(mse).numpy()


def score_run(run_dir: Path, data_dir: Path | None = None, download: bool = False,
              device: str = "cpu", verify: bool | None = None) -> dict[str, Any]:
    """Score a run's best checkpoint on the test set: what ``eval.json`` holds (written by
    :func:`save_scores`). ``data_dir`` None: the folder the run was trained on; ``verify`` None: the
    run's own MD5 setting (:func:`run_task`). Only the two test files are read."""
    model, meta = load_run(run_dir, device)
    task = run_task(meta, verify)
    test, _ = load_test_data(task, data_dir, download)
    bce, mse = per_image_errors(model, test, task)
    return {"arch": task.arch, "noise": task.noise, "noise_level": task.noise_level, "loss": task.loss,
            "best_epoch": int(meta.get("epoch", -1)) + 1, "epochs_from": 1, "test_images": len(bce),
            "test_bce": float(bce.mean()), "test_mse": float(mse.mean())}


def save_scores(run_dir: Path, result: dict[str, Any]) -> Path:
    """Write a run's scores to its ``eval.json``; OutputError (one line naming it) when the run
    folder cannot take it (a read-only run, a full disk)."""
    path = Path(run_dir) / "eval.json"
    with writing_in(path, "save the scores"), atomic_path(path) as tmp:
        tmp.write_text(json.dumps(result, indent=2))
    return path


def evaluate_run(run_dir: Path, data_dir: Path | None = None, download: bool = False,
                 device: str = "cpu", verify: bool | None = None) -> dict[str, Any]:
    """Score a run's best checkpoint on the test set; writes and returns ``eval.json``'s contents."""
    result = score_run(run_dir, data_dir, download, device, verify)
    save_scores(run_dir, result)
    return result


@dataclass
class RunSummary:
    """One row of a comparison table."""

    name: str
    arch: str
    noise: str
    epochs: int
    best_epoch: int
    best_val_bce: float
    test_bce: float
    seconds_per_epoch: float
    unsaved: str | None = None
    """Why the scores, computed afresh, could not be kept in the run's eval.json (a read-only run);
    None when they were, or were read from it."""
    run_dir: Path | None = None
    """The run folder the row describes."""


def summarize_run(run_dir: Path, data_dir: Path | None = None, device: str = "cpu", *, download: bool = False,
                  verify: bool | None = None) -> RunSummary:
    """A run's table row; evaluates it first when its ``eval.json`` is missing or older than its
    best checkpoint (a resumed run, or a new run in the same folder, would show stale figures;
    ``download`` and ``verify`` as for :func:`score_run`). Scores that cannot be saved (a read-only
    run) still make the row; ``unsaved`` says why."""
    run_dir = Path(run_dir)
    eval_path, best_path = run_dir / "eval.json", run_dir / "best.safetensors"
    fresh = eval_path.exists() and (not best_path.exists()
                                    or eval_path.stat().st_mtime_ns >= best_path.stat().st_mtime_ns)
    result = json.loads(eval_path.read_text()) if fresh else {}
    unsaved = None
    if result.get("epochs_from") != 1:  # missing, stale, or written when epochs counted from 0
        result = score_run(run_dir, data_dir, download, device, verify)
        try:
            save_scores(run_dir, result)
        except OutputError as exc:
            unsaved = exc.reason
    history = read_history(run_dir)
    best = min(history, key=lambda r: r.get("val_loss", np.inf)) if history else {}
    noise = f"{result['noise']} {result['noise_level']:g}" if result.get("noise") else "-"
    seconds = float(np.mean([r["epoch_seconds"] for r in history])) if history else float("nan")
    return RunSummary(run_dir.name, result["arch"], noise, len(history), result["best_epoch"],
                      best.get("val_bce", float("nan")), result["test_bce"], seconds, unsaved, run_dir)


def distinct_names(run_dirs: list[Path]) -> list[str]:
    """A name for each run folder: its shortest path suffix that no other folder's path ends in
    (``a/run`` and ``b/run`` for two folders called ``run``; ``dense`` alone where it is the only one).
    Paths are compared made absolute, so ``run`` and ``../x/run`` are told apart too; one folder given
    twice is one run, named alike."""
    parts = [Path(os.path.normpath(Path(d).absolute())).parts for d in run_dirs]
    names = []
    for i, mine in enumerate(parts):
        others = [p for j, p in enumerate(parts) if j != i and p != mine]
        size = next((k for k in range(1, len(mine) + 1) if all(p[-k:] != mine[-k:] for p in others)), len(mine))
        names.append(str(Path(*mine[-size:])))
    return names


def compare_runs(run_dirs: list[Path], plot_path: Path | None, data_dir: Path | None = None,
                 device: str = "cpu", *, download: bool = False, verify: bool | None = None,
                 left_out: list[tuple[Path, str]] | None = None) -> list[RunSummary]:
    """Summarize several runs and draw their validation BCE curves in one plot (none when
    ``plot_path`` is None: :func:`plot_runs` draws it later); each row and curve is named by
    :func:`distinct_names`, so two folders of one name are told apart in both. ``download`` and
    ``verify`` as for :func:`score_run`, for the runs that are scored afresh. With ``left_out``, a run
    whose test data cannot be read (DataError) is added to it with the reason instead of ending the
    comparison (``RunSummary.run_dir`` says which runs the rows are); none left: that DataError."""
    rows: list[RunSummary] = []
    error: DataError | None = None
    for run in run_dirs:
        try:
            rows.append(summarize_run(run, data_dir, device, download=download, verify=verify))
        except DataError as exc:
            if left_out is None:
                raise
            error = exc
            left_out.append((run, f"its test data cannot be read ({exc})"))
    if not rows and error is not None:
        raise error
    kept = [row.run_dir for row in rows if row.run_dir is not None]  # summarize_run names every one
    for row, name in zip(rows, distinct_names(kept)):
        row.name = name
    if plot_path is not None:
        plot_runs(rows, kept, plot_path)
    return rows


def plot_runs(rows: list[RunSummary], run_dirs: list[Path], plot_path: Path) -> Path:
    """The validation curves of :func:`compare_runs`'s rows (of ``run_dirs``, in order) in one plot."""
    return plot_compare({r.name: read_history(d) for r, d in zip(rows, run_dirs)}, plot_path)


def markdown_table(rows: list[RunSummary]) -> str:
    """The comparison as a markdown table."""
    lines = ["| run | arch | noise | epochs | best epoch | best val BCE | test BCE | s/epoch |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r.name} | {r.arch} | {r.noise} | {r.epochs} | {r.best_epoch} | {r.best_val_bce:.4f} | "
              f"{r.test_bce:.4f} | {r.seconds_per_epoch:.1f} |" for r in rows]
    return "\n".join(lines) + "\n"


@dataclass
class AnomalyReport:
    """Where the anomaly files went and the extremes of the ranking (test-set indices)."""

    plot: Path
    table: Path
    typical: list[int]
    atypical: list[int]
    errors: np.ndarray


def rank_anomalies(run_dir: Path, count: int = 10, data_dir: Path | None = None,
                   device: str = "cpu", *, download: bool = False, verify: bool | None = None) -> AnomalyReport:
    """Rank test images by per-image reconstruction MSE; write ``anomalies.png`` and ``anomalies.csv``
    (least typical first). ``errors`` in the report is the per-image MSE, indexed like the test set.
    ``data_dir``, ``download`` and ``verify`` as for :func:`score_run`."""
    run_dir = Path(run_dir)
    model, meta = load_run(run_dir, device)
    task = run_task(meta, verify)
    test, labels = load_test_data(task, data_dir, download)
    # Rank by MSE, not BCE: BCE has a floor that grows with a target's grey levels (its own entropy),
    # so ranking by BCE mostly sorts bright garments last, however well they are reconstructed.
    bce, errors = per_image_errors(model, test, task)
    order = np.argsort(errors, kind="stable")
    count = min(count, len(order))
    typical, atypical = order[:count], order[::-1][:count]
    images = (test[:, 0].numpy() * 255).round().astype(np.uint8)
    plot = plot_anomalies(images, labels, errors, typical, atypical, run_dir / "anomalies.png", CLASS_NAMES,
                          title=f"{task.arch}: test images by reconstruction MSE")
    table = run_dir / "anomalies.csv"
    with writing_in(table, "write the ranking"), atomic_path(table) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["rank", "test_index", "label", "class", "mse", "bce"])
        for rank, i in enumerate(order[::-1]):
            writer.writerow([rank + 1, int(i), int(labels[i]), CLASS_NAMES[int(labels[i])], f"{errors[i]:.6f}",
                             f"{bce[i]:.6f}"])
    return AnomalyReport(plot, table, [int(i) for i in typical], [int(i) for i in atypical], errors)


@torch.inference_mode()
def code_sensitivity(model: nn.Module, images: torch.Tensor, eps: float = 0.01, seed: int = 0,
                     batch_size: int = 500) -> dict[str, float]:
    """How far the code moves when the input moves a little: for ``delta = eps * N(0, I)`` (not
    clipped, so its size is exact), the mean over images of ``||h(x + delta) - h(x)|| / ||delta||``
    (``code_change_per_input_change``), and the same divided by the codes' spread over the images
    (the root of the summed per-unit variances), so that a network cannot look stable merely by
    using a smaller code scale (``relative_change``)."""
    generator = torch.Generator().manual_seed(seed)
    ratios, codes = [], []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        delta = eps * torch.randn(x.shape, generator=generator)
        h = model.encode(to_model_input(model, x)).float().flatten(1).cpu()
        moved = model.encode(to_model_input(model, x + delta)).float().flatten(1).cpu()
        ratios.append((moved - h).norm(dim=1) / delta.flatten(1).norm(dim=1))
        codes.append(h)
    ratio = float(torch.cat(ratios).mean())
    spread = float(torch.cat(codes).var(dim=0).sum().sqrt())
    return {"code_change_per_input_change": ratio, "code_spread": spread, "relative_change": ratio / spread}
