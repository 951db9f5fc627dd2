"""Evaluate and draw trained faces runs, always on the test people (nobody the network saw).

* :func:`evaluate_faces_run` scores a run's best checkpoint (or another checkpoint given): MSE and
  PSNR of its output against the clean test faces, and for a denoiser the same figures of the
  corrupted input itself (the baseline a denoiser must beat). Writes ``eval.json`` for the run's
  best checkpoint, ``eval-NAME.json`` for another (:func:`eval_record`); ``epoch`` in either is the
  evaluated checkpoint's epoch, and only eval.json, whose checkpoint is the best, has ``best_epoch``.
* :func:`reconstruction_picture` draws test faces: the (corrupted) input, the network's output and
  the original, one column per face.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from docclean.atomic import atomic_path
from docclean.checkpoint import load_model
from docclean.errors import ModelError
from training.device import resolve_device
from training.run_folder import writing_in
from training.suite.faces import ARCH, FaceBatches, FacesTaskConfig, load_splits

BEST_NAME = "best.safetensors"
"""The checkpoint a run folder stands for: the model its ``eval.json`` describes."""


def run_checkpoint(run: Path) -> Path:
    """``best.safetensors`` of a run folder, or ``run`` itself when it is a checkpoint file."""
    run = Path(run)
    path = run / BEST_NAME if run.is_dir() else run
    if not path.exists():
        raise ModelError("no trained faces model here (train it first)", path)
    return path


def load_faces_run(run: Path, device: str = "cpu", verify: bool | None = None
                   ) -> tuple[nn.Module, dict[str, Any], FacesTaskConfig]:
    """The best model of a faces run (eval mode, on ``device``), its metadata and its task config;
    ``verify`` given replaces the run's own SHA-256 setting (``--no-verify`` reads a copy of one's own
    for a run trained on the published file, ``--verify`` checks a run trained without the check)."""
    target = resolve_device(device)  # a device that is not there is named before the file is read
    path = run_checkpoint(run)
    model, meta = load_model(path)
    if meta["arch"] != ARCH:
        raise ModelError(f"not a faces autoencoder checkpoint (architecture {meta['arch']!r})", path)
    known = {f.name for f in fields(FacesTaskConfig)}
    task = FacesTaskConfig(**{k: v for k, v in meta.get("task", {}).items() if k in known})
    if verify is not None:
        task = replace(task, verify=verify)
    return model.to(target).eval(), meta, task


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB of images in 0..1 with mean squared error ``mse``."""
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else math.inf


