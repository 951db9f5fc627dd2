"""Descriptive metadata (``docclean.metadata``) put where each output format keeps it: TIFF tags, an
EXIF block (JPEG, WebP), PNG text chunks, a PDF's document information dictionary. BMP has no place.

Every function returns nothing (None, ``b""``) when the fields hold nothing the format keeps, so
that such an output is written byte for byte as before; docclean names itself (Software,
Producer) only in an output that carries something. Text goes out as UTF-8 in TIFF and EXIF (their
ASCII type, as exiftool and most software write it), Latin-1 tEXt or UTF-8 iTXt in PNG, and
PDFDocEncoding's ASCII part or UTF-16 in PDF."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

from PIL import Image, TiffImagePlugin, TiffTags

from docclean import __version__
from docclean.metadata import (
    DATE_ORIGINAL_TAG,
    DATE_TIME_TAG,
    EXIF_IFD_TAG,
    IPTC_TAG,
    OFFSET_ORIGINAL_TAG,
    OFFSET_TAG,
    PAGE_NAME_TAG,
    PDF_KEYS,
    PNG_KEYWORDS,
    SOFTWARE_TAG,
    TIFF_TAGS,
    XMP_TAG,
    Fields,
)
from docclean.metadates import exif_date, exif_offset, pdf_date, png_date

__all__ = ["SOFTWARE", "add_exif", "pdf_info", "png_chunks", "tiff_info"]

#: How docclean names itself in the outputs that carry metadata (Software, Producer).
SOFTWARE = f"docclean {__version__}"


def _tags(fields: Fields) -> dict[int, str]:
    """The TIFF and EXIF IFD0 tags of ``fields`` (those present; Software, docclean's, is added apart)."""
    tags = {tag: getattr(fields, name) for tag, name in TIFF_TAGS.items() if tag != SOFTWARE_TAG}
    tags[DATE_TIME_TAG] = exif_date(fields.created) if fields.created else None
    return {tag: text for tag, text in tags.items() if text}


def tiff_info(fields: Fields) -> TiffImagePlugin.ImageFileDirectory_v2 | None:
    """The tags of one TIFF page (Pillow's ``tiffinfo``), or None when there are none to write."""
    tags = _tags(fields)
    if not tags and fields.xmp is None and fields.iptc is None:
        return None
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, text in {**tags, SOFTWARE_TAG: SOFTWARE}.items():
        ifd[tag] = text.encode("utf-8")  # bytes: Pillow would turn a str's other letters into "?"
        ifd.tagtype[tag] = TiffTags.ASCII
    for tag, block, kind in ((XMP_TAG, fields.xmp, TiffTags.BYTE), (IPTC_TAG, fields.iptc, TiffTags.UNDEFINED)):
        if block is not None:
            ifd[tag] = block
            ifd.tagtype[tag] = kind
    return ifd


def add_exif(exif: Image.Exif | None, fields: Fields) -> Image.Exif | None:
    """``exif`` (a resolution block, or None) with the fields' tags added: the IFD0 tags, Software,
    and DateTimeOriginal (with the OffsetTime tags where the date has a zone). ``exif`` itself when
    there is nothing to add."""
    tags = _tags(fields)
    tags.pop(PAGE_NAME_TAG, None)  # PageName is a TIFF page's, not an EXIF tag
    if not tags:
        return exif
    exif = exif if exif is not None else Image.Exif()
    for tag, text in {**tags, SOFTWARE_TAG: SOFTWARE}.items():
        exif[tag] = text.encode("utf-8")  # Pillow types each by its tag: ASCII
    if fields.created is not None:
        sub = exif.get_ifd(EXIF_IFD_TAG)
        sub[DATE_ORIGINAL_TAG] = exif_date(fields.created)
        offset = exif_offset(fields.created)
        if offset is not None:
            sub[OFFSET_TAG] = sub[OFFSET_ORIGINAL_TAG] = offset
    return exif


def png_chunks(fields: Fields) -> bytes:
    """The text chunks of ``fields`` for a PNG (``b""`` when none): the common fields, then the
    source PNG's own chunks (which replace a common field of the same keyword), then Software."""
    source = " ".join(part for part in (fields.make, fields.model) if part) or None
    texts = {keyword: getattr(fields, name) for keyword, name in PNG_KEYWORDS.items() if keyword != "Software"}
    texts |= {"Creation Time": png_date(fields.created) if fields.created else None, "Source": source}
    chunks = {keyword: text for keyword, text in texts.items() if text}
    chunks.update(fields.png_text)
    if not chunks:
        return b""
    chunks["Software"] = SOFTWARE
    return b"".join(_text_chunk(keyword, text) for keyword, text in chunks.items())


def _text_chunk(keyword: str, text: str) -> bytes:
    """One tEXt chunk (Latin-1 text), or an uncompressed iTXt chunk (any other text)."""
    name = keyword.encode("latin-1")
    try:
        kind, data = b"tEXt", name + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError:
        kind, data = b"iTXt", name + b"\0\0\0\0\0" + text.encode("utf-8")  # no compression, language, translation
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def insert_chunks(png: bytes, chunks: bytes) -> bytes:
    """``png`` with ``chunks`` put right after its header chunk (IHDR), before the image data."""
    if not chunks:
        return png
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    return png[:ihdr_end] + chunks + png[ihdr_end:]


def pdf_info(fields: Fields, now: datetime) -> bytes | None:
    """A PDF document information dictionary for ``fields``, or None when they hold nothing a PDF
    keeps. Producer is docclean (it produced every byte of the PDF; the input's Producer described
    a file that is not this one) and ModDate ``now``; Creator and CreationDate are the input's."""
    texts = {key: getattr(fields, name) for key, name in PDF_KEYS.items()}
    texts["CreationDate"] = pdf_date(fields.created) if fields.created else None
    entries = {key: text for key, text in texts.items() if text}
    if not entries:
        return None
    entries |= {"Producer": SOFTWARE, "ModDate": pdf_date(now)}
    return b"<< " + b" ".join(b"/%s %s" % (key.encode(), pdf_string(text)) for key, text in entries.items()) + b" >>"


def pdf_string(text: str) -> bytes:
    """A PDF text string: a literal string for printable ASCII, else UTF-16BE with its byte order mark."""
    if text.isascii() and text.isprintable():
        return b"(" + text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode("ascii") + b">"
