"""Stopping a training run from outside: a flag a GUI's Stop button sets, and Ctrl-C or SIGTERM turned into it.

``training.loop.fit(..., should_stop=hook)`` asks the hook after every batch; when it answers True
the run saves its weights and its place in the epoch, and rerunning it (with resume) carries on.
Long stretches outside the batches (reading pages, scoring whole validation pages) ask the flag
per page too (``docclean train``), so a first stop takes effect within a page's time.

A second signal stops at once, as ``docclean clean``'s second Ctrl-C does
(:mod:`docclean.signals`, whose handlers take over after the first): a person pressing Ctrl-C
again, or a supervisor that did not wait, means it. What a run saved stays whole (every file is
written atomically); the epoch in hand is lost, and resuming redoes it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from docclean.signals import raise_interrupted, raise_terminated

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


#: What a second signal does once a first one has set the flag: stop at once.
_AT_ONCE = {signal.SIGINT: raise_interrupted, signal.SIGTERM: raise_terminated}


@contextmanager
def stop_on_signals(flag: StopFlag, signals: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[StopFlag]:
    """Within the block, the first of the given signals sets ``flag`` instead of killing the
    process, so a run stops after its current batch (or page) with its state saved; a second one
    stops at once (KeyboardInterrupt for Ctrl-C, :class:`~docclean.errors.Terminated` for SIGTERM).
    Only possible in the main thread; elsewhere (a GUI worker) the block just yields the flag."""
    previous = {}

    def first(signum: int, _frame: FrameType | None) -> None:
        flag.set(signum)
        for sig in previous:
            signal.signal(sig, _AT_ONCE.get(sig, signal.SIG_DFL))

    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, first)
    except ValueError:  # not the main thread: signal handlers cannot be installed here
        pass
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
