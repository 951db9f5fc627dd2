"""What is open: files found the way the batch finds them, their pages, and the page list.

The window finds the files with ``docclean.discover.list_sources`` (the batch's own rules:
recursive, sorted, hidden files skipped, supported suffixes only), and, as the batch does, does not
walk the export folder where it lies inside an opened folder (:func:`listed_files`): so "export the
whole folder" cleans exactly the files the list shows, and earlier outputs exported into a subfolder
are not listed as pages (files of one name opened from two folders are both listed; an export
writing both to one folder fails the second, as `docclean clean` does). Page counts come from
headers (``docclean.io.count_pages``); the window walks and counts off the UI thread
(``gui.listing``). Thumbnails are rendered by a background pool, so a folder of PDFs opens at once
and fills in. Files are listed by name, or by their path below the folder they
share where two names are the same (``a/page.png`` and ``b/page.png``).
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThread, QThreadPool, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from docclean import io as pageio
from docclean.discover import list_sources
from docclean.errors import DocCleanError
from gui.images import thumbnail

THUMB_HEIGHT = 96


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


def listed_files(inputs: list[Path], output: Path | None) -> tuple[list[Path], list[str]]:
    """The files ``docclean clean INPUTS -o OUTPUT`` cleans, each once, and one line per input
    that names none: ``list_sources`` told the output, so that the walk never enters an export
    folder inside an opened folder, by the batch's own rule. A file opened by name is listed
    wherever it lies, as it is cleaned."""
    return list_sources(inputs, output=output)


def page_refs(files: list[Path], step: Callable[[int], bool] | None = None) -> tuple[list[PageRef], list[str]]:
    """Every page of ``files`` (pages counted from headers) and one line per unreadable file.
    ``step(done)`` is told after each file how many are done; once it answers False the count
    stops there (a listing no longer wanted: ``gui.listing``)."""
    names = listed_names(files)
    refs: list[PageRef] = []
    problems: list[str] = []
    for done, path in enumerate(files, 1):
        try:
            count = pageio.count_pages(path)
        except DocCleanError as exc:
            problems.append(str(exc))
        else:
            refs.extend(PageRef(path, i, count, names[path]) for i in range(count))
        if step is not None and not step(done):
            break
    return refs, problems


class _ThumbSignals(QObject):
    ready = Signal(str, int, QImage)


class _ThumbJob(QRunnable):
    """Renders the thumbnails of one file's pages (one decode pass for a multi-page file)."""

    def __init__(self, path: Path, signals: _ThumbSignals, stop: threading.Event) -> None:
        super().__init__()
        self.path, self.signals, self.stop = path, signals, stop

    def run(self) -> None:
        # Idle priority (SCHED_IDLE on Linux): thumbnails only use CPU the preview leaves free.
        QThread.currentThread().setPriority(QThread.Priority.IdlePriority)
        try:
            for page in pageio.read_pages(self.path):
                if self.stop.is_set():
                    return
                self.signals.ready.emit(str(self.path), page.index, thumbnail(page.gray, THUMB_HEIGHT))
        except Exception:  # noqa: BLE001 - a file that fails shows its error when opened, not here
            return


class PageList(QListWidget):
    """The list of open pages with thumbnails; each item holds its :class:`PageRef`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Thumbnails above their names, one column: the list reads like a strip of pages.
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_HEIGHT * 5 // 4, THUMB_HEIGHT))
        # Every item is one size, the thumbnail's box and two lines of title: sized from its title
        # and the grey placeholder, an item was as narrow as "a.png" and cropped the thumbnail.
        self.item_size = QSize(THUMB_HEIGHT * 3 // 2, THUMB_HEIGHT + 2 * self.fontMetrics().lineSpacing() + 8)
        self.setGridSize(self.item_size + QSize(0, 8))  # a gap between a title and the next page
        self.setMinimumWidth(self.gridSize().width() + 24)  # one grid cell and a scroll bar
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self._pool = QThreadPool(self)
        # One thread: thumbnails must not compete with the preview for the CPU.
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._signals = _ThumbSignals(self)
        self._signals.ready.connect(self._thumb_ready)
        self._items: dict[tuple[str, int], QListWidgetItem] = {}

    def set_pages(self, refs: list[PageRef]) -> None:
        """Replace the list with ``refs`` and start rendering their thumbnails."""
        self.stop_thumbnails()
        self._stop = threading.Event()
        self.clear()
        self._items.clear()
        blank = QPixmap(THUMB_HEIGHT * 3 // 4, THUMB_HEIGHT)
        blank.fill(Qt.GlobalColor.lightGray)
        placeholder = QIcon(blank)  # one for all: an icon each was a sixth of the time 30,000 pages took
        for ref in refs:
            item = QListWidgetItem(placeholder, ref.title)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setToolTip(str(ref.path))
            item.setSizeHint(self.item_size)
            self.addItem(item)
            self._items[(str(ref.path), ref.index)] = item
        for path in dict.fromkeys(ref.path for ref in refs):
            self._pool.start(_ThumbJob(path, self._signals, self._stop))

    def refs(self) -> list[PageRef]:
        """The pages in list order."""
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def current_ref(self) -> PageRef | None:
        """The selected page, if any."""
        item = self.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def item_for(self, ref: PageRef) -> QListWidgetItem | None:
        """The list item of ``ref``."""
        return self.item_at(str(ref.path), ref.index)

    def item_at(self, path: str, index: int) -> QListWidgetItem | None:
        """The list item of page ``index`` of the file ``path`` (as ``str(PageRef.path)``), if listed."""
        return self._items.get((path, index))

    def _thumb_ready(self, path: str, index: int, image: QImage) -> None:
        item = self._items.get((path, index))
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))  # pixmap made here, on the GUI thread

    def thumbnails_running(self) -> bool:
        """Whether a thumbnail job is still running (one page's decode cannot be stopped)."""
        return self._pool.activeThreadCount() > 0

    def stop_thumbnails(self, wait_ms: int = 0) -> None:
        """Ask thumbnail jobs to stop; with ``wait_ms``, wait for them (on close; -1: until done)."""
        self._stop.set()
        self._pool.clear()
        if wait_ms:
            self._pool.waitForDone(wait_ms)
