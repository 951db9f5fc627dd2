"""The batch runner: clean many files, skip what is done, write atomically, go on past bad files.

Every face (CLI, GUI, a cluster runner) calls the same two functions::

    report = clean_batch(["scans/"], Path("clean"), CleanSettings(), MyProgress())
    out = clean_page(page, settings, cleaner)      # a GUI preview: the exact pixels the batch writes

``clean_batch`` finds the inputs (``docclean.discover``), checks the output path, loads the model
once, plans every file (``docclean.plan``), cleans each pending page through :func:`clean_page`,
writes it through ``io.PageWriter`` (temporary file, fsync, rename), records everything in a
:class:`~docclean.report.Report` and reports progress down to tiles (``docclean.progress``). A bad
file fails alone with a one-line reason naming it; a full disk stops the batch; Ctrl-C, SIGTERM
and ``progress.cancelled()`` stop it after removing the half-written output, and the report (also
written to ``report_path``) keeps what was done.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import nullcontext
from functools import partial
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from docclean import io as pageio
from docclean import postprocess
from docclean.color import recolor
from docclean.discover import Job, discover, input_keys, path_key
from docclean.errors import Cancelled, DiskFullError, UsageError
from docclean.outputs import output_lock, remove_stale_temps
from docclean.overlap import PagePipeline
from docclean.plan import Plan, check_output, describe, page_target, pixel_limit, plan_job
from docclean.progress import WARN_DECODER, WARN_INK, CleanProgress, TileProgress
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, WOULD_CLEAN, FileResult, PageResult, Report
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.engine import Denoiser

__all__ = ["NothingToClean", "PageOutput", "clean_batch", "clean_page", "load_cleaner"]

_MAX_WARNINGS = 20


class NothingToClean(UsageError):
    """No input named a supported file; ``problems`` holds one line per input that failed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("nothing to clean: no supported input files found")
        self.problems = problems


@dataclass
class PageOutput:
    """One cleaned page: ``pixels`` as written (float grey, bool 1-bit or uint8 RGB), the cleaned
    grey page, and the share of the input's dark strokes that cleaning turned into paper."""

    pixels: np.ndarray
    cleaned: np.ndarray
    ink_loss: float


_CLEANERS: OrderedDict[tuple, Denoiser] = OrderedDict()
_CLEANERS_LOCK = threading.Lock()
_CLEANERS_KEPT = 2


def load_cleaner(settings: CleanSettings, *, cache: bool = True) -> Denoiser:
    """Load the model, backend and tiling that ``settings`` name. The last two loaded are kept, so
    a GUI or hot folder switching back and forth does not reload; a changed model file (size or
    modification time) is loaded afresh. ``cache=False`` always loads."""
    from docclean.engine import Denoiser
    from docclean.models import resolve_model_path

    if not cache:
        return Denoiser.from_settings(settings)
    path = resolve_model_path(settings.model)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, settings.backend, settings.device, settings.precision,
           settings.effective_threads, settings.tile_size, settings.overlap, settings.batch_size)
    with _CLEANERS_LOCK:
        if key in _CLEANERS:
            _CLEANERS.move_to_end(key)
            return _CLEANERS[key]
    cleaner = Denoiser.from_settings(settings)
    with _CLEANERS_LOCK:
        _CLEANERS[key] = cleaner
        while len(_CLEANERS) > _CLEANERS_KEPT:
            _CLEANERS.popitem(last=False)
    return cleaner


def clean_page(page: pageio.Page, settings: CleanSettings, cleaner: Denoiser | None = None,
               progress: TileProgress | None = None) -> PageOutput:
    """Clean one page and apply the batch's post-processing: the adaptive or fixed binarization,
    or the original colour put back. The batch writes exactly ``PageOutput.pixels``."""
    cleaner = cleaner or load_cleaner(settings)
    cleaned = cleaner.clean(page.gray, progress)
    if settings.binarize:
        pixels: np.ndarray = postprocess.binarize(cleaned, settings.threshold)  # True = white paper
    elif settings.keep_color and page.color is not None:
        pixels = recolor(cleaned, page.color)
    else:
        pixels = cleaned
    return PageOutput(pixels, cleaned, postprocess.ink_loss(page.gray, cleaned))


