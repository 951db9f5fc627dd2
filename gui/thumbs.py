"""A page list row's background job (:class:`ThumbJob`): it reads one page alone and hands back its
thumbnail and what its reader warned about it, or why it cannot be read, off the UI thread.

The reading is the preview's (``docclean.io.read_page_with_warnings``), at :data:`THUMB_DPI` for a PDF
page, and so are the words (``gui.caught.read_warnings``: the page's own warnings, and with page 1
its file's), so that the list marks the pages whose preview will show a warning. A page that cannot
be read is told in the CLI's words (``gui.keys.reason_of``). ``gui.pagemodel`` asks for the jobs and
keeps what they answer.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThread, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap

from docclean.fileid import file_version
from gui import caught
from gui.images import thumbnail
from gui.keys import reason_of

__all__ = ["THUMB_DPI", "THUMB_HEIGHT", "ThumbJob", "ThumbSignals", "crossed"]

THUMB_HEIGHT = 96
#: PDF pages are rendered at this resolution for a thumbnail (an A4 page 420 pixels high), not at
#: their own (3,500 at 300 dpi), of which a thumbnail keeps 96.
THUMB_DPI = 36


class ThumbSignals(QObject):
    """What thumbnail jobs answer, on the thread of the model that asked."""

    #: (the page list it was asked for, its job's number, the file as ``str(PageRef.path)``, page
    #: index, thumbnail, the file's version it was read from, what its reader warned about it: a
    #: tuple of ``gui.caught.read_warnings``)
    ready = Signal(int, int, str, int, QImage, object, object)
    #: The same, for a page that could not be read: why, in the CLI's words, instead of a thumbnail
    #: (and no warnings).
    failed = Signal(int, int, str, int, str, object)


class ThumbJob(QRunnable):
    """Renders the thumbnail of one page: of a multi-page file, only the pages that come into view
    (the page at the end of a 60-page PDF waited 29 s for the 59 before it). ``count``: the pages
    its file was listed with; ``generation``: which page list asked; ``asked``: the job's number."""

    def __init__(self, path: Path, index: int, count: int, generation: int, asked: int, signals: ThumbSignals,
                 stop: threading.Event) -> None:
        super().__init__()
        self.path, self.index, self.count, self.generation = path, index, count, generation
        self.signals, self.stop = signals, stop
        self.asked = asked  # those asked before a file was seen changed are dropped

    def run(self) -> None:  # noqa: D102 - QRunnable entry point
        # Idle priority (SCHED_IDLE on Linux): thumbnails only use CPU the preview leaves free.
        QThread.currentThread().setPriority(QThread.Priority.IdlePriority)
        if self.stop.is_set():  # asked for, then the list was replaced (or the window closed)
            return
        version = file_version(self.path)  # before the read: the page is of this version or a later one
        try:
            page, said = caught.read_page(self.path, self.index, self.count, dpi=THUMB_DPI)
        except Exception as exc:  # noqa: BLE001 - marked in the list; the preview says it whole
            if not self.stop.is_set():
                why = reason_of(exc, self.path) or f"{type(exc).__name__}: {exc}"
                self.signals.failed.emit(self.generation, self.asked, str(self.path), self.index, why, version)
            return
        if not self.stop.is_set():
            self.signals.ready.emit(self.generation, self.asked, str(self.path), self.index,
                                    thumbnail(page.gray, THUMB_HEIGHT), version, said)


def crossed(blank: QPixmap) -> QPixmap:
    """The placeholder of a page that cannot be read: ``blank`` with a red ✕ over it."""
    marked = QPixmap(blank)
    painter = QPainter(marked)
    painter.setPen(QColor("#b3261e"))  # the error banner's red
    font = QFont(painter.font())
    font.setPixelSize(marked.height() // 2)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(marked.rect(), Qt.AlignmentFlag.AlignCenter, "✕")
    painter.end()
    return marked
