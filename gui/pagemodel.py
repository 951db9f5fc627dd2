"""The page list's rows, made when the view asks for them: what ``gui.pages.PageList`` shows.

An archive folder of 300,000 scans must not cost the UI thread anything per page: one
``QListWidgetItem`` a page froze the window for 0.7 s at 50,000 pages and for 5 s at 300,000,
and one thumbnail job a file, queued on opening, rendered (and kept) every thumbnail of the
archive. :class:`PageModel` holds only the list of :class:`gui.pages.PageRef`; a row's title,
tooltip and thumbnail are made in :meth:`PageModel.data`, which the view calls for the rows it
paints. A row painted without its thumbnail shows the grey placeholder and asks a background pool
(one thread, idle priority) to render its page (``gui.thumbs.ThumbJob``), newest asked
first, so the rows on screen fill in before those scrolled past. The last :data:`KEPT_THUMBNAILS` shown are kept; one
scrolled away longer is rendered again when it comes back into view. Each thumbnail keeps the
version of its file it was rendered from (``docclean.fileid.file_version``, looked at by its job):
when the window learns of another version of a file (:meth:`PageModel.file_seen`: what the preview
worker found when it looked, off the UI thread), its thumbnails are rendered again, and one being
rendered from before is dropped. A page whose thumbnail job cannot read it is marked where it is
listed (a ✕ before its title and on its placeholder, and the reason in its tooltip, as the CLI words
it: ``gui.keys.reason_of``), from what that job found, off the UI thread; a file replaced on disk
is tried again. A page whose reader warned about it while its thumbnail was read (a damaged TIFF
page, a PDF page without a size; the first page of a file that warned about the whole file: a PDF's
attached files or text layer) is marked ⚠ before its title, with the warnings in its tooltip, in
the words its preview shows them in (``gui.caught.read_warnings``); none is printed. So is a page
whose ink-loss figure is a warning (:meth:`PageModel.set_warnings`); the tooltip says which.

The rows themselves are ``QStandardItemModel``'s, with no item in them: the view lays out every
row at each reset, and asks the model for each row's index as it does; a Python ``rowCount`` was
called twice a row there (0.5 s at 300,000 rows), C++ rows cost 0.03 s.
"""

from __future__ import annotations

import textwrap
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, QThreadPool
from PySide6.QtGui import QIcon, QImage, QPixmap, QStandardItemModel

from docclean.fileid import FileVersion
from gui.thumbs import THUMB_HEIGHT, ThumbJob, ThumbSignals, crossed

if TYPE_CHECKING:
    from gui.pages import PageRef

#: Thumbnails kept (about 45 KB each): scrolling through 25,000 pages kept every one, 0.7 GB.
KEPT_THUMBNAILS = 1000
#: A row's tooltip says this of a page whose ink-loss figure is a warning (:meth:`PageModel.set_warnings`).
INK_WARNED = "its preview's ink-loss figure is a warning (see under the preview)"
#: Characters a tooltip's line holds: a Qt tooltip of plain text does not wrap, and a warning runs to 200.
TIP_WIDTH = 80

_Index = QModelIndex | QPersistentModelIndex


