"""The batch runner: clean many files, skip what is done, write atomically, go on past bad files.

Every face (CLI, GUI, a cluster runner) calls the same two functions::

    report = clean_batch(["scans/"], Path("clean"), CleanSettings(), MyProgress())
    out = clean_page(page, settings, cleaner)      # a GUI preview: the exact pixels the batch writes

``clean_batch`` finds the inputs (``docclean.discover``), checks the output path, loads the model
once (in a background thread, while it plans every file (``docclean.plan``) and the first page is
read), cleans each pending page through :func:`clean_page`
(``docclean.onepage``; files in turn: ``docclean.filerun``),
writes it through ``io.PageWriter`` (temporary file, fsync, rename), records everything in a
:class:`~docclean.report.Report` and reports progress down to tiles (``docclean.progress``). A bad
file fails alone with a one-line reason naming it; a full disk stops the batch; Ctrl-C, SIGTERM
and ``progress.cancelled()`` stop it after removing the half-written output, and the report (also
written to ``report_path``, as the batch goes too, carrying an earlier run's records of the files
it skips: ``docclean.reportcarry``) keeps what was done.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import wait as futures_wait
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import io as pageio
from docclean import leftover
from docclean.discover import Job, as_inputs, discover, plan_keys
from docclean.errors import Cancelled, UsageError, stop_word
from docclean.filerun import clean_files
from docclean.models import resolve_model_path
from docclean.onepage import PageOutput, clean_page, load_cleaner
from docclean.outputs import Listings, MadeFolder, list_folder, output_lock, release_cut_short_tries, remove_stale_temps
from docclean.overlap import PagePipeline
from docclean.pagememory import pixel_limit
from docclean.places import user_path
from docclean.plan import Plan, check_output, describe, plan_job
from docclean.progress import CleanProgress, warn_inputs, warn_left_out, warn_settings
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, WOULD_CLEAN, Report, check_report_path
from docclean.reportcarry import ReportKeeper, load_earlier, remove_stale_report_temps
from docclean.settings import CleanSettings, available_cores

if TYPE_CHECKING:
    from docclean.engine import Denoiser

__all__ = ["NothingToClean", "PageOutput", "clean_batch", "clean_page", "load_cleaner", "plan_jobs"]

#: At most this many writer threads (files encoded at once) when the network runs on a GPU.
GPU_WRITERS = 6


class NothingToClean(UsageError):
    """No input named a supported file that can be cleaned; ``problems`` holds one line per input,
    and the message the first of them (a program that prints only the message says why);
    ``summary`` is the message without it, for a caller that prints every problem first."""

    summary = "nothing to clean: every input was refused or names no supported file"

    def __init__(self, problems: list[str]) -> None:
        why = "" if not problems else f" ({problems[0]})" if len(problems) == 1 else \
            f" ({len(problems)} inputs; the first: {problems[0]})"
        super().__init__(self.summary + why)
        self.problems = problems


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
    after the other. Both write the same files and report the same results.

    ``report_path``: the report is also written there while the batch runs (``in_progress``), and
    when it names the report of an earlier run into the same output, the files this run skips
    carry that run's record of them (``earlier``; ``docclean.reportcarry``); a dry run writes its
    report at the end only, carrying the records as well."""
    settings = settings or CleanSettings()
    if not isinstance(settings, CleanSettings):
        raise UsageError(f"settings must be a docclean.CleanSettings, not a {type(settings).__name__} "
                         "(CleanSettings.from_dict reads a dict)")
    progress = progress or CleanProgress()
    report = report if report is not None else Report()
    output = user_path(output)
    inputs = as_inputs(inputs)
    check_report_path(report_path)
    if report_path is not None:
        # Read before anything writes it: a resume's skipped files carry the earlier run's pages
        # (docclean.reportcarry); and so does the report of a run stopped before it reached them,
        # and a dry run's, which replaces the report and must not lose them.
        report.earlier = load_earlier(report_path, output)  # where write_json writes it
        remove_stale_report_temps(report_path)  # a killed run's half-written report beside it
    keeper = ReportKeeper(report, None if settings.dry_run else report_path)
    loading: Loading | None = None
    made: MadeFolder | None = None
    began = False  # whether the report is written: once the lock is asked for, or at an interrupt
    try:
        single_file = check_output(inputs, output, settings.fmt)
        left_out: dict[str, list[Path]] = {}
        warned: list[tuple[str, str]] = []  # the output folder inside an input folder holds scans no output explains
        jobs = discover(inputs, output, settings.fmt, single_file=single_file, left_out=left_out.__setitem__,
                        warn=lambda item, message: warned.append((item, message)))
        if not any(job.error is None for job in jobs):
            raise NothingToClean([f"{job.source}: {job.error}" for job in jobs])
        report.settings, report.inputs, report.output = settings.to_dict(), inputs, str(output)
        report.model_name = settings.model
        warn_left_out(progress, report, left_out, None if report_path is None else Path(report_path))
        warn_inputs(progress, report, warned)
        # Loading the model (imports, reading the weights, compiling) overlaps planning and reading
        # the first page: the first page is what a user waits for (bench/clean_speed.py, start-up).
        if cleaner is None and not settings.dry_run:
            resolve_model_path(settings.model)  # a missing model fails at once, as a usage error does
            loading = Loading(settings)
        folder = output.parent if single_file else output
        made = MadeFolder(folder)
        within = {job.target.parent for job in jobs if job.error is None}
        lock = nullcontext() if settings.dry_run else output_lock(folder, within=within)
        began = True
        with lock:
            listed: Listings = {}  # each output folder listed once, under the lock, for both questions
            if not settings.dry_run:
                listed = {folder: list_folder(folder) for folder in {j.target.parent for j in jobs if j.error is None}}
                remove_stale_temps(listed.keys(), listed)
            _run(jobs, partial(_loaded, cleaner, loading, report), settings, progress, report, pipeline, listed,
                 keeper)
    except (KeyboardInterrupt, Cancelled) as exc:
        began = True  # even while the files were being found: the report says the run was stopped
        report.interrupted = True
        report.stopped = stop_word(exc)
        raise
    finally:
        if loading is not None:
            loading.wait()  # never leave a half-loaded runtime behind an error
        if report_path is not None and began:
            report.write_json(report_path)
        if made is not None and loading is not None and loading.failed():
            made.remove_if_empty()  # a model that cannot load leaves nothing behind, as before the lock
    return report


