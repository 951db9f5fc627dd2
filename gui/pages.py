"""What is open: files found the way the batch finds them, their pages, and the page list.

The window finds the files with ``docclean.discover.list_sources`` (the batch's own rules:
recursive, sorted, hidden files skipped, supported suffixes only), and, as the batch does, does not
walk the export folder where it lies inside an opened folder (:func:`listed_files`): so "export the
whole folder" cleans exactly the files the list shows, and earlier outputs exported into a subfolder
are not listed as pages (files of one name opened from two folders are both listed; an export
writing both to one folder fails the second, as `docclean clean` does). Page counts come from
headers (``docclean.io.count_pages``); the window walks and counts off the UI thread
(``gui.listing``). The list (:class:`PageList`) makes a row only when it paints it
(``gui.pagemodel``), so 300,000 pages fill it as fast as 30; thumbnails are rendered by a
background pool as rows come into view, so a folder of PDFs opens at once and fills in. Files are
listed by name, or by their path below the folder they share where two names are the same
(``a/page.png`` and ``b/page.png``). Who the open files are (:class:`OpenScans`, for Save, which
never writes over one) is gathered with the listing too.
"""

from __future__ import annotations

import os
import stat
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QListView, QStyle, QWidget

from docclean import io as pageio
from docclean.discover import list_sources
from docclean.errors import DocCleanError
from docclean.walk import Stop, check_stop
from gui.pagemodel import THUMB_HEIGHT, PageModel


@dataclass(frozen=True)
class PageRef:
    """Page ``index`` (0-based) of ``path``, which has ``count`` pages; ``name`` is what the list
    calls the file (its name unless another open file has the same one; see :func:`listed_names`)."""

    path: Path
    index: int
    count: int
    name: str = field(default="", compare=False)

    @property
    def title(self) -> str:
        name = self.name or self.path.name
        return name if self.count == 1 else f"{name} — page {self.index + 1}/{self.count}"


def listed_names(files: list[Path]) -> dict[Path, str]:
    """The name each file is listed under: its own name, or, where several files share a name,
    its path below the deepest folder holding all of them (two pages titled "page.png" cannot
    be told apart)."""
    by_name: defaultdict[str, list[Path]] = defaultdict(list)
    for path in dict.fromkeys(files):
        by_name[path.name].append(path)
    names: dict[Path, str] = {}
    for name, paths in by_name.items():
        if len(paths) == 1:
            names[paths[0]] = name
            continue
        common = os.path.commonpath([os.path.abspath(p) for p in paths])
        for path in paths:
            names[path] = Path(os.path.relpath(os.path.abspath(path), common)).as_posix()
    return names


def listed_files(inputs: list[Path], output: Path | None, found: Callable[[int], object] | None = None, *,
                 stop: Stop | None = None) -> tuple[list[Path], list[str]]:
    """The files ``docclean clean INPUTS -o OUTPUT`` cleans, each once, and one line per input
    that names none: ``list_sources`` told the output, so that the walk never enters an export
    folder inside an opened folder, by the batch's own rule. A file opened by name is listed
    wherever it lies, as it is cleaned. ``found(n)``: the walk found ``n`` files so far.
    ``stop()``: asked as the walk goes; True raises ``docclean.errors.Cancelled``."""
    return list_sources(inputs, output=output, found=found, stop=stop)


def page_refs(files: list[Path], step: Callable[[int], object] | None = None, *,
              stop: Stop | None = None) -> tuple[list[PageRef], list[str]]:
    """Every page of ``files`` (pages counted from headers) and one line per unreadable file.
    ``step(done)`` is told after each file how many are done. ``stop()`` is asked before each
    file's header is read; once it answers True this raises ``docclean.errors.Cancelled`` (a
    listing stopped, or no longer wanted: ``gui.listing``): half a count is no page list."""
    names = listed_names(files)
    refs: list[PageRef] = []
    problems: list[str] = []
    for done, path in enumerate(files, 1):
        check_stop(stop)
        try:
            count = pageio.count_pages(path)
        except DocCleanError as exc:
            problems.append(str(exc))
        else:
            refs.extend(PageRef(path, i, count, names[path]) for i in range(count))
        if step is not None:
            step(done)
    return refs, problems


