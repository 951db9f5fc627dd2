"""A scan's descriptive metadata, carried from an input file to its outputs.

:func:`read_metadata` reads what a file says about itself (headers only, never its pixels) into a
:class:`Metadata` record of common :class:`Fields`; ``docclean.metawrite`` puts each field where
an output format has a place for it, and ``docclean.writer.PageWriter`` writes it there.

Where each field is read from and written to (PDF Info key; TIFF tag, the same in EXIF; PNG text):

- title: Title; DocumentName (269); Title. Also read from EXIF XPTitle (Windows).
- author: Author; Artist (315); Author. Also read from EXIF XPAuthor.
- description: Subject; ImageDescription (270); Description. Also read from EXIF XPSubject.
- keywords: Keywords; none; none. Also read from EXIF XPKeywords.
- copyright: Copyright (a key of the Info dictionary's own; PDF has no standard one); Copyright
  (33432); Copyright.
- creator (the application that made the original): Creator; Software (305); Software. Written to
  PDF only: a TIFF, EXIF or PNG output's Software says docclean, a PDF's Producer too.
- created: CreationDate (ModDate is when docclean wrote it); DateTime (306), in EXIF also
  DateTimeOriginal, read first (with its OffsetTime); Creation Time.
- make, model (the scanner): none; Make (271), Model (272); Source (written only, as "Make Model").
- page name (per TIFF page): none; PageName (285); none.

A PDF's fields that its Info dictionary lacks (PDF 2.0 deprecates it) are read from its catalog's
XMP packet: dc:title, dc:creator, dc:description, pdf:Keywords, dc:rights, xmp:CreatorTool and
xmp:CreateDate (``docclean.metaxmp``).

Passed through to the same format only, as they were: a PNG's other text chunks (Comment,
Source, Disclaimer, ...) and a TIFF's XMP (700) and IPTC (33723) blocks. Never carried: colour
profiles (pixels are sRGB once read), orientation (applied on reading), resolution (written from
the page), thumbnails, camera settings, GPS, maker notes, ImageMagick's raw profiles, and an XMP
block that states an orientation (it would turn the upright page again).

An output whose input carries nothing its format keeps is written exactly as before, without even
docclean's own Software or Producer. Metadata never fails a run: a block that cannot be read is
left out and said in :attr:`Metadata.problems` (the batch tells it as a decoder-level warning,
shown with ``--verbose``), and a field in no known form (a date) is left out silently."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

from docclean import formats
from docclean.errors import InputError
from docclean.metadates import parse_pdf_date

__all__ = ["Fields", "Metadata", "read_metadata"]

#: Longest text value carried (characters), and longest XMP or IPTC block (bytes): what is longer
#: is no description but a payload, and a PNG's compressed text could inflate without end.
MAX_TEXT, MAX_BLOCK = 65_536, 4 << 20

# Where each field lives (the list above): the one table that ``docclean.metaraster`` reads with and
# ``docclean.metawrite`` writes with. Each mapping is in the order its fields are written.
#: TIFF tags, the same in EXIF's IFD0: tag -> field. Software (305) is read as ``creator``; an
#: output's Software names docclean. PageName (285) is a TIFF page's only: EXIF has no such tag.
TIFF_TAGS = {269: "title", 270: "description", 271: "make", 272: "model", 285: "page_name", 305: "creator",
             315: "author", 33432: "copyright"}
SOFTWARE_TAG, PAGE_NAME_TAG = 305, 285
#: The dates (DateTime in IFD0; DateTimeOriginal and the OffsetTime tags in the EXIF sub-IFD) and
#: the blocks passed through to TIFF (XMP, IPTC).
DATE_TIME_TAG, EXIF_IFD_TAG, DATE_ORIGINAL_TAG, OFFSET_TAG, OFFSET_ORIGINAL_TAG = 306, 0x8769, 36867, 36880, 36881
XMP_TAG, IPTC_TAG = 700, 33723
#: PNG text keywords: keyword -> field (Software as for TIFF; Creation Time, a date, apart).
PNG_KEYWORDS = {"Title": "title", "Author": "author", "Description": "description", "Copyright": "copyright",
                "Software": "creator"}
#: PDF document information keys: key -> field (CreationDate, a date, apart; Producer not carried).
PDF_KEYS = {"Title": "title", "Author": "author", "Subject": "description", "Keywords": "keywords",
            "Creator": "creator", "Copyright": "copyright"}


@dataclass(frozen=True)
class Fields:
    """What a file (or one page of a TIFF) says about itself; None where it says nothing."""

    title: str | None = None
    author: str | None = None
    description: str | None = None
    keywords: str | None = None
    copyright: str | None = None
    creator: str | None = None
    """The application that made the original (PDF Creator, TIFF/EXIF/PNG Software)."""
    created: datetime | None = None
    make: str | None = None
    model: str | None = None
    page_name: str | None = None
    png_text: tuple[tuple[str, str], ...] = ()
    """A PNG's text chunks as (keyword, text), written back to PNG only: all but its Software
    (docclean's, when written), ImageMagick's raw profiles and an XMP packet that turns the page."""
    xmp: bytes | None = None
    """A TIFF's XMP packet, byte for byte: written back to TIFF only."""
    iptc: bytes | None = None
    """A TIFF's IPTC block, byte for byte: written back to TIFF only."""


@dataclass(frozen=True)
class Metadata:
    """The metadata of one input file: ``document`` for the file as a whole, and ``pages`` where a
    TIFF's pages say different things (page i of the output gets ``pages[i]``)."""

    document: Fields = field(default_factory=Fields)
    pages: tuple[Fields, ...] = ()
    problems: tuple[str, ...] = ()
    """Blocks that could not be read and were left out, one line each."""

    def page(self, index: int) -> Fields:
        """The fields of page ``index`` (0-based); the document's where pages do not differ."""
        return self.pages[index] if 0 <= index < len(self.pages) else self.document

    def only(self, index: int) -> Metadata:
        """The metadata of a single-page output made of page ``index``."""
        return Metadata(self.page(index))


NONE = Metadata()


def read_metadata(path: str | Path) -> Metadata:
    """The descriptive metadata of an input file (PDF or raster image), from its headers only.

    Never raises for a file's content: a file that cannot be opened at all gives no metadata (its
    pages, read next, say why), and a metadata block that cannot be read is left out and named in
    :attr:`Metadata.problems`."""
    from docclean.metaraster import read_raster_metadata

    path = Path(path)
    try:
        if formats.by_suffix(path) is formats.by_name("pdf"):
            return _read_pdf(path)
        return read_raster_metadata(path)
    except (InputError, OSError):
        return NONE  # the file itself is unreadable: reading its pages reports that, once
    except Exception as exc:  # noqa: BLE001 - metadata must never fail a run
        return Metadata(problems=(f"metadata not carried over: {short_reason(exc)}",))


def short_reason(exc: BaseException) -> str:
    """A one-line reason for a metadata block that could not be read."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def clean_text(value: object) -> str | None:
    """A metadata text as carried: NULs and surrounding blanks removed, None when empty or no text.
    A value over :data:`MAX_TEXT` characters raises ValueError (the caller says it is left out)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\0", " ").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"a text of {len(text):,} characters (at most {MAX_TEXT:,} are carried)")
    return text or None


def _read_pdf(path: Path) -> Metadata:
    """The document information dictionary of a PDF (its Producer is not carried: docclean
    produces the output PDF, and says so), and where it lacks a field, the XMP packet
    (``docclean.metaxmp``)."""
    from docclean.pdf import _PDFIUM, _open  # the one lock every pdfium call holds

    with _PDFIUM:
        doc = _open(path)
        try:
            info = {key: doc.get_metadata_value(key) for key in (*PDF_KEYS, "CreationDate")}
        finally:
            doc.close()
    problems: list[str] = []
    found = {}
    for key, value in info.items():
        try:
            found[key] = clean_text(value)
        except ValueError as exc:
            problems.append(f"metadata: PDF {key} left out ({exc})")
    document = Fields(**{name: found[key] for key, name in PDF_KEYS.items()},
                      created=parse_pdf_date(found["CreationDate"]))
    if None in (getattr(document, name) for name in (*PDF_KEYS.values(), "created")):
        from docclean.metaxmp import pdf_xmp_fields  # what /Info lacks (a PDF 2.0 writer's): from XMP

        xmp, said = pdf_xmp_fields(path)
        document = with_fallbacks(document, xmp)
        problems += said
    return Metadata(document, problems=tuple(problems))


def with_fallbacks(primary: Fields, fallback: Fields) -> Fields:
    """``primary`` with each field it lacks taken from ``fallback``."""
    return replace(primary, **{f.name: getattr(fallback, f.name) for f in fields(primary)
                               if not getattr(primary, f.name) and getattr(fallback, f.name)})
