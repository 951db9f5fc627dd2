"""The descriptive metadata of raster images (``docclean.metadata``): the TIFF tags and EXIF block of
each page (TIFF, JPEG, WebP, and a PNG's eXIf chunk) and a PNG's text chunks.

Only headers are read. A PNG's text chunks are found by walking its chunks (past the image data,
where tEXt may follow it, without inflating it): Pillow reads those only by decoding every pixel."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from PIL import Image, TiffTags

from docclean.imagefile import _open, _page_frames  # the reader's own pages: thumbnails are none
from docclean.metadata import (
    DATE_ORIGINAL_TAG,
    DATE_TIME_TAG,
    EXIF_IFD_TAG,
    IPTC_TAG,
    MAX_BLOCK,
    MAX_TEXT,
    OFFSET_ORIGINAL_TAG,
    OFFSET_TAG,
    PNG_KEYWORDS,
    TIFF_TAGS,
    XMP_TAG,
    Fields,
    Metadata,
    clean_text,
    short_reason,
    with_fallbacks,
)
from docclean.metadates import parse_exif_date, parse_text_date

__all__ = ["read_raster_metadata"]

# Windows Explorer's own tags (UTF-16): read where the standard ones say nothing.
_XP_TAGS = {0x9C9B: "title", 0x9C9D: "author", 0x9C9F: "description", 0x9C9E: "keywords"}
# An XMP packet that turns the page (tiff:Orientation 2-8) is not carried: the page is upright now.
_XMP_TURNS = re.compile(rb"tiff:Orientation\s*(?:=\s*[\"']|>)\s*[2-8]")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_raster_metadata(path: Path) -> Metadata:
    """The metadata of a raster image: per page for a TIFF whose pages differ."""
    problems: list[str] = []
    with _open(path) as im:
        frames = _page_frames(im)
        pages = []
        for frame in frames:
            im.seek(frame)
            pages.append(_frame_fields(im, problems))
        png = im.format == "PNG"
    if png:
        pages = [with_fallbacks(_png_fields(path, problems), pages[0])]
    document = pages[0]
    differ = any(page != document for page in pages)
    return Metadata(document, tuple(pages) if differ else (), tuple(dict.fromkeys(problems)))


def _frame_fields(im: Image.Image, problems: list[str]) -> Fields:
    """The fields of the frame ``im`` is on: its EXIF (for a TIFF, its tags) and a TIFF's XMP and IPTC."""
    if im.format == "PNG" and "exif" not in im.info:
        return Fields()  # an eXIf chunk after the image data: Pillow would decode every pixel to find it
    try:
        exif = im.getexif()
        sub = exif.get_ifd(EXIF_IFD_TAG) if EXIF_IFD_TAG in exif else {}
    except Exception as exc:  # noqa: BLE001 - a damaged block costs its metadata, never the page
        problems.append(f"metadata: EXIF block left out ({short_reason(exc)})")
        return Fields()
    found: dict[str, object] = {}
    for tags, text in ((TIFF_TAGS, _exif_text), (_XP_TAGS, _xp_text)):
        for tag, name in tags.items():
            if found.get(name) or tag not in exif:
                continue
            try:
                found[name] = clean_text(text(exif[tag]))
            except ValueError as exc:
                problems.append(f"metadata: {TiffTags.lookup(tag).name} left out ({exc})")
    found["created"] = (parse_exif_date(sub.get(DATE_ORIGINAL_TAG), sub.get(OFFSET_ORIGINAL_TAG))
                        or parse_exif_date(exif.get(DATE_TIME_TAG), sub.get(OFFSET_TAG)))
    if im.format == "TIFF":
        found["xmp"] = _block(im, XMP_TAG, problems)
        found["iptc"] = _block(im, IPTC_TAG, problems)
        if found["xmp"] is not None and _XMP_TURNS.search(found["xmp"]):  # type: ignore[arg-type]
            found["xmp"] = None
    return Fields(**found)  # type: ignore[arg-type]


def _exif_text(value: object) -> object:
    """An EXIF ASCII value as text. Pillow reads its bytes as Latin-1, but the bytes are most often
    UTF-8 (what docclean, exiftool and most software write): read as such where they are."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value
    return value


def _xp_text(value: object) -> str | None:
    """A Windows XP tag's value (UTF-16LE bytes, NUL-terminated) as text."""
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    return value.decode("utf-16-le", "replace") if isinstance(value, bytes) else None