def row_of(refs: list[PageRef], keep: PageRef | None) -> int:
    """The row of ``keep`` in ``refs``; where it is not listed (its file has fewer pages now, or
    another count), the row of the same page of its file, else of its file's last page; else 0 (the
    first page). It looks through the whole list (0.2 s at 300,000 pages): the window asks off the
    UI thread (``gui.listing``)."""
    if keep is None:
        return 0
    try:
        return refs.index(keep)
    except ValueError:
        pass
    nearest = -1
    for row, ref in enumerate(refs):
        if ref.path == keep.path and ref.index <= keep.index:
            nearest = row  # pages of a file are listed in order: the last one not past keep's
    return max(nearest, 0)


@dataclass(frozen=True)
class OpenScans:
    """Who the open scans are, gathered with the listing off the UI thread (:func:`open_scans`):
    each file's identity (device, inode) and its absolute name. Save asks :meth:`holds` before
    writing: one stat of the target, where a stat of each open file froze the window (25,000 of
    them, on a network share)."""

    ids: frozenset[tuple[int, int]] = frozenset()
    names: frozenset[str] = frozenset()

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is an open scan: by its name (also when the file was replaced since it
        was listed), or as another name of one (a link, a hard link). Only a file that is there can be."""
        try:
            info = path.stat()
        except OSError:
            return False
        return _absolute(path) in self.names or (info.st_dev, info.st_ino) in self.ids


def _absolute(path: Path | str) -> str:
    """``path`` made absolute by its name alone (no link followed, no system call)."""
    return os.path.normcase(os.path.abspath(path))


def open_scans(inputs: list[Path], files: list[Path], stop: Stop | None = None) -> OpenScans:
    """The :class:`OpenScans` of the ``files`` listed and of the files among ``inputs`` (opened by
    name, a folder is none): one stat each, so made off the UI thread (``gui.listing``). A file
    that cannot be looked at is known by its name alone. ``stop()``: as in :func:`page_refs`."""
    ids: set[tuple[int, int]] = set()
    names: set[str] = set()
    for path in [*inputs, *files]:  # a file opened by name is listed too: looked at twice, no harm
        check_stop(stop)
        name = os.fspath(path)  # os.stat of a str: half the cost of Path.stat (25,000 files: 0.13 s, not 0.24)
        try:
            info = os.stat(name)
        except OSError:
            names.add(_absolute(name))
            continue
        if not stat.S_ISDIR(info.st_mode):
            names.add(_absolute(name))
            ids.add((info.st_dev, info.st_ino))
    return OpenScans(frozenset(ids), frozenset(names))


class PageList(QListView):
    """The list of open pages with thumbnails, over a :class:`gui.pagemodel.PageModel`: filling it
    costs the UI thread nothing per page, and only the rows painted ask for their thumbnails.
    ``currentPageChanged(PageRef | None)``: another page became current; ``pageClicked(PageRef)``:
    the page already current was clicked (a click that selects a page only makes it current)."""

    currentPageChanged = Signal(object)  # noqa: N815 - Qt's signal naming
    pageClicked = Signal(object)  # noqa: N815 - Qt's signal naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Thumbnails above their names, one column: the list reads like a strip of pages.
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_HEIGHT * 5 // 4, THUMB_HEIGHT))
        # Every item is one size, the thumbnail's box and two lines of title: sized from its title
        # and the grey placeholder, an item was as narrow as "a.png" and cropped the thumbnail.
        # At least as wide as the widest thumbnail (5:4) and a margin, and as wide as the list
        # (_fit_cells): a fixed wider cell widened the list's minimum, which at 800 pixels left
        # the preview two canvases of 150, and a list wider than its cells wrapped titles beside
        # empty room.
        self.narrowest = THUMB_HEIGHT * 5 // 4 + 8
        self.item_size = QSize(self.narrowest, THUMB_HEIGHT + 2 * self.fontMetrics().lineSpacing() + 8)
        self.setGridSize(self.item_size + QSize(0, 8))  # a gap between a title and the next page
        # One grid cell and a scroll bar.
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        self.setMinimumWidth(self.narrowest + bar + 2 * self.frameWidth() + 2)
        # One size for all: the view asks the first row for its size, not each of 300,000 rows.
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        # Kept here: a model and selection model only Qt holds are deleted under the view by Python.
        self._model = PageModel(self.item_size, self)
        self.setModel(self._model)
        self._selection = self.selectionModel()
        self._selection.currentChanged.connect(lambda now, _: self.currentPageChanged.emit(self._model.ref(now.row())))
        self.clicked.connect(self._clicked)
        self._pressed_on_current = False
        self._typed, self._typed_at = "", 0.0  # type-ahead (keyboardSearch)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_cells()

    def _fit_cells(self) -> None:
        """Make every cell as wide as the list shows (at least :attr:`narrowest`): the titles use
        the room, and the thumbnails stay centred. Only the width changes, so no scroll bar comes
        or goes with it."""
        width = max(self.narrowest, self.viewport().width() - 2)
        if width != self.item_size.width():
            self.item_size.setWidth(width)
            self._model.item_size = QSize(self.item_size)
            self.setGridSize(self.item_size + QSize(0, 8))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        # Whether the press lands on the page already current, before the press makes it so: a
        # click that selects a page is not a click on it (a page whose preview failed at once
        # while the button was down was cleaned twice by one click).
        self._pressed_on_current = self.indexAt(event.position().toPoint()) == self.currentIndex()
        super().mousePressEvent(event)

    def _clicked(self, index: QModelIndex) -> None:
        if self._pressed_on_current:
            self.pageClicked.emit(self._model.ref(index.row()))

    def keyboardSearch(self, search: str) -> None:  # noqa: N802 - Qt override
        """Type-ahead, as Qt's own: keys typed within the keyboard input interval make one prefix,
        searched from the current page on (a key typed again alone moves to the next match), but
        through the model's list of titles, fast at any length."""
        if not search:
            return
        now = time.monotonic()
        if now - self._typed_at > QApplication.keyboardInputInterval() / 1000:
            self._typed = ""
        self._typed_at = now
        self._typed += search
        current = self.currentRow()
        repeated = len(set(self._typed)) == 1  # "s", "s": the next page starting with "s"
        prefix = self._typed[0] if repeated else self._typed
        # A new search, or a key typed again, starts past the current page, as Qt's does.
        start = 0 if current < 0 else current + 1 if repeated else current
        row = self._model.find(prefix, start)
        if row >= 0:
            self.setCurrentRow(row)

    def set_pages(self, refs: list[PageRef]) -> None:
        """Replace the list with ``refs``; their thumbnails are rendered as they come into view."""
        self._model.set_refs(refs)

    def refs(self) -> list[PageRef]:
        """The pages in list order."""
        return self._model.refs()

    def count(self) -> int:
        """How many pages are listed."""
        return self._model.rowCount()

    def current_ref(self) -> PageRef | None:
        """The selected page, if any."""
        return self._model.ref(self.currentIndex().row())

    def currentRow(self) -> int:  # noqa: N802 - as QListWidget names it
        """The row of the current page; -1 when none is."""
        return self.currentIndex().row()

    def setCurrentRow(self, row: int) -> None:  # noqa: N802 - as QListWidget names it
        """Make the page of ``row`` current (and selected), as a click on it does."""
        self.setCurrentIndex(self._model.index(row, 0))

    def set_warnings(self, pages: set[tuple[str, int]]) -> None:
        """Mark ⚠ the pages ``(str(PageRef.path), PageRef.index)`` named for their ink-loss figure, and
        unmark all others (a page whose reader warned about it stays marked: ``gui.pagemodel``)."""
        self._model.set_warnings(pages)

    def file_seen(self, path: Path, version: object) -> None:
        """``path`` was found at ``version`` (``docclean.fileid.file_version``): its thumbnails of
        another version are rendered again (``PageModel.file_seen``)."""
        self._model.file_seen(path, version)

    def thumbnails_running(self) -> bool:
        """Whether a thumbnail job is still running (one page's decode cannot be stopped)."""
        return self._model.thumbnails_running()

    def stop_thumbnails(self, wait_ms: int = 0) -> None:
        """Ask thumbnail jobs to stop; with ``wait_ms``, wait for them (on close; -1: until done)."""
        self._model.stop_thumbnails(wait_ms)
