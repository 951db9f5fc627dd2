"""PDF pages in and out.

Reading renders each page with pypdfium2 at the page's native resolution: for a scanned page (an
image covering half of it or more) that of its sharpest image layer (``docclean.pdfpage.native_dpi``),
otherwise 300 dpi, or the caller's ``dpi``, per inch of the page's real size (its /UserUnit counted).
A page whose image data does not decode whole, or whose content cannot be drawn (``docclean.pdfcheck``),
is refused, not rendered (pdfium would draw the rest flat grey or blank, cleaned into white paper); a
page without a size is warned about, a file with searchable text says once that its cleaned
pages do not keep it, one with attached files that they are not carried (:class:`InputWarning`,
``docclean.progress``). Filled-in form fields are drawn into the page (``pdfdraw.init_forms``).
Writing streams one image per page straight into the output file (Flate for grey and colour, CCITT
group 4 for bi-level pages) and only keeps object offsets in memory, so a thousand-page document
costs no more RAM than one page.

pdfium is not thread-safe, not even for two documents, and its last-error code is one value for
the process: every call into it here holds one lock (``_PDFIUM``), taken per call and never across
a ``yield``, so the desktop app's thumbnail and preview threads and a batch's reader thread may
read PDFs at the same time (they crashed the process, or gave one file's error for another)."""

from __future__ import annotations

import math
import os
import threading
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from docclean.errors import InputError
from docclean.group4 import group4_strip
from docclean.pdfcheck import PageCheck, box_warning
from docclean.pdfdraw import draw, init_forms, render_size
from docclean.pdfpage import attachment_warning, has_text, image_damage, native_dpi
from docclean.pdfunits import fit_box, page_checks, page_units
from docclean.pixels import MAX_PIXELS, Page, split_rgb
from docclean.progress import InputWarning

DEFAULT_DPI = 300.0
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


def read_pdf(path: Path, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS, only: int | None = None
             ) -> Iterator[Page]:
    """Render every page of a PDF to a :class:`Page` (RGB rendering; grey pages give color None);
    with ``only``, just that page (0-based), rendering no other. A page whose image data does not
    decode whole raises InputError ("page N: truncated or incomplete image data (...)"). A file with
    searchable text warns once every page is read (:func:`text_layer_warning`), one with attached
    files (``pdfpage.attachment_warning``) or whose /UserUnit cannot be read before the first
    (``pdfunits.page_units``; InputWarnings); ``only`` does not."""
    if dpi is not None and not (dpi > 0 and math.isfinite(dpi)):
        raise ValueError(f"dpi must be a positive number, not {dpi!r}")
    with _PDFIUM:
        doc = _open(path)
    texts = 0
    try:
        with _PDFIUM:
            init_forms(doc)  # before any page is loaded
            count = len(doc)
            attached = attachment_warning(doc) if only is None else None
        if attached:
            warnings.warn(attached, InputWarning, stacklevel=2)
        units = page_units(path, count, warn=only is None)  # pypdf's reading, outside pdfium's lock
        checks = page_checks(path, count)  # the same reading
        boxless = box_warning(checks) if only is None else None
        if boxless:
            warnings.warn(boxless, InputWarning, stacklevel=2)
        for index in range(count) if only is None else [only] if only < count else []:
            with _PDFIUM:
                page_dpi, rgb, text = _render(doc, index, dpi, max_pixels, path, only is None, units[index],
                                              checks[index])
            texts += text
            gray, color = split_rgb(rgb)
            del rgb
            yield Page(gray=gray, color=color, dpi=(page_dpi, page_dpi), index=index)
    finally:
        with _PDFIUM:
            doc.close()
    if texts:
        warnings.warn(text_layer_warning(texts, count), InputWarning, stacklevel=2)


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


class PdfStreamWriter:
    """Write a PDF page by page: each page is one full-page image, sized from its dpi.

    Objects 1 (catalog) and 2 (page tree) are written last, once all pages are known; every page
    points at object 2 as its parent, so nothing written earlier has to change. A page over 200
    inches gets a /UserUnit (``docclean.pdfunits.fit_box``)."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 3
        self._version = b""  # the catalog's /Version: the header's 1.4 until a /UserUnit needs 1.6
        # The binary comment line tells transfer tools that the file is binary.
        fp.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._fp.tell()
        self._fp.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self._fp.write(b"\nstream\n" + stream + b"\nendstream")
        self._fp.write(b"\nendobj\n")

    def add_page(self, im: Image.Image, dpi: tuple[float, float] | None) -> None:
        """Append one page: ``im`` in mode "1", "L" or "RGB"; ``dpi`` None means 300 dpi."""
        x_dpi, y_dpi = dpi if dpi is not None else (DEFAULT_DPI, DEFAULT_DPI)
        box_w, box_h, unit = fit_box(im.width * 72.0 / x_dpi, im.height * 72.0 / y_dpi)
        self._version = b" /Version /1.6" if unit else self._version
        image_dict, data = _encode_image(im)
        img_no, content_no, page_no = self._next, self._next + 1, self._next + 2
        self._next += 3
        self._object(img_no, image_dict + b" /Length %d >>" % len(data), data)
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (box_w, box_h)
        self._object(content_no, b"<< /Length %d >>" % len(content), content)
        self._object(page_no, (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] %s"
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (box_w, box_h, unit, img_no, content_no)))
        self._pages.append(page_no)

    def close(self, info: bytes | None = None, xmp: bytes | None = None) -> None:
        """Write the page tree, catalog, cross-reference table and trailer; ``info``, a document
        information dictionary (``docclean.metawrite.pdf_info``), as the last object where given,
        and ``xmp``, an XMP packet (``docclean.metawrite.pdf_xmp``), as the catalog's /Metadata."""
        kids = b" ".join(b"%d 0 R" % n for n in self._pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        metadata = b""
        if xmp is not None:  # uncompressed, as PDF/A asks, so that tools that only scan bytes find it
            self._object(self._next, b"<< /Type /Metadata /Subtype /XML /Length %d >>" % len(xmp), xmp)
            metadata, self._next = b" /Metadata %d 0 R" % self._next, self._next + 1
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R%s%s >>" % (self._version, metadata))
        trailer = b""
        if info is not None:
            self._object(self._next, info)
            trailer, self._next = b" /Info %d 0 R" % self._next, self._next + 1
        xref_at = self._fp.tell()
        self._fp.write(b"xref\n0 %d\n0000000000 65535 f \n" % self._next)
        for number in range(1, self._next):
            self._fp.write(b"%010d 00000 n \n" % self._offsets[number])
        self._fp.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
                       % (self._next, trailer, xref_at))


def _encode_image(im: Image.Image) -> tuple[bytes, bytes]:
    """Image XObject dictionary (open, without /Length) and stream data for one page."""
    width, height = im.size
    head = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d " % (width, height)
    if im.mode == "1":
        # Ink coded as black runs, the fax convention: PDF's default /BlackIs1 false draws them black.
        return head + (b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
                       b"/DecodeParms << /K -1 /Columns %d /Rows %d >>"
                       % (width, height)), group4_strip(im)
    if im.mode not in ("L", "RGB"):
        raise ValueError(f"cannot write mode {im.mode} to PDF")
    space = b"/DeviceGray" if im.mode == "L" else b"/DeviceRGB"
    return (head + b"/ColorSpace %s /BitsPerComponent 8 /Filter /FlateDecode" % space,
            zlib.compress(im.tobytes(), 6))

