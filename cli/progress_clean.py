"""What ``docclean clean`` does between parsing and exiting: find inputs, load the model, run the
pipeline under a rich progress bar, print errors and a summary, write the report, pick the exit code.

Exit codes: 0 everything cleaned or skipped, 1 some input failed (the rest were still done),
2 usage errors (nothing found, bad option values, a model that cannot be loaded), 130 Ctrl-C.
All human output goes to stderr except the dry-run listing, which is the command's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, \
    TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from docclean.discover import Job, discover
from docclean.engine import Denoiser, resolve_model_path
from docclean.errors import DocCleanError
from docclean.pipeline import CLEANED, FAILED, INTERRUPTED, SKIPPED, WOULD_CLEAN, CleanOptions, CleanProgress, \
    FileResult, Report, run

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def say(console: Console, text: str) -> None:
    """Print one message as one line: soft_wrap keeps it whole whatever the terminal width, and
    markup is off because file names may contain [brackets]."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


class PagesPerSecondColumn(ProgressColumn):
    """Cleaning speed over rich's recent window, in pages per second."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.2f} pages/s" if task.speed else "- pages/s", style="progress.data.speed")


class RichCleanProgress(CleanProgress):
    """A page bar with pages/s and ETA on stderr; one ``error: <file>: <reason>`` line per failed
    file as it happens; with ``verbose`` one line per file. Use as a context manager so the live
    display is closed even on Ctrl-C."""

    def __init__(self, console: Console, out: Console, *, quiet: bool = False, verbose: bool = False) -> None:
        self.console, self.out, self.quiet, self.verbose = console, out, quiet, verbose
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._expected = self._done = 0

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
        self._expected, self._done = pages, 0
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=job.source.name)

    def on_page_done(self, job: Job, index: int, seconds: float) -> None:
        self._done += 1
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def on_file_done(self, result: FileResult) -> None:
        if result.status in (FAILED, INTERRUPTED):
            if self._progress is not None and self._task is not None and self._expected > self._done:
                # The pages this file will never clean leave the total, so the ETA stays honest.
                total = self._progress.tasks[0].total or 0
                self._progress.update(self._task, total=total - (self._expected - self._done))
            if result.status == FAILED:
                self._line(f"error: {result.error}")
        elif result.status == WOULD_CLEAN and not self.quiet:
            pages = len(result.pages)
            self._line(f"would clean {result.source} -> {', '.join(map(str, result.targets))}"
                       f" ({pages} page{'s' * (pages != 1)})", self.out)
        elif self.verbose:
            self._line(f"{result.status} {result.source} -> {', '.join(map(str, result.targets))}"
                       f" ({result.seconds:.2f}s)")
        self._expected = self._done = 0


def summary(report: Report) -> str:
    """One line: files per status, pages cleaned, seconds and pages/s."""
    counts = report.counts()
    if report.options.get("dry_run"):
        parts = [f"{counts[WOULD_CLEAN]} would be cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
        return "dry run: " + ", ".join(parts) + " (nothing written)"
    parts = [f"{counts[CLEANED]} cleaned", f"{counts[SKIPPED]} skipped", f"{counts[FAILED]} failed"]
    pages = report.pages_cleaned
    return (", ".join(parts) + f"; {pages} page{'s' * (pages != 1)} in {report.seconds:.1f}s"
            f" ({report.pages_per_second:.2f} pages/s)")


def _write_report(report: Report, path: Path | None, console: Console) -> bool:
    if path is None:
        return True
    try:
        report.write_json(path)
    except DocCleanError as exc:
        say(console, f"error: {exc}")
        return False
    return True


@dataclass
class CleanRequest:
    """Everything ``docclean clean`` was asked to do, as parsed from the command line: the inputs,
    how outputs are written (``CleanOptions`` keyword arguments, validated when the run starts),
    the model and how it runs, and what is printed."""

    inputs: list[str]
    options: dict[str, Any]
    model: str = "default"
    device: str = "auto"
    tile_size: int = 1024
    batch_size: int = 2
    report_path: Path | None = None
    quiet: bool = False
    verbose: bool = False


def clean_files(request: CleanRequest) -> int:
    """Do a whole ``docclean clean`` run and return its exit code (see the module docstring)."""
    console, out = Console(stderr=True), Console()
    try:
        return _clean_files(request, console, out)
    except KeyboardInterrupt:  # Ctrl-C before the batch started (finding inputs, loading the model)
        say(console, "interrupted; nothing was written")
        return EXIT_INTERRUPTED


def _clean_files(r: CleanRequest, console: Console, out: Console) -> int:
    try:
        options = CleanOptions(**r.options)
    except ValueError as exc:
        say(console, "error: " + str(exc).replace("keep_color", "--keep-color").replace("binarize", "--binarize"))
        return EXIT_USAGE
    jobs = discover(r.inputs, options.output, options.fmt)
    if not any(job.source.is_file() for job in jobs):
        for job in jobs:
            say(console, f"error: {job.source}: {job.error}")
        say(console, "error: nothing to clean: no supported input files found")
        return EXIT_USAGE
    try:
        model_path = resolve_model_path(r.model)
        denoiser = Denoiser.load(model_path, device=r.device, tile_size=r.tile_size, batch_size=r.batch_size)
    except (DocCleanError, ValueError) as exc:
        say(console, f"error: cannot load the model: {exc}")
        return EXIT_USAGE
    if r.verbose:
        say(console, f"model {r.model} ({model_path}) on {denoiser.device} in {denoiser.precision}; {len(jobs)} files")
    report = Report(model_name=r.model, model_path=str(model_path))
    with RichCleanProgress(console, out, quiet=r.quiet, verbose=r.verbose) as progress:
        try:
            run(jobs, denoiser, options, progress, report)
        except KeyboardInterrupt:
            progress.close()
            done = report.counts()[CLEANED]
            say(console, f"interrupted after {done} cleaned file{'s' * (done != 1)}; finished outputs are kept "
                         "and a rerun of the same command resumes (it skips them)")
            _write_report(report, r.report_path, console)
            return EXIT_INTERRUPTED
    report_ok = _write_report(report, r.report_path, console)
    if not r.quiet:
        say(console, summary(report))
    return EXIT_FAILED if report.failed or not report_ok else EXIT_OK
