"""Stopping a training run from outside: a flag a GUI's Stop button sets, and SIGTERM turned into it.

``training.loop.fit(..., should_stop=hook)`` asks the hook after every batch; when it answers True
the run saves its weights and its place in the epoch, and rerunning it (with resume) carries on.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

StopHook = Callable[[], bool]
"""Called between batches; returning True stops the run (after saving what resume needs)."""


class StopFlag:
    """A stop hook that something else sets: a GUI's Stop button, or a signal (see
    :func:`stop_on_signals`). Calling it answers whether a stop was asked for."""

    def __init__(self) -> None:
        self.requested = False
        self.signum: int | None = None
        """The signal that asked for the stop, if one did (the exit code tells which)."""

    def set(self, signum: int | None = None) -> None:
        """Ask the run to stop after the batch it is on."""
        self.requested = True
        self.signum = signum if self.signum is None else self.signum

    def __call__(self) -> bool:
        return self.requested


@contextmanager
def stop_on_signals(flag: StopFlag, signals: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[StopFlag]:
    """Within the block, the given signals set ``flag`` instead of killing the process, so a run
    stops after its current batch with its state saved. Only possible in the main thread; elsewhere
    (a GUI worker) the block just yields the flag."""
    previous = {}
    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, lambda signum, _frame: flag.set(signum))
    except ValueError:  # not the main thread: signal handlers cannot be installed here
        pass
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
