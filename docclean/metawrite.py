"""Descriptive metadata (``docclean.metadata``) put where each output format keeps it: TIFF tags, an
EXIF block (JPEG, WebP), PNG text chunks, a PDF's document information dictionary. BMP has no place.

Every function returns nothing (None, ``b""``) when the fields hold nothing the format keeps, so
that such an output is written byte for byte as before; docclean names itself (Software,
Producer) only in an output that carries something. Text goes out as UTF-8 in TIFF and EXIF (their
ASCII type, as exiftool and most software write it), Latin-1 tEXt or UTF-8 iTXt in PNG, and
PDFDocEncoding's ASCII part or UTF-16 in PDF. A PDF gets the same fields as an XMP packet too (its
catalog's /Metadata): PDF 2.0 deprecates the information dictionary, and archives' tools read XMP."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from html import escape  # not xml.sax.saxutils: it imports urllib.request, ssl and email

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

__all__ = ["SOFTWARE", "add_exif", "pdf_info", "pdf_xmp", "png_chunks", "tiff_info"]

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


_XMP_HEAD = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
             '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<rdf:Description rdf:about="" '
             'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
             'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n')
_XMP_TAIL = '</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>'


def pdf_xmp(fields: Fields, now: datetime) -> bytes | None:
    """The XMP packet (UTF-8) that says what :func:`pdf_info` says for ``fields``, or None when that
    is nothing: dc:title, dc:description and dc:rights as language alternatives, dc:creator as a
    list (the author's names, as ``docclean.metaxmp`` joins them with "; "), pdf:Keywords,
    xmp:CreatorTool and xmp:CreateDate the input's; pdf:Producer docclean, xmp:ModifyDate and
    xmp:MetadataDate ``now``."""
    if not fields.created and not any(getattr(fields, name) for name in PDF_KEYS.values()):
        return None  # as pdf_info: nothing a PDF keeps
    lines = ["<dc:format>application/pdf</dc:format>"]
    for tag, text in (("dc:title", fields.title), ("dc:description", fields.description),
                      ("dc:rights", fields.copyright)):
        if text:
            lines.append(f'<{tag}><rdf:Alt><rdf:li xml:lang="x-default">{_xml(text)}</rdf:li></rdf:Alt></{tag}>')
    if fields.author:
        names = "".join(f"<rdf:li>{_xml(name)}</rdf:li>" for name in fields.author.split("; ") if name)
        lines.append(f"<dc:creator><rdf:Seq>{names}</rdf:Seq></dc:creator>")
    for tag, text in (("pdf:Keywords", fields.keywords), ("xmp:CreatorTool", fields.creator),
                      ("xmp:CreateDate", _xmp_date(fields.created) if fields.created else None),
                      ("pdf:Producer", SOFTWARE), ("xmp:ModifyDate", _xmp_date(now)),
                      ("xmp:MetadataDate", _xmp_date(now))):
        if text:
            lines.append(f"<{tag}>{_xml(text)}</{tag}>")
    return (_XMP_HEAD + "".join(f" {line}\n" for line in lines) + _XMP_TAIL).encode("utf-8")


def _xml(text: str) -> str:
    """``text`` as XML character data: markup escaped, and the characters XML 1.0 cannot hold
    (control characters but tab and line breaks, lone surrogates, U+FFFE, U+FFFF) left out."""
    kept = "".join(c for c in text if c in "\t\n\r" or (" " <= c and not "\ud800" <= c <= "\udfff"
                                                        and c not in "\ufffe\uffff"))
    return escape(kept, quote=False)


def _xmp_date(when: datetime) -> str:
    """``when`` as an XMP date (ISO 8601, to the second, with its zone when it has one)."""
    return when.replace(microsecond=0).isoformat()
