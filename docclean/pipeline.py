"""A batch job: clean many files, skip what is done, write atomically, go on past bad files, report.

The pipeline owns the loop over files; callers only start it and show its progress::

    jobs = discover(["scans/"], Path("clean"))            # docclean.discover
    options = CleanOptions(output=Path("clean"))
    report = Report(model_name="default")
    run(jobs, Denoiser.load(), options, MyProgress(), report)   # fills ``report`` as it goes

Progress goes out through :class:`CleanProgress` (no-op methods; the CLI draws a rich bar, the GUI
emits Qt signals). Nothing here prints or exits. A bad file becomes a failed
:class:`FileResult` with a one-line reason naming it and the batch goes on; ``KeyboardInterrupt``
(and :class:`Cancelled`, raised when ``progress.cancelled()`` turns true) propagate after the
half-written output has been removed, and the ``report`` passed in holds everything done so far.

Page counts are read up front (``io.count_pages`` reads headers, not pixels) so progress can show
pages/s and an ETA. A multi-page source written in a single-page format (png, jpeg, bmp, webp)
becomes one file per page, ``<stem>-p001<suffix>``, ``<stem>-p002<suffix>``, ...; a one-page source
keeps its plain name.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from docclean import io as pageio
from docclean.discover import Job, discover, input_keys, path_key
from docclean.errors import DocCleanError, InputError, OutputError
from docclean.report import (
    CLEANED,
    FAILED,
    INTERRUPTED,
    SKIPPED,
    WOULD_CLEAN,
    CleanProgress,
    FileResult,
    PageResult,
    Report,
)
from docclean.writer import MULTI_PAGE_FORMATS, SUFFIX_FORMATS

__all__ = ["CLEANED", "FAILED", "INTERRUPTED", "SKIPPED", "WOULD_CLEAN", "CleanOptions", "CleanProgress", "Cancelled",
           "FileResult", "Job", "PageResult", "Report",
           "discover", "run"]



class Cancelled(Exception):
    """Raised by :func:`run` when ``progress.cancelled()`` returns True (the GUI's stop button)."""


class PageCleaner(Protocol):
    """What :func:`run` needs from a denoiser (``docclean.engine.Denoiser`` is one)."""

    def clean(self, page: np.ndarray) -> np.ndarray: ...


@dataclass
class CleanOptions:
    """How a batch writes its outputs.

    ``keep_color`` is off by default: the output is the cleaned grey page, because the model cleans
    luminance only (stains, shadows and yellowed paper are mostly colour casts, and text on a
    document is meant to be dark on white). With ``keep_color`` the original chroma is put back on
    the cleaned luminance (``io.recolor``) for pages that have colour (stamps, highlighting, photos).
    ``binarize`` thresholds the cleaned page at ``threshold`` into a 1-bit image (small files, what
    OCR engines and archives want); it cannot be combined with ``keep_color``. Without
    ``overwrite`` an existing target is skipped, so rerunning an interrupted batch resumes it.
    ``dpi`` is the resolution PDF pages are rendered at (None: io's default)."""

    output: Path
    fmt: str | None = None
    dpi: float | None = None
    keep_color: bool = False
    binarize: bool = False
    threshold: float = 0.5
    overwrite: bool = False
    dry_run: bool = False

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        if self.fmt is not None and self.fmt not in pageio.OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {self.fmt!r}; choose {', '.join(pageio.OUTPUT_FORMATS)}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie between 0 and 1, not {self.threshold}")
        if self.dpi is not None and not 0 < self.dpi <= 2400:
            raise ValueError(f"dpi must lie between 0 and 2400, not {self.dpi}")
        if self.keep_color and self.binarize:
            raise ValueError("keep_color and binarize cannot be combined (a 1-bit page has no colour)")


@dataclass
class _Plan:
    """What run() decided for a job before cleaning: its page targets and which pages to do."""

    targets: list[Path] = field(default_factory=list)
    pages: int = 0
    pending: list[int] = field(default_factory=list)
    per_page: bool = False
    error: str | None = None


def _describe(source: Path, exc: BaseException) -> str:
    """A one-line reason that starts with the source file."""
    if isinstance(exc, DocCleanError):
        about_source = exc.path is None or path_key(exc.path) == path_key(source)
        text = f"{source}: {exc.reason}" if about_source else f"{source}: {exc}"
    else:
        text = f"{source}: unexpected error: {type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _page_target(target: Path, index: int) -> Path:
    return target.with_name(f"{target.stem}-p{index + 1:03d}{target.suffix}")


def _check_output_folder(target: Path) -> None:
    """OutputError if a path on the way to ``target``'s folder exists but is not a folder."""
    for folder in (target.parent, *target.parent.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise OutputError("the output folder is not a folder (a file of that name exists)", folder)
            return


def _plan(job: Job, options: CleanOptions, inputs: set[Path], claimed: set[Path]) -> _Plan:
    """Count pages, choose page targets and the pages still to do; raises DocCleanError."""
    plan = _Plan()
    if job.error is not None:
        plan.error = f"{job.source}: {job.error}"
        return plan
    _check_output_folder(job.target)
    if not options.overwrite and job.target.is_file():
        # Done by an earlier run: no need to open the source at all (fast resume of big batches).
        plan.targets = [job.target]
        return plan
    plan.pages = pageio.count_pages(job.source)
    if plan.pages < 1:
        raise InputError("contains no pages", job.source)
    # Formats that hold one page get one file per page.
    plan.per_page = plan.pages > 1 and SUFFIX_FORMATS.get(job.target.suffix.lower()) not in MULTI_PAGE_FORMATS
    plan.targets = [_page_target(job.target, i) for i in range(plan.pages)] if plan.per_page else [job.target]
    for target in plan.targets if plan.per_page else ():
        if path_key(target) in inputs:
            raise OutputError("refusing to write over an input file; choose another output folder", target)
        if path_key(target) in claimed:
            raise OutputError("this page output is already the output of another input", target)
        claimed.add(path_key(target))
    if plan.per_page:
        plan.pending = [i for i, t in enumerate(plan.targets) if options.overwrite or not t.is_file()]
    else:
        plan.pending = list(range(plan.pages))
    return plan


def _pixels(cleaned: np.ndarray, page: pageio.Page, options: CleanOptions) -> np.ndarray:
    """Apply the colour/binarize policy to a cleaned grey page."""
    if options.binarize:
        return cleaned >= options.threshold  # io writes bool pages as 1-bit, True = white paper
    if options.keep_color and page.color is not None:
        return pageio.recolor(cleaned, page.color)
    return cleaned


def _clean_file(job: Job, plan: _Plan, cleaner: PageCleaner, options: CleanOptions,
                progress: CleanProgress, result: FileResult) -> None:
    """Read, clean and write one file's pending pages; every output appears whole or not at all."""
    pending = set(plan.pending)
    # One writer for a multi-page output; one per page file when pages are split.
    writer = None if plan.per_page else pageio.PageWriter(plan.targets[0])
    with writer if writer is not None else nullcontext():
        tick = time.perf_counter()
        count = 0
        for page in pageio.read_pages(job.source, dpi=options.dpi):
            count += 1
            if page.index not in pending:
                result.pages.append(PageResult(page.index, SKIPPED))
                tick = time.perf_counter()
                continue
            if progress.cancelled():
                raise Cancelled("cancelled")
            pixels = _pixels(cleaner.clean(page.gray), page, options)
            if writer is not None:
                writer.add(pixels, page.dpi)
            else:
                # Same name as plan.targets[index]; computed so pages past the header's count work too.
                target = _page_target(job.target, page.index)
                with pageio.PageWriter(target) as page_writer:
                    page_writer.add(pixels, page.dpi)
                result.targets.append(target)
            now = time.perf_counter()
            result.pages.append(PageResult(page.index, CLEANED, now - tick))
            progress.on_page_done(job, page.index, now - tick)
            tick = now
        if count == 0:
            raise InputError("contains no pages", job.source)
    if writer is not None:
        result.targets.append(plan.targets[0])


def run(jobs: list[Job], cleaner: PageCleaner, options: CleanOptions, progress: CleanProgress | None = None,
        report: Report | None = None) -> Report:
    """Clean every job with ``cleaner`` according to ``options``; returns the (filled) report.

    Per file: skipped if its target exists (unless ``options.overwrite``), "would clean" in a dry
    run, else cleaned or failed. ``DocCleanError`` and any other ``Exception`` fail only that file.
    ``KeyboardInterrupt`` and :class:`Cancelled` propagate; pass ``report`` in to keep what was done."""
    progress = progress or CleanProgress()
    report = report if report is not None else Report()
    report.options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()}
    metadata = getattr(cleaner, "metadata", None)
    report.model_metadata = dict(metadata) if isinstance(metadata, dict) else {}
    report.device = str(getattr(cleaner, "device", None) or "") or None
    start = time.perf_counter()
    inputs = input_keys(jobs)
    # Page files (doc-p001.png) must not collide with any other job's planned output either.
    claimed = {path_key(job.target) for job in jobs if job.error is None}
    plans: list[_Plan] = []
    try:
        for job in jobs:
            try:
                plans.append(_plan(job, options, inputs, claimed))
            except Exception as exc:  # counting a broken file fails that file only
                plans.append(_Plan(error=_describe(job.source, exc)))
        progress.on_start(len(jobs), sum(len(p.pending) for p in plans))
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
            elif options.dry_run:
                result.status, result.targets = WOULD_CLEAN, list(plan.targets)
                result.pages = [PageResult(i, WOULD_CLEAN) for i in plan.pending]
            else:
                progress.on_file_start(job, len(plan.pending))
                try:
                    _clean_file(job, plan, cleaner, options, progress, result)
                    result.status = CLEANED
                except (KeyboardInterrupt, Cancelled):
                    result.status, result.error = INTERRUPTED, f"{job.source}: interrupted"
                    raise
                except Exception as exc:  # one bad file must not stop the batch
                    result.error = _describe(job.source, exc)
            result.seconds = time.perf_counter() - t0
            progress.on_file_done(result)
    except (KeyboardInterrupt, Cancelled):
        report.interrupted = True
        raise
    finally:
        report.seconds = time.perf_counter() - start
    progress.on_finish(report)
    return report
