"""Whether a JPEG stream decodes whole, told before anything is drawn from it.

libjpeg fills what it cannot decode without a word through Pillow or pdfium: data cut short (even
with its end marker put back) comes out as flat grey, a damaged byte as a smeared band, and a 2 KB
file whose header claims 10000 x 10000 pixels as a page of decoder fill, which cleaning turns into
white paper. libjpeg does say so, as a warning: :func:`jpeg_damage` decodes the stream with
simplejpeg (libjpeg-turbo) at 1/8 scale, which reads every bit of the entropy-coded data but skips
most of the inverse DCT and holds only an eighth-by-eighth picture (a 300-dpi A4 page: 0.02 s
baseline, 0.07 s progressive, where Pillow's full decode takes 0.02-0.11 s), with libjpeg's
warnings raised as errors, and sorts the first warning into damage or not. A header that claims
more 8 x 8 blocks than the data has bits (Huffman coding spends at least one on each) is cut short
without a decode: that 10000 x 10000 header is refused at once, where a progressive decode would
first hold 2 bytes a pixel.

Damage (libjpeg-turbo's jerror.h): JWRN_HIT_MARKER, the data of a scan ends before its last block
(cut short, or a damaged byte made the decoder read past it); JWRN_JPEG_EOF, the file ends with
no end marker (a JPEG that lacks only the marker is told apart: see :func:`_missing_end`);
JWRN_HUFF_BAD_CODE and JWRN_ARITH_BAD_CODE; JWRN_MUST_RESYNC, a restart interval lost;
JWRN_BOGUS_PROGRESSION, a progressive scan refining coefficients no scan began; and
JWRN_EXTRANEOUS_DATA before any marker but the end marker, data a restart interval or a scan did
not use: a damaged byte's trace (a fifth of random single-byte changes to a JPEG with restart
markers said only that, a tenth of those to a progressive one), which no encoder is known to write.

No damage: JWRN_EXTRANEOUS_DATA before the end marker (0xd9): bytes after the last block of the
last scan, which every block was decoded before; scanners and cameras pad there. Not judged (the
caller decodes as before): the warnings about headers (an unknown JFIF revision or Adobe
transform, odd SOS parameters, a bad ICC marker: the decoder cannot go on to check the data after
them), anything libjpeg-turbo gives up on (its fatal errors: what Pillow cannot decode either
fails there, in Pillow's words), junk between the header's segments, and what simplejpeg's 8-bit,
scaled decode cannot or must not take: 12-bit and lossless JPEGs (scaling a lossless one writes
past simplejpeg's buffer: it crashed the process here), hierarchical ones, and any JPEG when
simplejpeg is not installed. simplejpeg is imported on first use, never at start-up.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["CUT", "CannotCheck", "available", "jpeg_damage"]

#: What :func:`jpeg_damage` says of a JPEG whose data ends early.
CUT = ("truncated or incomplete image data", "its JPEG data ends early")
_CORRUPT = "corrupt image data"

_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
# Start-of-frame markers: every 0xcN but DHT (c4), JPG (c8) and DAC (cc).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# The ones checked: baseline, extended and progressive, Huffman or arithmetic coded. Not lossless
# (c3, cb; its decoder ignores the scale) nor hierarchical (c5-c7, cd-cf; libjpeg has none).
_CHECKED = frozenset({0xC0, 0xC1, 0xC2, 0xC9, 0xCA})
_PROGRESSIVE = frozenset({0xC2, 0xCA})
# Huffman coded: every 8 x 8 block of every component costs at least one bit (its DC code in the
# scan that brings its DC value), where arithmetic coding may spend less.
_HUFFMAN = frozenset({0xC0, 0xC1, 0xC2})
# Markers that stand alone, with no length: TEM and the restart markers.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# What may follow a JPEG that lacks its end marker without being more of it (as pdfium reads it).
_PADDING = b"\0\t\n\f\r "

# libjpeg-turbo's warnings, as jerror.h words them.
_HIT_MARKER = "Corrupt JPEG data: premature end of data segment"
_JPEG_EOF = "Premature end of JPEG file"
_DAMAGE = ("Corrupt JPEG data: bad Huffman code", "Corrupt JPEG data: bad arithmetic code",
           "Corrupt JPEG data: found marker", "Inconsistent progression sequence")
_EXTRANEOUS = re.compile(r"Corrupt JPEG data: \d+ extraneous bytes before marker 0x([0-9a-fA-F]{2})")


class CannotCheck(Exception):
    """:func:`jpeg_damage` cannot judge this JPEG (the message says why): decode it as before."""


class _Header(NamedTuple):
    sof: int  # the start-of-frame marker's second byte (0xc0 baseline, 0xc2 progressive, ...)
    blocks: int  # 8 x 8 blocks of all its components
    scan: int  # where the first SOS marker is


def available() -> bool:
    """Whether simplejpeg can be imported (it is a dependency; a stripped install may lack it)."""
    return _decoder() is not None


@functools.cache
def _decoder() -> Callable[..., object] | None:
    try:
        import simplejpeg  # imported here: `docclean --help` must not pay for it
    except Exception:  # noqa: BLE001 - not installed, or built for another numpy (ValueError): no check
        return None
    return simplejpeg.decode_jpeg


def jpeg_damage(data: bytes) -> tuple[str, str] | None:
    """Why the JPEG stream ``data`` (starting at its start marker) does not decode whole, as
    (reason, detail): ("truncated or incomplete image data", "its JPEG data ends early") or
    ("corrupt image data", 'libjpeg says "..."'); None when it does. Bytes after its end marker
    are not looked at. Raises :class:`CannotCheck` where it cannot tell (see the module's
    docstring)."""
    header = _header(data)
    if header.sof in _HUFFMAN and 8 * (len(data) - header.scan) < header.blocks:
        return CUT  # too few bits for the blocks its header claims (see the module's docstring)
    said = _decode(data)
    if said is None:
        return None
    if _JPEG_EOF in said:
        return _missing_end(data, header)
    return _judged(said)


def _judged(said: str) -> tuple[str, str] | None:
    """What libjpeg's first warning ``said`` tells of the data; CannotCheck where nothing."""
    if _HIT_MARKER in said:
        return CUT
    extraneous = _EXTRANEOUS.search(said)
    if extraneous is not None:
        # Before the end marker: every block was decoded first (padding). Before another marker:
        # a restart interval or a scan held data its blocks did not use.
        return None if int(extraneous.group(1), 16) == _EOI else (_CORRUPT, f'libjpeg says "{said}"')
    if any(words in said for words in _DAMAGE):
        return _CORRUPT, f'libjpeg says "{said}"'
    raise CannotCheck(said)


