"""Warnings routed per thread: each thread that names a list (:func:`attribute`, :func:`collecting`)
gets the warnings it raises in that list; any other thread's are shown as before.

Python's warning state is one per process: ``warnings.catch_warnings`` on one thread changes it for
every thread, and two of them left in another order than entered leave a stale state behind. So
the threads that collect enter none of their own: one routing ``warnings.showwarning`` is put in
place (:func:`install`) and each thread names its list. The batch installs it for its run, inside a
``catch_warnings`` that shows every warning (``docclean.overlap.WarningRouter``: the reader and
writer threads collect per file); the desktop app installs it once, for its preview and thumbnail
threads (``gui.caught``). A ``catch_warnings`` entered later saves the router and puts it back, and
a router hands the warnings of threads that collect nothing to what it replaced."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["attribute", "collecting", "install"]

_local = threading.local()  # ``sink``: the list this thread's warnings go to, if it collects
_lock = threading.Lock()


class _Route:
    """A ``warnings.showwarning`` that puts a warning into the list of the thread that raised it,
    where that thread collects, else hands it to the one it replaced (each install its own: a
    router that ``catch_warnings`` put back still hands on to what it replaced, never to itself)."""

    def __init__(self, previous: Any) -> None:  # noqa: ANN401 - whatever showwarning was
        self.previous = previous

    def __call__(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
        sink = getattr(_local, "sink", None)
        if sink is None:
            self.previous(message, category, filename, lineno, file, line)
        else:
            sink.append(warnings.WarningMessage(message, category, filename, lineno, file, line))


def install() -> None:
    """Route warnings to the threads that collect them, if that is not done already."""
    with _lock:
        if not isinstance(warnings.showwarning, _Route):
            warnings.showwarning = _Route(warnings.showwarning)


def attribute(sink: list | None) -> list | None:
    """Send this thread's warnings to ``sink`` (None: show them); returns the list it sent them to
    before (to put back). The router must be installed (:func:`install`) for them to arrive."""
    previous = getattr(_local, "sink", None)
    _local.sink = sink
    return previous


@contextmanager
def collecting() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning this thread raises meanwhile goes into the list yielded, none is shown."""
    install()
    caught: list[warnings.WarningMessage] = []
    previous = attribute(caught)
    try:
        yield caught
    finally:
        attribute(previous)
