"""Listing what is opened off the UI thread: the walk of the folders and the page counts.

An archive folder of tens of thousands of scans, or a slow network share, takes seconds to walk
(``gui.pages.listed_files``) and as long again to count pages (``gui.pages.page_refs`` opens each
file's header): on the UI thread the window froze ("not responding") until both were done.
:class:`FolderListing` does both on a thread of its own and says how far it got: how many files
the walk found so far (``found``), then how many of them were counted (``counted``); the window
fills the page list once it ``answered`` (``gui.opening``). Listed again for another export folder
(``gui.saving``), the folders walked by the export's check are not walked again, but their pages
are counted here too. With the pages it notes who the open files are (``gui.pages.OpenScans``):
Save looks its target up there instead of a stat of each open file on the UI thread.

A listing can be stopped (``FolderListing.stop``: the status bar's Stop, Esc, a newer open, a
reload, closing the window): the walk and the count ask it before each file and folder entry
(``list_sources(stop=...)``, ``page_refs(stop=...)``), so the thread ends within milliseconds of
the stop instead of walking a 300,000-file folder to its end, and it answers with ``stopped`` set.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from docclean import formats
from gui.answering import Answering
from gui.pages import OpenScans, PageRef, listed_files, open_scans, page_refs, row_of

#: Seconds between two progress signals (``found``, ``counted``) at most: a signal a file would
#: flood the event loop.
PROGRESS_EVERY_S = 0.1


def _throttled(emit: Callable[[int], object]) -> Callable[[int], None]:
    """``emit`` at most once every :data:`PROGRESS_EVERY_S`: a signal a file would flood the event loop."""
    last = time.monotonic()

    def tell(value: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            emit(value)

    return tell


def listing_label(paths: list[Path]) -> str:
    """What the status bar calls ``paths`` while they are listed: the folder (or file), and how
    many more items were opened with it."""
    if not paths:
        return "nothing"
    first = str(paths[0])
    return first if len(paths) == 1 else f"{first} and {len(paths) - 1} more"


def listing_message(paths: list[Path], done: int | None = None, total: int | None = None,
                    found: int | None = None) -> str:
    """The status bar while ``paths`` are listed: "Listing FOLDER…" as the walk starts, "Listing
    FOLDER… finding files: FOUND so far" during it, then "Listing FOLDER… DONE of TOTAL files"
    while the pages of the files found are counted."""
    message = f"Listing {listing_label(paths)}…"
    if total is not None:
        return f"{message} {done or 0:,} of {total:,} files"
    return message if found is None else f"{message} finding files: {found:,} so far"


def stopped_message(paths: list[Path], found: int, still_open: bool) -> str:
    """The status bar once the listing of ``paths`` was stopped after ``found`` files: nothing of
    it is opened, and what was open (``still_open``) stays."""
    kept = "what was open stays open" if still_open else "nothing was opened"
    return f"Stopped listing {listing_label(paths)} ({found:,} files found so far): {kept}"


_paused = 0  # listings running with the garbage collector paused (collections_paused)
_paused_lock = threading.Lock()


@contextmanager
def collections_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a listing runs. The hundreds of thousands of
    paths and pages it makes set off full collections, which stop every thread, the window's too:
    six of 0.2-0.5 s each while 300,000 files were listed. A listing makes no cyclic garbage."""
    global _paused
    with _paused_lock:
        _paused += 1
        if _paused == 1:
            gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0:
                gc.enable()


def open_formats(listed: set[Path]) -> frozenset[str]:
    """The names of the formats of the files ``listed`` (their suffixes looked up once each)."""
    suffixes = {path.suffix.lower() for path in listed}
    found = (formats.by_suffix(f"page{suffix}") for suffix in suffixes)
    return frozenset(f.name for f in found if f is not None)


def exported_inputs(paths: list[Path], listed: set[Path]) -> list[Path]:
    """What "Export open pages" passes the batch for the opened ``paths``, ``listed`` being the
    files with pages in the list: each folder as it is (the batch keeps its tree under the output
    only when given the folder), and each file opened by name only if the list holds its pages: one
    that is not there or not an image was left out of the list, and the export failed it (3 of 4
    failed, 2 pages listed). A file listed whose pages then fail to clean stays: what the list
    shows is what is exported."""
    return [path for path in dict.fromkeys(paths) if path in listed or path.is_dir()]


class FolderListing(Answering):
    """The page list of ``paths`` (files and folders) with the export folder ``output``, made off
    the UI thread. When done it sets ``files`` and ``problems`` (``listed_files``; given as
    ``listed`` when the caller has just walked the folders, and not walked again), ``refs`` and
    ``unreadable`` (``page_refs``), ``row`` (where ``keep``, the page to keep selected, is in
    ``refs``), ``exported`` (what "Export open pages" passes the batch: :func:`exported_inputs`),
    ``formats`` (of the files listed: :func:`open_formats`)
    and ``scans`` (who the open files are, for Save: ``open_scans``), or ``error`` (why
    it could not list), and emits ``answered``. :meth:`stop` drops its answer and ends the walk
    or the page count at the next file: it then answers soon, with ``stopped`` set and nothing
    listed. ``found_so_far``: the files the walk has found so far."""

    #: Files found so far, now and then during the walk.
    found = Signal(int)
    #: (files whose pages were counted, files found), now and then while pages are counted.
    counted = Signal(int, int)

    def __init__(self, paths: list[Path], output: Path | None, keep: PageRef | None = None,
                 parent: Any = None, listed: tuple[list[Path], list[str]] | None = None) -> None:
        super().__init__(parent)
        self.paths, self.output, self.keep = [Path(p) for p in paths], output, keep
        self.walked = listed is not None
        self.files: list[Path] = list(listed[0]) if listed is not None else []
        self.problems: list[str] = list(listed[1]) if listed is not None else []
        self.scans = OpenScans()
        self.refs: list[PageRef] = []
        self.unreadable: list[str] = []
        self.exported: list[Path] = []
        self.formats: frozenset[str] = frozenset()  # of the files listed (for the 1-bit note, gui.labels)
        self.row = 0
        self.found_so_far = len(self.files)  # what a stop says was found: all of a given listing

    def work(self) -> None:
        """Walk (unless given what to list), then count the pages of what was found, saying how far
        it got (``found``, then ``counted``), the garbage collector paused (:func:`collections_paused`)."""
        with collections_paused():
            self._list()

    def _list(self) -> None:
        found = _throttled(self.found.emit)

        def walked(count: int) -> None:
            self.found_so_far = count
            found(count)

        if not self.walked:
            self.files, self.problems = listed_files(self.paths, self.output, walked, stop=self.stop_asked)
        total = len(self.files)
        self.counted.emit(0, total)
        self.refs, self.unreadable = page_refs(self.files, _throttled(lambda done: self.counted.emit(done, total)),
                                               stop=self.stop_asked)
        self.row = row_of(self.refs, self.keep)
        listed = {ref.path for ref in self.refs}
        self.exported = exported_inputs(self.paths, listed)
        self.formats = open_formats(listed)
        self.scans = open_scans(self.paths, self.files, stop=self.stop_asked)

    def failure(self, exc: Exception) -> str:
        return f"{listing_label(self.paths)}: could not list the files: {type(exc).__name__}: {exc}"
