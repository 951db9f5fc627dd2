"""Export through the batch runner: ``clean_batch`` in a thread, its progress as Qt signals.

The export is exactly ``docclean clean INPUTS -o OUTPUT`` with the window's settings (same runner,
same settings object, same skip-existing and atomic writes), so what the window previewed is what
lands on disk, and the equivalent command line shown beside it does the same job. Files already in
the output folder are skipped unless "Overwrite existing files" (``settings.overwrite``) is ticked;
the summary says so, since a re-export with new settings otherwise writes nothing.

Closing the dialog (Esc, the title bar) while the export runs cancels it, like its Cancel button,
and the dialog stays open until the partial summary is shown: an export never runs on unseen.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QProgressBar, QVBoxLayout, QWidget

from docclean.batch import NothingToClean, clean_batch
from docclean.errors import Cancelled, DocCleanError
from docclean.progress import WARN_DECODER, CleanProgress
from docclean.report import CLEANED, FAILED, SKIPPED, FileResult, PageResult, Report
from docclean.settings import CleanSettings
from gui.notices import wrapping


class _SignalProgress(CleanProgress):
    """Forwards the batch's callbacks to the thread's signals; cancel is a flag the GUI sets."""

    def __init__(self, thread: ExportThread) -> None:
        self.thread = thread

    def on_plan(self, done: int, total: int) -> None:
        self.thread.checking.emit(done, total)

    def on_start(self, files: int, pages: int) -> None:
        self.thread.started_batch.emit(files, pages)

    def on_file_start(self, job: Any, pages: int) -> None:
        self.thread.file_started.emit(str(job.source), pages)

    def on_tile_done(self, job: Any, page: int, done: int, total: int) -> None:
        self.thread.tile_done.emit(done, total)

    def on_page_done(self, job: Any, page: PageResult) -> None:
        self.thread.page_done.emit(str(job.source), page.index)

    def on_file_done(self, result: FileResult) -> None:
        self.thread.file_done.emit(result)

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        self.thread.warning.emit(source, message)

    def cancelled(self) -> bool:
        return self.thread.stop_requested.is_set()


class ExportThread(QThread):
    """Runs ``clean_batch(inputs, output, settings)``. Ends with exactly one of ``done(Report)``,
    ``stopped(Report)`` (cancelled; the report keeps what was written) or ``failed(message)``."""

    checking = Signal(int, int)
    started_batch = Signal(int, int)
    file_started = Signal(str, int)
    tile_done = Signal(int, int)
    page_done = Signal(str, int)
    file_done = Signal(object)
    warning = Signal(str, str)
    done = Signal(object)
    stopped = Signal(object)
    failed = Signal(str)

    def __init__(self, inputs: list[str | Path], output: str | Path, settings: CleanSettings,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.inputs, self.output, self.settings = [str(i) for i in inputs], Path(output), settings
        self.stop_requested = threading.Event()
        self.report = Report()

    def cancel(self) -> None:
        """Stop after the current batch of tiles; the half-written output is removed by the runner."""
        self.stop_requested.set()

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            clean_batch(self.inputs, self.output, self.settings, _SignalProgress(self), report=self.report)
        except Cancelled:
            self.stopped.emit(self.report)
        except NothingToClean as exc:
            self.failed.emit("\n".join([str(exc), *exc.problems]))
        except DocCleanError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported in the window, never a crash
            self.failed.emit(f"export failed: {type(exc).__name__}: {exc}")
        else:
            self.done.emit(self.report)


def summary(report: Report, same_settings: bool = False) -> str:
    """A few lines about a finished export: counts, the run's own warnings (binarized pages into a
    format without 1-bit pages), files skipped because they were already there (``same_settings``: written by an export
    of this window into this folder with these settings), then every failure with its reason."""
    counts = report.counts()
    lines = [f"{counts[CLEANED]} cleaned, {counts[SKIPPED]} skipped (already there), "
             f"{counts[FAILED]} failed — {report.pages_cleaned} page{'s' * (report.pages_cleaned != 1)} in "
             f"{report.seconds:.1f} s"]
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    lines += [f"warning: {w}" for w in report.warnings]
    skipped = _already_there(report, same_settings)
    if skipped:
        lines.append(skipped[1])
    lines += [_error_line(f) for f in report.failed]
    lines += [f"warning: {f.source.name}: {w}" for f in report.files for w in f.warnings]
    return "\n".join(lines)


def headline(report: Report, title: str) -> str:
    """``title`` ("Export finished"), or "Export stopped: the disk is full" where the batch ended
    early by itself, plus what a reader must not miss: files that failed, and files skipped as
    already there."""
    counts = report.counts()
    if report.stopped and not report.interrupted:
        # "Finished" over a batch that a full disk ended read as if every page had been written.
        title = f"Export stopped: {report.stop_reason or report.stopped}"  # "the disk is full"
    notes = []
    if counts[FAILED]:
        notes.append(f"{counts[FAILED]} of {len(report.files)} files failed (see below)")
    skipped = _already_there(report)
    if skipped:
        notes.append(skipped[0])
    return f"{title}: {'; '.join(notes)}" if notes else title


def _already_there(report: Report, same_settings: bool = False) -> tuple[str, str] | None:
    """What the headline and the summary say about files skipped because the output already held
    them (None when there were none): the one place that counts and words them. ``same_settings``:
    they were written by an export with these settings (a cancelled one carried on), so nothing
    is to be done; else they may be of other settings, as the CLI says it."""
    counts = report.counts()
    skipped = counts[SKIPPED]
    if not skipped:
        return None
    if counts[CLEANED] or counts[FAILED]:
        note = ("1 of the files was already there and was not written" if skipped == 1 else
                f"{skipped} of the files were already there and were not written")
    else:
        note = "nothing written, every file was already there"
    files, was, them = (("1 file was", "it was", "it") if skipped == 1 else
                        (f"{skipped} files were", "they were", "them"))
    if same_settings:
        return note, (f"not written: {files} already in {report.output}, written by an earlier export with these "
                      f"settings, and left as {was}")
    # A re-export with new settings otherwise looks like it worked: say how to write them again.
    line = (f"not written: {files} already in {report.output} (from an earlier run, perhaps with other "
            f"settings) and left as {was}; tick 'Overwrite existing files' (Export, in the settings) to "
            f"clean {them} again")
    return note, line


def _error_line(result: FileResult) -> str:
    """A failed file's line in the log, the same whether logged as it happened or in the summary
    (the dialog leaves out of the summary the lines already logged)."""
    return f"error: {result.error}"


class ExportDialog(QDialog):
    """Progress of an export (files, pages, tiles of the current page), Cancel, then a summary.
    ``same_settings``: the last export of this window into this folder had these settings (what
    is already there is theirs: see :func:`summary`)."""

    def __init__(self, thread: ExportThread, command: str, parent: QWidget | None = None,
                 same_settings: bool = False) -> None:
        super().__init__(parent)
        self.same_settings = same_settings  # the folder's files were written by this window with these settings
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self.thread = thread
        self.pages_total, self.pages_done = 0, 0
        # Wrapped, with its text in the tooltip too: a long path must not widen the dialog.
        self.label = wrapping(QLabel())
        self._say(f"Cleaning into {thread.output}")
        self.bar, self.tiles = QProgressBar(), QProgressBar()
        self.tiles.setFormat("tiles of this page: %v/%m")
        self.log = QPlainTextEdit(f"$ {command}\n")
        self.log.setReadOnly(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        # Cancel, Esc and the title bar's close all come to reject(), which cancels a running export.
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.label, self.bar, self.tiles, self.log, self.buttons):
            layout.addWidget(widget)
        thread.checking.connect(self._checking)
        thread.started_batch.connect(self._started)
        thread.file_started.connect(self._file_started)
        thread.tile_done.connect(self._tile)
        thread.page_done.connect(self._page)
        thread.file_done.connect(self._file)
        thread.done.connect(lambda r: self._finished(r, "Export finished"))
        thread.stopped.connect(lambda r: self._finished(r, "Export cancelled"))
        thread.failed.connect(self._failed)
        self.result_text = ""
        self.ended = False  # the export has ended and its summary is shown
        self._logged: set[str] = set()  # what _append added, so that the summary does not repeat it
        self._counted: dict[str, int] = {}  # pages cleaned of each file not yet settled, by source

    def _say(self, text: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(text)

    def _checking(self, done: int, total: int) -> None:
        """A big folder's files are checked (pages counted) before the first page is cleaned."""
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.bar.setFormat(f"checking files: %v of {total}")

    def _started(self, files: int, pages: int) -> None:
        self.pages_total = pages
        self.bar.setRange(0, max(1, pages))
        self.bar.setValue(0)  # a bar with no value yet shows no text: "0 of N pages" from the start
        self.bar.setFormat(f"%v of {pages} pages ({files} files)")

    def _file_started(self, source: str, pages: int) -> None:
        if not self.thread.stop_requested.is_set():  # keep saying "Cancelling…" once asked
            self._say(f"Cleaning {source}")

    def _tile(self, done: int, total: int) -> None:
        self.tiles.setRange(0, total)
        self.tiles.setValue(done)

    def _page(self, source: str, index: int) -> None:
        self.pages_done += 1
        self._counted[source] = self._counted.get(source, 0) + 1
        self.bar.setValue(self.pages_done)

    def _file(self, result: FileResult) -> None:
        # A page counts once its file is written: the pages of a file whose write failed (a full
        # disk) are taken back, or the bar showed every page done over an export that stopped.
        counted = self._counted.pop(str(result.source), 0)
        if result.status == FAILED:
            self.pages_done -= counted
            self.bar.setValue(self.pages_done)
            self._append([_error_line(result)])

    def _append(self, lines: list[str]) -> None:
        """Add ``lines`` to the log, leaving out any an earlier call added: a failure is logged as
        it happens, and the summary that lists every failure then does not repeat it."""
        new = [line for line in lines if line not in self._logged]
        self._logged.update(new)
        if new:
            self.log.appendPlainText("\n".join(new))

    def reject(self) -> None:
        """Cancel, Esc or closing the window: while the export runs, cancel it and stay open to
        show what was written; once it has ended, close."""
        if not self.ended:  # running, or about to start: the dialog is its only view
            self.thread.cancel()
            self._say("Cancelling after the current tiles…")
            return
        super().reject()

    def _finished(self, report: Report, title: str) -> None:
        self.result_text = summary(report, self.same_settings)
        self._say(headline(report, title))
        failed = report.counts()[FAILED]
        if report.stopped and not report.interrupted:
            self.bar.setFormat(f"%v of {self.pages_total} pages written, then stopped")
        elif failed:  # the failed files' pages were taken back: say why the bar ends short of the total
            self.bar.setFormat(f"%v of {self.pages_total} pages written; {failed} file{'s' * (failed != 1)} failed")
        self._append(self.result_text.splitlines())
        self._closeable()

    def _failed(self, message: str) -> None:
        self.result_text = message
        self._say("Export failed")
        self.log.appendPlainText(message)
        self._closeable()

    def _closeable(self) -> None:
        self.ended = True
        # The same rejected signal now closes: reject() closes once the export has ended.
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
