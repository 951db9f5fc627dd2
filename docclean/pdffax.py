"""A PDF image's CCITT fax data (/CCITTFaxDecode: the usual coding of bilevel archive scans) checked
before pdfium draws it: :func:`fax_damage`.

pdfium draws the rows its fax decoder finds no data for black, and rows it cannot decode garbled,
without a word: a group 4 page cut at half comes out with its lower half black, which cleaning
keeps or whitens into paper. So the data is decoded first with libtiff (``docclean.faxdecode``),
which says where it goes bad or ends early, with the image's /DecodeParms: pdfium reads them but
does not give them out, so :func:`fax_parms` finds them in the file, by the first bytes of the data.

Checked is what libtiff decodes as pdfium does: group 4 (K < 0); group 3 (K >= 0) with an EOL
before each row (fill bits or not); 1-D group 3 without EOLs, unaligned (an RTC after the rows is
dropped first: libtiff decodes such rows only where it finds no EOL at all) or byte-aligned
(Modified Huffman). Drawn unchecked, as before: group 4 aligned by rows (libtiff has no such
coding) or with EOLs (libtiff's group 4 decoder takes none), 2-D group 3 without EOLs (whether each
row has its tag bit is not agreed on), a /Columns other than the image's width or /Rows other than
its height, parameters given by reference, inline images (their parameters lie in the compressed
content stream), encrypted files (the file holds other bytes than pdfium decodes), and wherever
``docclean.faxdecode`` cannot decode."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from docclean import faxdecode
from docclean.fileid import file_version, find_all
from docclean.pdfunits import quiet_pypdf

__all__ = ["FaxParms", "fax_damage", "fax_parms", "parms_for"]

#: Bytes of an image's data that find its dictionary in the file: the first 64. Scans with the same
#: first rows share them (a blank top margin codes alike), which is harmless as long as their
#: parameters are the same too; where they are not, neither image is checked.
KEY_BYTES = 64
#: How far before its filter's name an image's dictionary may begin, and after it its data.
_REACH = 4096
#: Bytes the file is read in.
_CHUNK = 4 << 20
_FILTER = b"CCITTFaxDecode"
_CUT = ("truncated or incomplete image data", "its CCITT data ends early")
_UNKNOWN = object()  # parameters that cannot be told
#: An EOL's zero bits before its 1: more zeros than a row's codes can hold in a row.
_EOL_ZEROS = 11


@dataclass(frozen=True)
class FaxParms:
    """An image's CCITT /DecodeParms that bear on decoding it (BlackIs1 and EndOfBlock do not:
    the one inverts the page, the other is read past; EndOfLine only says whether EOLs are required,
    and they are looked for in the data)."""

    k: int = 0
    columns: int = 1728
    rows: int = 0
    byte_align: bool = False
    damaged_rows: int = 0  #: DamagedRowsBeforeError: rows of group 3 data allowed to be bad


Key = tuple[int, int, bytes]


def parms_for(path: Path, width: int, height: int, raw: bytes) -> FaxParms | None:
    """The parameters of the ``width`` x ``height`` CCITT image in ``path`` whose data (as the file
    holds it) is ``raw``, or None where they cannot be told (:func:`fax_parms`)."""
    found = fax_parms(path)
    if len(raw) >= KEY_BYTES:
        return found.get((width, height, raw[:KEY_BYTES]))
    # Data shorter than a key (a stream cut to a few bytes): the key holds the bytes after it too.
    matches = {parms for (w, h, first), parms in found.items() if (w, h) == (width, height) and first.startswith(raw)}
    return matches.pop() if len(matches) == 1 else None


def fax_parms(path: Path) -> dict[Key, FaxParms | None]:
    """The /DecodeParms of the CCITT images in ``path`` by (width, height, their data's first
    :data:`KEY_BYTES` bytes); None for those that cannot be told (images of those first bytes with
    different parameters, parameters given by reference). Read once per file version."""
    version = file_version(path)
    return {} if version is None else _scan(path, *version)


@functools.lru_cache(maxsize=16)
def _scan(path: Path, *_version: int) -> dict[Key, FaxParms | None]:
    """Every dictionary that names the filter, found by searching the file for its name: an image's
    dictionary lies in the file as written (PDF keeps no stream inside a compressed object stream),
    and a search needs no cross-reference table, which a cut file lacks."""
    found: dict[Key, FaxParms | None] = {}
    try:
        import pypdf  # noqa: F401 - its parser reads the dictionaries
    except ImportError:  # an install that predates the dependency: unchecked, as before
        return found
    quiet_pypdf()
    try:
        with open(path, "rb") as fh:
            for data, at in _names(fh):
                start = data.rfind(b"obj", max(0, at - _REACH), at)  # "12 0 obj", the image's own header
                end = data.find(b"stream", at, at + _REACH)
                entry = _entry(data[start + 3: end], data[end + 6: end + 8]) if start >= 0 and end >= 0 else None
                if entry is not None:
                    width, height, parms, skip = entry
                    first = end + 6 + skip
                    key = (width, height, data[first: first + KEY_BYTES])
                    found[key] = parms if found.get(key, parms) == parms else None
    except OSError:  # unreadable (a share gone): its images go unchecked
        return {}
    return found


def _names(fh: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Each place the filter's name is in the file: (a part of the file, where in it), the part
    holding :data:`_REACH` bytes before the name and enough after it for the dictionary's end and the
    data's first bytes, where the file has them (``docclean.fileid.find_all``: read in chunks)."""
    return find_all(fh, _FILTER, before=_REACH, after=_REACH + 8 + KEY_BYTES, chunk=_CHUNK)


class _NoFile:
    """What pypdf's parser asks of a document while it reads references: they are kept unresolved."""

    strict = False

    def get_object(self, _reference: object) -> None:
        return None


