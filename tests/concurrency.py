"""Run a piece of work in several threads at once, for the tests of what must hold under
concurrency (one model load, one conversion, one network call at a time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def run_together(work: Callable[[int], Any], count: int,
                 timeout: float = 120.0) -> tuple[list[Any], list[BaseException]]:
    """Call ``work(0)`` ... ``work(count - 1)`` in ``count`` threads released together by a barrier;
    returns what the calls returned (in the order they finished) and what they raised. A thread
    still running after ``timeout`` seconds fails the test (a hang) instead of blocking the run."""
    start = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(n: int) -> None:
        start.wait()
        try:
            results.append(work(n))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"still running after {timeout:g} s: a hang"
    return results, errors
