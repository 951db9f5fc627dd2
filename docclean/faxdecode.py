"""CCITT fax data (ITU T.4 and T.6, PDF's /CCITTFaxDecode, JBIG2's MMR regions) decoded with libtiff
to learn whether it is whole: :func:`decode` wraps the data in a one-strip TIFF and gives
what libtiff says decoding it.

libtiff through Pillow will not do: a group 4 strip that ends early decodes without an error, the
data's end told only by a warning ("Premature EOF at line 152"), and Pillow sets libtiff's warning
handlers to none before each decode (``docclean.tiffmessages`` collects errors only). So the strip
is decoded here, by the libtiff Pillow loaded, with handlers of its own for that one TIFF (libtiff
4.5's TIFFOpenOptions): no process-wide handler is touched, and threads do not see each other's
messages (``docclean.tiffclient``). It runs where that can be done (Linux on x86-64 or arm64, one
libtiff loaded: where a ``va_list`` formats with ``vsnprintf``); elsewhere nothing is decoded."""

from __future__ import annotations

import ctypes
import io
import itertools
import re
import struct
from dataclasses import dataclass

import numpy as np

from docclean import tiffclient

__all__ = ["Decoded", "Said", "available", "decode"]

#: TIFF Compression values: Modified Huffman with byte-aligned rows (PDF K 0 with EncodedByteAlign
#: and no EOLs), T.4 (group 3, 1-D or mixed 2-D) and T.6 (group 4).
MH, T4, T6 = 2, 3, 4
#: Bits of TIFF's T4Options tag: 2-D coding present; fill bits before each EOL.
T4_2D, T4_FILL = 1, 4
#: Messages kept per decode: a damaged page gives one or more per bad row (hundreds).
_KEPT = 50
#: What libtiff says of group 3 data without EOLs, which it then decodes all the same.
_WITHOUT_EOL = "Try to decode (read) fax Group 3 data without EOL"
_LINE = re.compile(rb" at line (\d+)")

@dataclass(frozen=True)
class Said:
    """One message of libtiff's (an error or a warning): its text and the row it names (0-based;
    None if none)."""

    text: str
    line: int | None


@dataclass(frozen=True)
class Decoded:
    """What libtiff said decoding CCITT data (no message: it is whole), and whether the data ends
    early (else what it said is of data gone bad)."""

    said: list[Said]
    ends_early: bool


def available() -> bool:
    """Whether CCITT data can be decoded here (see the module's docstring)."""
    return tiffclient.available()


def _tiff(data: bytes, width: int, height: int, compression: int, options: int) -> bytes:
    """A little-endian TIFF of one 1-bit strip: ``data``, coded as ``compression`` says (with
    ``options`` as its T4Options), ``width`` x ``height`` pixels."""
    entries = [(256, 4, width), (257, 4, height), (258, 3, 1), (259, 3, compression), (262, 3, 0),
               (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, len(data))]
    if compression == T4:
        entries.append((292, 4, options))
    start = 8 + 2 + 12 * len(entries) + 4  # the strip follows the header and the one IFD
    out = bytearray(b"II*\0" + struct.pack("<IH", 8, len(entries)))
    for tag, kind, value in entries:
        value = start if tag == 273 else value
        out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else
                                                    struct.pack("<I", value))
    return bytes(out + b"\0\0\0\0") + data


def _decode(data: bytes, width: int, height: int, compression: int, options: int) -> tuple[list[Said], bytes] | None:
    """(libtiff's messages decoding ``data``, the first few dozen and the last; the rows it decoded,
    packed), or None where it cannot be decoded here."""
    tiff = io.BytesIO(_tiff(data, width, height, compression, options))
    said: list[Said] = []

    def report(_module: bytes, message: bytes) -> None:
        line = _LINE.search(message)
        text = message.decode("utf-8", "replace").replace(" of strip 0", "")  # there is one
        if len(said) >= _KEPT:  # past the first few dozen, the last is kept: where the damage ends
            said.pop()
        said.append(Said(text, int(line[1]) if line else None))

    with tiffclient.opened(b"CCITT data", tiff.read, tiff.seek, len(tiff.getbuffer()), report) as tif:
        if tif is None:
            return None
        size = (width + 7) // 8 * height
        pixels = ctypes.create_string_buffer(size)
        tiffclient.library().TIFFReadEncodedStrip(tif, 0, pixels, size)  # -1 where it gave up, having said why
    return [message for message in said if not message.text.startswith(_WITHOUT_EOL)], pixels.raw


def decode(data: bytes, width: int, height: int, compression: int, options: int = 0) -> Decoded | None:
    """Decode the CCITT ``data`` of a ``width`` x ``height`` page as a TIFF strip of ``compression``
    (:data:`MH`, :data:`T4` with T4Options ``options``, :data:`T6`): what libtiff said of it and
    whether it ends early, or None where it cannot be decoded here. No message: the data holds the
    whole page ("Try to decode (read) fax Group 3 data without EOL", which libtiff then does, is no
    damage and left out).

    Whether the data ends early is not in the messages: libtiff reads on past the end as zero bits,
    which make any word ("Premature EOL", "Bad code word", or nothing at all). So damaged data is
    decoded again followed by a copy of itself: where libtiff reads past the end, the rows or the
    messages change there. The data ends early if they change where the damage begins (or a row
    before: a row the data ends in is told as the next one begins); data gone bad further up
    ends early only from garbage, and is bad."""
    plain = _decode(data, width, height, compression, options)
    if plain is None or not plain[0]:
        return None if plain is None else Decoded([], False)
    said, pixels = plain
    again = _decode(data + data, width, height, compression, options)
    if again is None:
        return Decoded(said, False)
    step = (width + 7) // 8
    other_said, other_pixels = again
    changed = np.flatnonzero((np.frombuffer(pixels, np.uint8).reshape(height, step)
                              != np.frombuffer(other_pixels, np.uint8).reshape(height, step)).any(axis=1))
    past = int(changed[0]) if len(changed) else None  # the first row decoded otherwise: read past the end
    for one, other in itertools.zip_longest(said, other_said):  # or the row of the first message that changed
        if one != other:
            line = (one or other).line
            past = past if line is None else line if past is None else min(past, line)
            break
    first = min((message.line for message in said if message.line is not None), default=None)
    return Decoded(said, past is not None and first is not None and first >= past - 1)
