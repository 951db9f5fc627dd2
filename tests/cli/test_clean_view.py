"""The CLI's progress view: the bar's total drops by the pages a failed file will never clean,
counted per file (a file can be settled after the next one started, and Ray interleaves files)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from cli.clean_view import RichCleanProgress
from docclean.report import CLEANED, FAILED, FileResult, PageResult


def _view() -> RichCleanProgress:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    return RichCleanProgress(console, Console(file=io.StringIO()))


def _job(name: str) -> SimpleNamespace:
    return SimpleNamespace(source=Path(name))


def test_a_failed_file_takes_only_its_own_missing_pages_off_the_total() -> None:
    view = _view()
    view.on_start(3, 9)
    a, b = _job("a.tif"), _job("b.tif")
    view.on_file_start(a, 3)
    for i in range(3):
        view.on_page_done(a, PageResult(i, CLEANED))
    view.on_file_start(b, 4)  # a's writes still run: its result comes after b started
    view.on_page_done(b, PageResult(0, CLEANED))
    view.on_file_done(FileResult(Path("a.tif"), status=FAILED, error="a.tif: disk"))  # all its pages were cleaned
    assert view._progress.tasks[0].total == 9
    view.on_file_done(FileResult(Path("b.tif"), status=FAILED, error="b.tif: broken page 2"))
    assert view._progress.tasks[0].total == 6  # b's 3 pages that never came
    view._progress.stop()
