"""Listing what is opened off the UI thread: the walk of the folders and the page counts.

An archive folder of tens of thousands of scans, or a slow network share, takes seconds to walk
(``gui.pages.listed_files``) and as long again to count pages (``gui.pages.page_refs`` opens each
file's header): on the UI thread the window froze ("not responding") until both were done.
:class:`FolderListing` does both on a thread of its own and says how far it got: how many files
the walk found so far (``found``), then how many of them were counted (``counted``); the window
fills the page list once it ``answered`` (``gui.opening``).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from gui.answering import Answering
from gui.pages import PageRef, listed_files, page_refs, row_of

#: Seconds between two progress signals (``found``, ``counted``) at most: a signal a file would
#: flood the event loop.
PROGRESS_EVERY_S = 0.1


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


class FolderListing(Answering):
    """The page list of ``paths`` (files and folders) with the export folder ``output``, made off
    the UI thread. When done it sets ``files`` and ``problems`` (``listed_files``), ``refs`` and
    ``unreadable`` (``page_refs``) and ``row`` (where ``keep``, the page to keep selected, is in
    ``refs``), or ``error`` (why it could not list), and emits ``answered``. A walk cannot be
    stopped: a listing the window no longer wants is ``dropped``, and ``stop`` ends its page
    counts early."""

    #: Files found so far, now and then during the walk.
    found = Signal(int)
    #: (files whose pages were counted, files found), now and then while pages are counted.
    counted = Signal(int, int)

    def __init__(self, paths: list[Path], output: Path | None, keep: PageRef | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.paths, self.output, self.keep = [Path(p) for p in paths], output, keep
        self.files: list[Path] = []
        self.problems: list[str] = []
        self.refs: list[PageRef] = []
        self.unreadable: list[str] = []
        self.row = 0
        self._stop = threading.Event()

    def stop(self) -> None:
        """Drop this listing: its answer is not wanted, and counting pages stops at the next file."""
        self.dropped = True
        self._stop.set()

    def work(self) -> None:
        """Walk, then count the pages of what was found, saying how far it got (``found``, then
        ``counted``), the garbage collector paused (:func:`collections_paused`)."""
        with collections_paused():
            self._list()

    def _list(self) -> None:
        last = time.monotonic()

        def walked(found: int) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                self.found.emit(found)

        self.files, self.problems = listed_files(self.paths, self.output, walked)
        total = len(self.files)
        self.counted.emit(0, total)
        last = time.monotonic()

        def step(done: int) -> bool:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                self.counted.emit(done, total)
            return not self._stop.is_set()

        if not self._stop.is_set():
            self.refs, self.unreadable = page_refs(self.files, step)
            self.row = row_of(self.refs, self.keep)

    def failure(self, exc: Exception) -> str:
        return f"{listing_label(self.paths)}: could not list the files: {type(exc).__name__}: {exc}"