class PageModel(QStandardItemModel):
    """One row a :class:`gui.pages.PageRef`: its title (marked ⚠ when :meth:`set_warnings` says so or
    its reader warned about it, ✕ when its page cannot be read) as DisplayRole, its thumbnail (or the
    grey placeholder, with a ✕ for a page that cannot be read) as DecorationRole, its path (and why it
    cannot be read, or what was warned about it) as ToolTipRole, the ref itself as UserRole, and
    ``item_size`` as SizeHintRole (every row one grid cell, whatever its title)."""

    def __init__(self, item_size: QSize, parent: QObject | None = None) -> None:
        super().__init__(0, 1, parent)
        self.item_size = item_size
        self._refs: list[PageRef] = []
        self._titles: list[str] | None = None
        # By row, least recently shown first, with the version of the file each was rendered from.
        self._icons: OrderedDict[int, tuple[QIcon, FileVersion | None]] = OrderedDict()
        # The version of each file the window last found (file_seen), and the last job asked before.
        self._seen: dict[str, tuple[FileVersion | None, int]] = {}
        self._rows: dict[tuple[str, int], int] = {}  # the row of each page whose thumbnail was asked for
        self._warned: set[tuple[str, int]] = set()  # ink-loss figures that are warnings (set_warnings)
        # What the reader warned about a page as its thumbnail was read, and the version of the file read.
        self._said: dict[tuple[str, int], tuple[tuple[str, ...], FileVersion | None]] = {}
        # The pages that could not be read: why, and the version of the file the job found.
        self._broken: dict[tuple[str, int], tuple[str, FileVersion | None]] = {}
        self._generation = 0  # which list a thumbnail was rendered for: a late one of the last is dropped
        self._asked = 0  # a priority that grows: the rows asked last are rendered first
        blank = QPixmap(THUMB_HEIGHT * 3 // 4, THUMB_HEIGHT)
        blank.fill(Qt.GlobalColor.lightGray)
        self._placeholder = QIcon(blank)
        self._unreadable = QIcon(crossed(blank))
        self._pool = QThreadPool(self)
        # One thread: thumbnails must not compete with the preview for the CPU.
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._signals = ThumbSignals(self)
        self._signals.ready.connect(self._thumb_ready)
        self._signals.failed.connect(self._thumb_failed)

    def set_refs(self, refs: list[PageRef]) -> None:
        """Replace the rows with ``refs`` (no ⚠, no thumbnails: they are asked for as rows are painted)."""
        self.stop_thumbnails()
        self._stop = threading.Event()
        self.setRowCount(0)  # the view lets go of the old rows (and the current one) while they still answer
        self._refs = list(refs)
        self._titles = None  # made at the first search of the page list (find)
        self._icons.clear()
        self._rows.clear()
        self._seen.clear()
        self._warned.clear()
        self._said.clear()
        self._broken.clear()
        self._generation += 1
        self.setRowCount(len(self._refs))

    def find(self, prefix: str, start: int) -> int:
        """The first row from ``start`` on, wrapping round, whose title starts with ``prefix``
        (case aside), or -1. Titles are read from the list, not through :meth:`data`: Qt's own
        search asked ``data`` for every row and took 4 s a key at 300,000 pages."""
        if self._titles is None:
            self._titles = [ref.title.casefold() for ref in self._refs]
        prefix, n = prefix.casefold(), len(self._titles)
        for row in (*range(start, n), *range(0, min(start, n))):
            if self._titles[row].startswith(prefix):
                return row
        return -1

    def refs(self) -> list[PageRef]:
        """The pages in row order (a copy)."""
        return list(self._refs)

    def ref(self, row: int) -> PageRef | None:
        """The page of ``row``, if there is one."""
        return self._refs[row] if 0 <= row < len(self._refs) else None

    def flags(self, index: _Index) -> Qt.ItemFlag:  # noqa: D102 - Qt override
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Pages are picked, never edited or dragged (a row with no item would be all of these).
        return Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: ANN401 - Qt override
        ref = self.ref(index.row()) if index.isValid() else None
        if ref is None:
            return None
        key = (str(ref.path), ref.index)
        broken = self._broken.get(key) if self._broken else None
        if role == Qt.ItemDataRole.DisplayRole:
            warned = (self._warned and key in self._warned) or (self._said and key in self._said)
            # A no-break space: the cell wraps the title, and a mark alone on the first line cut
            # off its page number.
            return f"✕\u00a0{ref.title}" if broken else f"⚠\u00a0{ref.title}" if warned else ref.title
        if role == Qt.ItemDataRole.DecorationRole:
            return self._unreadable if broken else self._icon(index.row(), ref)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{ref.path}\n✕ cannot be read: {broken[0]}" if broken else self._tooltip(ref.path, key)
        if role == Qt.ItemDataRole.UserRole:
            return ref
        if role == Qt.ItemDataRole.SizeHintRole:
            return self.item_size
        return None

    def _tooltip(self, path: Path, key: tuple[str, int]) -> str:
        """The page's path, then what was warned about it, each warning wrapped to :data:`TIP_WIDTH`."""
        said = self._said[key][0] if self._said and key in self._said else ()
        ink = (INK_WARNED,) if self._warned and key in self._warned else ()
        return "\n".join([str(path), *(textwrap.fill(f"⚠ {text}", TIP_WIDTH, subsequent_indent="   ")
                                        for text in (*said, *ink))])

    def set_warnings(self, pages: set[tuple[str, int]]) -> None:
        """Mark ⚠ the pages ``(str(path), index)`` named for their ink-loss figure, and only those
        (what a page's reader warned marks it too, whatever this says)."""
        if pages != self._warned:
            self._warned = set(pages)
            self._all_changed()

    def _all_changed(self) -> None:
        """Titles and tooltips to be asked again (the view repaints the rows on screen only)."""
        if self._refs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._refs) - 1, 0),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole])

    def file_seen(self, path: Path, version: FileVersion | None) -> None:
        """The preview worker looked at ``path`` (one stat) and found ``version``: thumbnails of
        it rendered from another version are rendered again (as their rows are painted), and those
        still being rendered are not kept unless they are of this version."""
        name = str(path)
        if name in self._seen and self._seen[name][0] == version:
            return  # no change since the last look: nothing to go through
        self._seen[name] = (version, self._asked)
        for key, (_, found) in list(self._broken.items()):
            if key[0] == name and found != version:  # replaced: tried again when painted
                del self._broken[key]
                row = self._rows.pop(key, -1)
                if self.ref(row) is not None:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
        said = [key for key, (_, read) in self._said.items() if key[0] == name and read != version]
        for key in said:  # told again once its thumbnail is read again
            del self._said[key]
        if said:
            self._all_changed()
        stale = [row for row, (_, made) in self._icons.items() if made != version and str(self._refs[row].path) == name]
        for row in stale:
            del self._icons[row]
            self._rows.pop((name, self._refs[row].index), None)
            changed = self.index(row, 0)
            self.dataChanged.emit(changed, changed, [Qt.ItemDataRole.DecorationRole])

    def _icon(self, row: int, ref: PageRef) -> QIcon:
        kept = self._icons.get(row)
        if kept is not None:
            self._icons.move_to_end(row)
            return kept[0]
        key = (str(ref.path), ref.index)
        if key not in self._rows and not self._stop.is_set():
            # The view asks for the rows it paints: each asks for its page's thumbnail, once.
            self._rows[key] = row
            self._asked += 1
            job = ThumbJob(ref.path, ref.index, ref.count, self._generation, self._asked, self._signals, self._stop)
            self._pool.start(job, self._asked)
        return self._placeholder

    def _answered_row(self, generation: int, asked: int, path: str, index: int,
                      version: FileVersion | None) -> tuple[int, bool] | None:
        """The row a thumbnail job's answer is for, and whether it holds (None: the list or the row
        moved on since). False: asked for before the window found the file changed, and read from
        another version: the row is asked for again when painted (a job asked for since is kept,
        whatever it read)."""
        if generation != self._generation:
            return None
        row = self._rows.get((path, index), -1)
        ref = self.ref(row)
        if ref is None or ref.index != index or str(ref.path) != path:
            return None
        seen, before = self._seen.get(path, (version, asked))
        if asked <= before and version != seen:
            del self._rows[(path, index)]
            return row, False
        return row, True

    def _thumb_ready(self, generation: int, asked: int, path: str, index: int, image: QImage,
                     version: FileVersion | None, said: tuple[str, ...]) -> None:
        answered = self._answered_row(generation, asked, path, index, version)
        if answered is None:
            return
        row, holds = answered
        if holds:
            if said:  # kept when its thumbnail goes: the mark stays on the page
                self._said[(path, index)] = (tuple(said), version)
            else:
                self._said.pop((path, index), None)
            self._icons[row] = (QIcon(QPixmap.fromImage(image)), version)  # pixmap made here, on the GUI thread
            while len(self._icons) > KEPT_THUMBNAILS:  # the longest unseen goes; asked again if shown again
                gone, _ = self._icons.popitem(last=False)
                gone_ref = self._refs[gone]
                self._rows.pop((str(gone_ref.path), gone_ref.index), None)
        changed = self.index(row, 0)
        self.dataChanged.emit(changed, changed)  # thumbnail, title and tooltip

    def _thumb_failed(self, generation: int, asked: int, path: str, index: int, why: str,
                      version: FileVersion | None) -> None:
        answered = self._answered_row(generation, asked, path, index, version)
        if answered is None:
            return
        row, holds = answered
        if holds:
            self._broken[(path, index)] = (why, version)  # kept in _rows: not asked again
        changed = self.index(row, 0)
        self.dataChanged.emit(changed, changed)  # title, placeholder and tooltip

    def thumbnails_running(self) -> bool:
        """Whether a thumbnail job is still running (one page's decode cannot be stopped)."""
        return self._pool.activeThreadCount() > 0

    def stop_thumbnails(self, wait_ms: int = 0) -> None:
        """Ask thumbnail jobs to stop, and start no more; with ``wait_ms``, wait for them (on
        close; -1: until done)."""
        self._stop.set()
        self._pool.clear()
        if wait_ms:
            self._pool.waitForDone(wait_ms)
