"""What a preview is: the request (with the version of the scan on disk), the page read and the
finished preview, and the keys the preview worker (``gui.worker``) caches the last two under.

Both keys hold the scan's version (``docclean.fileid.file_version``: size, mtime, inode and ctime,
from one stat, taken by the preview thread when it takes the request, never on the UI thread): a
scan replaced on disk under the same name, even with the same size, is read and cleaned again, and
a preview of the file as it was never passes for one of the file there now. The preview cache's
key also holds the model file's stamp (a model retrained in place must not show old previews).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docclean import io as pageio
from docclean.batch import PageOutput
from docclean.fileid import FileVersion
from docclean.models import model_stamp
from docclean.settings import CleanSettings
from gui.images import LevelImage
from gui.keys import preview_key, renders_at_dpi


@dataclass(frozen=True)
class PreviewRequest:
    """Clean page ``index`` (0-based) of ``path`` with ``settings``; ``id`` grows per request;
    ``version``: the file's version the preview thread found when it took the request (None: not
    looked at yet, on the GUI thread, or it could not be looked at)."""

    id: int
    path: Path
    index: int
    settings: CleanSettings
    version: FileVersion | None = None


@dataclass
class PageImage:
    """A decoded page ready to show: its display picture and what the window says about it."""

    page: pageio.Page
    original: LevelImage


@dataclass
class PreviewResult:
    """A finished preview: the engine's output and the pictures the views show."""

    request: PreviewRequest
    page: PageImage
    output: PageOutput
    cleaned: LevelImage
    difference: LevelImage
    seconds: float
    cached: bool = False

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