class Loading:
    """``load_cleaner(settings)`` in a background thread; :meth:`result` waits and returns it (or
    raises its error)."""

    def __init__(self, settings: CleanSettings) -> None:
        self._future: Future = Future()
        threading.Thread(target=self._load, args=(settings,), name="docclean-load", daemon=True).start()

    def _load(self, settings: CleanSettings) -> None:
        try:
            self._future.set_result(load_cleaner(settings))
        except BaseException as exc:  # raised in the batch's thread by result()
            self._future.set_exception(exc)

    def result(self) -> Denoiser:
        """The loaded cleaner; raises what loading raised (ModelError, UsageError)."""
        return self._future.result()

    def wait(self) -> None:
        """Wait until loading has ended, however it ended."""
        futures_wait([self._future])

    def failed(self) -> bool:
        """True when loading has ended with an error."""
        return self._future.done() and self._future.exception() is not None


def _loaded(cleaner: Denoiser | None, loading: Loading | None, report: Report) -> Denoiser | None:
    """The batch's cleaner (waiting for the background load), recorded in the report."""
    if cleaner is None and loading is not None:
        cleaner = loading.result()
    if cleaner is not None:
        report.model_path = str(cleaner.model_path) if cleaner.model_path else None
        report.model_metadata = dict(cleaner.metadata)
        report.device = f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}"
    return cleaner


#: Seconds between ``on_plan`` calls while the files are checked.
PLAN_EVERY = 0.25


