"""One epoch of training, for ``training.loop.fit``: each batch moved to the run's device, its loss
run under the device's autocast and scaled, gradients clipped, the optimizer stepped, the losses
summed into the epoch's :class:`~training.fit_types.PartialEpoch`, and the stop hook asked after
every batch. A loss that is no longer finite ends the run with the epoch and batch that gave it.

An epoch resumed part way draws the batches it trained before (the data's random sequence is
kept) and skips them, the random generators put back where the stop left them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from training.device import Precision, move_to
from training.fit_types import Callback, FitConfig, LossFn, PartialEpoch
from training.rng_state import restore_rng
from training.stop import StopHook


def run_epoch(model: nn.Module, loss_fn: LossFn, data: Iterable, opt: torch.optim.Optimizer,
              scaler: torch.amp.GradScaler, config: FitConfig, device: torch.device, precision: Precision,
              progress: PartialEpoch, callbacks: list[Callback], should_stop: StopHook | None) -> bool:
    """Train one epoch from batch ``progress.batches`` on (earlier ones are drawn, to keep the data's
    random sequence, but skipped), accumulating into ``progress``. Returns True when stopped early."""
    model.train()
    for i, batch in enumerate(data):
        if i < progress.batches:
            if i == progress.batches - 1 and progress.rng is not None:
                # Where the stop left the generators: the model's own draws between the skipped batches
                # (a VAE's noise) are not replayed, and the next batch is drawn from here, as it was.
                restore_rng(progress.rng, device)
            continue
        batch = move_to(batch, device)
        with precision.autocast():
            loss, parts = loss_fn(model, batch)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if config.grad_clip:
            scaler.unscale_(opt)  # clip the true gradients, not the scaled ones
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        scaler.step(opt)
        scaler.update()
        value = float(loss.detach())
        if not math.isfinite(value):
            # Counted from 1, as the progress display counts; the usual cause is too high a rate.
            raise FloatingPointError(f"training loss became {value} at epoch {progress.epoch + 1}, batch {i + 1}; "
                                     f"the training diverged: try a lower --lr than {config.lr:g}")
        for key, part in {"loss": value, **parts}.items():
            progress.sums[key] = progress.sums.get(key, 0.0) + float(part)
        progress.batches = i + 1
        for cb in callbacks:
            cb.on_batch_end(progress.epoch, i, value)
        if should_stop is not None and should_stop():
            return True
    return False
