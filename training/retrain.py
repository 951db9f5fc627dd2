"""Retrain or fine-tune the page denoiser on a user's own noisy/clean pairs (``docclean train``).

Two folders of pairs in (``docclean.pairs``: any format, every page, paired by relative path and
stem, bad pairs named before any training), a run folder out: the resolved config and the exact
command, ``metrics.csv``, ``loss.png`` and ``samples.png`` (updated every epoch),
``best.safetensors`` (ready for ``docclean clean --model``) and the last checkpoint with the
optimizer state. By default it fine-tunes the shipped model; ``init="scratch"`` trains a new one.
Scans of one original stay on one side of the validation split. The training loop
(``training.loop``) owns the device, mixed precision, early stopping and resume; this module only
supplies data, loss and scoring.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from docclean.checkpoint import load_model
from docclean.model import DocUNet, DocUNetConfig
from docclean.models import resolve_model_path
from docclean.outputs import MadeFolder, output_lock
from docclean.pairs import Pair, find_pairs, left_out, read_pairs
from docclean.pairsplit import check_apart, split_pairs
from training.denoiser import ink_weighted_loss
from training.loop import Callback, FitConfig, FitResult, fit
from training.page_store import (
    SAME_PAGES,
    as_float,
    check_not_copies,
    check_not_swapped,
    compact,
    pad,
    synthetic_pairs,
)
from training.resume_guard import check_same_pages
from training.retrain_config import (
    CONFIG_NAME,
    LOCK_NAME,
    START_NAME,
    RetrainConfig,
    check_config,
    check_same_run,
    has_checkpoint,
    has_state,
    remove_stale_temps,
    resolved,
)
from training.retrain_pictures import SamplePictures, page_rmse_evaluator
from training.run_folder import write_json, writing_in

Pages = list[tuple[np.ndarray, np.ndarray]]


def load_split(cfg: RetrainConfig, warn: Callable[[str], None] | None = None,
               stop: Callable[[], bool] | None = None) -> tuple[list[Pair], list[Pair], Pages, Pages]:
    """(training pairs, validation pairs, training pages, validation pages): every pair found, read
    (pages kept compact) and checked before it is split, so one DataError names every bad pair at
    once: files that do not open or decode (empty, truncated, not an image), sizes apart, blank clean
    pages. Files without a partner are told to ``warn`` first (they are left out, and the user must
    hear of them even when the run then stops); what reading lined up (a pair of different sizes,
    :func:`docclean.pairs.read_pairs`' notes) once the pairs are split. ``stop``: see
    :func:`docclean.pairs.read_pairs`. Half a validation pair is refused before (``check_config``)."""
    scans = [find_pairs(cfg.noisy, cfg.clean)]
    if cfg.val_noisy and cfg.val_clean:
        scans.append(find_pairs(cfg.val_noisy, cfg.val_clean))
    broken = dict(bad for scan in scans for bad in scan.broken)
    unmatched = [u for scan in scans for u in scan.unmatched if u[0] not in broken]
    for path, reason in unmatched if warn is not None else ():
        warn(left_out(path, reason))
    pairs = [pair for scan in scans for pair in scan.pairs]
    notes: list[str] = []
    read = read_pairs(pairs, keep=compact, notes=notes, stop=stop, known=list(broken.values()))
    by_pair = dict(zip(pairs, read))
    if len(scans) == 2:
        train, val = scans[0].pairs, scans[1].pairs
        check_apart(train, val)  # after the reads: a page that does not decode is named as such
    else:
        train, val = split_pairs(scans[0].pairs, cfg.val_fraction, cfg.seed, cfg.group)
    for note in notes if warn is not None else ():
        warn(note)
    return train, val, [by_pair[p] for p in train], [by_pair[p] for p in val]


class PairCrops:
    """An epoch of random (noisy, clean) crop batches, (B, 1, P, P), from pages held in memory;
    the loop seeds numpy's RNG per epoch, so a resumed run draws the same crops."""

    def __init__(self, pages: list[tuple[np.ndarray, np.ndarray]], cfg: RetrainConfig) -> None:
        self.cfg = cfg  # pages as training.page_store keeps them (or float 0..1)
        self.pages = [(pad(n, cfg.patch_size), pad(c, cfg.patch_size)) for n, c in pages]

    def __len__(self) -> int:
        return self.cfg.batches_per_epoch

    def __iter__(self):
        p = self.cfg.patch_size
        for _ in range(len(self)):
            noisy, clean = [], []
            for _ in range(self.cfg.batch_size):
                n, c = self.pages[np.random.randint(len(self.pages))]
                y, x = np.random.randint(n.shape[0] - p + 1), np.random.randint(n.shape[1] - p + 1)
                cn, cc = as_float(n[y:y + p, x:x + p]), as_float(c[y:y + p, x:x + p])
                if np.random.rand() < 0.5:
                    cn, cc = cn[:, ::-1], cc[:, ::-1]
                noisy.append(np.ascontiguousarray(cn))
                clean.append(np.ascontiguousarray(cc))
            yield torch.from_numpy(np.stack(noisy))[:, None], torch.from_numpy(np.stack(clean))[:, None]


def start_score(run: Path) -> dict[str, Any] | None:
    """The starting model's validation score of a fine-tuning run (``val_rmse``, ``model``), or None."""
    try:
        return json.loads((Path(run) / START_NAME).read_text())
    except (OSError, ValueError):
        return None


def result_warnings(result: FitResult, run: Path) -> list[str]:
    """What a finished run must tell its user about its best model: that no epoch beat the model a
    fine-tuning started from (``start.json``), and that it leaves the validation pages worse than
    the uncleaned scans (any run, from scratch too)."""
    said = []
    if not result.epochs_run:
        return said
    start = start_score(run)
    beaten = start is None or result.best_metric < start.get("val_rmse", float("inf"))
    if not beaten and result.stopped:  # the user means to go on: the verdict waits for the end of the run
        said.append(f"the run was interrupted before its end, and no epoch so far beats the model it started "
                    f"from ({result.best_metric:.4f} against {start['val_rmse']:.4f}); continue with: docclean "
                    f"train --resume {run}")
    elif not beaten:
        said.append(f"no epoch beat the model it started from (validation RMSE {result.best_metric:.4f} against "
                    f"{start['val_rmse']:.4f} for {start.get('model')}); keep using that model, or train longer or "
                    "with more pairs")
    raw = next((h["val_raw_rmse"] for h in result.history if "val_raw_rmse" in h), None)
    if raw is not None and raw < SAME_PAGES:  # no training advice helps: the targets are the inputs
        said.append(f"the validation pages' clean pages are the scans themselves (RMSE {raw:.4f} uncleaned); do "
                    "not use this model: give --clean a folder of clean versions of the scans")
    elif raw is not None and result.best_metric >= raw:
        said.append(f"the best epoch makes the validation pages worse than the scans themselves (RMSE "
                    f"{result.best_metric:.4f} against {raw:.4f} uncleaned); do not use this model: train longer, "
                    "with a lower --lr or more pairs")
    return said


def _initial_model(cfg: RetrainConfig) -> tuple[DocUNet, dict[str, Any], dict[str, Any] | None]:
    """(model, its config, where it came from or None) for a run that starts from ``cfg.init``."""
    if cfg.init == "scratch":
        model = DocUNet(DocUNetConfig())
        return model, model.config.to_dict(), None
    path = resolve_model_path(cfg.init)
    model, meta = load_model(path)
    return model, meta["config"], {"path": str(path), "command": meta.get("command"), "epoch": meta.get("epoch")}


def run_command(out: Path, command: str, resuming: bool) -> dict[str, Any]:
    """The ``command`` (and ``resumed``) entries of a run's metadata: the command that started the
    run, and each later one that continued it (``docclean train --resume RUN``, with any options
    given anew), so a model still says which data and options made it."""
    if resuming:
        try:
            saved = json.loads((out / "config.json").read_text())
        except (OSError, ValueError):
            saved = {}
        first, resumed = saved.get("command"), saved.get("resumed")
        if isinstance(first, str) and first != command:
            return {"command": first, "resumed": [*(resumed if isinstance(resumed, list) else []), command]}
    return {"command": command}


def _checkpointed_model(out: Path) -> tuple[DocUNet, dict[str, Any], dict[str, Any] | None]:
    """:func:`_initial_model` for a run that goes on from its own last checkpoint: the network as that
    checkpoint describes it (``fit`` loads the weights again) and the starting model it recorded, so
    the --from file may since have been moved, deleted or replaced."""
    model, meta = load_model(out / "last.safetensors")
    init_from = meta.get("init_from")
    return model, meta["config"], init_from if isinstance(init_from, dict) else None


#: Told the pages a run trains and validates on, once its pairs are split and any synthetic pairs
#: made: (training pages read, synthetic pages made over them, validation pages).
SplitHook = Callable[[int, int, int], None]


def retrain(cfg: RetrainConfig, callbacks: list[Callback] | None = None, should_stop=None,
            command: str | None = None, on_split: SplitHook | None = None,
            warn: Callable[[str], None] | None = None, interrupt: Callable[[], bool] | None = None,
            phase: Callable[[str], None] | None = None) -> FitResult:
    """Run (or, when the run folder holds one, resume) a retraining; returns the FitResult.
    The pairs are found and split (:func:`load_split`, told to ``on_split``) only once the run
    folder's lock is held, so a second run on a folder in use is refused before any file is read;
    ``warn`` is told what the user should know as pages are read (a pair of different sizes lined up).
    ``should_stop`` is asked after every batch (True: the run saves and stops); ``interrupt`` per
    page while pages are read and whole pages scored (the starting model, validation), where True
    raises :class:`Cancelled`: nothing of the run's state is half written, the epoch in hand is lost.
    ``phase`` is told each scoring step as it begins ("scoring the starting model", "validation").
    UsageError for a missing device or an unusable run folder, OutputBusy while another run
    holds the folder, DataError when the folder holds another run or its pairs changed."""
    cfg = resolved(cfg)
    check_config(cfg)  # before the lock makes the folder: it may lie inside an input folder
    out = Path(cfg.out)
    made = MadeFolder(out)
    try:
        with output_lock(out, name=LOCK_NAME, holder="docclean train run", advice="wait for it to finish"):
            return _retrain(cfg, callbacks, should_stop, command, on_split, warn, interrupt, phase or (lambda _: None))
    finally:
        made.remove_if_empty()  # a run refused or failed before writing anything leaves no folder


def _retrain(cfg: RetrainConfig, callbacks: list[Callback] | None, should_stop, command: str | None,
             on_split: SplitHook | None, warn: Callable[[str], None] | None,
             interrupt: Callable[[], bool] | None, phase: Callable[[str], None]) -> FitResult:
    """:func:`retrain`, holding the run folder's lock."""
    out = Path(cfg.out)
    check_same_run(cfg)
    remove_stale_temps(out)  # kill -9 mid-write leaves a temporary that no later write replaces
    train_pairs, val_pairs, train_pages, val_pages = load_split(cfg, warn, interrupt)
    page_names = [f"{p.noisy}#{p.page}" for p in train_pairs], [f"{p.noisy}#{p.page}" for p in val_pairs]
    resuming = has_state(out)
    if resuming:  # the same options over other files would re-split them and go on as if nothing changed
        check_same_pages(out, *page_names)
    pages = train_pages + val_pages
    check_not_copies(pages)
    if not cfg.allow_swapped:  # validation folders of their own are checked on their own
        check_not_swapped(train_pages if cfg.val_noisy else pages, cfg.noisy, cfg.clean)
        if cfg.val_noisy:
            check_not_swapped(val_pages, cfg.val_noisy, cfg.val_clean, ("val_noisy", "val_clean"))
    read = len(train_pages)
    if cfg.synthetic:
        train_pages += synthetic_pairs([c for _, c in train_pages], cfg.synthetic, cfg.seed)
    if on_split is not None:
        on_split(read, len(train_pages) - read, len(val_pages))
    small = sum(min(n.shape) < cfg.patch_size for n, _ in train_pages[:read])
    if small and warn is not None:  # padded crops are mostly paper: the user may want a smaller --patch-size
        warn(f"{small} training page(s) are smaller than --patch-size {cfg.patch_size} and are padded with white "
             "paper to it")
    continuing = has_checkpoint(out)  # as check_config decided: then the --from file is not needed
    model, model_config, init_from = _checkpointed_model(out) if continuing else _initial_model(cfg)
    with writing_in(out):
        write_json(out / CONFIG_NAME, cfg.stored())
    scorer = page_rmse_evaluator(val_pages, interrupt)

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        phase("validation")
        return scorer(model)

    if not resuming:  # a start.json without training state belongs to an attempt whose options were replaced
        with writing_in(out, "remove the earlier attempt's start.json"):
            (out / START_NAME).unlink(missing_ok=True)
    if init_from is not None and not continuing and not (out / START_NAME).exists():
        # Scored before any training: fine-tuning may end worse than where it started, and the user
        # must hear of it instead of trusting best.safetensors (the loop keeps the best epoch only).
        phase("scoring the starting model")
        score = {"model": init_from["path"], **scorer(model)}
        with writing_in(out):
            write_json(out / START_NAME, score)
    fit_config = FitConfig(out_dir=out, epochs=cfg.epochs, lr=cfg.learning_rate, optimizer="adamw",
                           weight_decay=1e-4, patience=cfg.patience, seed=cfg.seed, device=cfg.device,
                           precision="auto" if cfg.device != "cpu" else "fp32", grad_clip=1.0, monitor="val_rmse")
    info = {"task": "retrain", **run_command(out, command or " ".join(sys.argv), resuming), "retrain": cfg.stored(),
            "data": {"noisy": cfg.noisy, "clean": cfg.clean},
            "train_pages": page_names[0], "val_pages": page_names[1]}
    if init_from is not None:
        info["init_from"] = init_from
    pictures = SamplePictures(out, val_pages[:3])
    return fit(model, ink_weighted_loss(cfg.ink_weight), PairCrops(train_pages, cfg), fit_config, arch="docunet",
               model_config=model_config, evaluate=evaluate, info=info,
               callbacks=[*(callbacks or []), pictures], should_stop=should_stop, time_limit=cfg.max_time,
               start_over=None)  # docclean train has no --no-resume: a new run needs another --out
