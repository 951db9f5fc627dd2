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

A source split into page files (``NAME-p001.png``...: a format without pages) keeps the same stamp
in the same work folder while its page files are written (:meth:`PageStore.begin`), and it goes
when the file is finished: page files under a stamp that is not this run's are an unfinished run's
of a rescan, a repaired scan or other settings, and are cleaned again (:meth:`PageStore.page_files_to_do`).
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docclean import formats
from docclean import io as pageio
from docclean.atomic import atomic_path, fitting_name
from docclean.digest import file_digest
from docclean.errors import OutputError
from docclean.models import model_identity
from docclean.outputs import PAGES_SUFFIX
from docclean.plan import output_complete
from docclean.report import SKIPPED, PageResult
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.metadata import Metadata


#: The stamp's file in a work folder (``docclean.cluster.carryover`` carries it to object storage).
STAMP_FILE = "stamp.json"


def work_folder(target: Path) -> Path:
    """Where the finished pages of the multi-page output ``target`` are kept until it is whole."""
    return target.parent / f".{fitting_name(target.name, len(PAGES_SUFFIX))}{PAGES_SUFFIX}"


class PageStore:
    """The work folder of one multi-page target; for page files (``target`` the name they are
    made from, ``NAME.png``), the stamp alone."""

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

    def _figures(self, index: int) -> Path:
        return self.folder / f"p{index + 1:04d}.json"

    def stamped(self) -> bool | None:
        """Whether the work folder's stamp is this run's (the same source content, settings that
        change pixels and model); None when there is no stamp to read."""
        try:
            text = (self.folder / STAMP_FILE).read_text()
        except OSError:
            return None
        try:
            return json.loads(text) == self.stamp
        except ValueError:
            return False

    def done(self, pages: int, overwrite: bool = False, clear: bool = True) -> set[int]:
        """Pages already finished by an earlier run (empty, and with ``clear`` the folder removed,
        when its stamp differs or ``overwrite`` is set)."""
        if overwrite or self.stamped() is not True:
            if clear:
                self.clear()
            return set()
        return {i for i in range(pages) if output_complete(self._page(i))}

    def page_files_to_do(self, targets: list[Path], overwrite: bool = False, clear: bool = True) -> list[int]:
        """The pages still to do of a source split into the page files ``targets``. A stamp that is
        not this run's was left by an unfinished run of another source of this name (a rescan, a
        repaired scan) or of other settings: every page is redone, and with ``clear`` its page files
        among ``targets`` go now with the stamp, so that a run cut short again cannot leave one of
        them under this run's stamp (never a page beyond ``targets``: docclean.leftover names
        those). No stamp (a finished run, an older version's): whole page files are kept, as
        before. A stamp of this run with every page whole is a finished run's, killed before it
        removed the stamp: it goes (with ``clear``)."""
        from docclean.errors import output_error

        stamped = self.stamped()
        if stamped is False:
            if clear:
                for target in targets:
                    try:
                        target.unlink(missing_ok=True)
                    except OSError as exc:
                        raise output_error("cannot remove a page file of an unfinished run of another scan "
                                           "or other settings", exc, target) from None
                self.clear()
            return list(range(len(targets)))
        pending = [i for i, target in enumerate(targets) if overwrite or not output_complete(target)]
        if stamped and not pending and clear:
            self.clear()
        return pending

    def begin(self) -> None:
        """Stamp the work folder before the first page file of a run is written (``finish`` with
        :meth:`clear` once the last one is). A run replacing page files (``--overwrite``) marks its
        stamp so: cut short, it leaves new page files beside an earlier run's, which no page file
        tells apart, and a rerun must not take them all for its own: the mark makes the stamp no
        rerun's (:meth:`stamped`), so every page is cleaned again."""
        self._start(fresh=True, replacing=self.settings.overwrite)

    def _start(self, fresh: bool = False, replacing: bool = False) -> None:
        """Create the folder and its stamp (before the first page is stored); ``fresh``: write
        the stamp even where there is one; ``replacing``: marked as a replacing run's (:meth:`begin`)."""
        from docclean.errors import output_error

        stamp_file = self.folder / STAMP_FILE
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if fresh or not stamp_file.is_file():
                tmp = stamp_file.with_suffix(".tmp")
                tmp.write_text(json.dumps({**self.stamp, "replacing": True} if replacing else self.stamp))
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

    def note(self, page: PageResult) -> None:
        """Keep a cleaned page's figures (ink loss, show-through, negative) in the work folder, so
        that a resumed run reports them for the pages it takes from an earlier run (:meth:`recall`);
        written before the page itself, atomically. They go with the folder."""
        from docclean.errors import output_error

        self._start()
        figures = {"ink_loss": page.ink_loss, "show_through": page.show_through, "inverted": page.inverted}
        path = self._figures(page.index)
        try:
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(figures))
        except OSError as exc:
            raise output_error("cannot write to the work folder for the finished pages", exc, path) from None

    def recall(self, index: int) -> PageResult:
        """Page ``index`` as an earlier run of this stamp finished it: skipped now, with the figures
        that run kept (:meth:`note`); none where it kept none (an older version's folder, a file
        damaged by a crash: the figures are only a report's, the page itself is whole)."""
        try:
            figures = json.loads(self._figures(index).read_text())
            loss, through, inverted = figures["ink_loss"], figures["show_through"], figures["inverted"]
        except (OSError, ValueError, TypeError, KeyError):
            return PageResult(index, SKIPPED)
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1)
                   for v in (loss, through)):
            return PageResult(index, SKIPPED)
        return PageResult(index, SKIPPED, ink_loss=loss, show_through=through, inverted=inverted is True)

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
        fmt = formats.by_suffix(self.target)
        bilevel = [_is_bilevel(self._page(i)) for i in range(pages)]
        if fmt is not None and fmt.max_bytes is not None:
            # Grey and colour pages are stored deflated, as a TIFF holds them: their sum foretells a
            # file too big before gigabytes are written (1-bit pages go in as group 4, often far
            # smaller than their PNG: not counted; the writer checks what it writes). The pages stay.
            stored = sum(self._page(i).stat().st_size for i in range(pages) if not bilevel[i])
            if stored > fmt.max_bytes:
                raise OutputError(formats.too_big(fmt, pages), self.target)
        with pageio.PageWriter(self.target, metadata=metadata) as writer:
            for i in range(pages):
                page = next(pageio.read_pages(self._page(i)))
                if page.color is not None:
                    pixels: np.ndarray = page.color
                elif bilevel[i]:
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
