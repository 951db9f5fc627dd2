"""SIGTERM handled like Ctrl-C, so ``timeout``, systemd, docker and Slurm stop a batch cleanly.

Inside :func:`terminate_as_interrupt` a SIGTERM raises :class:`~docclean.errors.Terminated` in
the main thread, wherever it is; the batch runner then drops the page in hand (its temporary file
is removed), completes and writes the report, and the CLI exits 143. Outside the main thread (a
GUI worker) nothing is installed: the GUI stops work through the progress object's ``cancelled``.

The first stop wins: once a SIGTERM or a Ctrl-C is being handled, a SIGTERM that follows is
ignored, and so is a Ctrl-C after a SIGTERM (a supervisor that sends both), so the cleanup that
removes temporary files and writes the report is not cut short. A second Ctrl-C after a first
one still stops at once: a person pressing it again means it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from docclean.errors import Terminated


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: stop at once with :class:`Terminated`, ignoring any later signal (the
    cleanup that follows must not be cut short)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Terminated("terminated (SIGTERM)")


def raise_interrupted(signum: int, frame: FrameType | None) -> None:
    """A SIGINT handler: stop at once with KeyboardInterrupt; a later SIGTERM is ignored, a later
    Ctrl-C is Python's own."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise KeyboardInterrupt


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated``; the previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, raise_terminated)
    # A Ctrl-C that Python would ignore (a background job of a non-interactive shell) stays ignored.
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int is not None:  # None: a handler not set from Python, which we did not replace
            signal.signal(signal.SIGINT, previous_int)
