"""What a PDF page holds, found without rendering it: the resolution of the scan in it
(:func:`native_dpi`), whether its images' data decodes whole (:func:`image_damage`) and whether it
has searchable text (:func:`has_text`); of the whole document, the files attached to it, which its
cleaned pages do not carry (:func:`attachment_warning`). Call them with ``docclean.pdf``'s pdfium
lock held. The pages' /UserUnit, which pdfium cannot read, is ``docclean.pdfunits``'s.

pdfium draws what it cannot decode as flat grey or black, without a word; cleaned, that becomes
white paper, and a receipt whose JPEG was cut short comes out as a whole-looking receipt that ends
after the address. So before a page is rendered, each image's compressed data is checked the cheap
way: a Flate stream must inflate to its end marker (a checksum it has matching) and hold the rows
its image's size needs (unfiltered data too; ``docclean.pdfcheck`` reads the size), an image coded
with a filter PDF does not have is refused where pdfium cannot decode it, a JPEG must decode
(at 1/8 scale, which reads every bit of it but skips most of the inverse DCT), CCITT fax data
must decode to its last row
(``docclean.pdffax``), and a JBIG2 stream's segments must hold the data their headers declare
(``docclean.pdfjbig2``) and pdfium must decode it. What cannot be checked cheaply (JPEG 2000,
LZW and other chains, the CCITT codings libtiff does not share with pdfium, what JBIG2 segments
code arithmetically) is rendered as before, not refused."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from docclean import faxdecode
from docclean.jpegcheck import CUT, CannotCheck, jpeg_damage
from docclean.pdfcheck import PageCheck
from docclean.pdffax import fax_damage, parms_for
from docclean.pdfflate import inflate
from docclean.pdfjbig2 import jbig2_damage

# Native resolutions outside this range come from thumbnails or odd producers, not from scans.
NATIVE_DPI_RANGE = (72.0, 1200.0)
# An image must cover this share of the page to count as "the scan" of a scanned page.
SCAN_COVERAGE = 0.5
# On a scanned page, every image covering this share of the page is a layer of the scan, and the
# sharpest decides the resolution: an MRC page (a 50-dpi colour background under a 300-dpi text
# mask, or a mask cropped to the text block) is rendered at the text's 300 dpi, not the
# background's. A quarter keeps a text layer cropped to a half-page block and leaves out logos,
# stamps, signatures and thumbnails (a few % of the page), which must not raise a page's pixels.
LAYER_COVERAGE = 0.25
# Form XObjects nested deeper than this are not looked into (pdfium draws them all the same).
_DEPTH = 8
# Inline images name their filters with these abbreviations.
_ABBREVIATIONS = {"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
                  "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}
_SIMPLE = {"ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "FlateDecode", "RunLengthDecode"}
# Every filter PDF has: pdfium draws nothing of an image coded with another (a damaged name).
_FILTERS = _SIMPLE | {"CCITTFaxDecode", "JBIG2Decode", "DCTDecode", "JPXDecode", "Crypt"}
# The most deflate data inflates to: 258 bytes for each 2-bit code (zlib's technical details).
_DEFLATE_RATIO = 1032
# Attached files named in the warning about them; more are counted.
_NAMED = 5

Matrix = tuple[float, float, float, float, float, float]


def _times(inner: Matrix, outer: Matrix) -> Matrix:
    """The PDF matrix that applies ``inner``, then ``outer`` (row vectors, as PDF writes them)."""
    a, b, c, d, e, f = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def images(page: pdfium.PdfPage) -> Iterator[tuple[pdfium.PdfImage, Matrix]]:
    """Every image object of ``page`` (in form XObjects too) with the matrix that places its unit
    square on the page. pdfium gives an object inside a form its matrix in the form's space (the
    form's /Matrix applied, its placement on the page not), so the forms around it are applied."""
    forms: list[Matrix] = []  # forms[level]: the page matrix of the form being walked at that depth
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM], max_depth=_DEPTH):
        del forms[obj.level:]
        try:
            matrix = obj.get_matrix().get()
        except pdfium.PdfiumError:  # not seen; a form's objects are then taken as placed in it
            matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        if forms:
            matrix = _times(matrix, forms[-1])
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            forms.append(matrix)
        else:
            yield obj, matrix


