"""The paired-scans task: train the page denoiser on noisy/clean scan pairs, optionally mixed with
cached synthetic pages (``docclean.synth``).

Data is two folders with the same file names (``train/`` noisy, ``train_cleaned/`` clean, as in
the "Denoising Dirty Documents" set). Three disjoint sets of whole texts: ``val_texts`` texts are
held out and only *reported* (``val_rmse``); ``select_texts`` further texts plus synthetic
validation pages pick the best checkpoint (``select``); the rest train. Training draws random
crops at several scales (letters at 300 dpi are several times larger than on the 540-pixel
training pages) and, with ``--synth-n``, a share of crops from synthetic pages rendered once into
``--synth-dir`` (100-600 dpi, inks from black to faint, many kinds of damage).

The shipped model's recipe is ``training/recipes/default.sh`` (see the README).
Run ``python -m training.denoiser --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from docclean.checkpoint import load_model
from docclean.io import read_gray
from docclean.metrics import pooled_rmse, strokes_lost, strokes_lost_share
from docclean.model import DocUNet, DocUNetConfig
from docclean.postprocess import binarize
from docclean.synth import PairKind, write_pairs
from docclean.synth.fonts import missing_fonts_note
from training.denoiser_data import CropBatches, DenoiserTaskConfig, find_pairs, read_u8, resize, split_by_text
from training.loop import Callback, FitConfig, FitResult, StopFlag, fit, stop_on_signals
from training.stop import StopHook

#: How dark (0..1) a graded target draws a pixel that :func:`binarized_scores` counts as ink.
TARGET_INK = 0.25

__all__ = ["CropBatches", "DenoiserTaskConfig", "find_pairs", "split_by_text", "mse_loss", "ink_weighted_loss",
           "train", "main"]


def mse_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean squared error between the cleaned crop and its clean target (RMSE is the metric)."""
    noisy, clean = batch
    return F.mse_loss(model(noisy).float(), clean), {}


def ink_weighted_loss(ink_weight: float, halo: int = 0, level: float = 0.6):
    """A loss where ink pixels (target darker than ``level``, 5-10% of a page) weigh ``1 + ink_weight``
    times as much as paper, so erasing a faint stroke costs more than a grey speck on paper: the
    weighted mean of squared error plus a quarter of the weighted absolute error (sharper edges).

    ``halo`` > 0 also gives the paper within ``halo`` pixels of ink the ink's weight. Weighting only
    the ink side of a stroke's edge makes the cheapest answer for an unsure edge pixel "ink", so the
    model learns to thicken strokes (more ink kept, but poorer precision); weighting both sides
    alike keeps the emphasis on text without that bias. A higher ``level`` also weighs the light
    strokes of a target: a distillation target (a model's own output) draws faint ink grey, not
    black, and at 0.6 a student could lighten it at the price of paper."""
    if ink_weight <= 0:
        return mse_loss

    def loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        noisy, clean = batch
        diff = model(noisy).float() - clean
        ink = (clean < level).float()
        if halo > 0:
            ink = F.max_pool2d(ink, 2 * halo + 1, stride=1, padding=halo)
        w = 1.0 + ink_weight * ink
        mse = (w * diff * diff).sum() / w.sum()
        l1 = (w * diff.abs()).sum() / w.sum()
        return mse + 0.25 * l1, {"mse": float((diff.detach() ** 2).mean())}

    return loss


def _predict(model: nn.Module, page: np.ndarray, bf16: bool) -> np.ndarray:
    device = next(model.parameters()).device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16 and device.type == "cpu"):
        out = model(torch.from_numpy(page)[None, None].to(device))
    return out.float().clamp(0, 1)[0, 0].cpu().numpy()


