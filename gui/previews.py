"""What a preview is: the request (with the version of the scan on disk), the page read and the
finished preview, and the keys the preview worker (``gui.worker``) caches the last two under.

Both keys hold the scan's version (``docclean.fileid.file_version``: size, mtime, inode and ctime,
from one stat, taken by the preview thread when it takes the request, never on the UI thread): a
scan replaced on disk under the same name, even with the same size, is read and cleaned again, and
a preview of the file as it was never passes for one of the file there now. The preview cache's
key also holds the model file's stamp (a model retrained in place must not show old previews).

:func:`read_requested` reads the page asked for, alone, with what the reader warned about it
(``gui.caught.read_warnings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docclean import io as pageio
from docclean.batch import PageOutput
from docclean.errors import InputError
from docclean.fileid import FileVersion
from docclean.models import model_stamp
from docclean.settings import CleanSettings
from gui import caught
from gui.images import LevelImage
from gui.keys import PagesChanged, preview_key, renders_at_dpi


@dataclass(frozen=True)
class PreviewRequest:
    """Clean page ``index`` (0-based) of ``path`` with ``settings``; ``id`` grows per request;
    ``version``: the file's version the preview thread found when it took the request (None: not
    looked at yet, on the GUI thread, or it could not be looked at); ``count``: the pages the file
    was listed with (None: not known)."""

    id: int
    path: Path
    index: int
    settings: CleanSettings
    version: FileVersion | None = None
    count: int | None = None


@dataclass
class PageImage:
    """A decoded page ready to show: its display picture and what the window says about it;
    ``warnings``: what the reader warned about it (``gui.caught.read_warnings``: the page's own, and
    with page 1 its file's)."""

    page: pageio.Page
    original: LevelImage
    warnings: tuple[str, ...] = ()


@dataclass
class PreviewResult:
    """A finished preview: the engine's output and the pictures the views show; ``warnings``: what
    the engine warned about the page while reading and cleaning it (``gui.caught.input_warnings``),
    which the window shows with it and Save repeats."""

    request: PreviewRequest
    page: PageImage
    output: PageOutput
    cleaned: LevelImage
    difference: LevelImage
    seconds: float
    cached: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def nbytes(self) -> int:
        page = self.page.page
        arrays = [self.output.pixels, self.output.cleaned, page.gray]
        if page.color is not None:
            arrays.append(page.color)
        # An array shared by two fields (a grey page written as cleaned) counts once.
        unique = {id(a): a for a in arrays}.values()
        return (self.cleaned.nbytes + self.difference.nbytes + self.page.original.nbytes
                + sum(a.nbytes for a in unique))


def page_key(req: PreviewRequest) -> tuple[Any, ...]:
    """The decoded-page cache's key: the file, its version, the page, and "PDF dpi" for a PDF."""
    return (str(req.path), req.version, req.index, req.settings.dpi if renders_at_dpi(req.path) else None)


def preview_cache_key(req: PreviewRequest) -> tuple[Any, ...]:
    """The preview cache's key: the file, its version, the page, what the pixels depend on
    (``gui.keys.preview_key``) and the model file's stamp."""
    return (str(req.path), req.version, req.index, preview_key(req.settings, req.path),
            model_stamp(req.settings.model))


def read_requested(req: PreviewRequest) -> tuple[pageio.Page, tuple[str, ...]]:
    """Page ``req.index`` of ``req.path``, read alone, and what the reader warned about it: its own
    warnings and, with page 1, its file's (``gui.caught.read_warnings``; none is printed).
    ``PagesChanged`` when the file has fewer pages than the list says (rewritten since it was listed)."""
    try:
        return caught.read_page(req.path, req.index, req.count, dpi=req.settings.dpi,
                                max_pixels=req.settings.max_pixels)
    except InputError as exc:
        count = _pages_now(req.path, req.settings.max_pixels)
        if count is not None and req.index >= count:
            raise PagesChanged(req.index, count, req.path) from exc
        raise


def _pages_now(path: Path, max_pixels: int) -> int | None:
    """The pages ``path`` has now (None: it cannot be read), for a page that could not be read."""
    try:
        return pageio.count_pages(path, max_pixels)
    except InputError:
        return None
