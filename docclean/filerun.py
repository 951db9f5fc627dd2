"""The files of a batch, one after the other: clean a file's pages (:func:`clean_files` calls
``_clean_file``), hand their writes to the pipeline's writer threads, and settle each file's
result (cleaned, failed, interrupted) once its writes are done, in input order. Used by
:func:`docclean.batch.clean_batch`, which finds, plans and reports."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats, leftover
from docclean import io as pageio
from docclean.discover import Job
from docclean.errors import Cancelled, DiskFullError
from docclean.filesaid import file_metadata, page_warnings, record_warnings, warn
from docclean.onepage import clean_page
from docclean.overlap import FileWrites, PagePipeline
from docclean.plan import Plan, describe, page_target
from docclean.progress import WARN_INK, WARN_LEFT_OUT, CleanProgress, TileProgress
from docclean.report import (
    CLEANED,
    DISK_FULL,
    INTERRUPTED,
    SKIPPED,
    WOULD_CLEAN,
    FileResult,
    PageResult,
    Report,
    ink_figure,
)
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    import numpy as np

    from docclean.engine import Denoiser


class _PageTiles(TileProgress):
    """Adapts the batch's progress to the engine for the page in hand."""

    def __init__(self, progress: CleanProgress, job: Job, index: int) -> None:
        self.progress, self.job, self.index = progress, job, index

    def tile_done(self, done: int, total: int) -> None:
        self.progress.on_tile_done(self.job, self.index, done, total)

    def cancelled(self) -> bool:
        return self.progress.cancelled()


def _clean_file(job: Job, plan: Plan, cleaner: Denoiser, settings: CleanSettings, progress: CleanProgress,
                result: FileResult, pipe: PagePipeline) -> tuple[FileWrites, Callable[[], None]]:
    """Read, clean and write one file's pending pages; every output appears whole or not at all.
    A multi-page output collects its pages in a work folder first (``docclean.resume``), so an
    interruption keeps the pages done. Pages come from ``pipe`` (read ahead in a reader thread)
    and their writes go to one of its writer threads, in order. Returns once the pages are
    cleaned, with the file's writes (perhaps still running) and ``complete``, which waits for
    them and raises a write error as this file's error. The source's metadata goes with every
    output (``docclean.metadata``); what of it cannot be read is told as a decoder warning. Page
    files are stamped while they are written, as a work folder is (``PageStore.begin``)."""
    pending = set(plan.pending)
    target_format = formats.by_suffix(job.target)
    store = plan.store
    keeper = store if store is not None else plan.stamp  # where a resumed run finds the pages' figures
    metadata = file_metadata(job.source, progress, result)
    writer = None if plan.per_page or store is not None else pageio.PageWriter(plan.targets[0], metadata=metadata)
    writes = pipe.writes(job)

    def close_writer(error: BaseException | None) -> None:
        if writer is not None:
            writer.__exit__(type(error) if error is not None else None, error, None)

    def write_page(target: Path, index: int, pixels: np.ndarray, dpi: tuple[float, float] | None) -> None:
        with pageio.PageWriter(target, metadata=metadata.only(index)) as page_writer:
            page_writer.add(pixels, dpi)
        result.targets.append(target)

    try:
        if writer is not None:
            writes.submit(writer.__enter__)
        elif plan.stamp is not None:  # page files: stamped until the last is written (docclean.resume)
            writes.submit(plan.stamp.begin)
        tick = time.perf_counter()
        count = 0
        for page in pipe.pages(job):
            count += 1
            if page.index not in pending:  # finished by an earlier run: said as it was then
                earlier = PageResult(page.index, SKIPPED) if keeper is None else keeper.recall(page.index)
                _recall(earlier, result, progress, settings)
                tick = time.perf_counter()
                continue
            if progress.cancelled():
                raise Cancelled("cancelled")
            # Before the network: a page larger than its output format holds fails now, not once cleaned.
            formats.check_page_size(target_format, page.gray.shape, page.index, job.source)
            out = clean_page(page, settings, cleaner, _PageTiles(progress, job, page.index))
            writes.check()
            now = time.perf_counter()
            dropped = None if out.show_through is None else round(out.show_through, 4)
            done = PageResult(page.index, CLEANED, now - tick, ink_figure(out.ink_loss), dropped, out.inverted)
            if keeper is not None:
                writes.submit(keeper.note, done)
            if writer is not None:
                writes.submit(writer.add, out.pixels, page.dpi)
            elif store is not None:
                writes.submit(store.put, page.index, out.pixels, page.dpi)
            else:
                writes.submit(write_page, page_target(job.target, page.index), page.index, out.pixels, page.dpi)
            result.pages.append(done)
            for message in page_warnings(done, settings):
                warn(progress, result, message, WARN_INK)
            progress.on_page_done(job, done)
            del out  # the writer holds the pixels now; do not keep a second page alive
            tick = now
        if count == 0:
            raise pageio.InputError("contains no pages", job.source)
    except BaseException as exc:
        writes.abandon(exc, close_writer)  # queued pages are still written; a multi-page file is discarded
        try:
            writes.wait()
        except BaseException:
            pass  # the error that stopped this file is the one to report
        if store is not None and isinstance(exc, pageio.InputError):
            # The scan itself is damaged: a rerun fails on the same page and a repaired scan starts
            # over (its digest is stamped), so its finished pages could never be taken up again.
            # Page files of the pages that decoded are outputs, and stay; so does their stamp, so
            # that a repaired scan (another digest) cleans them again instead of keeping them.
            store.clear()
        raise
    if store is not None:
        writes.submit(store.assemble, count, metadata)
    elif plan.stamp is not None:
        writes.submit(plan.stamp.clear)  # the file is finished (skipped after a failed write)
    writes.finish(close_writer)

    def complete() -> None:
        writes.wait()
        if not plan.per_page:
            result.targets.append(plan.targets[0])
    return writes, complete