def _missing_end(data: bytes, header: _Header) -> tuple[str, str] | None:
    """The data ran out before an end marker. A JPEG that lacks only the marker holds the whole
    page (every viewer, pdfium included, draws it), a cut one does not; with the marker put back,
    the decoder meets it before the last block of a cut one and says so, and decodes a whole one
    without a word. A JPEG of several scans (progressive) may be cut between two of them, whole
    with the marker put back but missing what the later scans refine: taken as cut, as is one
    whose marker is there (the data before it is cut, or a segment's length runs past it)."""
    body = data.rstrip(_PADDING)
    if body.endswith(b"\xff\xd9") or header.sof in _PROGRESSIVE or body.find(b"\xff\xda", header.scan + 2) >= 0:
        return CUT
    said = _decode(body + b"\xff\xd9")
    if said is None:
        return None
    try:
        found = _judged(said)
    except CannotCheck:
        found = CUT
    return None if found is None else CUT


def _header(data: bytes) -> _Header:
    """Walk the header's segments from the start marker to the first scan: the frame's kind and
    precision, and where the scan starts. CannotCheck for what is not to be decoded here (see the
    module's docstring), and where the walk fails (cut in the header, junk between segments):
    libjpeg and Pillow say what is wrong with those."""
    if not data.startswith(b"\xff\xd8"):
        raise CannotCheck("no start marker")
    pos, sof, precision, blocks = 2, None, 0, 0
    while True:
        if pos + 1 >= len(data) or data[pos] != 0xFF:
            raise CannotCheck("its header's segments do not follow one another")
        while pos + 1 < len(data) and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 1 >= len(data):
            raise CannotCheck("its header is cut short")
        marker = data[pos + 1]
        if marker == 0:  # a stuffed 0xff: libjpeg skips it as junk, so its walk and this one part
            raise CannotCheck("its header's segments do not follow one another")
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (_SOI, _EOI) or pos + 4 > len(data):
            raise CannotCheck("no scan")
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in _SOF:
            if sof is not None or pos + 10 > len(data) or pos + 10 + 3 * data[pos + 9] > len(data):
                raise CannotCheck("a second frame header, or a cut one")
            sof, precision = marker, data[pos + 4]
            blocks = _blocks(data[pos + 5:pos + 10 + 3 * data[pos + 9]])
        elif marker == _SOS:
            if sof is None:
                raise CannotCheck("a scan before its frame header")
            if sof not in _CHECKED or precision != 8:
                raise CannotCheck(f"an unchecked kind of JPEG (SOF 0x{sof:02x}, {precision}-bit)")
            if _decoder() is None:
                raise CannotCheck("simplejpeg is not installed")
            return _Header(sof, blocks, pos)
        if length < 2:
            raise CannotCheck("a segment of no length")
        pos += 2 + length


def _blocks(frame: bytes) -> int:
    """The 8 x 8 blocks of every component of a frame header (from its height on), each at its
    sampling factors' share of the page."""
    height, width, count = int.from_bytes(frame[0:2], "big"), int.from_bytes(frame[2:4], "big"), frame[4]
    factors = [(byte >> 4, byte & 15) for byte in frame[6:5 + 3 * count:3]]
    most_h, most_v = max((h for h, _ in factors), default=1) or 1, max((v for _, v in factors), default=1) or 1
    return sum(_ceil(_ceil(width * h, most_h), 8) * _ceil(_ceil(height * v, most_v), 8) for h, v in factors)


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _decode(data: bytes) -> str | None:
    """Decode ``data`` to grey at 1/8 scale, libjpeg's warnings raised: None when it decodes
    without one, else what libjpeg said (its first warning, or its fatal error)."""
    decode = _decoder()
    assert decode is not None  # _header checked
    try:
        # The smallest size of at least 1 x 1 is 1/8 scale (simplejpeg scales only to a min_height or
        # min_width: min_factor=8 alone decodes at full size).
        decode(data, colorspace="GRAY", min_height=1, min_width=1, strict=True)
    except ValueError as exc:
        return " ".join(str(exc).split())
    except Exception as exc:  # noqa: BLE001 - an older simplejpeg (no strict), no memory: no verdict
        raise CannotCheck(f"simplejpeg: {type(exc).__name__}: {exc}") from None
    return None
