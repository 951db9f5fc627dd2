"""Rich progress for any ``training.loop.fit`` run: a bar over epochs and a bar over the current
epoch's batches showing the running loss, plus one printed line of metrics per finished epoch.

Generic on purpose (the Fashion-MNIST and VAE commands share it): it knows nothing about a task
beyond the metric names it is told to print. Use it as a context manager so the live display is
closed even when training raises::

    with RichProgressCallback(show=("train_loss", "val_loss")) as progress:
        fit(..., callbacks=[progress])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from training.loop import FitResult


class RichProgressCallback:
    """Draws epoch and batch bars; prints ``show`` metrics (all ``*loss*`` metrics if empty) per epoch.
    A ``training.loop.Callback`` by its methods (not by inheritance, so that importing the CLI loads
    no torch)."""

    def __init__(self, console: Console | None = None, show: Sequence[str] = (), description: str = "training") -> None:
        self.console = console or Console(stderr=True)
        self.show = tuple(show)
        self.description = description
        self._progress: Progress | None = None
        self._epochs: TaskID | None = None
        self._batches: TaskID | None = None
        self._loss_sum = 0.0
        self._loss_count = 0
        self._total = 0
        self._per_epoch: int | None = None
        self._resumed_at: tuple[int, int] | None = None  # (epoch, batches done) a resume goes on from

    def __enter__(self) -> RichProgressCallback:  # not typing.Self: Python 3.10 has none
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the live display (safe to call twice)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_resume_in_epoch(self, epoch: int, batches_done: int) -> None:
        self._resumed_at = (epoch, batches_done)

    def on_train_start(self, start_epoch: int, epochs: int, batches_per_epoch: int | None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self._progress.start()
        # Fewer --epochs than a run has done are refused before training (resume_guard.check_epochs_left);
        # the bar still never reads "4/2".
        self._total = max(epochs, start_epoch)
        self._per_epoch = batches_per_epoch
        done = self._resumed_at[1] if self._resumed_at is not None and self._resumed_at[0] == start_epoch else 0
        if start_epoch >= epochs:  # a finished run asked again: nothing is trained
            self.console.print(f"all {_epochs(start_epoch)} already done; give more --epochs to train on")
        elif done:  # part way through an epoch: it goes on from the batch after the last one trained
            self.console.print(f"resuming in epoch {start_epoch + 1} after batch {self._of(done)}")
        elif start_epoch:
            self.console.print(f"resuming at epoch {start_epoch + 1} of {epochs}")
        self._epochs = self._progress.add_task(self.description, total=self._total, completed=start_epoch, loss="")
        if start_epoch < epochs:  # no bar of an epoch that will not run ("epoch 5 0/8" on a finished run)
            self._batches = self._progress.add_task(f"epoch {start_epoch + 1}", total=batches_per_epoch,
                                                    completed=done, loss="")

    def phase(self, text: str) -> None:
        """Name a step that draws no batches (scoring the starting model, validation): a line
        before the bars start, else on the epoch's bar until its next batch names it anew."""
        if self._progress is None or self._batches is None:
            self.console.print(f"{text}...")
        else:
            self._progress.update(self._batches, description=text)

    def on_batch_end(self, epoch: int, batch: int, loss: float) -> None:
        if self._progress is None or self._batches is None:
            return
        self._loss_sum += loss
        self._loss_count += 1
        self._progress.update(self._batches, advance=1, description=f"epoch {epoch + 1}",
                              loss=f"loss {self._loss_sum / self._loss_count:.4f}")

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        names = self.show or tuple(k for k in metrics if "loss" in k)
        parts = [f"{k} {metrics[k]:.4f}" for k in names if k in metrics]
        if "epoch_seconds" in metrics:
            parts.append(f"{metrics['epoch_seconds']:.1f}s")
        self.console.print(f"epoch {epoch + 1}: " + ", ".join(parts))
        self._loss_sum, self._loss_count = 0.0, 0
        if self._progress is not None and self._epochs is not None and self._batches is not None:
            self._progress.update(self._epochs, advance=1, loss=parts[0] if parts else "")
            if epoch + 1 < self._total:
                self._progress.reset(self._batches, description=f"epoch {epoch + 2}", loss="")
            else:
                self._progress.update(self._batches, visible=False)

    def on_train_end(self, result: FitResult) -> None:
        self.close()
        at = getattr(result, "stopped_at", None) if getattr(result, "stopped", False) else None
        if at is not None and result.best_epoch < 0:  # part way through the first epoch: its weights are saved
            self.console.print(f"stopped in epoch {at[0] + 1} at batch {self._of(at[1])}; rerun the command to "
                               "resume from there", soft_wrap=True, markup=False, highlight=False)
            return
        why = ("stopped (rerun to resume)" if getattr(result, "stopped", False)
               else "stopped early" if result.stopped_early else "finished")
        if result.best_epoch < 0:  # stopped before the first batch: there is no best epoch yet
            self.console.print(f"{why} before the first epoch ended; no checkpoint yet")
            return
        done = f"{why} after {_epochs(result.epochs_run)}"
        if at is not None:
            done = (f"stopped in epoch {at[0] + 1} at batch {self._of(at[1])}, after {_epochs(result.epochs_run)} "
                    "(rerun the command to resume from there)")
        # One line whatever the width (80 columns when stderr is no terminal): a path broken in two
        # cannot be copied; no markup either, so a folder named [red] is printed as it is.
        self.console.print(f"{done}; best epoch {result.best_epoch + 1} "
                           f"({result.best_metric:.4f}); checkpoint {result.best_path}",
                           soft_wrap=True, markup=False, highlight=False)

    def _of(self, batch: int) -> str:
        """``146 of 200``, or ``146`` where the epoch's length is not known."""
        return f"{batch} of {self._per_epoch}" if self._per_epoch else str(batch)


def _epochs(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"
