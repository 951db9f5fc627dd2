"""The one generic training loop that every task (the denoiser and the teaching suite) uses.

``fit`` owns the device: it resolves ``FitConfig.device`` (auto, cpu, cuda, mps), moves the model
and every batch there (tensors, or tuples/lists/dicts of them) and runs the loss under the autocast
of that device type (``training.device``). It runs epochs of optimisation, validates after each,
logs one CSV row per epoch, keeps the best checkpoint (by a monitored validation metric) and the
last one, stops early when validation stops improving, stops between batches when a stop hook
says so (a GUI's Stop button, SIGTERM), and resumes an interrupted or stopped run from the state
it saved, after refusing a run folder that holds a different run (``training.run_folder``). For
a caller that leaves the run folder to it (the teaching suite) it also refuses a folder that holds
other files, and clears the earlier run out of a folder it starts afresh in.

A task supplies only a model, a loss function, data iterables and, optionally, an ``evaluate``
function; everything about devices, epochs, checkpoints and logging lives here (an epoch's batches
in ``training.epoch``).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safetensors.torch import load_file
from torch import nn

from docclean.checkpoint import read_metadata, save_model
from training.device import resolve_device, resolve_precision
from training.epoch import run_epoch
from training.fit_types import (
    Callback,
    FitConfig,
    FitResult,
    FittedSchedule,
    LossFn,
    PartialEpoch,
    TimeBudget,
    evaluate_loss,
    lr_at,
    make_optimizer,
    plan_epoch,
    seed_everything,
)
from training.resume_guard import NO_RESUME, check_epochs_left, check_resumable, unused_options
from training.rng_state import capture_rng
from training.run_folder import (
    EPOCHS_DIR,
    check_fit_folder,
    clear_derived,
    clear_run,
    output_error,
    read_history,
    restore_optimizer,
    write_csv,
    write_json,
    writing_in,
)
from training.stop import StopFlag, StopHook, stop_on_signals
from training.trainer_state import cut_save, load_last, save_state

__all__ = ["Callback", "FitConfig", "FitResult", "StopFlag", "evaluate_loss", "fit", "make_optimizer",
           "read_history", "seed_everything", "stop_on_signals"]


def _until(should_stop: StopHook | None, budget: TimeBudget | None) -> StopHook | None:
    """``should_stop`` that also answers True once ``budget``'s time is up."""
    if budget is None:
        return should_stop
    return lambda: bool(should_stop is not None and should_stop()) or budget.spent(time.perf_counter())


