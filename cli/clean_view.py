"""How ``docclean clean`` looks: a rich progress bar with pages/s and ETA, one line per failed
file, warnings, and a summary. Rendering only: the batch itself is ``docclean.batch.clean_batch``.

All human output goes to stderr except the dry-run listing, which is the command's result.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from cli.errors import shown
from docclean import formats
from docclean.discover import Job
from docclean.postprocess import layer_warning
from docclean.progress import WARN_DECODER, WARN_SETTINGS, BinarizedWarning, CleanProgress, grey_pages
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, WOULD_CLEAN, FileResult, PageResult, Report


def binarize_line(fmts: Sequence[formats.Format]) -> str:
    """The engine's warning about binarized pages going into ``fmts``, formats without 1-bit pages
    (``docclean.progress.BinarizedWarning``), in the CLI's words: with the flag that asked for
    1-bit pages and the ``--format`` values that give them (``docclean.formats.ONE_BIT``)."""
    first, *rest = (f.name for f in formats.ONE_BIT)
    others = f" (or {', '.join(rest)})" if rest else ""
    return (f"warning: --binarize: {formats.named(fmts)} cannot hold 1-bit pages, so pages written as "
            f"{formats.named(fmts, 'or')} are {grey_pages(fmts)}; add --format {first}{others} for 1-bit pages")


def settings_line(message: str) -> str:
    """The line for the engine's warning about the run's settings (``WARN_SETTINGS``): in the
    CLI's words where it has them (:func:`binarize_line`), else as the engine says it."""
    if isinstance(message, BinarizedWarning):
        return binarize_line(message.formats)
    return f"warning: {message}"


def say(console: Console, text: str) -> None:
    """Print one message as one line: soft_wrap keeps it whole whatever the terminal width, markup
    is off because file names may contain [brackets], and a newline or escape sequence in a file
    name is shown escaped (:func:`cli.errors.shown`)."""
    console.print(shown(text), markup=False, highlight=False, soft_wrap=True)


def _targets(paths: list[Path]) -> str:
    return ", ".join(shown(p) for p in paths)


