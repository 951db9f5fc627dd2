"""CCITT group 4 (T.6) coding of bi-level pages: the one encoder behind the TIFF and PDF writers.

Both outputs hold the same coding, the fax convention: ink coded as black runs. :func:`encode_group4`
gives a whole one-page TIFF tagged min-is-white (``docclean.writer``'s 1-bit TIFF pages);
:func:`group4_strip` gives the bare coded data of the page in one strip, what a PDF image with
``/Filter /CCITTFaxDecode`` holds (``docclean.pdf``; with PDF's default ``/BlackIs1 false`` the black
runs are drawn black). Both come from one libtiff encoding, made by :func:`_ink_tiff`."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

import numpy as np
from PIL import Image

_PHOTOMETRIC = 262  # TIFF's PhotometricInterpretation tag
_STRIP_OFFSETS = 273
_STRIP_BYTE_COUNTS = 279
_SHORT, _LONG = 3, 4  # TIFF field types


def encode_group4(im: Image.Image, **params: object) -> bytes:
    """A one-page TIFF of the mode "1" image ``im`` in CCITT group 4, PhotometricInterpretation
    min-is-white (``params``: Pillow's TIFF options, ``dpi``, ``tiffinfo``).

    Min-is-white is the convention of bilevel documents (TIFF Class F, fax; what scanners, ScanTailor
    and unpaper write), and readers that assume it show a min-is-black page, Pillow's default for mode
    "1", inverted. Pillow writes min-is-white when asked (``tiffinfo={262: 0}``) but then inverts the
    page pixel by pixel in Python, 1.2 s for an A4 page at 300 dpi; so the page is inverted here with
    numpy and written as min-is-black (the group 4 coder codes 1 bits as black runs, whatever the tag
    says: these are the bytes of the min-is-white page), and only the tag is changed."""
    data = bytearray(_ink_tiff(im, **params))
    order = _byte_order(data)
    for at, tag, kind, count in _entries(data):
        if tag == _PHOTOMETRIC and kind == _SHORT and count == 1:  # one SHORT, held in the entry itself
            struct.pack_into(order + "H", data, at + 8, 0)  # WhiteIsZero
            return bytes(data)
    raise ValueError("the group 4 encoder wrote no PhotometricInterpretation tag")


def group4_strip(im: Image.Image) -> bytes:
    """The CCITT group 4 data of the mode "1" image ``im``, ink coded as black runs, all its rows in
    one strip (PDF's ``/K -1 /Columns im.width /Rows im.height``, the strip ending in libtiff's EOFB):
    the strip of :func:`encode_group4`'s TIFF written with a single strip. Decoded as the fax
    convention has it (black runs black: PDF's ``/BlackIs1 false``), it is the page."""
    width, height = im.size
    # One strip: Pillow sizes strips by their uncompressed bytes, a row being ceil(width / 8) of them.
    data = _ink_tiff(im, strip_size=(width + 7) // 8 * height)
    values: dict[int, int] = {}
    for at, tag, kind, count in _entries(data):
        if tag in (_STRIP_OFFSETS, _STRIP_BYTE_COUNTS):
            if count != 1:
                raise ValueError(f"the group 4 encoder wrote {count} strips, not one")
            if kind not in (_SHORT, _LONG):
                raise ValueError(f"the group 4 encoder wrote tag {tag} as TIFF field type {kind}")
            values[tag] = struct.unpack_from(_byte_order(data) + ("H" if kind == _SHORT else "I"), data, at + 8)[0]
    if len(values) != 2:
        raise ValueError("the group 4 encoder wrote no strip offset or size")
    offset = values[_STRIP_OFFSETS]
    return data[offset: offset + values[_STRIP_BYTE_COUNTS]]


def _ink_tiff(im: Image.Image, **params: object) -> bytes:
    """The page inverted with numpy (ink as 1 bits, which the coder codes as black runs) and saved by
    Pillow's libtiff writer as a one-page group 4 TIFF, tagged min-is-black (``params``: Pillow's TIFF
    options)."""
    buf = io.BytesIO()
    Image.fromarray(~np.asarray(im, dtype=bool)).save(buf, "TIFF", compression="group4", **params)
    return buf.getvalue()


def _byte_order(data: bytes | bytearray) -> str:
    """The struct byte order of a TIFF: "<" for "II", ">" for "MM"."""
    return "<" if data[:2] == b"II" else ">"


def _entries(data: bytes | bytearray) -> Iterator[tuple[int, int, int, int]]:
    """(offset, tag, field type, count) of each entry of a TIFF's first IFD."""
    order = _byte_order(data)
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    (entries,) = struct.unpack_from(order + "H", data, ifd)
    for at in range(ifd + 2, ifd + 2 + 12 * entries, 12):
        tag, kind, count = struct.unpack_from(order + "HHI", data, at)
        yield at, tag, kind, count
