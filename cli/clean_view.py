"""How ``docclean clean`` looks: a rich progress bar with pages/s and ETA, one line per failed
file, warnings, and a summary. Rendering only: the batch itself is ``docclean.batch.clean_batch``.

All human output goes to stderr except the dry-run listing, which is the command's result.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, \
    TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from docclean.discover import Job
from docclean.postprocess import layer_warning
from docclean.progress import WARN_DECODER, WARN_INK, CleanProgress
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, WOULD_CLEAN, FileResult, PageResult, Report


def say(console: Console, text: str) -> None:
    """Print one message as one line: soft_wrap keeps it whole whatever the terminal width, and
    markup is off because file names may contain [brackets]."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


class PagesPerSecondColumn(ProgressColumn):
    """Cleaning speed over rich's recent window, in pages per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.2f} pages/s" if task.speed else "- pages/s", style="progress.data.speed")


class RichCleanProgress(CleanProgress):
    """A page bar on stderr that also moves within a page (tiles), so a 600-dpi page shows life;
    one ``error: <file>: <reason>`` line per failed file as it happens; ``warning:`` lines for
    pages that lost ink (always) and decoder warnings (with ``verbose``); with ``verbose`` one line
    per file. Use as a context manager so the live display is closed even on Ctrl-C."""

    def __init__(self, console: Console, out: Console, *, quiet: bool = False, verbose: bool = False) -> None:
        self.console, self.out, self.quiet, self.verbose = console, out, quiet, verbose
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        # Pages still to come per file: a file's result may be settled after the next file started
        # (its writes run behind), and the Ray engine interleaves files.
        self._left: dict[str, int] = {}
        self._page_part = 0.0

    def __enter__(self) -> RichCleanProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the live display (safe to call twice)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _line(self, text: str, console: Console | None = None) -> None:
        say(console or self.console, text)

    def on_start(self, files: int, pages: int) -> None:
        # No bar when stderr is not a terminal (logs, pipes): it could not redraw, only clutter.
        if self.quiet or pages == 0 or not self.console.is_terminal:
            return
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
            PagesPerSecondColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("cleaning", total=pages)

    def on_file_start(self, job: Job, pages: int) -> None:
        self._left[str(job.source)] = pages
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
        if kind == WARN_INK or self.verbose:
            self._line(f"warning: {source}: {message}")

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
                self._line(f"error: {result.error}")
        elif result.status == WOULD_CLEAN and not self.quiet:
            pages = len(result.pages)
            self._line(f"would clean {result.source} -> {', '.join(map(str, result.targets))}"
                       f" ({pages} page{'s' * (pages != 1)})", self.out)
        elif self.verbose:
            self._line(f"{result.status} {result.source} -> {', '.join(map(str, result.targets))}"
                       f" ({result.seconds:.2f}s)")


def summary(report: Report) -> str:
    """One line: files per status, pages cleaned, seconds and pages/s."""
    counts = report.counts()
    if report.settings.get("dry_run"):
        parts = [f"{counts[WOULD_CLEAN]} would be cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
        return "dry run: " + ", ".join(parts) + " (nothing written)"
    parts = [f"{counts[CLEANED]} cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
    pages = report.pages_cleaned
    warned = sum(1 for f in report.files for p in f.pages
                 if p.ink_loss is not None and p.ink_loss > report.settings.get("ink_warning", 1.0))
    rate = pages / report.seconds if report.seconds > 0 else 0.0  # of the time printed beside it
    text = (", ".join(parts) + f"; {pages} page{'s' * (pages != 1)} in {report.seconds:.1f}s"
            f" ({rate:.2f} pages/s)")
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


def stopped_line(report: Report) -> str:
    """What to say when a batch ended early."""
    done = report.counts()[CLEANED]
    if report.interrupted:
        how = "terminated" if report.stopped == "terminated" else "interrupted"
        return (f"{how} after {done} cleaned file{'s' * (done != 1)}; finished outputs are kept "
                "and a rerun of the same command resumes (it skips them)")
    return f"error: {report.stopped}"
