"""The progress and cancel protocol of a batch, down to tiles.

:func:`docclean.batch.clean_batch` calls these methods as it works; every method is a no-op, so a
front end overrides only what it shows: the CLI draws a rich progress bar, the GUI emits Qt
signals, a cluster runner counts pages across workers. ``cancelled`` is polled between tiles, so a
Stop button takes effect within one batch of tiles even on a 600-dpi page.

Order: ``on_start`` once; per file that gets cleaned ``on_file_start``, then per page
``on_tile_done`` after each batch of tiles and ``on_page_done`` (when the cleaned page is handed to
the writer thread; its file is written, or failed, by the time ``on_file_done`` comes);
``on_file_done`` for every file, whatever its status; ``on_warning`` whenever something is worth a line; ``on_finish`` once unless
the run was interrupted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docclean.discover import Job
    from docclean.report import FileResult, PageResult, Report


#: ``on_warning`` kinds: a page where cleaning removed more dark strokes than ``ink_warning`` allows,
#: and a warning a decoder (Pillow, libtiff) raised while reading the file.
WARN_INK, WARN_DECODER = "ink", "decoder"

class CleanProgress:
    """Progress callbacks of a batch; override what you need."""

    def on_start(self, files: int, pages: int) -> None:
        """``files`` jobs in all; ``pages`` pages will actually be cleaned (skips excluded)."""

    def on_file_start(self, job: Job, pages: int) -> None:
        """``job`` starts; ``pages`` of its pages will be cleaned."""

    def on_tile_done(self, job: Job, page: int, done: int, total: int) -> None:
        """``done`` of the ``total`` tiles of page ``page`` (0-based) of ``job`` are cleaned."""

    def on_page_done(self, job: Job, page: PageResult) -> None:
        """A page was cleaned and written (``page.index``, ``page.seconds``, ``page.ink_loss``)."""

    def on_file_done(self, result: FileResult) -> None:
        """A file finished as cleaned, skipped, failed, interrupted or would clean."""

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        """Something about ``source`` worth telling: ``kind`` :data:`WARN_INK` for a page that lost
        ink (always shown), :data:`WARN_DECODER` for a library's warning while reading it."""

    def on_finish(self, report: Report) -> None:
        """The batch is over."""

    def cancelled(self) -> bool:
        """Return True to stop the batch at the next batch of tiles."""
        return False


class TileProgress:
    """What the engine needs while it cleans one page: a tile callback and a cancel check.
    The batch runner adapts :class:`CleanProgress` to it for the page in hand."""

    def tile_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` tiles are finished."""

    def cancelled(self) -> bool:
        """True to stop before the next batch of tiles."""
        return False