def native_dpi(page: pdfium.PdfPage, unit: float = 1.0) -> float | None:
    """Resolution of a scanned page (one image covers half of it or more), or None if it is none.

    The resolution is the highest among the images that cover a quarter of the page or more
    (:data:`LAYER_COVERAGE`), each taken along its sharper axis: a 204 x 98 dpi fax renders at
    204 dpi, keeping every pixel of its rows (the page's size in points is the same either way).
    ``unit``: the page's /UserUnit (``docclean.pdfunits``); the resolution is per physical inch."""
    page_w, page_h = page.get_size()
    page_area = page_w * page_h
    largest, sharpest = 0.0, 0.0
    for obj, (a, b, c, d, _, _) in images(page):
        area = abs(a * d - b * c)  # a turned image (90 degrees, or a deskewed few) measures right
        across, up = math.hypot(a, b), math.hypot(c, d)  # its rows' and columns' lengths in points
        if area < LAYER_COVERAGE * page_area or not across or not up:
            continue
        px_w, px_h = obj.get_px_size()
        largest = max(largest, area)
        sharpest = max(sharpest, px_w * 72.0 / (across * unit), px_h * 72.0 / (up * unit))
    if largest < SCAN_COVERAGE * page_area or not sharpest:
        return None
    low, high = NATIVE_DPI_RANGE
    return float(min(max(round(sharpest), low), high))


def image_damage(page: pdfium.PdfPage, path: Path | None = None, check: PageCheck | None = None) -> str | None:
    """Why an image of ``page`` cannot be decoded whole ("truncated or incomplete image data (...)"
    or "corrupt image data (...)"), or None when every image that can be checked decodes.
    ``path``: the file the page is read from, where CCITT images' parameters are found (None: its
    CCITT images are not checked). ``check``: what ``docclean.pdfcheck`` read of the page, where
    the bytes its Flate and unfiltered images must hold are found (None: a bound that holds for
    any image, a byte per 8 pixels)."""
    for obj, _ in images(page):
        found = _damage(obj, path, check)
        if found is not None:
            reason, detail = found
            px_w, px_h = obj.get_px_size()
            return f"{reason} (a {px_w} x {px_h} image: {detail})"
    return None


def _damage(obj: pdfium.PdfImage, path: Path | None, check: PageCheck | None) -> tuple[str, str] | None:
    filters = [_ABBREVIATIONS.get(name, name) for name in obj.get_filters()]
    px_w, px_h = obj.get_px_size()
    unknown = next((name for name in filters if name not in _FILTERS), None)
    if unknown is not None:  # a damaged filter name: pdfium draws nothing of the image
        return ("corrupt image data", f"its data is coded with /{unknown}, a filter PDF does not have"
                ) if _undecodable(obj) else None
    huge = Image.MAX_IMAGE_PIXELS is not None and px_w * px_h > Image.MAX_IMAGE_PIXELS
    if filters in (["FlateDecode"], []):
        raw = bytes(obj.get_data(decode_simple=False))
        found = check.sizes.get((px_w, px_h, len(raw))) if check is not None else None
        least = found if found is not None else math.ceil(px_w / 8) * px_h
        if not filters or huge:  # huge: inflating it takes seconds, but data too short for it is told cheaply
            most = len(raw) * _DEFLATE_RATIO + 64 if filters else len(raw)
            data = f"its {'Flate ' if filters else ''}data ({len(raw):,} bytes)"
            return None if most >= least else (CUT[0], f"{data} cannot hold the {least:,} bytes its size needs")
        return _flate_damage(raw, least)
    if huge:
        return None  # beyond the pixel limit: Pillow would refuse, and decoding it takes seconds
    if not _SIMPLE.issuperset(filters[:-1]):
        return None  # a chain of more than the simple filters and one more: not checked
    # pdfium undoes the filters before the last (a Flate-packed JPEG) as it would to draw it.
    if filters[-1] == "DCTDecode":
        return _jpeg_damage(bytes(obj.get_data(decode_simple=len(filters) > 1)))
    if filters[-1] == "JBIG2Decode":
        return jbig2_damage(bytes(obj.get_data(decode_simple=len(filters) > 1))) or _undecodable(obj)
    if filters[-1] == "CCITTFaxDecode" and path is not None and faxdecode.available():
        raw = bytes(obj.get_data(decode_simple=False))
        parms = parms_for(path, px_w, px_h, raw)  # found in the file by the data's first bytes
        if parms is not None:
            return fax_damage(bytes(obj.get_data(decode_simple=True)) if len(filters) > 1 else raw, parms, px_w, px_h)
    return None  # JPEG 2000, LZW alone, CCITT data whose parameters are not known: not checked


def _undecodable(obj: pdfium.PdfImage) -> tuple[str, str] | None:
    """Where pdfium cannot decode an image at all, it draws nothing of it (a blank page) without a
    word: a JBIG2 image whose segments' lengths are right but whose content is not (zeros where a
    header or a region's size should be, a flipped byte in the page's width) passes
    :func:`jbig2_damage`'s walk, and one whose filter's name is damaged is not checked at all.
    Asking pdfium for the image's bitmap decodes it once more: with the walk, about what drawing the
    page costs (``bench/pdf_check_cost.py``), a few hundredths of cleaning it."""
    try:
        obj.get_bitmap(render=False)  # left to pypdfium2 to free: closing its foreign bitmap, it warns
    except pdfium.PdfiumError:
        return "corrupt image data", "pdfium cannot decode its JBIG2 data"
    return None