class _PageTiles(TileProgress):
    """Adapts the batch's progress to the engine for the page in hand."""

    def __init__(self, progress: CleanProgress, job: Job, index: int) -> None:
        self.progress, self.job, self.index = progress, job, index

    def tile_done(self, done: int, total: int) -> None:
        self.progress.on_tile_done(self.job, self.index, done, total)

    def cancelled(self) -> bool:
        return self.progress.cancelled()


def _clean_file(job: Job, plan: Plan, cleaner: Denoiser, settings: CleanSettings,
                progress: CleanProgress, result: FileResult, pipe: PagePipeline) -> None:
    """Read, clean and write one file's pending pages; every output appears whole or not at all.
    A multi-page output collects its pages in a work folder first (``docclean.resume``), so an
    interruption keeps the pages done. Pages come from ``pipe`` (read ahead in a reader thread)
    and their writes go to its writer thread, in order; this returns once they are all written,
    so a write error is this file's error."""
    pending = set(plan.pending)
    store = plan.store
    writer = None if plan.per_page or store is not None else pageio.PageWriter(plan.targets[0])
    writes = pipe.writes(job)

    def close_writer(error: BaseException | None) -> None:
        if writer is not None:
            writer.__exit__(type(error) if error is not None else None, error, None)

    def write_page(target: Path, pixels: np.ndarray, dpi: tuple[float, float] | None) -> None:
        with pageio.PageWriter(target) as page_writer:
            page_writer.add(pixels, dpi)
        result.targets.append(target)

    try:
        if writer is not None:
            writes.submit(writer.__enter__)
        tick = time.perf_counter()
        count = 0
        for page in pipe.pages(job):
            count += 1
            if page.index not in pending:
                result.pages.append(PageResult(page.index, SKIPPED))
                tick = time.perf_counter()
                continue
            if progress.cancelled():
                raise Cancelled("cancelled")
            out = clean_page(page, settings, cleaner, _PageTiles(progress, job, page.index))
            writes.check()
            if writer is not None:
                writes.submit(writer.add, out.pixels, page.dpi)
            elif store is not None:
                writes.submit(store.put, page.index, out.pixels, page.dpi)
            else:
                writes.submit(write_page, page_target(job.target, page.index), out.pixels, page.dpi)
            now = time.perf_counter()
            done = PageResult(page.index, CLEANED, now - tick, round(out.ink_loss, 4))
            result.pages.append(done)
            if out.ink_loss > settings.ink_warning:
                _warn(progress, result, f"page {page.index + 1}: cleaning removed {out.ink_loss:.0%} of the dark "
                                        "strokes; check this page", WARN_INK)
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
        raise
    if store is not None:
        writes.submit(store.assemble, count)
    writes.finish(close_writer)
    writes.wait()
    if not plan.per_page:
        result.targets.append(plan.targets[0])


def _warn(progress: CleanProgress, result: FileResult, message: str, kind: str = WARN_DECODER) -> None:
    result.warnings.append(message)
    progress.on_warning(str(result.source), message, kind)


def _record_warnings(progress: CleanProgress, result: FileResult, caught: list[warnings.WarningMessage]) -> None:
    """Library warnings (Pillow, libtiff) become part of the file's record instead of output."""
    seen: set[str] = set()
    for w in caught:
        text = " ".join(f"{w.category.__name__}: {w.message}".split())
        if text not in seen and len(result.warnings) < _MAX_WARNINGS:
            seen.add(text)
            _warn(progress, result, text)


