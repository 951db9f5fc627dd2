"""Worker processes that stop with their parent: :func:`run_in_workers` maps a function over a pool,
and when the parent stops (SIGTERM raised as ``docclean.errors.Terminated``, Ctrl-C, any error) no
worker goes on writing as an orphan.

On the way out the parent sends each worker SIGTERM, cancels the calls not started and waits up to
:data:`GRACE` seconds before it kills a worker that is still there. A worker in the middle of a call
raises inside it, so the call's atomic writes (``docclean.atomic``) remove their temporary files,
and then exits; an idle worker exits at once; a worker writing files finishes them first
(:func:`stop_signals_deferred`). Workers ignore SIGINT: Ctrl-C reaches the whole
process group, and only the parent must decide what stops (otherwise a worker reports the
KeyboardInterrupt as one call's result and goes on to the next).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

from docclean.errors import EXIT_TERMINATED

T = TypeVar("T")

#: Seconds a worker is given to drop its call in hand before it is killed.
GRACE = 5.0
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_busy = False  # in a worker: inside a call, whose temporary files must be removed before it exits


class _Stop(BaseException):
    """SIGTERM inside a worker's call: a BaseException, so no ``except Exception`` in the call keeps it."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second one must not interrupt the clean-up
    if not _busy:
        os._exit(EXIT_TERMINATED)
    raise _Stop


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)


def _call(fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    global _busy
    try:
        try:
            _busy = True
            return fn(*args)
        finally:
            _busy = False
    except _Stop:  # also one that lands in the finally: the pool must not go on to the next call
        os._exit(EXIT_TERMINATED)  # the call's context managers have cleaned up


@contextmanager
def stop_signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive within the block take effect when it ends (the handler in place
    runs then), so the block is never cut short: a pair half written, a temporary file made but not
    yet guarded by ``atomic_path``, the pool's internal lock held while it is being stopped.

    Handlers, not signal masks: CPython runs every handler in the main thread, whichever thread the
    kernel picked, so masking the main thread alone would defer nothing."""
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
        yield
        return
    caught: list[int] = []
    previous: dict[int, Any] = {}
    try:  # a signal between the two swaps must still find its handler restored
        for signum in _STOP_SIGNALS:
            if signal.getsignal(signum) is None:  # a handler set outside Python could not be put back
                continue
            previous[signum] = signal.signal(signum, lambda got, frame: caught.append(got))
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        # Every signal that came, SIGTERM first: in a worker Ctrl-C's SIGINT is ignored and the
        # parent's SIGTERM that follows it must still stop the worker.
        for signum in sorted(set(caught), key=lambda got: got != signal.SIGTERM):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)  # raises KeyboardInterrupt, Terminated or (in a worker) _Stop
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


def _stop(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop its workers before Python 3.14 (terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def run_in_workers(fn: Callable[..., T], calls: Sequence[tuple[Any, ...]], workers: int,
                   chunksize: int = 4) -> list[T]:
    """``[fn(*args) for args in calls]``, computed by ``workers`` processes (``fn`` and its arguments
    must pickle). Any exception in the parent, ``KeyboardInterrupt`` and ``Terminated`` included,
    stops every worker before it propagates; a call that a worker was making is abandoned."""
    pool = ProcessPoolExecutor(workers, initializer=_init_worker)
    try:
        with stop_signals_deferred():
            results = pool.map(_call, [fn] * len(calls), calls, chunksize=chunksize)
        done = list(results)
    except BaseException:
        with stop_signals_deferred():  # a second Ctrl-C must not leave workers behind; it is raised after
            _stop(pool)
        raise
    pool.shutdown()
    return done