def _flate_damage(data: bytes, least: int) -> tuple[str, str] | None:
    """A Flate stream must inflate to its end marker, a checksum that is there must match (one that
    is missing is not asked for: pdfium draws such data whole; ``pdfflate.inflate``), and it must
    hold the ``least`` bytes its image's size needs: pdfium draws rows it lacks blank."""
    size, problem, cut = inflate(data)
    if problem is not None:
        return CUT[0] if cut else "corrupt image data", f"its Flate data {problem}"
    if size < least:
        return CUT[0], f"its Flate data holds {size:,} of the {least:,} bytes its size needs"
    return None


def _jpeg_damage(data: bytes) -> tuple[str, str] | None:
    """A JPEG must decode whole: ``docclean.jpegcheck`` reads all of its data (at 1/8 scale) with
    libjpeg's warnings taken as errors, so one cut short with its end marker put back, or with a
    damaged byte, is told, not only one that runs out of data. Bytes after its end marker (a
    phone's trailer, padding) are no damage: the decoder stops at the marker, as pdfium's does.
    One that lacks only its end marker holds the whole page (a standalone JPEG like it opens in
    every viewer; pdfium draws all of it but its last block, at the bottom right corner).

    What jpegcheck cannot judge (without simplejpeg, a 12-bit or lossless JPEG, what libjpeg-turbo
    gives up on) is decoded with Pillow at 1/8 scale, as before: it must not run out of data. A cut
    one and one lacking only its end marker are told apart by decoding it again with the marker put
    back, which fills what a cut one lacks with flat mid-grey (all its DCT coefficients zero): its
    last block, the last one decoded, tells them apart. A progressive JPEG decodes its first scans
    over the whole page, so without its end marker it is taken as cut."""
    start = data.find(b"\xff\xd8")  # pdfium, too, skips what comes before the start marker
    if start < 0:
        return "corrupt image data", "its JPEG data has no start marker"
    body = data[start:]
    try:
        return jpeg_damage(body)
    except CannotCheck:
        pass
    found = _decoded(body)
    if found != CUT:
        return found
    body = body.rstrip(b"\0\t\n\f\r ")
    if body.endswith(b"\xff\xd9"):  # its end marker is there: the data before it is cut
        return CUT
    return _decoded(body + b"\xff\xd9", last_block=True)


def _decoded(body: bytes, last_block: bool = False) -> tuple[str, str] | None:
    """Decode ``body`` at 1/8 scale: None when it decodes whole (or is no JPEG Pillow reads: 12-bit,
    lossless, pdfium's to draw, unchecked), :data:`docclean.jpegcheck.CUT` when the data runs out, else why not.
    With ``last_block``, a last block of flat mid-grey counts as the data running out."""
    try:
        im = Image.open(io.BytesIO(body), formats=["JPEG"])
    except Exception as exc:
        if isinstance(exc, OSError) and "truncated" in str(exc).lower():  # cut in its tables
            return CUT
        return None
    with im:
        if last_block and im.info.get("progressive"):
            return CUT
        im.draft(None, (max(1, im.width // 8), max(1, im.height // 8)))
        try:
            im.load()
        except OSError as exc:  # what libjpeg gives up on (pdfium's libjpeg too)
            if "truncated" in str(exc):
                return CUT
            return "corrupt image data", f"its JPEG data does not decode ({exc})"
        if last_block:
            last = im.getpixel((im.width - 1, im.height - 1))
            if all(abs(value - 128) <= 1 for value in (last if isinstance(last, tuple) else (last,))):
                return CUT
    return None


def has_text(page: pdfium.PdfPage) -> bool:
    """Whether ``page`` has searchable text (an OCR layer, or born-digital text): any character on
    pdfium's text page."""
    try:
        text = page.get_textpage()
    except pdfium.PdfiumError:  # a page pdfium cannot read text from has none to lose
        return False
    try:
        return text.count_chars() > 0
    finally:
        text.close()


def attachment_warning(doc: pdfium.PdfDocument) -> str | None:
    """What to say about the files attached to ``doc`` (its /EmbeddedFiles: a scan's notes, a chain
    of custody), which the cleaned file does not carry; None where there are none. Their names and
    count are read, not their data."""
    count = doc.count_attachments()
    if count <= 0:
        return None
    names = []
    for index in range(min(count, _NAMED)):
        try:
            name = doc.get_attachment(index).get_name()
        except pdfium.PdfiumError:
            name = ""
        names.append("".join(ch if ch.isprintable() else "?" for ch in name) or "unnamed")
    if count == 1:
        return f"1 file attached to the PDF ({names[0]}) is not carried into the cleaned file"
    more = f" and {count - _NAMED} more" if count > _NAMED else ""
    return f"{count} files attached to the PDF ({', '.join(names)}{more}) are not carried into the cleaned file"