class PagesPerSecondColumn(ProgressColumn):
    """Cleaning speed over rich's recent window, in pages per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.2f} pages/s" if task.speed else "- pages/s", style="progress.data.speed")


class RichCleanProgress(CleanProgress):
    """A page bar on stderr that also moves within a page (tiles), so a 600-dpi page shows life;
    one ``error: <file>: <reason>`` line per failed file as it happens; ``warning:`` lines for
    pages that lost ink and warnings about the run's settings (always; binarized pages into a format
    without 1-bit pages, in the CLI's words: :func:`binarize_line`) and decoder warnings (with ``verbose``); with
    ``verbose`` one line per file. Use as a context manager so the live display is closed even on
    Ctrl-C. ``multi_page`` holds the sources of the files started with more than one page to clean
    (see :func:`stopped_line`)."""

    def __init__(self, console: Console, out: Console, *, quiet: bool = False, verbose: bool = False) -> None:
        self.console, self.out, self.quiet, self.verbose = console, out, quiet, verbose
        self.multi_page: set[str] = set()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._checking: TaskID | None = None  # the files being checked, before the page bar
        # Pages still to come per file: a file's result may be settled after the next file started
        # (its writes run behind), and the Ray engine interleaves files.
        self._left: dict[str, int] = {}
        self._page_part = 0.0

    def __enter__(self) -> RichCleanProgress:
        # Finding the files of a big tree takes a while before anything can be counted: show life.
        self._spinner("finding files")
        return self

    def _spinner(self, what: str) -> None:
        shown = self._display(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        if shown is not None:
            shown.add_task(what, total=None)

    def on_engine_starting(self, what: str) -> None:
        """The Ray engine's start-up (``CleanProgress.on_engine_starting``): seconds in which the
        spinner said "finding files"; now it says what it waits for."""
        self._checking = None
        self._spinner(what)

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the live display (safe to call twice)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _line(self, text: str, console: Console | None = None) -> None:
        say(console or self.console, text)

    def _display(self, *columns: ProgressColumn | str) -> Progress | None:
        """A live display of ``columns`` in place of the one shown, that leaves nothing behind; None
        with --quiet or when stderr is not a terminal (logs, pipes: it could not redraw, only clutter)."""
        self.close()
        if self.quiet or not self.console.is_terminal:
            return None
        self._progress = Progress(*columns, console=self.console, transient=True)
        self._progress.start()
        return self._progress

    def on_plan(self, done: int, total: int) -> None:
        if self._checking is None:
            shown = self._display(TextColumn("checking files"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("files"), TimeElapsedColumn(), TimeRemainingColumn())
            if shown is None:
                return
            self._checking = shown.add_task("checking", total=total)
        if self._progress is not None:
            self._progress.update(self._checking, completed=done)

    def on_start(self, files: int, pages: int) -> None:
        self._checking = None
        if pages == 0:
            self.close()
            return
        shown = self._display(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                              PagesPerSecondColumn(), TimeElapsedColumn(), TimeRemainingColumn())
        if shown is not None:
            self._task = shown.add_task("cleaning", total=pages)

    def on_file_start(self, job: Job, pages: int) -> None:
        self._left[str(job.source)] = pages
        if pages > 1:
            self.multi_page.add(str(job.source))
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=job.source.name)

    def on_tile_done(self, job: Job, page: int, done: int, total: int) -> None:
        if self._progress is not None and self._task is not None and total > 1:
            # Fractions of a page, so the bar moves on big pages; the page's last tile is left for on_page_done.
            part = min(done / total, 0.99)
            self._progress.advance(self._task, part - self._page_part)
            self._page_part = part

    def on_page_done(self, job: Job, page: PageResult) -> None:
        key = str(job.source)
        if key in self._left:
            self._left[key] -= 1
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, 1.0 - self._page_part)
        self._page_part = 0.0

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        if kind == WARN_SETTINGS:
            self._line(settings_line(message))
        elif kind != WARN_DECODER or self.verbose:  # a library's own warnings only with --verbose
            self._line(f"warning: {shown(source)}: {shown(message)}")

    def on_file_done(self, result: FileResult) -> None:
        left = self._left.pop(str(result.source), 0)
        if result.status in (FAILED, INTERRUPTED):
            if self._progress is not None and self._task is not None and left > 0:
                # The pages this file will never clean leave the total, so the ETA stays honest (a
                # file stopped mid-page is settled at once, so the page part is its own).
                total = self._progress.tasks[0].total or 0
                self._progress.update(self._task, total=total - left - self._page_part)
                self._page_part = 0.0
            if result.status == FAILED:
                # The reason begins with the file's real name (docclean.plan.describe), shown escaped.
                self._line(f"error: {shown(result.error or '')}")
        elif result.status == WOULD_CLEAN:
            if not self.quiet:
                pages = len(result.pages)
                self._line(f"would clean {shown(result.source)} -> {_targets(result.targets)}"
                           f" ({pages} page{'s' * (pages != 1)})", self.out)
        elif self.verbose:
            self._line(f"{result.status} {shown(result.source)} -> {_targets(result.targets)}"
                       f" ({result.seconds:.2f}s)")


def summary(report: Report) -> str:
    """One line: files per status, pages cleaned, seconds and pages/s; an engine's start-up that
    ``report.seconds`` leaves out (``report.startup_seconds``: Ray's) named beside the rate."""
    counts = report.counts()
    if report.settings.get("dry_run"):
        parts = [f"{counts[WOULD_CLEAN]} would be cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
        return "dry run: " + ", ".join(parts) + " (nothing written)"
    parts = [f"{counts[CLEANED]} cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
    pages = report.pages_cleaned
    warned = sum(1 for f in report.files for p in f.pages
                 if p.ink_loss is not None and p.ink_loss > report.settings.get("ink_warning", 1.0))
    startup = report.startup_seconds
    after = f", after {startup:.1f}s starting Ray" if startup is not None else ""
    text = (", ".join(parts) + f"; {pages} page{'s' * (pages != 1)} in {report.seconds:.1f}s"
            f" ({report.pages_per_second:.2f} pages/s{after})")  # the report's figure, of the seconds beside it
    if warned:
        text += f"; {warned} page{'s' * (warned != 1)} lost ink (see the warnings)"
    layered = sum(1 for f in report.files for p in f.pages if layer_warning(p.show_through))
    if layered:
        text += f"; a lighter ink layer removed on {layered} page{'s' * (layered != 1)} (see the warnings)"
    negatives = sum(1 for f in report.files for p in f.pages if p.inverted)
    if negatives:
        what = "a negative" if negatives == 1 else "negatives"
        text += f"; {negatives} page{'s' * (negatives != 1)} cleaned as {what} (light writing on dark paper)"
    return text


def skipped_line(report: Report) -> str | None:
    """A line for the files skipped because their outputs were already there, and for the pages
    of a multi-page file written as page files (``NAME-p002.png``) kept the same way while its
    other pages were cleaned (None if neither): a rerun with other settings (``--binarize`` added)
    skips them too, and they stay as the earlier run made them, which the counts alone do not tell.
    Pages resumed from a TIFF's or PDF's work folder are not counted: those are kept only when the
    settings match (docclean.resume). Page files are counted: those of an unfinished run are kept only
    under its matching stamp (docclean.resume), but those of a finished run whatever made them."""
    n = report.counts()[SKIPPED]
    pages = sum(p.status == SKIPPED for f in report.files if f.status != SKIPPED and _page_files(f) for p in f.pages)
    if not n and not pages:
        return None
    kept = f"{pages} page{'s' * (pages != 1)} kept"
    one = n + pages == 1
    it = "it" if one else "them"
    if not pages:
        what, its = f"{n} skipped", "its output is" if one else "their outputs are"
    elif not n:
        what, its = kept, "its page file is" if one else "their page files are"
    else:
        what, its = f"{n} skipped and {kept}", "their outputs are"
    return (f"note: {what}: {its} already there (from an earlier run, perhaps with other settings); "
            f"--overwrite cleans {it} again")


def _page_files(result: FileResult) -> bool:
    """Whether ``result``'s pages are written as separate files (a format without pages)."""
    fmt = formats.by_suffix(result.targets[0]) if result.targets else None
    return fmt is not None and not fmt.multi_page


def kept_pages(report: Report, multi_page: Collection[str] = ()) -> list[tuple[Path, int]]:
    """``(source, pages)`` for each stopped multi-page file with finished pages, cleaned now or by
    the run this one resumed (its record's skipped pages): those are kept (page files, or the work
    folder a PDF or TIFF is put together from) for the rerun. A file is multi-page when it started
    with several pages to clean (``multi_page``, the view's :attr:`RichCleanProgress.multi_page`)
    or its record holds a page after the first; a one-page output is written whole or not at all,
    so its page is not counted."""
    kept = []
    for result in report.files:
        done = sum(p.status in (CLEANED, SKIPPED) for p in result.pages)
        multi = str(result.source) in multi_page or any(p.index > 0 for p in result.pages)
        if result.status == INTERRUPTED and done and multi:
            kept.append((result.source, done))
    return kept


def _files(n: int, what: str = "") -> str:
    return f"{n} {what}file{'s' * (n != 1)}"


def stopped_line(report: Report, multi_page: Collection[str] = ()) -> str:
    """What to say when a batch ended early: the files cleaned, how many it never reached, and the
    finished pages kept of the multi-page files in hand (:func:`kept_pages`), all of which a rerun
    goes on from."""
    done = report.counts()[CLEANED]
    left = len(report.not_reached)
    if not report.interrupted:
        return f"error: {report.stopped}" + (f"; {_files(left)} not reached" if left else "")
    how = "terminated" if report.stopped == "terminated" else "interrupted"
    files = f"{how} after {_files(done, 'cleaned ')}" + (f", {left} not reached" if left else "")
    kept = kept_pages(report, multi_page)
    if not kept:
        return f"{files}; finished outputs are kept and a rerun of the same command resumes (it skips them)"
    pages = ", ".join(f"{n} finished page{'s' * (n != 1)} of {shown(source)}" for source, n in kept)
    what = f"finished outputs and {pages}" if done else pages
    verb = "is" if not done and len(kept) == 1 and kept[0][1] == 1 else "are"
    return f"{files}; {what} {verb} kept and a rerun of the same command goes on from them"
