"""PDF pages in (writing them out: ``docclean.pdfwrite``).

Reading renders each page with pypdfium2 at the page's native resolution: for a scanned page (an
image covering half of it or more) that of its sharpest image layer (``docclean.pdfpage.native_dpi``),
otherwise 300 dpi, or the caller's ``dpi``, per inch of the page's real size (its /UserUnit counted).
A page whose image data does not decode whole, or whose content cannot be drawn (``docclean.pdfcheck``),
is refused, not rendered (pdfium would draw the rest flat grey or blank, cleaned into white paper); a
page without a size is warned about, a file with searchable text says once that its cleaned
pages do not keep it, one with attached files that they are not carried (:class:`InputWarning`,
``docclean.progress``). Filled-in form fields are drawn into the page (``pdfdraw.init_forms``).
:func:`read_pdf` reads every page, as the batch does; :func:`read_pdf_page` one page alone (the
app's preview and thumbnails), handing back what is said of that page apart from what is said of
the file.

pdfium is not thread-safe, not even for two documents, and its last-error code is one value for
the process: every call into it here holds one lock (``_PDFIUM``), taken per call and never across
a ``yield``, so the desktop app's thumbnail and preview threads and a batch's reader thread may
read PDFs at the same time (they crashed the process, or gave one file's error for another)."""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from docclean import warnroute
from docclean.errors import InputError
from docclean.pdfcheck import PageCheck, box_warning
from docclean.pdfdraw import draw, init_forms, render_size
from docclean.pdfpage import attachment_warning, has_text, image_damage, native_dpi
from docclean.pdfunits import page_checks, page_units
from docclean.pdfwrite import DEFAULT_DPI
from docclean.pixels import MAX_PIXELS, Page, split_rgb
from docclean.progress import InputWarning

# Reentrant: _open holds it around _reset_last_error, and callers hold it around _open.
_PDFIUM = threading.RLock()


def _open(path: Path) -> pdfium.PdfDocument:
    """Open a PDF, turning pdfium's failures into a short InputError.

    pdfium refuses a document whose page tree is empty, missing or unusable without giving a
    reason: it leaves its last-error code, a process-wide value that only failed loads set, as
    it was. So the code is first set to "file not found" by loading a path that cannot exist
    (below a regular file); a failure that leaves it there (the file being readable) is a PDF
    without pages, and no failure reports the reason of an earlier file."""
    with _PDFIUM:  # no other thread's call may set the error code between the reset and the load
        _reset_last_error(path)
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            error = exc
        else:
            if len(doc) > 0:
                return doc
            doc.close()
            raise InputError("PDF has no pages", path)
    _explain(error, path)


def _explain(exc: pdfium.PdfiumError, path: Path) -> NoReturn:
    """Raise the InputError that says why pdfium could not open ``path``."""
    text = str(exc).lower()
    code = getattr(exc, "err_code", None)  # older pypdfium2: the text only
    no_reason = (code in (pdfium_c.FPDF_ERR_SUCCESS, pdfium_c.FPDF_ERR_FILE) if code is not None
                 else "pdfium: success" in text or "file access" in text)
    if no_reason and _readable(path):
        raise InputError("PDF has no pages (empty or missing page tree)", path) from None
    if "password" in text:
        raise InputError("encrypted PDF (password required)", path) from None
    if "format" in text:
        raise InputError("broken PDF (not a valid PDF file)", path) from None
    raise InputError(f"cannot open PDF ({exc})", path) from None


def _reset_last_error(path: Path) -> None:
    """Set pdfium's last-error code to FPDF_ERR_FILE: ``path`` is a regular file, so nothing lies
    below it. Call with ``_PDFIUM`` held."""
    try:
        doc = pdfium_c.FPDF_LoadDocument(os.fsencode(path / "no-such-file.pdf"), None)
        if doc:  # cannot happen; never leak it if it does
            pdfium_c.FPDF_CloseDocument(doc)
    except Exception:  # a best effort: opening the real file must not depend on it
        pass