def clean_batch(inputs: list[str | Path], output: str | Path, settings: CleanSettings | None = None,
                progress: CleanProgress | None = None, *, report_path: str | Path | None = None,
                cleaner: Denoiser | None = None, report: Report | None = None, pipeline: bool = True) -> Report:
    """Clean every file that ``inputs`` (files, folders, glob patterns) name into ``output``.

    Raises UsageError before any work for an output that cannot work and :class:`NothingToClean`
    when no input names a supported file; ModelError when the model cannot be loaded. Per file:
    skipped if its output exists and is whole (unless ``settings.overwrite``), "would clean" in a
    dry run, else cleaned or failed. A full disk stops the batch (``report.stopped``). Ctrl-C,
    SIGTERM (see ``docclean.signals``) and cancel propagate after the report is completed and
    written. ``report.exit_code`` is the documented exit code of the run.

    ``pipeline`` (default): read the next page and write the previous one in background threads
    while the network runs (``docclean.overlap``); False does it all in this thread, one step
    after the other. Both write the same files and report the same results."""
    settings = settings or CleanSettings()
    progress = progress or CleanProgress()
    report = report if report is not None else Report()
    output = Path(output).expanduser()
    inputs = [str(i) for i in inputs]
    single_file = check_output(inputs, output)
    jobs = discover(inputs, output, settings.fmt, single_file=single_file)
    if not any(job.error is None for job in jobs):
        raise NothingToClean([f"{job.source}: {job.error}" for job in jobs])
    if cleaner is None and not settings.dry_run:
        cleaner = load_cleaner(settings)
    report.settings, report.inputs, report.output = settings.to_dict(), inputs, str(output)
    report.model_name = settings.model
    if cleaner is not None:
        report.model_path = str(cleaner.model_path) if cleaner.model_path else None
        report.model_metadata = dict(cleaner.metadata)
        report.device = f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}"
    lock = nullcontext() if settings.dry_run else output_lock(output.parent if single_file else output)
    try:
        with lock:
            if not settings.dry_run:
                remove_stale_temps({job.target.parent for job in jobs if job.error is None})
            _run(jobs, cleaner, settings, progress, report, pipeline)
    except (KeyboardInterrupt, Cancelled) as exc:
        report.interrupted = True
        report.stopped = "terminated" if type(exc).__name__ == "Terminated" else "interrupted"
        raise
    finally:
        if report_path is not None:
            report.write_json(report_path)
    return report


def _run(jobs: list[Job], cleaner: Denoiser | None, settings: CleanSettings, progress: CleanProgress,
         report: Report, pipeline: bool = True) -> None:
    start = time.perf_counter()
    inputs = input_keys(jobs)
    claimed = {path_key(job.target) for job in jobs if job.error is None}
    plans: list[Plan] = []
    try:
        for job in jobs:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("ignore")
                try:
                    plans.append(plan_job(job, settings, inputs, claimed))
                except Exception as exc:  # counting a broken file fails that file only
                    plans.append(Plan(error=describe(job.source, exc)))
        progress.on_start(len(jobs), sum(len(p.pending) for p in plans))
        to_clean = [job for job, plan in zip(jobs, plans) if plan.error is None and plan.pending
                    and not settings.dry_run and cleaner is not None]
        with PagePipeline(to_clean, partial(_read, settings=settings), enabled=pipeline) as pipe:
            _clean_jobs(jobs, plans, cleaner, settings, progress, report, pipe)
    finally:
        report.seconds = time.perf_counter() - start
    progress.on_finish(report)


def _read(job: Job, settings: CleanSettings) -> Iterator[pageio.Page]:
    return pageio.read_pages(job.source, dpi=settings.dpi, max_pixels=pixel_limit(settings.max_pixels))


def _clean_jobs(jobs: list[Job], plans: list[Plan], cleaner: Denoiser | None, settings: CleanSettings,
                progress: CleanProgress, report: Report, pipe: PagePipeline) -> None:
    """Clean, skip or fail each planned job in order, recording it in ``report``."""
    for job, plan in zip(jobs, plans):
        if progress.cancelled():
            raise Cancelled("cancelled")
        result = FileResult(job.source)
        report.files.append(result)
        t0 = time.perf_counter()
        if plan.error is not None:
            result.error = plan.error
        elif not plan.pending:
            result.status, result.targets = SKIPPED, list(plan.targets)
        elif settings.dry_run or cleaner is None:
            result.status, result.targets = WOULD_CLEAN, list(plan.targets)
            result.pages = [PageResult(i, WOULD_CLEAN) for i in plan.pending]
        else:
            progress.on_file_start(job, len(plan.pending))
            with pipe.warnings_for(job) as caught:
                try:
                    _clean_file(job, plan, cleaner, settings, progress, result, pipe)
                    result.status = CLEANED
                except (KeyboardInterrupt, Cancelled):
                    result.status, result.error = INTERRUPTED, f"{job.source}: interrupted"
                    raise
                except DiskFullError as exc:
                    result.error = describe(job.source, exc)
                    report.stopped = f"the disk is full ({exc}); stopped, outputs written so far are kept"
                except Exception as exc:  # one bad file must not stop the batch
                    result.error = describe(job.source, exc)
                finally:
                    _record_warnings(progress, result, caught)
        result.seconds = time.perf_counter() - t0
        progress.on_file_done(result)
        if report.stopped:
            break


# Re-exported for callers that only import the runner.
STATUSES = (CLEANED, SKIPPED, FAILED, WOULD_CLEAN, INTERRUPTED)