@torch.inference_mode()
def outputs(model: nn.Module, inputs: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """The model's faces (on the CPU, float32) for ``inputs`` (N, 1, 64, 64)."""
    device = next(model.parameters()).device
    return torch.cat([model(inputs[i:i + batch_size].to(device)).float().cpu()
                      for i in range(0, len(inputs), batch_size)])


def eval_record(run: Path) -> Path:
    """Where the scores of ``run`` are written: the run folder's ``eval.json`` for its chosen model
    (the folder itself, or its best.safetensors), ``eval-NAME.json`` beside any other checkpoint
    (``last.safetensors`` -> ``eval-last.json``). Another checkpoint's scores are kept, since they
    were asked for, but under their own name: in eval.json they would pass for the run's model's."""
    run = Path(run)
    if run.is_dir():
        return run / "eval.json"
    return run.parent / ("eval.json" if run.name == BEST_NAME else f"eval-{run.stem}.json")


def score_faces_run(run: Path, data_dir: Path | None = None, device: str = "cpu",
                    verify: bool | None = None) -> dict[str, Any]:
    """Score a run (or one of its checkpoints) on its test people: what :func:`save_faces_scores`
    writes, with the checkpoint's file name as ``checkpoint`` and its epoch (counted from 1) as
    ``epoch``; ``best_epoch``, the same number, only when the checkpoint is the run's best (eval.json).
    ``verify`` None: the run's own SHA-256 setting (:func:`load_faces_run`)."""
    model, meta, task = load_faces_run(run, device, verify)
    record = eval_record(run)
    epoch = int(meta.get("epoch", -1)) + 1
    splits = load_splits(task, data_dir)
    noisy, clean = next(iter(FaceBatches(splits.test, len(splits.test), task.noise, task.noise_level, fixed=True)))
    mse = float((outputs(model, noisy) - clean).square().mean())
    result: dict[str, Any] = {"checkpoint": run_checkpoint(run).name, "arch": meta["arch"], "noise": task.noise,
                              "noise_level": task.noise_level,
                              "code": task.code, "epoch": epoch,
                              # another checkpoint's epoch is not the run's best one: no best_epoch for it
                              **({"best_epoch": epoch} if record.name == "eval.json" else {}), "epochs_from": 1,
                              "test_faces": len(clean), "test_people": splits.people["test"],
                              "test_mse": mse, "test_psnr": psnr(mse)}
    if task.noise:
        baseline = float((noisy - clean).square().mean())
        result.update({"input_mse": baseline, "input_psnr": psnr(baseline)})
    return result


def save_faces_scores(run: Path, result: dict[str, Any]) -> Path:
    """Write scores of ``run`` to :func:`eval_record`; OutputError (one line naming it) when the run
    folder cannot take them (a read-only run, a full disk)."""
    record = eval_record(run)
    with writing_in(record, "save the scores"), atomic_path(record) as tmp:
        tmp.write_text(json.dumps(result, indent=2))
    return record


def evaluate_faces_run(run: Path, data_dir: Path | None = None, device: str = "cpu",
                       verify: bool | None = None) -> dict[str, Any]:
    """Score a run (or one of its checkpoints) on its test people (:func:`score_faces_run`); writes
    the scores to :func:`eval_record` and returns them."""
    result = score_faces_run(run, data_dir, device, verify)
    save_faces_scores(run, result)
    return result


def reconstruction_picture(run: Path, out: Path | None = None, count: int = 10, noise: str | None = "run",
                           noise_level: float | None = None, data_dir: Path | None = None,
                           device: str = "cpu", say: Callable[[str], None] | None = None,
                           verify: bool | None = None) -> Path:
    """Draw ``count`` test faces: the corrupted input (when there is a corruption), the output and
    the original. ``noise="run"`` corrupts as the run was trained; ``None`` feeds clean faces; a
    kind (``gaussian``/``mask``) with ``noise_level`` tries another corruption. Returns the picture
    (``out``, in the format its ending names; a folder or nothing: ``reconstructions.png`` in it or
    in the run folder, ``denoised.png`` for another corruption). ``say`` hears when the test people
    have fewer faces than ``count`` (all of them are drawn); ``verify`` as for :func:`load_faces_run`."""
    from training.suite.plots import picture_target, plot_image_rows

    run = Path(run)
    name = "reconstructions.png" if noise == "run" else "denoised.png" if noise else "reconstructions-clean.png"
    target = picture_target(out, run if run.is_dir() else run.parent, name)  # a bad name fails before the model loads
    model, _, task = load_faces_run(run, device, verify)
    if noise == "run":
        noise, noise_level = task.noise, task.noise_level
    else:
        noise_level = FacesTaskConfig(noise=noise, noise_level=noise_level).resolved().noise_level
    splits = load_splits(task, data_dir)
    # Spread the faces over the test people rather than showing one person ten times.
    step = max(1, len(splits.test) // max(count, 1))
    chosen = splits.test[::step][:count]
    if len(chosen) < count and say is not None:
        say(f"the {len(splits.people['test'])} test people have only {len(chosen)} faces; drawing all {len(chosen)}")
    noisy, clean = next(iter(FaceBatches(chosen, len(chosen), noise, noise_level, fixed=True)))
    rows = [("noisy input", noisy)] if noise else []
    rows += [("reconstruction", outputs(model, noisy)), ("original", clean)]
    what = f"{noise} {noise_level:g}" if noise else "clean input"
    return plot_image_rows(rows, target, f"faces of unseen people ({what})", inches=0.9)


def pca_baseline(task: FacesTaskConfig, components: int, data_dir: Path | None = None) -> dict[str, float]:
    """What a linear code of the same length keeps: PCA fitted on the training people's faces,
    test faces projected on its first ``components`` axes and back. Also the mean training face
    as the output for every test face (a code of length 0). Test MSE and PSNR of both."""
    splits = load_splits(task, data_dir)
    train = splits.train.flatten(1).double()
    test = splits.test.flatten(1).double()
    mean = train.mean(dim=0)
    _, _, vt = torch.linalg.svd(train - mean, full_matrices=False)
    axes = vt[:components]
    projected = (test - mean) @ axes.T @ axes + mean
    pca_mse = float((projected.clamp(0, 1) - test).square().mean())
    mean_mse = float((mean - test).square().mean())
    return {"pca_mse": pca_mse, "pca_psnr": psnr(pca_mse), "mean_mse": mean_mse, "mean_psnr": psnr(mean_mse),
            "components": min(components, len(train))}