def _readable(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError:
        return False
    return True


def count_pdf_pages(path: Path) -> int:
    """Number of pages in a PDF (reads the page tree only)."""
    with _PDFIUM:
        doc = _open(path)
        try:
            return len(doc)
        finally:
            doc.close()


def pdf_page_sizes(path: Path, indices: list[int], dpi: float | None = None) -> list[tuple[int, int]]:
    """(width, height) in pixels of pages ``indices`` as :func:`read_pdf` renders them at ``dpi``
    (None: each page's native resolution), from the page tree in one opening: nothing is rendered."""
    with _PDFIUM:
        doc = _open(path)
        count = len(doc)
    try:
        units = page_units(path, count)  # pypdf's reading, outside pdfium's lock
        sizes = []
        for index in indices:
            with _PDFIUM:
                page = doc[index]
                try:
                    _check_box(page, index, path)
                    native = None if dpi else native_dpi(page, units[index])
                    sizes.append(render_size(page, dpi or native or DEFAULT_DPI, native is not None, units[index])[:2])
                finally:
                    page.close()
        return sizes
    finally:
        with _PDFIUM:
            doc.close()


def read_pdf(path: Path, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS) -> Iterator[Page]:
    """Render every page of a PDF to a :class:`Page` (RGB rendering; grey pages give color None). A
    page whose image data does not decode whole raises InputError ("page N: truncated or incomplete
    image data (...)"). A file with attached files (``pdfpage.attachment_warning``), whose /UserUnit
    cannot be read (``pdfunits.page_units``) or with pages without a size (``pdfcheck.box_warning``)
    warns before the first page, one with searchable text once every page is read
    (:func:`text_layer_warning`; InputWarnings)."""
    _check_dpi(dpi)
    with _PDFIUM:
        doc = _open(path)
    texts = 0
    try:
        count, units, checks = _opening(doc, path, of_file=True)
        boxless = box_warning(checks)
        if boxless:
            warnings.warn(boxless, InputWarning, stacklevel=2)
        for index in range(count):
            with _PDFIUM:
                page_dpi, rgb, text = _render(doc, index, dpi, max_pixels, path, True, units[index], checks[index])
            texts += text
            gray, color = split_rgb(rgb)
            del rgb
            yield Page(gray=gray, color=color, dpi=(page_dpi, page_dpi), index=index)
    finally:
        with _PDFIUM:
            doc.close()
    if texts:
        warnings.warn(text_layer_warning(texts, count), InputWarning, stacklevel=2)


def read_pdf_page(path: Path, index: int, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS,
                  of_file: bool = False
                  ) -> tuple[Page, list[warnings.WarningMessage], list[warnings.WarningMessage]]:
    """Page ``index`` (0-based) rendered alone, as :func:`read_pdf` renders it (InputError "has no
    page N" past the last), with what :func:`read_pdf` would warn of it, handed back instead: of the
    page itself, that it has no page size (``pdfcheck.box_warning`` of it alone); with ``of_file``,
    what it says of the whole file (its attached files, a /UserUnit that cannot be read, its text
    layer, which the cleaned pages do not keep: each page's text is looked at, none drawn), of which
    nothing is looked for without it. Each list as ``warnings.catch_warnings(record=True)`` has it."""
    _check_dpi(dpi)
    with warnroute.collecting() as of_the_file:
        with _PDFIUM:
            doc = _open(path)
        try:
            count, units, checks = _opening(doc, path, of_file)
            if not 0 <= index < count:
                raise InputError(f"has no page {index + 1}", path)
            with warnroute.collecting() as own:
                boxless = box_warning((PageCheck(),) * index + checks[index:index + 1])
                if boxless:
                    warnings.warn(boxless, InputWarning, stacklevel=2)
                with _PDFIUM:
                    page_dpi, rgb, _ = _render(doc, index, dpi, max_pixels, path, False, units[index], checks[index])
            texts = _text_pages(doc, count) if of_file else 0
        finally:
            with _PDFIUM:
                doc.close()
        if texts:
            warnings.warn(text_layer_warning(texts, count), InputWarning, stacklevel=2)
    gray, color = split_rgb(rgb)
    return Page(gray=gray, color=color, dpi=(page_dpi, page_dpi), index=index), own, of_the_file


def _check_dpi(dpi: float | None) -> None:
    if dpi is not None and not (dpi > 0 and math.isfinite(dpi)):
        raise ValueError(f"dpi must be a positive number, not {dpi!r}")


def _opening(doc: pdfium.PdfDocument, path: Path, of_file: bool
             ) -> tuple[int, tuple[float, ...], tuple[PageCheck, ...]]:
    """The page count of the open ``doc``, its pages' /UserUnits and checks (``docclean.pdfunits``);
    with ``of_file``, what the file says of itself on opening is warned: its attached files, a
    /UserUnit that cannot be read."""
    with _PDFIUM:
        init_forms(doc)  # before any page is loaded
        count = len(doc)
        attached = attachment_warning(doc) if of_file else None
    if attached:
        warnings.warn(attached, InputWarning, stacklevel=3)
    units = page_units(path, count, warn=of_file)  # pypdf's reading, outside pdfium's lock
    return count, units, page_checks(path, count)  # the same reading


def _text_pages(doc: pdfium.PdfDocument, count: int) -> int:
    """How many of the ``count`` pages of ``doc`` have searchable text (each loaded, none drawn; a
    page pdfium cannot load has none to lose, and fails where it is read)."""
    texts = 0
    for index in range(count):
        with _PDFIUM:
            try:
                page = doc[index]
            except pdfium.PdfiumError:
                continue
            try:
                texts += has_text(page)
            finally:
                page.close()
    return texts


def text_layer_warning(texts: int, pages: int) -> str:
    """What to say about a PDF of ``pages`` pages, ``texts`` of which have searchable text: the
    cleaned pages are images, and its text layer is not carried over."""
    if pages == 1:
        found = "its page has"
    elif texts == 1:
        found = f"1 of {pages} pages has"
    elif texts == pages:
        found = f"all {pages} pages have"
    else:
        found = f"{texts} of {pages} pages have"
    kept, them = ("the cleaned page does not keep", "it") if texts == 1 else ("the cleaned pages do not keep", "them")
    return f"{found} searchable text, which {kept}; OCR {them} again (README: OCRmyPDF)"


def _check_box(page: pdfium.PdfPage, index: int, path: Path) -> None:
    """InputError for a page whose visible box is empty (a CropBox outside its MediaBox): there is
    nothing to draw ("float division by zero" said so before)."""
    if min(page.get_size()) <= 0:
        raise InputError(f"page {index + 1} shows nothing: its page box is empty (a CropBox outside the MediaBox?)",
                         path)


def _render(doc: pdfium.PdfDocument, index: int, dpi: float | None, max_pixels: int,
            path: Path, text: bool = False, unit: float = 1.0, check: PageCheck | None = None
            ) -> tuple[float, np.ndarray, bool]:
    """Page ``index`` rendered in RGB at ``dpi`` (else its native resolution), with that dpi and,
    when ``text`` asks, whether it has searchable text (else False). ``unit``: its /UserUnit, which
    pdfium ignores: drawn over ``unit`` times the pixels, a page is ``dpi`` per inch of its real size.
    ``check``: what ``docclean.pdfcheck`` found on it; its damage refuses it."""
    page = doc[index]
    try:
        _check_box(page, index, path)
        native = None if dpi else native_dpi(page, unit)
        page_dpi = dpi or native or DEFAULT_DPI
        width, height, placement = render_size(page, page_dpi, native is not None, unit)
        if width * height > max_pixels:
            fits = math.floor(page_dpi * math.sqrt(max_pixels / (width * height)))
            while fits > 1 and math.prod(render_size(page, fits, False, unit)[:2]) > max_pixels:
                fits -= 1  # pixels are rounded up: the estimate can be a dpi too high
            advice = f"clean it at {fits} dpi or less" if fits >= 1 else "it is too large at any resolution"
            raise InputError(f"page {index + 1} too large at {page_dpi:g} dpi ({width} x {height} pixels, limit "
                             f"{max_pixels:,}); {advice}, or raise the pixel limit", path)
        # Before drawing: pdfium draws what it cannot decode flat grey, which cleaning makes paper.
        damage = check.damage if check is not None else None
        damage = damage or image_damage(page, path, check)
        if damage is not None:
            raise InputError(f"page {index + 1}: {damage}", path)
        return page_dpi, draw(page, width, height, placement), text and has_text(page)
    finally:
        page.close()