def _entry(text: bytes, after: bytes) -> tuple[int, int, FaxParms | None, int] | None:
    """(width, height, parameters, the bytes of end of line after ``stream``) of the image whose
    dictionary is ``text``, or None if it is none with the filter last."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, read_object

    try:
        value = read_object(io.BytesIO(text.strip()), _NoFile())
    except Exception:  # noqa: BLE001 - not a dictionary (the name in other bytes): not an image
        return None
    if not isinstance(value, DictionaryObject):
        return None
    filters, width, height = (value.raw_get(key) if key in value else None for key in ("/Filter", "/Width", "/Height"))
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    last = names[-1] if names else None
    if not isinstance(last, NameObject) or last != "/" + _FILTER.decode() or not isinstance(width, int) \
            or not isinstance(height, int):
        return None
    every = value.raw_get("/DecodeParms") if "/DecodeParms" in value else None
    if isinstance(every, ArrayObject):  # one per filter: the last filter's
        every = every[-1] if len(every) == len(names) else _UNKNOWN
    skip = 2 if after == b"\r\n" else 1 if after[:1] in (b"\n", b"\r") else 0
    return int(width), int(height), _parms(every), skip


def _parms(value: Any) -> FaxParms | None:
    """The :class:`FaxParms` of a /DecodeParms value (a dictionary, null or absent), or None where it
    or an entry that matters is a reference (pdfium resolves it; this search cannot)."""
    from pypdf.generic import BooleanObject, DictionaryObject, NullObject

    if value is None or isinstance(value, NullObject):
        return FaxParms()
    if not isinstance(value, DictionaryObject):
        return None
    entries: dict[str, bool | int | float] = {}
    for key, default in (("/K", 0), ("/Columns", 1728), ("/Rows", 0), ("/EncodedByteAlign", False),
                         ("/DamagedRowsBeforeError", 0)):
        entry = value.raw_get(key) if key in value else default
        if isinstance(entry, BooleanObject):  # not a bool: bool(BooleanObject(False)) is True
            entry = entry.value
        if not isinstance(entry, (bool, int, float)):
            return None
        entries[key] = entry
    return FaxParms(int(entries["/K"]), int(entries["/Columns"]), int(entries["/Rows"]),
                    bool(entries["/EncodedByteAlign"]), int(entries["/DamagedRowsBeforeError"]))


def _starts_with_eol(data: bytes) -> bool:
    """Whether the data begins with an EOL: 11 zero bits or more (fill bits before it) and a 1."""
    for index, byte in enumerate(data):
        if byte:
            return index * 8 + (8 - byte.bit_length()) >= 11
    return False


def _without_tail(data: bytes) -> bytes | None:
    """1-D group 3 data without EOLs before its rows, less the EOLs after them (the RTC that ends
    the page: libtiff, finding an EOL, would read them as rows); None where EOLs lie among the rows
    too (not the data libtiff decodes without EOLs, nor the data it decodes with them). Any zero bits
    before the first EOL stay: the last row's code may end in them."""
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    ones = np.flatnonzero(bits)
    eols = ones[np.diff(ones, prepend=-1) > _EOL_ZEROS]  # the 1 that ends each EOL
    if not len(eols):
        return data
    if not np.isin(ones[ones >= eols[0]], eols).all():  # after the first EOL, only EOLs
        return None
    return np.packbits(bits[:eols[0] - _EOL_ZEROS]).tobytes()


def _coding(data: bytes, parms: FaxParms) -> tuple[bytes, int, int] | None:
    """The data, TIFF Compression and T4Options that decode it as pdfium does, or None if libtiff
    has none that does."""
    if parms.k < 0:
        # Group 4 with an EOL before its rows (Ghostscript's CCITTFaxEncode with EndOfLine true):
        # pdfium reads past them, libtiff's group 4 decoder does not (it found every such page bad).
        return None if parms.byte_align or _starts_with_eol(data) else (data, faxdecode.T6, 0)
    if _starts_with_eol(data):  # libtiff skips any fill bits before an EOL, aligned or not
        two_d = faxdecode.T4_2D if parms.k > 0 else 0
        return data, faxdecode.T4, two_d | (faxdecode.T4_FILL if parms.byte_align else 0)
    if parms.k > 0:
        # 2-D rows without EOLs: whether each has its 1-D/2-D tag bit is not agreed on (Ghostscript
        # writes none; pdfium, poppler and libtiff read one and draw Ghostscript's garbled).
        return None
    if parms.byte_align:  # Modified Huffman: rows byte-aligned, whatever follows them is not read
        return data, faxdecode.MH, 0
    rows = _without_tail(data)  # libtiff decodes rows without EOLs if it finds no EOL
    return None if rows is None else (rows, faxdecode.T4, 0)


def fax_damage(data: bytes, parms: FaxParms, width: int, height: int) -> tuple[str, str] | None:
    """Why the CCITT ``data`` of a ``width`` x ``height`` image with ``parms`` cannot be decoded
    whole, as ("truncated or incomplete image data" or "corrupt image data", why), or None when it
    decodes whole or cannot be checked (see the module's docstring)."""
    coding = _coding(data, parms) if parms.columns == width and parms.rows in (0, height) else None
    if coding is None:
        return None
    decoded = faxdecode.decode(coding[0], width, height, *coding[1:])
    if decoded is None or not decoded.said:
        return None
    if decoded.ends_early:
        return _CUT
    rows = {message.line for message in decoded.said}
    if parms.k >= 0 and None not in rows and len(rows) <= parms.damaged_rows:
        return None  # no more bad rows than the file allows
    return "corrupt image data", f"its CCITT data does not decode (libtiff: {decoded.said[0].text})"