def page_evaluator(val_pairs: list[tuple[Path, Path]], bf16: bool, select_pairs: list[tuple[Path, Path]] = (),
                   synth_val: list[tuple[Path, Path]] = (), x2: bool = True):
    """An ``evaluate`` for :func:`training.loop.fit`. Reports ``val_rmse`` and ``val_rmse_x2``
    (pooled RMSE of the held-out texts at scale 1, the Kaggle metric, and, with ``x2``, at scale 2); with
    selection pages, ``sel_rmse`` (selection texts), ``syn_rmse``, ``syn_ink_kept`` (share of
    the synthetic pages' ink that stays darker than 0.5) and ``syn_strokes_lost`` (share of their
    strokes the model erased, :func:`docclean.metrics.strokes_lost`; reported only: a checkpoint
    that keeps RMSE low by erasing faint strokes shows here), and ``select``, the mean RMSE, which
    picks the checkpoint so that the reported texts never do."""
    pages = [(read_gray(n), read_gray(c)) for n, c in val_pairs]
    pages2 = [(resize(n, 2.0), resize(c, 2.0)) for n, c in pages] if x2 else []
    sel = [(read_gray(n), read_gray(c)) for n, c in select_pairs]
    syn = [(read_u8(n).astype(np.float32) / 255, read_u8(c).astype(np.float32) / 255) for n, c in synth_val]

    @torch.inference_mode()
    def evaluate(model: nn.Module) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, data in (("val_rmse", pages), ("val_rmse_x2", pages2), ("sel_rmse", sel), ("syn_rmse", syn)):
            if data:
                preds = [(_predict(model, n, bf16), c) for n, c in data]
                out[name] = pooled_rmse(preds)
                if name == "syn_rmse":
                    ink = np.concatenate([(c < 0.5).ravel() for _, c in preds])
                    kept = np.concatenate([(p < 0.5).ravel() for p, _ in preds])
                    out["syn_ink_kept"] = float((ink & kept).sum() / max(int(ink.sum()), 1))
                    out["syn_strokes_lost"] = strokes_lost_share([strokes_lost(p < 0.5, c < 0.5) for p, c in preds])[0]
                    out.update(binarized_scores(preds))
        chosen = [out[k] for k in ("sel_rmse", "syn_rmse") if k in out]
        if chosen:
            out["select"] = float(np.mean(chosen))
        return out

    return evaluate


