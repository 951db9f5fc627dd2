"""PDF pages out: :class:`PdfStreamWriter` streams one image per page straight into the output file
(Flate for grey and colour, CCITT group 4 for bi-level pages) and only keeps object offsets in
memory, so a thousand-page document costs no more RAM than one page. ``docclean.writer`` writes
PDFs through it; ``docclean.pdf`` reads them."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from PIL import Image

from docclean.group4 import group4_strip
from docclean.pdfunits import fit_box

#: A PDF page drawn without a scan's resolution is rendered at this (``docclean.pdf``), and a page
#: written without a dpi is placed at it.
DEFAULT_DPI = 300.0


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

