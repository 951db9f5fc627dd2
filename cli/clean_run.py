"""``docclean clean``'s run: the batch under a rich progress display, the lines said before and
after it, and the exit code (:func:`run_clean`). ``cli.clean`` parses the flags and builds the
settings; ``cli.clean_view`` draws the progress and words the lines; ``cli.clean_checks`` checks
what the command line alone can tell. A stop (Ctrl-C, SIGTERM) before, during or after the batch
is said in one line and exits as the report says it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.errors import error_line
from docclean.errors import Cancelled, DocCleanError, exit_code, stop_word

if TYPE_CHECKING:
    from rich.console import Console

    from docclean.report import Report
    from docclean.settings import CleanSettings


def run_clean(inputs: list[str], output: str | Path, settings: CleanSettings, report_path: Path | None, *,
              quiet: bool = False, verbose: bool = False, engine: str = "local", address: str | None = None,
              workers: int | None = None) -> int:
    """Run the batch under a rich progress display; returns the exit code."""
    from docclean.report import Report

    report = Report()
    try:
        return _run_clean(inputs, output, settings, report_path, report, quiet=quiet, verbose=verbose,
                          engine=engine, address=address, workers=workers)
    except KeyboardInterrupt as exc:  # before the progress display was up (imports), or in its closing
        typer.echo(f"{report.stopped or stop_word(exc)}{'' if report.files else '; nothing was written'}", err=True)
        return _stop_code(report, exc)


def _stop_code(report: Report, exc: BaseException) -> int:
    """The exit code of a stopped run: the first stop names it (a Ctrl-C in the cleanup after a
    SIGTERM is still "terminated", 143), as the report already says."""
    return report.exit_code if report.stopped else exit_code(exc)


def _run_clean(inputs: list[str], output: str | Path, settings: CleanSettings, report_path: Path | None,
               report: Report, *, quiet: bool, verbose: bool, engine: str, address: str | None,
               workers: int | None) -> int:
    from rich.console import Console

    from cli.clean_checks import check_report_target
    from cli.clean_view import RichCleanProgress, say, stopped_line
    from docclean.batch import NothingToClean, clean_batch
    from docclean.cluster import uses_storage
    from docclean.signals import terminate_as_interrupt

    console, out = Console(stderr=True), Console()
    with terminate_as_interrupt(), RichCleanProgress(console, out, quiet=quiet, verbose=verbose) as progress:
        try:
            check_report_target(report_path, output, inputs)
            _say_before(console, inputs, output, settings, quiet=quiet)
            if engine != "local" or uses_storage(inputs, output):  # docclean.cluster: Ray, s3:// URLs
                from docclean.cluster import clean_with_engine

                clean_with_engine(engine, inputs, output, settings, progress, report_path=report_path, report=report,
                                  address=address, workers=workers)
            else:
                clean_batch(inputs, Path(output), settings, progress, report_path=report_path, report=report)
        except NothingToClean as exc:
            for line in exc.problems:
                say(console, f"error: {line}")
            say(console, f"error: {exc.summary}")  # each problem is said above
            return exit_code(exc)
        except DocCleanError as exc:  # before any work (output path, model), or the report could not be written
            progress.close()
            say(console, error_line(exc, flags_in_text=True))
            if report.files:  # the batch ran and only its report failed (a full disk): say how it went
                _say_after(console, report, progress.multi_page, quiet=quiet)
            return exit_code(exc)
        except (KeyboardInterrupt, Cancelled) as exc:
            progress.close()
            say(console, stopped_line(report, progress.multi_page) if report.files else
                f"{report.stopped or stop_word(exc)}; nothing was written")
            return _stop_code(report, exc)
    _say_after(console, report, progress.multi_page, quiet=quiet, dpi=settings.dpi)
    return report.exit_code


def _say_before(console: Console, inputs: list[str], output: str | Path, settings: CleanSettings, *,
                quiet: bool) -> None:
    """What the command line alone tells before any work: an -o that looks like a file name but
    is made a folder (a note; the engine warns about binarized pages into a format without 1-bit
    pages, with --quiet too)."""
    from cli.clean_checks import folder_note
    from cli.clean_view import say

    note = None if quiet else folder_note(inputs, output, settings.dry_run)
    if note:
        say(console, note)


def _say_after(console: Console, report: Report, multi_page: set[str], *, quiet: bool,
               dpi: float | None = None) -> None:
    """The closing lines: why the batch stopped early, then (not with --quiet) the files skipped
    because their outputs were there, a --dpi that had no PDF, and the summary, which stays the
    last line."""
    from cli.clean_checks import dpi_note
    from cli.clean_view import say, skipped_line, stopped_line, summary

    if report.stopped:
        say(console, stopped_line(report, multi_page))
    if not quiet:
        for line in (skipped_line(report), dpi_note(report, dpi), summary(report)):
            if line:
                say(console, line)