def _block(im: Image.Image, tag: int, problems: list[str]) -> bytes | None:
    """A TIFF tag's data as the bytes the file holds, None when absent. Pillow keeps them undecoded
    until asked (``_tagdata``): decoded, an IPTC block typed LONG, as Photoshop writes it, comes back
    as its first number alone (Pillow's table says one)."""
    tags = getattr(im, "tag_v2", None)
    if tags is None or tag not in tags:
        return None
    value = getattr(tags, "_tagdata", {}).get(tag)
    if not isinstance(value, bytes):
        value = tags[tag]
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    name = "XMP" if tag == XMP_TAG else "IPTC"
    if not isinstance(value, bytes):
        problems.append(f"metadata: {name} block left out (not a block of bytes)")
        return None
    if len(value) > MAX_BLOCK:
        problems.append(f"metadata: {name} block left out ({len(value):,} bytes, at most {MAX_BLOCK:,} are carried)")
        return None
    return value or None


def _png_fields(path: Path, problems: list[str]) -> Fields:
    """The fields of a PNG's text chunks, and the chunks themselves (its Software and ImageMagick's
    raw profiles, which hold EXIF, ICC and the like, left out)."""
    text = _png_text(path, problems)
    found: dict[str, object] = {}
    for keyword, value in text:
        name = PNG_KEYWORDS.get(keyword)
        if name is not None and name not in found:
            found[name] = value
        elif keyword == "Creation Time" and "created" not in found:
            found["created"] = parse_text_date(value)
    kept = tuple((k, v) for k, v in text if k != "Software" and not k.startswith("Raw profile type"))
    kept = tuple((k, v) for k, v in kept if k != "XML:com.adobe.xmp" or not _XMP_TURNS.search(v.encode()))
    return Fields(**found, png_text=kept)  # type: ignore[arg-type]


def _png_text(path: Path, problems: list[str]) -> list[tuple[str, str]]:
    """Every tEXt, zTXt and iTXt chunk of a PNG as (keyword, text), in file order. A chunk that is
    damaged (its checksum, its compression, its encoding) is left out and said in ``problems``."""
    found: list[tuple[str, str]] = []
    with open(path, "rb") as fh:
        if fh.read(8) != _PNG_SIGNATURE:
            return found
        while True:
            head = fh.read(8)
            if len(head) < 8:
                return found
            length, kind = struct.unpack(">I4s", head)
            if kind == b"IEND":
                return found
            if kind not in (b"tEXt", b"zTXt", b"iTXt") or length > MAX_BLOCK:
                fh.seek(length + 4, 1)
                continue
            data, crc = fh.read(length), fh.read(4)
            name = kind.decode()
            try:
                if len(crc) < 4 or zlib.crc32(kind + data) != int.from_bytes(crc, "big"):
                    raise ValueError("its checksum does not match")
                keyword, text = _text_chunk(kind, data)
                text = clean_text(text)
            except (ValueError, UnicodeError, zlib.error) as exc:
                problems.append(f"metadata: a PNG {name} chunk left out ({short_reason(exc)})")
                continue
            if keyword and text:
                found.append((keyword, text))


def _text_chunk(kind: bytes, data: bytes) -> tuple[str, str]:
    """(keyword, text) of one PNG text chunk's data (PNG specification 11.3.3)."""
    keyword, sep, rest = data.partition(b"\0")
    if not sep or not 1 <= len(keyword) <= 79:
        raise ValueError("no keyword")
    if kind == b"tEXt":
        return keyword.decode("latin-1"), rest.decode("latin-1")
    if kind == b"zTXt":
        if rest[:1] != b"\0":
            raise ValueError("unknown compression")
        return keyword.decode("latin-1"), _inflate(rest[1:]).decode("latin-1")
    if len(rest) < 2 or rest[1] != 0:
        raise ValueError("unknown compression")
    compressed = rest[0] == 1
    _language, _, rest = rest[2:].partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    return keyword.decode("latin-1"), (_inflate(text) if compressed else text).decode("utf-8")


def _inflate(data: bytes) -> bytes:
    """Inflate a compressed text, refusing one that grows past what is carried (a zip bomb)."""
    inflate = zlib.decompressobj()
    out = inflate.decompress(data, 4 * MAX_TEXT + 1)
    if len(out) > 4 * MAX_TEXT or inflate.unconsumed_tail:
        raise ValueError(f"a text of more than {MAX_TEXT:,} characters")
    return out
