"""Resume inside multi-page outputs: finished pages survive a Ctrl-C, SIGTERM or kill -9.

A multi-page output (TIFF, PDF) appears whole or not at all, so on its own an interrupted
150-page PDF would lose every page done. Instead each finished page is first written, atomically,
to a hidden work folder beside the target (``.NAME.docclean-pages/p0001.png``: lossless, with its
resolution), and the final file is assembled from those pages, atomically, at the end; then the
work folder goes. A rerun finds the pages already done and continues from the next one. A stamp
(the source's content digest and size, the settings that change pixels and the model's weights)
guards against mixing pages of a different source or different settings: then the folder is
cleared and the file starts over. The source's content, not its path or modification time, so a
copy anywhere resumes: a cluster worker's download of a URL into a new temporary folder, a file
moved or touched. Hashing reads the file once a run (about a second a GB), against seconds a page.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docclean import io as pageio
from docclean.atomic import fitting_name
from docclean.digest import file_digest
from docclean.errors import OutputError
from docclean.models import model_identity
from docclean.outputs import PAGES_SUFFIX
from docclean.plan import output_complete
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.metadata import Metadata


def work_folder(target: Path) -> Path:
    """Where the finished pages of the multi-page output ``target`` are kept until it is whole."""
    return target.parent / f".{fitting_name(target.name, len(PAGES_SUFFIX))}{PAGES_SUFFIX}"


class PageStore:
    """The work folder of one multi-page target."""

    def __init__(self, target: Path, source: Path, settings: CleanSettings) -> None:
        self.target, self.source, self.settings = target, source, settings
        self.folder = work_folder(target)

    @functools.cached_property
    def stamp(self) -> dict[str, Any]:
        """What the finished pages were made from (read when first asked: the folder's name is not)."""
        return {"source_sha256": file_digest(self.source), "size": self.source.stat().st_size,
                **dict(self.settings.pixel_key()), "model": model_identity(self.settings.model)}

    def _page(self, index: int) -> Path:
        return self.folder / f"p{index + 1:04d}.png"

    def done(self, pages: int, overwrite: bool = False, clear: bool = True) -> set[int]:
        """Pages already finished by an earlier run (empty, and with ``clear`` the folder removed,
        when its stamp differs or ``overwrite`` is set)."""
        stamp_file = self.folder / "stamp.json"
        try:
            same = json.loads(stamp_file.read_text()) == self.stamp
        except (OSError, ValueError):
            same = False
        if overwrite or not same:
            if clear:
                self.clear()
            return set()
        return {i for i in range(pages) if output_complete(self._page(i))}

    def _start(self) -> None:
        """Create the folder and its stamp (before the first page is stored)."""
        from docclean.errors import output_error

        stamp_file = self.folder / "stamp.json"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not stamp_file.is_file():
                tmp = stamp_file.with_suffix(".tmp")
                tmp.write_text(json.dumps(self.stamp))
                tmp.replace(stamp_file)
        except OSError as exc:  # an output folder that cannot be written: said as for any output
            raise output_error("cannot create the work folder for the finished pages", exc, self.folder) from None

    def put(self, index: int, pixels: np.ndarray, dpi: tuple[float, float] | None) -> None:
        """Store one finished page (atomically)."""
        self._start()
        try:
            pageio.write_page(self._page(index), pixels, dpi, fmt="png")
        except OutputError as exc:  # the work folder's page file is named by its place, not the page's
            raise type(exc)(f"page {index + 1}: {exc.reason}", exc.path) from None

    def assemble(self, pages: int, metadata: Metadata | None = None) -> None:
        """Write the target from the stored pages, in order, atomically, with the source's ``metadata``
        (``docclean.metadata``); then clear the folder.

        Each page keeps the resolution it was stored with: the PNG holds whole pixels per metre (150
        dpi is 5906, read as 150.0124), and the reader takes such a count back to the resolution it
        was written from (``docclean.resolution._metric_dpi``: every whole dpi, every tenth, every
        whole number of pixels per centimetre) rather than 150.01, which made a TIFF say 150.01 dpi
        and a PDF page 0.01% smaller. Only a resolution of finer decimals than these (123.45) can come
        back up to 0.013 dpi off; a sidecar file of exact values would have changed the work folder's
        layout, which resuming runs, the hot folder and the cluster rely on."""
        with pageio.PageWriter(self.target, metadata=metadata) as writer:
            for i in range(pages):
                page = next(pageio.read_pages(self._page(i)))
                if page.color is not None:
                    pixels: np.ndarray = page.color
                elif _is_bilevel(self._page(i)):
                    pixels = page.gray >= 0.5
                else:
                    pixels = page.gray
                writer.add(pixels, page.dpi)
        self.clear()

    def clear(self) -> None:
        """Remove the work folder (no error if it is absent)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _is_bilevel(path: Path) -> bool:
    """True when a stored page was written as a 1-bit PNG (so it is put back as 1-bit)."""
    from PIL import Image

    with Image.open(path) as im:
        return im.mode == "1"