def binarized_scores(preds: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """What ``--binarize`` makes of the model's synthetic validation pages (``preds``: cleaned page
    and graded target, 0..1): ``syn_bin_f``, the F-measure (%) pooled over every pixel of the pages,
    and ``syn_bin_lost``, the share of the target's strokes the 1-bit pages erased. A target pixel
    is ink when the target draws it at least :data:`TARGET_INK` dark, so a faint stroke (drawn at
    44% darkness or more, ``docclean.synth.ink.target_darkness``) counts. Reported, not selected on:
    the real historical pages' ``--binarize`` figures, which RMSE does not see, move with these."""
    tp = fp = fn = 0
    lost = []
    for pred, target in preds:
        ink, truth = ~binarize(pred), target < 1.0 - TARGET_INK
        tp += int(np.count_nonzero(ink & truth))
        fp += int(np.count_nonzero(ink & ~truth))
        fn += int(np.count_nonzero(~ink & truth))
        lost.append(strokes_lost(ink, truth))
    f = 0.0 if tp == 0 else 200.0 * tp / (2 * tp + fp + fn)
    return {"syn_bin_f": f, "syn_bin_lost": strokes_lost_share(lost)[0]}


def warm_start(model: DocUNet, path: Path) -> list[str]:
    """Copy every tensor of checkpoint ``path`` whose name and shape match into ``model``. A
    plain model's stem fed into a background-normalising one goes onto the normalised channels
    (the new network starts as the old one run on the background-divided page). A narrower network
    gets the first channels of each wider tensor (a pruned copy to fine-tune). Returns the names of
    tensors left at their fresh initialisation."""
    old = load_file(str(path))
    state = model.state_dict()
    fresh = []
    for name, tensor in state.items():
        src = old.get(name)
        if src is not None and src.shape == tensor.shape:
            state[name] = src
        elif name == "stem.0.weight" and src is not None and tensor.shape[1] == 2 * src.shape[1]:
            new = torch.zeros_like(tensor)
            new[:, src.shape[1]:] = src
            state[name] = new
        elif src is not None and src.ndim == tensor.ndim and all(a >= b for a, b in zip(src.shape, tensor.shape)):
            # A narrower network keeps the first channels of every level: a level's channels mean
            # the same thing in all of its layers (residual blocks and skips share them), so the
            # slice is a consistent, pruned copy of the wider network to fine-tune from.
            state[name] = src[tuple(slice(0, n) for n in tensor.shape)].clone()
        else:
            fresh.append(name)
    model.load_state_dict(state)
    return fresh


def train(task: DenoiserTaskConfig, fit_config: FitConfig, model_config: DocUNetConfig | None = None,
          callbacks: list[Callback] | None = None, init_from: Path | None = None,
          command: str | None = None, warm_from: Path | None = None, workers: int = 1,
          time_limit: float | None = None, should_stop: StopHook | None = None) -> FitResult:
    """Train (or, with ``init_from``, fine-tune; with ``warm_from``, start from matching tensors of
    another checkpoint) a DocUNet; returns the FitResult. The best checkpoint (by ``select`` when
    selection pages exist, else by ``val_rmse``) is ``fit_config.out_dir / 'best.safetensors'``.
    ``time_limit`` (seconds) and ``should_stop`` stop the run part way, saved to resume, as in
    :func:`training.loop.fit`: a time limit fits the rest of the cosine into the time it leaves."""
    model_config = model_config or DocUNetConfig()
    pairs = find_pairs(task.data, task.noisy_dir, task.clean_dir)
    train_pairs, val_pairs = split_by_text(pairs, task.val_texts, task.split_seed, task.texts_from)
    select_pairs: list[tuple[Path, Path]] = []
    if task.select_texts:
        train_pairs, select_pairs = split_by_text(train_pairs, task.select_texts, task.split_seed + 1,
                                                  task.texts_from)
    synth_train, synth_val = [], []
    if task.synth_dir is not None and (task.synth_n or task.synth_val_n):
        note = missing_fonts_note()
        if note:
            print(f"warning: {note}", file=sys.stderr, flush=True)
        for sub, n, seed, into in (("train", task.synth_n, task.synth_seed, synth_train),
                                   ("val", task.synth_val_n, task.synth_seed + 1000, synth_val)):
            names = write_pairs(Path(task.synth_dir) / sub, n, seed=seed, size=task.synth_size, workers=workers,
                                kind=PairKind(task.synth_graded, task.synth_uneven, task.synth_show_through,
                                             task.synth_markers, task.synth_lines, task.synth_boxes))
            into.extend((Path(task.synth_dir) / sub / "noisy" / m, Path(task.synth_dir) / sub / "clean" / m)
                        for m in names)
    model = DocUNet(model_config)
    fresh = None
    if init_from is not None:
        model, meta = load_model(init_from)
        model_config = DocUNetConfig(**meta["config"])
    elif warm_from is not None:
        fresh = warm_start(model, warm_from)
    model = model.to(memory_format=torch.channels_last)
    fit_config.monitor = "select" if (select_pairs or synth_val) else "val_rmse"
    info: dict[str, Any] = {
        "task": "denoiser",
        "data": str(task.data),
        "task_config": {**asdict(task), "data": str(task.data),
                        "synth_dir": None if task.synth_dir is None else str(task.synth_dir),
                        "texts_from": None if task.texts_from is None else str(task.texts_from)},
        "train_pages": [n.name for n, _ in train_pairs],
        "val_pages": [n.name for n, _ in val_pairs],
        "select_pages": [n.name for n, _ in select_pairs],
        "synthetic": {"train": len(synth_train), "val": len(synth_val), "seed": task.synth_seed,
                      "size": task.synth_size, "val_pages": [n.name for n, _ in synth_val]},
        "selection": fit_config.monitor,
    }
    if command:
        info["command"] = command
    if init_from is not None:
        info["init_from"] = {"path": str(init_from), "command": meta.get("command"), "epoch": meta.get("epoch")}
    if warm_from is not None:
        info["warm_from"] = {"path": str(warm_from), "fresh_tensors": fresh}
    evaluate = page_evaluator(val_pairs, fit_config.bf16, select_pairs, synth_val, task.eval_x2)
    loss = ink_weighted_loss(task.ink_weight, task.ink_halo, task.ink_level)
    return fit(model, loss, CropBatches(train_pairs, task, synth_train), fit_config,
               arch="docunet", model_config=model_config.to_dict(), evaluate=evaluate, info=info,
               callbacks=callbacks, start_over=None,  # its command line has no --no-resume
               time_limit=time_limit, should_stop=should_stop)


SHOWN = ("train_loss", "val_rmse", "val_rmse_x2", "sel_rmse", "syn_rmse", "syn_ink_kept", "syn_strokes_lost",
         "syn_bin_f", "syn_bin_lost", "select", "lr", "epoch_seconds")


class PrintProgress(Callback):
    """Plain one-line-per-epoch progress for the module's own command line."""

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        shown = {k: round(v, 5) for k, v in metrics.items() if k in SHOWN}
        print(f"epoch {epoch}: {shown}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line: train the default denoiser (see the module docstring)."""
    d = DenoiserTaskConfig()
    p = argparse.ArgumentParser(description="Train the docclean page denoiser on noisy/clean scan pairs.")
    p.add_argument("--data", type=Path, default=d.data)
    p.add_argument("--texts-from", type=Path, default=None,
                   help="folder of clean pages (same names) that says which pages share a text, for the split, "
                        "when --data's targets differ page by page (distillation)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--epochs", type=int, default=120)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--patience", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 (slower)")
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps (default cpu)")
    p.add_argument("--widths", type=int, nargs="+", default=[32, 64, 96, 128])
    p.add_argument("--blocks", type=int, nargs="+", default=[1, 2, 2, 2])
    p.add_argument("--unshuffle", type=int, default=2)
    p.add_argument("--background", action="store_true", help="divide the input by an estimated background")
    p.add_argument("--batches-per-epoch", type=int, default=100)
    p.add_argument("--scales", type=float, nargs="+", default=d.scales,
                   help="crop scales, drawn uniformly (repeat a scale to draw it more often)")
    p.add_argument("--select-texts", type=int, default=0, help="texts held out to pick the checkpoint")
    p.add_argument("--synth-dir", type=Path, help="cache folder of synthetic pairs (rendered once)")
    p.add_argument("--synth-n", type=int, default=0, help="synthetic training pages")
    p.add_argument("--synth-val-n", type=int, default=0, help="synthetic validation pages (selection)")
    p.add_argument("--synth-size", type=int, default=d.synth_size)
    p.add_argument("--synth-black-targets", action="store_true",
                   help="render synthetic targets with every stroke full black (sets made before graded targets)")
    p.add_argument("--synth-uneven", type=float, default=0.0,
                   help="chance that a synthetic page's ink fades from stroke to stroke (dip pen, faded manuscript)")
    p.add_argument("--synth-show-through", type=float, default=d.synth_show_through,
                   help="chance that the other side's text shows through a synthetic page")
    p.add_argument("--synth-markers", type=float, default=0.0,
                   help="chance that broad pen or marker strokes cross a synthetic page, mostly over its text")
    p.add_argument("--synth-lines", type=float, default=0.0,
                   help="chance of one more fold or scanner border band on a synthetic page (damage, cleaned)")
    p.add_argument("--synth-boxes", type=float, default=0.0,
                   help="chance of a block of form boxes with writing (pencil half of the time) on a synthetic page")
    p.add_argument("--synth-share", type=float, default=d.synth_share, help="share of crops from synthetic pages")
    p.add_argument("--ink-weight", type=float, default=0.0, help="extra loss weight of ink pixels (0: plain MSE)")
    p.add_argument("--ink-halo", type=int, default=0,
                   help="paper within this many pixels of ink weighs like ink (0: only ink pixels)")
    p.add_argument("--ink-level", type=float, default=d.ink_level,
                   help="target pixels darker than this are ink for --ink-weight (higher: faint strokes too)")
    p.add_argument("--exposure", type=float, default=0.0,
                   help="chance that a training crop is re-exposed, darker or paler (the target unchanged)")
    p.add_argument("--no-eval-x2", action="store_true", help="skip the (costly) 2x-scale validation RMSE")
    p.add_argument("--crop", type=int, default=d.crop)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--workers", type=int, default=1, help="processes that render synthetic pages")
    p.add_argument("--keep-every", type=int, default=0,
                   help="also keep every N epochs' weights in OUT/epochs/ (for averaging after the run; 0: off)")
    p.add_argument("--max-time", type=float, default=None,
                   help="seconds this call may train; the rest of the learning-rate schedule is fitted into them, "
                        "and a rerun resumes (SIGTERM also stops after the batch, saved)")
    p.add_argument("--init-from", type=Path, help="fine-tune from this checkpoint (its architecture wins)")
    p.add_argument("--warm-from", type=Path, help="start from the matching tensors of this checkpoint")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    task = DenoiserTaskConfig(data=a.data, batches_per_epoch=a.batches_per_epoch, scales=a.scales,
                              select_texts=a.select_texts, synth_dir=a.synth_dir, synth_n=a.synth_n,
                              synth_val_n=a.synth_val_n, synth_size=a.synth_size,
                              synth_graded=not a.synth_black_targets,
                              synth_uneven=a.synth_uneven, synth_show_through=a.synth_show_through,
                              synth_markers=a.synth_markers, synth_lines=a.synth_lines, synth_boxes=a.synth_boxes,
                              synth_share=a.synth_share, exposure=a.exposure,
                              ink_weight=a.ink_weight, ink_halo=a.ink_halo, ink_level=a.ink_level,
                              texts_from=a.texts_from, eval_x2=not a.no_eval_x2, crop=a.crop,
                              batch_size=a.batch_size)
    fit_config = FitConfig(out_dir=a.out, epochs=a.epochs, lr=a.lr, optimizer="adamw", weight_decay=1e-4,
                           patience=a.patience, seed=a.seed, bf16=not a.no_bf16, grad_clip=1.0,
                           device=a.device, keep_every=a.keep_every)
    model_config = DocUNetConfig(unshuffle=a.unshuffle, widths=a.widths, blocks=a.blocks, background=a.background)
    command = "python -m training.denoiser " + " ".join(sys.argv[1:] if argv is None else argv)
    with stop_on_signals(StopFlag()) as flag:
        result = train(task, fit_config, model_config, callbacks=[PrintProgress()], init_from=a.init_from,
                       command=command, warm_from=a.warm_from, workers=a.workers, time_limit=a.max_time,
                       should_stop=flag)
    if result.stopped:
        where = (f" in epoch {result.stopped_at[0]} after batch {result.stopped_at[1]}"
                 if result.stopped_at else "")
        print(f"stopped{where}, saved; the same command resumes", flush=True)
    print(f"best {fit_config.monitor} {result.best_metric:.5f} at epoch {result.best_epoch}; "
          f"checkpoint {result.best_path}")


if __name__ == "__main__":
    main()
