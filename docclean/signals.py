"""SIGTERM handled like Ctrl-C, so ``timeout``, systemd, docker and Slurm stop a batch cleanly.

Inside :func:`terminate_as_interrupt` a SIGTERM raises :class:`~docclean.errors.Terminated` in
the main thread, wherever it is; the batch runner then drops the page in hand (its temporary file
is removed), completes and writes the report, and the CLI exits 143. Outside the main thread (a
GUI worker) nothing is installed: the GUI stops work through the progress object's ``cancelled``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from docclean.errors import Terminated


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # Once is enough: a second SIGTERM while we unwind must not interrupt the cleanup.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated("terminated (SIGTERM)")


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated``; the previous handler comes back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
