"""A PDF image's JBIG2 data (/JBIG2Decode, ITU T.88 in PDF's embedded organization: segments, each a
header and the data it declares) checked before pdfium draws it: :func:`jbig2_damage`.

pdfium draws a JBIG2 region whose data is cut short as far as it got and leaves the rest white, the
paper colour, without a word: a page cut at half comes out a whole-looking page with its lower half
blank. Nothing can decode JBIG2 here (Pillow has no decoder, jbig2dec is no Python package), but its
segments can be walked: each header says how many bytes of data follow, and a stream that holds
fewer was cut; a first header of no segment type, or one T.88 forbids, is bad (pdfium draws
nothing of such a stream), and what follows the end of the page is not read (nor by pdfium). A
region coded with MMR (T.6, group 4) is decoded too, as CCITT data (``docclean.faxdecode``), which
finds it bad as well as cut. What a segment codes arithmetically (most generic regions, symbol
dictionaries, text regions) is checked for its length only: it can be bad with every length right,
and pdfium draws it garbled. The /JBIG2Globals stream, which pdfium reads but does not give out,
is not checked."""

from __future__ import annotations

import struct

from docclean import faxdecode

__all__ = ["jbig2_damage"]

#: T.88's segment types (7.3); a header of another is one gone bad.
SEGMENT_TYPES = frozenset({0, 4, 6, 7, 16, 20, 22, 23, 36, 38, 39, 40, 42, 43, 48, 49, 50, 51, 52, 53, 62})
#: Immediate generic regions, the ones MMR data is decoded for (intermediate ones are refined later).
_GENERIC = (38, 39)
#: The data length of an immediate generic region whose end is found by a marker instead.
_UNKNOWN_LENGTH = 0xFFFFFFFF
#: Bytes of a region's information field and of a generic region's flags that precede its data.
_REGION_INFO, _GENERIC_FLAGS = 17, 1
#: The most pixels of a region decoded (32 MiB of bits): larger is no page's, and is not checked.
_MAX_REGION = 1 << 28
_CUT = ("truncated or incomplete image data", "its JBIG2 data ends early")
#: The segment types that end a page, a stripe, the file: a cut header of one held no data.
_ENDS = (49, 50, 51)
#: The segment types after which nothing is read: the end of the page, of the file.
_LAST = (49, 51)
_BAD = "corrupt image data"


def _header(data: bytes, at: int) -> tuple[int, int, int, int] | None:
    """(segment number, type, header length, declared data length) of the segment header at
    ``at``, or None where ``data`` ends inside it. Raises ValueError for a header T.88 forbids
    (one of 5 or 6 referred-to segments)."""
    if at + 6 > len(data):
        return None
    number, flags, referred = struct.unpack_from(">IBB", data, at)
    kind, long_page = flags & 0x3F, flags & 0x40
    count, size = referred >> 5, 1
    if count in (5, 6):
        raise ValueError("a segment header with a forbidden number of referred-to segments")
    if count == 7:  # the long form: a 29-bit count, then a bit per segment and itself, in whole bytes
        if at + 9 > len(data):
            return None
        count = struct.unpack_from(">I", data, at + 5)[0] & 0x1FFFFFFF
        size = 4 + (count + 8) // 8
    width = 1 if number <= 256 else 2 if number <= 65536 else 4  # of each referred-to segment's number
    length_at = at + 5 + size + count * width + (4 if long_page else 1)
    if length_at + 4 > len(data):
        return None
    return number, kind, length_at + 4 - at, struct.unpack_from(">I", data, length_at)[0]


def jbig2_damage(data: bytes) -> tuple[str, str] | None:
    """Why the JBIG2 ``data`` (an embedded stream) cannot be decoded whole, as ("truncated or
    incomplete image data" or "corrupt image data", why), or None when its segments hold their data
    (and its MMR regions decode) or it cannot be checked."""
    at, previous = 0, None
    while at < len(data):
        try:
            header = _header(data, at)
        except ValueError as exc:
            return _BAD, f"its JBIG2 data has {exc}"
        if header is None:  # the data ends inside a header: a cut one, or bytes after the last segment
            rest = data[at:]
            if previous is None:  # not even one segment: a stream cut to a few bytes (or only blanks)
                return _CUT if rest.strip(b"\0\t\n\f\r ") else None
            if not rest.strip(b"\0") or rest[:4] != struct.pack(">I", previous + 1)[:len(rest[:4])]:
                # Padding, a line end: pdfium reads no further either. Zero bytes alone are taken as
                # padding, though a header cut in its segment number's leading zeros begins so too.
                return None
            if len(rest) > 4 and (rest[4] & 0x3F in _ENDS or rest[4] & 0x3F not in SEGMENT_TYPES):
                return None  # the end of the page, a stripe or the file (no data was to follow), or no header
            return _CUT  # the next segment, cut in its header
        number, kind, size, length = header
        if kind not in SEGMENT_TYPES and previous is None:  # pdfium skips one later, but draws nothing of this
            return _BAD, f"its JBIG2 data has a segment header of unknown type {kind}"
        if length == _UNKNOWN_LENGTH:
            return None  # a region that ends at a marker: the rest is not walked
        mmr = _mmr(data[at + size: at + size + length]) if kind in _GENERIC else None
        if isinstance(mmr, tuple):
            return mmr
        if at + size + length > len(data) and mmr is not True:
            return _CUT  # (an MMR region cut that decodes whole lacks only its end of block: pdfium draws it whole)
        if kind in _LAST:
            return None  # pdfium reads no further: bytes after it are no damage
        at, previous = at + size + length, number
    return None


def _mmr(region: bytes) -> tuple[str, str] | bool | None:
    """Whether an immediate generic region's MMR data decodes whole: True, or why not; None where it
    is coded arithmetically or cannot be decoded here."""
    if len(region) < _REGION_INFO + _GENERIC_FLAGS or not region[_REGION_INFO] & 1:  # MMR bit clear
        return None
    width, height = struct.unpack_from(">II", region)
    if not 0 < width * height <= _MAX_REGION:
        return None
    decoded = faxdecode.decode(region[_REGION_INFO + _GENERIC_FLAGS:], width, height, faxdecode.T6)
    if decoded is None:
        return None
    if not decoded.said:
        return True
    if decoded.ends_early:
        return _CUT
    return _BAD, f"its JBIG2 data does not decode (libtiff: {decoded.said[0].text})"