def _run(jobs: list[Job], get_cleaner: Callable[[], Denoiser | None], settings: CleanSettings,
         progress: CleanProgress, report: Report, pipeline: bool = True, listed: Listings | None = None,
         keeper: ReportKeeper | None = None) -> None:
    """Plan every file, then clean them. ``get_cleaner`` returns the model, waiting for its load
    (None in a dry run); it is called once the reader has started on the first page. ``listed``:
    the output folders as listed under the lock. ``keeper`` carries earlier records into the
    results and writes the report as they settle."""
    start = time.perf_counter()
    if keeper is not None:
        keeper.begin(jobs, start)
    cleaner: Denoiser | None = None

    def writers() -> int:
        nonlocal cleaner
        cleaner = get_cleaner()
        return min(_writer_threads(cleaner), max(1, len(to_clean)))

    recorded = len(report.files)  # a caller's report may hold earlier runs' files
    try:
        plans = plan_jobs(jobs, settings, progress, listed)
        to_clean = [job for job, plan in zip(jobs, plans) if plan.error is None and plan.pending
                    and not settings.dry_run]
        release_cut_short_tries((job.target for job in to_clean), listed)  # this run's pages replace theirs
        warn_settings(progress, report, settings.binarize,
                      [job.target for job, plan in zip(jobs, plans) if plan.error is None and plan.pending])
        with PagePipeline(to_clean, partial(_read, settings=settings), enabled=pipeline, writers=writers) as pipe:
            progress.on_start(len(jobs), sum(len(p.pending) for p in plans))
            clean_files(jobs, plans, cleaner, settings, progress, report, pipe,
                        None if keeper is None else keeper.settled)
    finally:
        report.seconds = time.perf_counter() - start
        # Files are recorded in input order, so those after the last recorded one were never reached.
        report.not_reached = [job.source for job in jobs[len(report.files) - recorded:]]
    progress.on_finish(report)


def plan_jobs(jobs: list[Job], settings: CleanSettings, progress: CleanProgress | None = None,
              listed: Listings | None = None) -> list[Plan]:
    """:func:`docclean.plan.plan_job` on every job, in order, as the batch plans before it cleans: a
    file that cannot be counted fails alone (its plan holds the reason), library warnings while
    counting are dropped, and ``progress.on_plan`` is told every :data:`PLAN_EVERY` seconds. Unless
    it is a dry run, the page files of earlier runs that a file's outputs leave beside them are
    found (``docclean.leftover``; ``listed``: the output folders as listed under the lock)."""
    inputs, claimed = plan_keys(jobs)  # compared as the output volume compares names
    plans: list[Plan] = []
    told = time.perf_counter()
    for n, job in enumerate(jobs, 1):
        if progress is not None and time.perf_counter() - told >= PLAN_EVERY:
            progress.on_plan(n - 1, len(jobs))
            told = time.perf_counter()
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("ignore")
            try:
                plans.append(plan_job(job, settings, inputs, claimed))
            except Exception as exc:  # counting a broken file fails that file only
                plans.append(Plan(error=describe(job.source, exc)))
    if not settings.dry_run:
        leftover.mark(jobs, plans, (inputs, claimed), listed)
    return plans


def _writer_threads(cleaner: Denoiser | None) -> int:
    """One writer thread on the CPU, where the network already keeps the cores busy. On a GPU the
    network takes a small part of a page's time and encoding the output (PNG: zlib) the largest
    (README, GPU), so several files are encoded at once, on up to half the cores. On the H200
    machine this has not raised the end-to-end rate yet: something else in the one process limits
    it there (README, GPU)."""
    if cleaner is None or cleaner.device == "cpu":
        return 1
    return max(1, min(GPU_WRITERS, available_cores() // 2))


def _read(job: Job, settings: CleanSettings) -> Iterator[pageio.Page]:
    return pageio.read_pages(job.source, dpi=settings.dpi, max_pixels=pixel_limit(settings.max_pixels))




# Re-exported for callers that only import the runner.
STATUSES = (CLEANED, SKIPPED, FAILED, WOULD_CLEAN, INTERRUPTED)