def fit(model: nn.Module, loss_fn: LossFn, train_data: Iterable, config: FitConfig, *, arch: str,
        model_config: dict[str, Any], val_data: Iterable | None = None,
        evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
        info: dict[str, Any] | None = None, callbacks: list[Callback] | None = None,
        should_stop: StopHook | None = None, start_over: str | None = NO_RESUME,
        derived_files: Sequence[str] | None = None, time_limit: float | None = None) -> FitResult:
    """Train ``model`` and return a :class:`FitResult`.

    ``train_data`` is iterated once per epoch; each batch is moved to the run's device before
    ``loss_fn`` sees it. Validation uses ``evaluate(model)`` when given (it receives the model on
    the run's device and must move its own data), else the mean of ``loss_fn`` over ``val_data``.
    ``config.monitor`` names the metric that picks the best checkpoint and drives early stopping
    (lower is better). ``info`` is stored in every checkpoint's metadata next to ``arch`` and
    ``model_config``. ``should_stop`` is asked after every batch; when it answers True the run
    saves its weights, the position in the epoch and the random generators' state, and a later ``fit``
    with ``resume`` carries on from there, drawing what the uninterrupted run would have. Resuming a
    folder that holds a different run raises UsageError (DataError when its files cannot be read),
    whose hint offers ``start_over`` (how the caller's command starts afresh; None: only another
    folder); resuming it with fewer ``config.epochs`` than it has trained raises
    UsageError too (``training.resume_guard.check_epochs_left``), before anything is written.
    A loss that is no longer finite raises FloatingPointError, naming the epoch and batch from 1.
    A run folder that cannot be made or written in raises OutputError (DiskFullError), one line.
    Each epoch's ``epoch_seconds`` is its training and validation time.

    ``time_limit`` (seconds of this call) stops the run as ``should_stop`` does, after the batch
    that passes it; when it would end the run before ``config.epochs``, the cosine schedule is
    fitted into the epochs that it leaves (:class:`training.fit_types.TimeBudget`), so the last
    epoch it finishes trains near the schedule's lowest rate, not near its peak. The fitted
    schedule is kept in the trainer state: a resume without a limit goes on along it, one with a
    new limit fits the rest of it, from where the run stands, into that (``plan_epoch``).

    ``derived_files`` hands the run folder's guard to fit: None leaves it to the caller (``docclean
    train`` checks its folder before it writes there itself). Else, before anything is written, a
    ``config.out_dir`` that is a file, holds other files but no earlier run, or (the run starting
    afresh: no resume asked, or nothing to resume) holds a run of another network is refused with a
    UsageError (``training.run_folder.check_fit_folder``); and a fresh start in a folder that held
    a run removes that run's files and those matching the ``derived_files`` patterns (the task's
    scores and pictures made from that run's model: ``training.run_folder.clear_run``). A resumed run
    writes config.json (the options given) and removes those derived files only before its first
    checkpoint: a rerun that trains nothing keeps both, and ``FitResult.unused`` names the options it
    did not use.
    """
    callbacks = callbacks or []
    out = Path(config.out_dir)
    device = resolve_device(config.device)
    precision = resolve_precision(device, config.requested_precision())
    model.to(device)
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay)
    state_path, last_path, best_path = out / "state.safetensors", out / "last.safetensors", out / "best.safetensors"
    resuming = config.resume and state_path.exists() and last_path.exists()
    if derived_files is not None:
        check_fit_folder(out, arch, resuming)
    try:
        out.mkdir(parents=True, exist_ok=True)  # after the options are checked: a bad one leaves no folder
    except OSError as exc:
        raise output_error("make the run folder", exc, out) from None
    scaler = precision.grad_scaler()
    start_epoch, best, best_epoch, bad_epochs = 0, math.inf, -1, 0
    history: list[dict[str, float]] = []
    partial: PartialEpoch | None = None
    schedule: FittedSchedule | None = None  # the cosine as a time limit fitted it (None: the plain one)
    run_info = {"command": " ".join(sys.argv), "fit": config.to_json(), "device": str(device),
                "precision": precision.name, **(info or {})}
    run_config = {"arch": arch, "model_config": model_config, **run_info}
    recorded = False  # whether this call has written its config.json

    def record() -> None:
        """Before this call's first checkpoint: store its options and, when it trains a resumed run
        further, remove what the task made from the model it held (``derived_files``)."""
        nonlocal recorded
        if not recorded:
            if resuming and derived_files is not None:
                clear_derived(out, derived_files)
            with writing_in(out):
                write_json(out / "config.json", run_config)
            recorded = True

    if resuming:
        check_resumable(out, run_config, start_over)
        state = read_metadata(state_path)["trainer"]
        load_last(model, last_path, arch, device, start_over)
        cut = cut_save(state, read_metadata(last_path))
        check_epochs_left(config.epochs, state["epoch"] + 1 + (cut is not None), bool(state.get("partial")))
        restore_optimizer(opt, load_file(str(state_path), device=str(device)), state["optimizer"])
        if state.get("scaler") and scaler.is_enabled():
            scaler.load_state_dict(state["scaler"])
        start_epoch, best = state["epoch"] + 1, state["best"]
        best_epoch, bad_epochs = state["best_epoch"], state["bad_epochs"]
        if state.get("partial"):
            partial = PartialEpoch.saved(state["partial"])
        schedule = FittedSchedule.saved(state.get("schedule"))
        history = read_history(out)[:start_epoch]
        if cut is not None:
            # Cut after the epoch's weights were saved and before its trainer state was (a full disk,
            # a kill): it is not trained a second time on its own weights; it is taken as done, with
            # the optimizer's state of the epoch before.
            history.append(cut)
            monitored = cut.get(config.monitor, cut["train_loss"])
            if monitored < best - config.min_delta:
                best, best_epoch, bad_epochs = monitored, start_epoch, 0
                record()
                with writing_in(out):
                    save_model(model, best_path, arch, model_config, read_metadata(last_path))
            else:
                bad_epochs += 1
            start_epoch += 1
    elif derived_files is not None:
        clear_run(out, derived_files)
    if not resuming:  # a resumed run stores its options once it trains: a rerun that trains nothing keeps them
        record()
    batches = len(train_data) if isinstance(train_data, Sized) else None
    # Where a resume goes on part way through an epoch (not when a lower --patience ends the run first),
    # told before the bars start ("resuming in epoch 1 after batch 146 of 200").
    goes_on = (partial is not None and partial.epoch == start_epoch
               and (config.patience is None or bad_epochs < config.patience))
    for cb in callbacks:
        if goes_on and hasattr(cb, "on_resume_in_epoch"):  # a callback need not be a Callback
            cb.on_resume_in_epoch(partial.epoch, partial.batches)
        cb.on_train_start(start_epoch, config.epochs, batches)
    stopped_early = stopped = False
    stopped_at: tuple[int, int] | None = None  # (epoch, batches trained) of a stop part way through an epoch
    budget = None if time_limit is None else TimeBudget(time.perf_counter() + time_limit, config.epochs)
    should_stop = _until(should_stop, budget)
    started: float | None = None  # when the last whole epoch of this call began
    previous: float | None = None  # where in the cosine it trained
    for epoch in range(start_epoch, config.epochs):
        if config.patience is not None and bad_epochs >= config.patience:
            stopped_early = True
            break
        if should_stop is not None and should_stop():
            stopped = True
            break
        now = time.perf_counter()
        if budget is not None and started is not None:
            budget.lengths.append(now - started)
        seed_everything(config.seed * 100_003 + epoch)
        progress = partial if partial is not None and partial.epoch == epoch else PartialEpoch(epoch)
        partial = None
        if progress.position is None:  # a resumed epoch keeps the rate it began with
            progress.position, schedule = plan_epoch(epoch, config.epochs, schedule, budget, now, previous)
        kept = {"schedule": asdict(schedule)} if schedule is not None else {}  # for a resume to go on along it
        for group in opt.param_groups:
            group["lr"] = lr_at(config, epoch, progress.position)
        t0 = time.perf_counter()
        # Only a whole epoch's length tells how many more fit: a resumed one's rest is shorter.
        started, previous = (t0 if progress.batches == 0 else None), progress.position
        if run_epoch(model, loss_fn, train_data, opt, scaler, config, device, precision, progress, callbacks,
                     should_stop):
            # Stopped part way: keep the weights, where the epoch stands and the time it took so far;
            # resume finishes it. The weights file says where they stand (no "epoch": they are no
            # finished epoch's, and no metrics: they were not validated).
            progress.seconds += time.perf_counter() - t0
            progress.rng = capture_rng(device)  # before anything else draws: the resume goes on from here
            record()
            with writing_in(out):
                save_model(model, last_path, arch, model_config,
                           {**run_info, "partial_epoch": epoch, "partial_batches": progress.batches,
                            **({"batches_per_epoch": batches} if batches is not None else {})})
                save_state(state_path, opt, scaler, {"epoch": epoch - 1, "best": best, "best_epoch": best_epoch,
                                                      "bad_epochs": bad_epochs, "partial": asdict(progress), **kept})
            stopped, stopped_at = True, (epoch, progress.batches)
            break
        metrics = {"epoch": float(epoch), "lr": opt.param_groups[0]["lr"]}
        metrics.update({f"train_{k}": v / max(progress.batches, 1) for k, v in progress.sums.items()})
        metrics["epoch_seconds"] = 0.0  # its column stays before validation's, as in runs written before
        if evaluate is not None:
            model.eval()
            metrics.update(evaluate(model))
        elif val_data is not None:
            metrics.update(evaluate_loss(model, loss_fn, val_data, precision=precision))
        # What an epoch costs, validation included (whole pages scored may take longer than the batches).
        metrics["epoch_seconds"] = progress.seconds + time.perf_counter() - t0
        monitored = metrics.get(config.monitor, metrics["train_loss"])
        improved = monitored < best - config.min_delta
        if improved:
            best, best_epoch, bad_epochs = monitored, epoch, 0
        else:
            bad_epochs += 1
        history.append(metrics)
        meta_info = {**run_info, "epoch": epoch, "metrics": metrics}
        record()
        with writing_in(out):
            save_model(model, last_path, arch, model_config, meta_info)
            if improved:
                save_model(model, best_path, arch, model_config, meta_info)
            if config.keep_every and (epoch + 1) % config.keep_every == 0:
                (out / EPOCHS_DIR).mkdir(exist_ok=True)
                save_model(model, out / EPOCHS_DIR / f"epoch_{epoch:03d}.safetensors", arch, model_config, meta_info)
            save_state(state_path, opt, scaler, {"epoch": epoch, "best": best, "best_epoch": best_epoch,
                                                  "bad_epochs": bad_epochs, **kept})
            write_csv(out / "metrics.csv", history)
        for cb in callbacks:
            cb.on_epoch_end(epoch, metrics)
    else:
        stopped_early = config.patience is not None and bad_epochs >= config.patience and len(history) < config.epochs
    result = FitResult(best_epoch, best, len(history), stopped_early, out, history, stopped, stopped_at,
                       None if recorded else unused_options(out, run_config))
    for cb in callbacks:
        cb.on_train_end(result)
    return result
