"""Overlapped I/O for the batch runner: decode the next page and encode the previous one while the
network runs on this one.

Two small pieces, each one background thread:

* :class:`Prefetch` runs a page iterator (``io.read_pages`` of one file, or a chain of files) a
  bounded number of items ahead. Items come out in order; an exception the source raises comes
  out at its place in the sequence, so it is reported for the same file and page as without
  prefetching.
* :class:`OrderedWriter` runs write tasks (encode + write a page, finish a file) one at a time,
  in submission order, at most ``depth`` tasks behind the caller, so memory stays bounded.
  :class:`FileWrites` groups the tasks of one output file: after a task fails the rest of that
  file's tasks are skipped, its ``cleanup`` still runs (discarding the temporary file), and
  :meth:`FileWrites.wait` re-raises the first error for that file and no other.

Outputs keep their guarantees because the writer runs the same code as the sequential path:
``PageWriter`` writes to a temporary file and renames it into place only when the file is whole,
and one thread runs the tasks in order, so pages of a PDF or multi-page TIFF keep their order.

Numpy, OpenCV, Pillow, libpng and zlib release the GIL in their heavy loops, and so do the
network runtimes, so on two cores the three stages really run at once. pdfium is not thread-safe:
only the reader thread may use it while a pipeline runs (writing a PDF does not use pdfium).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
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
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, args=(source,), name=name, daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, source: Iterable[T]) -> None:
        iterator = iter(source)
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there in order
            self._put(_Raised(exc))
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
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OrderedWriter:
    """One background thread that runs submitted tasks in order, at most ``depth`` unfinished
    tasks behind the caller (:meth:`submit` blocks beyond that). A context manager: leaving
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
            future, fn, args, always = task
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
                self._slots.release()

    def submit(self, fn: Callable[..., Any], *args: Any, always: bool = False) -> Future:
        """Queue ``fn(*args)``; returns its Future. ``always``: run it even after a cancel (for
        cleanups that must happen, like discarding a temporary file)."""
        if self._closed:
            raise RuntimeError("the writer is closed")
        self._slots.acquire()
        future: Future = Future()
        self._tasks.put((future, fn, args, always))
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


class FileWrites:
    """The write tasks of one output file on an :class:`OrderedWriter`.

    Tasks run in order; once one fails (or is cancelled) the file's later tasks are skipped.
    ``cleanup`` (given at :meth:`finish` or :meth:`abandon`) runs after the file's last task
    whatever happened, with the first error or None, on the writer thread."""

    def __init__(self, writer: OrderedWriter) -> None:
        self.writer = writer
        self.error: BaseException | None = None
        self._futures: list[Future] = []

    def _guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            if self.error is not None:
                return None
            try:
                return fn(*args)
            except BaseException as exc:
                self.error = exc
                raise
        return run

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue one task of this file (skipped if an earlier one failed)."""
        future = self.writer.submit(self._guarded(fn), *args)
        self._futures.append(future)
        return future

    def finish(self, cleanup: Callable[[BaseException | None], Any] | None = None) -> Future:
        """Queue the file's last task: ``cleanup(first_error_or_None)``; it always runs."""
        def last() -> Any:
            if self.error is None and any(f.cancelled() for f in self._futures):
                self.error = CancelledError("the writer was stopped before this file was written")
            if cleanup is not None:
                return cleanup(self.error)
            return None
        future = self.writer.submit(last, always=True)
        self._futures.append(future)
        return future

    def abandon(self, exc: BaseException, cleanup: Callable[[BaseException | None], Any] | None = None) -> None:
        """The caller failed for this file: skip its queued tasks and run ``cleanup(exc)``."""
        if self.error is None:
            self.error = exc
        self.finish(cleanup)

    def wait(self) -> None:
        """Block until the file's tasks are done; re-raise the first error of this file."""
        for future in self._futures:
            if not future.cancelled():
                future.exception()  # waits
        if self.error is not None:
            raise self.error

    def done(self) -> bool:
        """True when every task of the file has finished (without blocking)."""
        return all(f.done() for f in self._futures)

