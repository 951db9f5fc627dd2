"""Flate data checked whole, as pdfium would draw it (:func:`inflate`): for the images
``docclean.pdfpage`` checks and the content streams ``docclean.pdfcheck`` checks."""

from __future__ import annotations

import zlib
from collections.abc import Callable

#: Bytes of output per inflate step: inflated data is passed on and dropped, never held whole
#: (steps that stay in the CPU's cache: 256 KiB inflated a 300-dpi page a fifth faster than 4 MiB).
INFLATE_STEP = 1 << 18
#: Bytes after a Flate stream's end that are padding, not a checksum.
_PADDING = b"\x00\t\n\x0c\r "


def inflate(data: bytes, sink: Callable[[bytes], None] | None = None) -> tuple[int, str | None, bool]:
    """(bytes zlib ``data``, as /FlateDecode holds it, inflates to; what is wrong with it, as
    "its Flate data ..." goes on, or None; whether that is its ending early). Each piece inflated is
    given to ``sink`` and dropped. Its Adler-32 checksum may be missing (some writers leave it out,
    and pdfium draws such data whole), but one that is there must match: data changed inside can
    inflate to its end marker, garbled. Fewer than 4 bytes after the end, or only whitespace and
    NULs (an end of line that /Length counts), are no checksum."""
    if len(data) < 2 or data[0] & 0x0F != 8 or (data[0] << 8 | data[1]) % 31:
        return 0, "has no zlib header", False
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    rest, size, adler = data[2:], 0, 1
    try:
        while rest and not inflater.eof:
            piece = inflater.decompress(rest, INFLATE_STEP)
            rest = inflater.unconsumed_tail
            size, adler = size + len(piece), zlib.adler32(piece, adler)
            if sink is not None:
                sink(piece)
        if not inflater.eof:
            piece = inflater.flush()  # what the last step held back for want of room
            size, adler = size + len(piece), zlib.adler32(piece, adler)
            if sink is not None:
                sink(piece)
    except zlib.error as exc:
        return size, f"does not inflate ({exc})", False
    if not inflater.eof:
        return size, "ends early", True
    tail = inflater.unused_data[:4]
    if len(tail) == 4 and tail != adler.to_bytes(4, "big") and tail.strip(_PADDING):
        return size, "does not match its checksum (incorrect data check)", False
    return size, None, False
