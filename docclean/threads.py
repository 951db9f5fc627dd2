"""Two background-thread helpers for overlapped I/O (used by :mod:`docclean.overlap`):

* :class:`Prefetch` runs an iterator a bounded number of items ahead in a thread. Items come out in
  order; an exception the source raises comes out at its place in the sequence.
* :class:`OrderedWriter` runs tasks one at a time in submission order, at most ``depth`` tasks
  behind the caller, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_END = object()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch(Generic[T], Iterator[T]):
    """Iterate ``source`` in a background thread, up to ``depth`` items ahead of the consumer.

    Use as a context manager (or call :meth:`close`): leaving early stops the thread and closes
    the source generator in its own thread, so files it holds open are closed."""

    def __init__(self, source: Iterable[T], depth: int = 1, name: str = "docclean-prefetch") -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._queue: queue.Queue[Any] = queue.Queue()
        # A slot is taken before an item is produced and given back when the consumer takes it, so
        # at most ``depth`` items exist beyond the one the consumer holds (memory stays bounded).
        self._slots = threading.Semaphore(depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, args=(source,), name=name, daemon=True)
        self._thread.start()

    def _slot(self) -> bool:
        while not self._stop.is_set():
            if self._slots.acquire(timeout=0.05):
                return True
        return False

    def _produce(self, source: Iterable[T]) -> None:
        iterator = iter(source)
        try:
            while self._slot():
                try:
                    item = next(iterator)
                except StopIteration:
                    self._queue.put(_END)
                    return
                self._queue.put(item)
        except BaseException as exc:  # handed to the consumer, raised there in order
            self._queue.put(_Raised(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass

    def __iter__(self) -> Prefetch[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        self._slots.release()
        if item is _END:
            self._done = True
            self._thread.join()
            raise StopIteration
        if isinstance(item, _Raised):
            self._done = True
            self._thread.join()
            raise item.exc
        return item

    def close(self) -> None:
        """Stop the producer and wait for it (it finishes the item it is decoding first)."""
        self._done = True
        self._stop.set()
        self._thread.join()
        while not self._queue.empty():  # drop what was prefetched
            self._queue.get_nowait()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OrderedWriter:
    """One background thread that runs submitted tasks in order, at most ``depth`` unfinished
    tasks behind the caller (:meth:`submit` blocks beyond that; ``light`` tasks do not count). A context manager: leaving
    normally waits for every task; leaving on an exception cancels the tasks not yet started and
    waits for the one running (cleanups of :class:`FileWrites` still run)."""

    def __init__(self, depth: int = 2, name: str = "docclean-writer") -> None:
        self._slots = threading.BoundedSemaphore(max(1, depth))
        self._tasks: queue.Queue[Any] = queue.Queue()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            future, fn, args, always, counted = task
            try:
                if self._cancel.is_set() and not always:
                    future.cancel()
                    continue
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # the caller sees it through the future
                    future.set_exception(exc)
            finally:
                if counted:
                    self._slots.release()

    def submit(self, fn: Callable[..., Any], *args: Any, always: bool = False, light: bool = False) -> Future:
        """Queue ``fn(*args)``; returns its Future. ``always``: run it even after a cancel (for
        cleanups that must happen, like discarding a temporary file). ``light``: a task that holds
        no page (closing a file) does not count towards ``depth``, so queueing it never waits."""
        if self._closed:
            raise RuntimeError("the writer is closed")
        if not light:
            self._slots.acquire()
        future: Future = Future()
        self._tasks.put((future, fn, args, always, not light))
        return future

    def close(self, cancel: bool = False) -> None:
        """Finish (or with ``cancel``, skip) the queued tasks and stop the thread."""
        if self._closed:
            return
        self._closed = True
        if cancel:
            self._cancel.set()
        self._tasks.put(None)
        self._thread.join()

    def __enter__(self) -> OrderedWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(cancel=exc_type is not None)