@dataclass
class _Open:
    """A file whose result is not final yet: its writes may still run on a writer thread."""

    result: FileResult
    started: float
    writes: FileWrites | None = None
    complete: Callable[[], None] | None = None
    error: Exception | None = None
    """What cleaning raised, made this file's result when it is settled (in input order)."""
    caught: list | None = None


def clean_files(jobs: list[Job], plans: list[Plan], cleaner: Denoiser | None, settings: CleanSettings,
                progress: CleanProgress, report: Report, pipe: PagePipeline,
                on_settled: Callable[[FileResult, bool], None] | None = None) -> None:
    """Clean, skip or fail each planned job in order, recording it in ``report``. A cleaned file's
    result is settled once its writes are done, while the next files are cleaned: up to
    ``pipe.lanes`` files stay open, and results are settled (``on_file_done``) in input order.
    ``on_settled(result, more)`` is called after each (``docclean.reportcarry.ReportKeeper``);
    ``more`` is False for those settled while the batch ends."""
    open_files: deque[_Open] = deque()

    def settle(entry: _Open, more: bool) -> None:
        _settle(entry, progress, report)
        if on_settled is not None:
            on_settled(entry.result, more)
    try:
        for job, plan in zip(jobs, plans):
            if progress.cancelled():
                raise Cancelled("cancelled")
            if report.stopped:
                break
            entry = _Open(FileResult(job.source), time.perf_counter())
            result = entry.result
            report.files.append(result)
            if plan.error is not None:
                result.error = plan.error
            elif not plan.pending and plan.store is not None:
                # Every page is in the work folder but the output was never put together (the disk
                # filled or the run was killed while it was): now, or every rerun would skip it.
                if settings.dry_run or cleaner is None:
                    result.status, result.targets = WOULD_CLEAN, list(plan.targets)
                else:
                    entry.complete = partial(_assemble, plan, result, progress, settings)
            elif not plan.pending:
                result.status, result.targets = SKIPPED, list(plan.targets)
            elif settings.dry_run or cleaner is None:
                result.status, result.targets = WOULD_CLEAN, list(plan.targets)
                result.pages = [PageResult(i, WOULD_CLEAN) for i in plan.pending]
            else:
                progress.on_file_start(job, len(plan.pending))
                if plan.left_over:  # never removed: a finished run leaves no proof it wrote them
                    warn(progress, result, leftover.message(job.source, plan.pages, plan.left_over, job.target),
                          WARN_LEFT_OUT)
                with pipe.warnings_for(job) as entry.caught:
                    try:
                        entry.writes, entry.complete = _clean_file(job, plan, cleaner, settings, progress, result, pipe)
                    except (KeyboardInterrupt, Cancelled):
                        result.status, result.error = INTERRUPTED, f"{job.source}: interrupted"
                        record_warnings(progress, result, entry.caught)
                        raise
                    except Exception as exc:  # settled below, in order, as this file's error
                        entry.error = exc
            open_files.append(entry)
            # By count, not by which writes happen to be done, so the order of events is the same
            # on every run. A file with nothing left to write (failed, skipped) settles at once,
            # after the ones before it: a full disk then stops the batch before the next file.
            limit = 0 if not pipe.enabled or entry.writes is None else pipe.lanes
            while len(open_files) > limit:
                settle(open_files.popleft(), True)
    finally:
        while open_files:  # also on Ctrl-C: the files already cleaned are written and recorded
            settle(open_files.popleft(), False)


def _assemble(plan: Plan, result: FileResult, progress: CleanProgress, settings: CleanSettings) -> None:
    """Put a multi-page output together from the pages its work folder holds, all of them."""
    assert plan.store is not None
    pages = [plan.store.recall(i) for i in range(plan.pages)]  # before the folder goes with the assembly
    plan.store.assemble(plan.pages, file_metadata(plan.store.source, progress, result))
    result.targets.append(plan.targets[0])
    for page in pages:
        _recall(page, result, progress, settings)


def _recall(page: PageResult, result: FileResult, progress: CleanProgress, settings: CleanSettings) -> None:
    """A page an earlier run finished (skipped now) goes in the record with the figures and
    warnings that run gave it (``PageStore.recall``), as the finished output holds it."""
    result.pages.append(page)
    for message in page_warnings(page, settings):
        warn(progress, result, message, WARN_INK)


def _settle(entry: _Open, progress: CleanProgress, report: Report) -> None:
    """Wait for a file's writes and make its result final (one bad file must not stop the batch)."""
    result = entry.result
    if entry.complete is not None or entry.error is not None:
        try:
            if entry.error is not None:
                raise entry.error  # handled below like a failed write: a full disk stops the batch
            entry.complete()
            result.status = CLEANED
        except (KeyboardInterrupt, Cancelled):
            result.status, result.error = INTERRUPTED, f"{result.source}: interrupted"
            raise
        except DiskFullError as exc:
            result.error = describe(result.source, exc)
            report.stop_reason = DISK_FULL
            report.stopped = f"{DISK_FULL} ({exc}); stopped, outputs written so far are kept"
        except Exception as exc:
            result.error = describe(result.source, exc)
        finally:
            record_warnings(progress, result, entry.caught or [])
    result.seconds = time.perf_counter() - entry.started
    progress.on_file_done(result)
