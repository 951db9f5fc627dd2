"""Overlapped I/O for the batch runner: decode the next page and encode the previous one while the
network runs on this one.

Two small pieces from :mod:`docclean.threads`:

* :class:`Prefetch` runs a page iterator (``io.read_pages`` of one file, or a chain of files) a
  bounded number of items ahead, in one reader thread. Items come out in order; an exception the
  source raises comes out at its place in the sequence, so it is reported for the same file and
  page as without prefetching.
* :class:`OrderedWriter` runs write tasks (encode + write a page, finish a file) one at a time,
  in submission order, at most ``depth`` page-holding tasks behind the caller (a file's close
  does not count), so memory stays bounded. A
  pipeline has one writer thread on the CPU and several on a GPU, where encoding is most of a
  page's time; all tasks of one output file go to the same writer thread.
  :class:`FileWrites` groups the tasks of one output file: after a task fails the rest of that
  file's tasks are skipped, its ``cleanup`` still runs (discarding the temporary file), and
  :meth:`FileWrites.wait` re-raises the first error for that file and no other.

Outputs keep their guarantees because the writer runs the same code as the sequential path:
``PageWriter`` writes to a temporary file and renames it into place only when the file is whole,
and one thread runs a file's tasks in order, so pages of a PDF or multi-page TIFF keep their order.

Numpy, OpenCV, Pillow, libpng and zlib release the GIL in their heavy loops, and so do the
network runtimes, so on two cores the three stages really run at once. pdfium is not thread-safe;
docclean.pdf holds one lock around every call into it (writing a PDF does not use pdfium).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
from contextlib import contextmanager
from typing import Any

from docclean import warnroute
from docclean.threads import OrderedWriter, Prefetch


class FileWrites:
    """The write tasks of one output file on an :class:`OrderedWriter` (``writer`` None: each
    task runs at once in the caller's thread, and raises there, exactly the sequential path).

    Tasks run in order; once one fails (or is cancelled) the file's later tasks are skipped.
    ``cleanup`` (given at :meth:`finish` or :meth:`abandon`) runs after the file's last task
    whatever happened, with the first error or None, on the writer thread. ``sink``: a list that
    collects the warnings raised by this file's tasks (see :class:`WarningRouter`)."""

    def __init__(self, writer: OrderedWriter | None, sink: list | None = None,
                 router: WarningRouter | None = None) -> None:
        self.writer = writer
        self.error: BaseException | None = None
        self._futures: list[Future] = []
        self._sink, self._router = sink, router

    def _guarded(self, fn: Callable[..., Any], always: bool = False) -> Callable[..., Any]:
        """``fn`` run as this file's task: skipped after an earlier failure (unless ``always``), its
        own failure kept as the file's error if it is the first, its log lines routed to the file."""
        def run(*args: Any) -> Any:
            if self.error is not None and not always:
                return None
            previous = self._router.attribute(self._sink) if self._router is not None else None
            try:
                return fn(*args)
            except BaseException as exc:
                if self.error is None:
                    self.error = exc
                raise
            finally:
                if self._router is not None:
                    self._router.attribute(previous)
        return run

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue one task of this file (skipped if an earlier one failed)."""
        if self.writer is None:
            future: Future = Future()
            future.set_result(fn(*args))  # raises here, as the sequential path does
            return future
        future = self.writer.submit(self._guarded(fn), *args)
        self._futures.append(future)
        return future

    def check(self) -> None:
        """Re-raise a write error of this file now, if there already is one (so the caller stops
        cleaning pages that can no longer be written)."""
        if self.error is not None:
            self.wait()

    def finish(self, cleanup: Callable[[BaseException | None], Any] | None = None) -> Future:
        """Queue the file's last task: ``cleanup(first_error_or_None)``; it always runs."""
        def last() -> Any:
            if self.error is None and any(f.cancelled() for f in self._futures):
                self.error = CancelledError("the writer was stopped before this file was written")
            if cleanup is not None:
                return cleanup(self.error)
            return None
        if self.writer is None:
            future: Future = Future()
            future.set_result(last())
            return future
        future = self.writer.submit(self._guarded(last, always=True), always=True, light=True)
        self._futures.append(future)
        return future

    def abandon(self, exc: BaseException, cleanup: Callable[[BaseException | None], Any] | None = None) -> None:
        """The caller failed for this file: its queued tasks still run (as they would have, one by
        one, without the writer thread), then ``cleanup`` gets the first write error or ``exc``."""
        self.finish(lambda err: cleanup(err or exc) if cleanup is not None else None)

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



class WarningRouter:
    """Collects library warnings (Pillow, libtiff) per file while several threads work on
    different files: each thread names the list its warnings go to (:meth:`attribute`); a warning
    raised by a thread that named none is shown as usual (``docclean.warnroute``).

    A context manager: for the batch, a ``catch_warnings`` in which every warning is shown, with
    the routing ``showwarning`` installed in it."""

    def __init__(self) -> None:
        self._context: Any = None

    def attribute(self, sink: list | None) -> list | None:
        """Send this thread's warnings to ``sink`` (None: show them); returns the previous sink."""
        return warnroute.attribute(sink)

    def __enter__(self) -> WarningRouter:
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("always")
        warnroute.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_FILE_END = object()


class PagePipeline:
    """The overlapped I/O of one batch: the pages of ``jobs`` (the files to clean, in the order
    they will be cleaned) are read by ``read(job)`` in one reader thread, ``read_ahead`` pages
    ahead across file boundaries; writes go to ``writers`` writer threads (a file's tasks all to
    one of them, in order; files in turn), each at most ``write_behind`` tasks behind; warnings
    are kept per file. ``lanes`` is how many files' writes may run at once. ``enabled=False``
    runs everything in the caller's thread, exactly the sequential path (same calls, same order),
    for comparison and debugging.

    ``writers`` may be a function that returns the number: it is called on entering, once the
    reader has started, so the first page is read while it waits (the batch loads the model
    then). If it raises, the reader is stopped and the error propagates.

    A context manager; leaving it stops the reader and waits for the queued writes (and their
    cleanups), so no temporary file outlives the batch."""

    def __init__(self, jobs: list[Any], read: Callable[[Any], Iterable[Any]], *, enabled: bool = True,
                 read_ahead: int = 1, write_behind: int = 1, writers: int | Callable[[], int] = 1) -> None:
        self.jobs, self.read, self.enabled = list(jobs), read, enabled
        self._asked = writers  # a number, or a function called on entering
        self.lanes = 1
        self._writers: list[OrderedWriter] = []
        self._turn = 0
        self._ids = {id(job) for job in self.jobs}
        self._read_ahead, self._write_behind = read_ahead, write_behind
        self._buckets: dict[int, list] = {}
        self.router: WarningRouter | None = None
        self._reader: Prefetch | None = None

    def __enter__(self) -> PagePipeline:
        if self.enabled:
            self.router = WarningRouter().__enter__()
            if self.jobs:
                self._reader = Prefetch(self._chain(), self._read_ahead, name="docclean-reader")
        try:
            lanes = self._asked() if callable(self._asked) else self._asked
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if self.enabled:
            self.lanes = max(1, lanes)
            self._writers = [OrderedWriter(self._write_behind, name=f"docclean-writer-{i}") for i in range(self.lanes)]
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        try:
            if self._reader is not None:
                self._reader.close()
            for writer in self._writers:
                writer.close()
        finally:
            if self.router is not None:
                self.router.__exit__(exc_type, *rest)

    def _bucket(self, job: Any) -> list:
        return self._buckets.setdefault(id(job), [])

    def _chain(self) -> Iterator[tuple[Any, Any]]:
        """Runs in the reader thread: every page of every job, then an end marker per job; a read
        error ends its job's pages and is handed over in its place."""
        assert self.router is not None
        for job in self.jobs:
            self.router.attribute(self._bucket(job))
            try:
                for page in self.read(job):
                    yield job, page
            except Exception as exc:  # this file's error, raised for this file by pages()
                yield job, _Failed(exc)
            yield job, _FILE_END
        self.router.attribute(None)

    def pages(self, job: Any) -> Iterator[Any]:
        """The pages of ``job``, in order; its read error is raised here, at its place."""
        if self._reader is None or id(job) not in self._ids:
            yield from self.read(job)
            return
        for item_job, item in self._reader:
            if item_job is not job:
                continue  # the rest of a file whose cleaning stopped early
            if item is _FILE_END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    def writes(self, job: Any) -> FileWrites:
        """A new group of write tasks for ``job``'s output, on the next writer thread in turn."""
        writer = self._writers[self._turn % len(self._writers)] if self._writers else None
        self._turn += 1
        return FileWrites(writer, self._bucket(job), self.router)

    @contextmanager
    def warnings_for(self, job: Any) -> Iterator[list]:
        """Collect the warnings raised for ``job`` by any stage; yields their list."""
        if self.router is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield caught
            return
        bucket = self._bucket(job)
        previous = self.router.attribute(bucket)
        try:
            yield bucket
        finally:
            self.router.attribute(previous)
