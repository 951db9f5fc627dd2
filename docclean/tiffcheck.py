"""Damage in a TIFF that Pillow reads past without a word, found while its pages are read:
:func:`check_directories` (the chain of page directories) and :func:`load` (one page's data).

- A page directory that cannot be followed (an entry count gone wrong, a link past the file's
  end or back to an earlier directory) ends Pillow's page list there, silently or with one page
  read from the wrong bytes: the pages after it are lost. So the chain is walked first, and such a
  file fails ("pages may be missing") rather than be cleaned short.
- A deflate strip inflates until libtiff has its rows and no further: the Adler-32 checksum at
  its end is never checked, and a zeroed or altered stretch inflates to garbage without an error.
  So each strip (or tile) of a deflate page is inflated once more here, to its end.
- libtiff tells damaged fax (CCITT) and JPEG data mostly by warnings ("Line length mismatch",
  "Premature EOF"), and Pillow silences libtiff's warnings: the page decodes with its lower part
  black or grey. So such pages are decoded once more by the libtiff Pillow loaded, with handlers
  of that one TIFF's own (libtiff 4.5's TIFFOpenOptions: nothing process-wide is touched), and
  what it says is judged by ``docclean.tiffmessages.damage``.

The second decode runs where ``docclean.tiffmessages.libraries`` finds libtiff's messages can be
formatted (Linux on x86-64 or arm64); the directory walk and the deflate check run everywhere."""

from __future__ import annotations

import ctypes
import math
import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from docclean import tiffclient, tiffmessages
from docclean.errors import InputError
from docclean.progress import InputWarning

__all__ = ["available", "check_directories", "load"]

#: libtiff refuses a directory of more entries than this (TIFFFetchDirectory's sanity check).
_MOST_ENTRIES = 4096
#: Compression values of data whose damage libtiff tells by warnings: CCITT (modified Huffman,
#: group 3, group 4), old- and new-style JPEG, ThunderScan. (LZW, deflate, PackBits and the rest
#: say theirs as errors, heard while Pillow decodes.)
_WARNING_CODECS = {2, 3, 4, 6, 7, 32809}
#: Adobe deflate and the older deflate code.
_DEFLATE = {8, 32946}
#: Bytes inflated at a time: a single-strip A4 colour page inflates to 26 MB, never held whole.
_CHUNK = 1 << 20
#: The tags a page's checks read, taken before Pillow's load (which may drop some).
_TAGS = (256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 322, 323, 324, 325, 530)
#: The name the file is opened under for libtiff: some of its messages give it as their module,
#: and are told without it (the warning names the file and the page already).
_NAME = "page"

def _directory_damage(fh: BinaryIO) -> str | None:
    """Why the chain of directories of the TIFF open in ``fh`` cannot be followed to its end, or
    None where it can (or the header is none Pillow would have opened)."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(16)
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or len(head) < 8:
        return None
    version = struct.unpack(order + "H", head[2:4])[0]
    if version == 42:
        count_format, entry, link_format, offset = "H", 12, "I", struct.unpack(order + "I", head[4:8])[0]
    elif version == 43 and len(head) == 16:
        count_format, entry, link_format, offset = "Q", 20, "Q", struct.unpack(order + "Q", head[8:16])[0]
    else:
        return None
    count_size, link_size = struct.calcsize(count_format), struct.calcsize(link_format)
    seen: dict[int, int] = {}
    number = 0
    while offset:
        number += 1
        if offset in seen:
            return f"directory {number} links back to directory {seen[offset]}"
        seen[offset] = number
        if offset + count_size > size:
            return f"directory {number} would be at byte {offset}, past the end of the file ({size} bytes)"
        fh.seek(offset)
        count = struct.unpack(order + count_format, fh.read(count_size))[0]
        if not 0 < count <= _MOST_ENTRIES:
            return f"directory {number}, at byte {offset}, claims {count} entries"
        end = offset + count_size + count * entry
        if end + link_size > size:
            return f"directory {number}, at byte {offset}, is cut short by the end of the file"
        fh.seek(end)
        offset = struct.unpack(order + link_format, fh.read(link_size))[0]
    return None


def check_directories(fh: BinaryIO, path: Path) -> None:
    """InputError naming ``path`` when the chain of page directories of the TIFF open in ``fh``
    cannot be followed to its end (pages after the break would be lost). Leaves ``fh`` where it
    was, for Pillow."""
    where = fh.tell()
    try:
        why = _directory_damage(fh)
    finally:
        fh.seek(where)
    if why is not None:
        raise InputError(f"its page directory is damaged: pages may be missing ({why})", path)


def _expected_sizes(tags: dict) -> tuple[list[int], list[int]] | None:
    """(the bytes each strip or tile of a page must inflate to, the most a strip may: a last strip
    written with all of RowsPerStrip's rows is no damage), or None where that is not plain to
    tell (subsampled YCbCr, tags that do not add up: Pillow and libtiff judge those)."""
    width, height = tags.get(256), tags.get(257)
    bits, samples = tags.get(258, (1,)), tags.get(277, 1)
    bits = bits if isinstance(bits, tuple) else (bits,)
    if not (isinstance(width, int) and isinstance(height, int) and isinstance(samples, int) and bits
            and all(isinstance(b, int) for b in bits)) or width <= 0 or height <= 0 or samples <= 0:
        return None
    if tags.get(262) == 6 and tuple(tags.get(530, (2, 2))) != (1, 1):
        return None
    planes = samples if tags.get(284, 1) == 2 else 1
    pixel_bits = bits[0] if planes > 1 else (sum(bits) if len(bits) == samples else bits[0] * samples)
    tile_width, tile_length = tags.get(322), tags.get(323)
    if 324 in tags:
        if not (isinstance(tile_width, int) and isinstance(tile_length, int)) or tile_width <= 0 or tile_length <= 0:
            return None
        tiles = math.ceil(width / tile_width) * math.ceil(height / tile_length) * planes
        one = tile_length * math.ceil(tile_width * pixel_bits / 8)
        return [one] * tiles, [one] * tiles
    rows = tags.get(278, height)
    rows = min(rows, height) if isinstance(rows, int) and rows > 0 else height
    row_bytes = math.ceil(width * pixel_bits / 8)
    per_plane = math.ceil(height / rows)
    sizes = [min(rows, height - strip * rows) * row_bytes for strip in range(per_plane)] * planes
    return sizes, [rows * row_bytes] * len(sizes)


def _inflate_damage(path: Path, tags: dict) -> str | None:
    """Why a deflate page's strips or tiles do not inflate, each to its end and checksum, to the
    bytes its rows hold; None where they do or cannot be told (see :func:`_expected_sizes`)."""
    tiled = 324 in tags
    offsets, counts = tags.get(324 if tiled else 273), tags.get(325 if tiled else 279)
    expected = _expected_sizes(tags)
    if expected is None or not isinstance(offsets, tuple) or not isinstance(counts, tuple) \
            or not len(offsets) == len(counts) == len(expected[0]):
        return None
    kind = "tile" if tiled else "strip"
    with open(path, "rb") as fh:
        for number, (offset, count, size, most) in enumerate(zip(offsets, counts, *expected)):
            fh.seek(offset)
            data = fh.read(count)
            inflate = zlib.decompressobj()
            total = 0
            try:
                while True:
                    out = len(inflate.decompress(data, _CHUNK))
                    total, data = total + out, inflate.unconsumed_tail
                    if inflate.eof or total > most or (not data and out < _CHUNK):
                        break  # (a full chunk with the input used up may leave output pending: asked again)
            except zlib.error as exc:
                return f"its deflate data in {kind} {number + 1} does not inflate (zlib: {str(exc).split(': ')[-1]})"
            if not size <= total <= most:
                return f"{kind} {number + 1} inflates to {total} bytes, not the {size} its pixels take"
            if not inflate.eof:
                return f"its deflate data in {kind} {number + 1} ends early"
    return None


def available() -> bool:
    """Whether pages whose damage libtiff tells by warnings are decoded again here to hear them."""
    return tiffclient.available()


def _first_directory(fh: BinaryIO, directory: int) -> bytes | None:
    """The TIFF header of ``fh`` with its first directory's offset made ``directory``: libtiff
    opens that page at once, where TIFFSetDirectory walks every earlier one (a 2,000-page group 4
    TIFF took 10.8 s for that walk, 2.2 s without); None for what is no TIFF header."""
    head = fh.read(16)
    fh.seek(0)
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or len(head) < 8:
        return None
    if struct.unpack(order + "H", head[2:4])[0] == 43:  # BigTIFF: the offset is 8 bytes at 8
        return head[:8] + struct.pack(order + "Q", directory) if len(head) == 16 else None
    return head[:4] + struct.pack(order + "I", directory)


def _damage_said(path: Path, frame: int, directory: int | None = None) -> tiffmessages.Messages:
    """What libtiff says of damaged data (``docclean.tiffmessages.damage``) decoding directory
    ``frame`` of the TIFF at ``path`` (at byte ``directory`` where known) strip by strip, up to the
    first strip it says so of; empty where that cannot be done here (``docclean.tiffclient``)."""
    said = tiffmessages.Messages()

    def report(module: bytes, message: bytes) -> None:
        text = message.decode("utf-8", "replace").strip()
        name = module.decode("utf-8", "replace")
        text = f"{name}: {text}" if name and name != _NAME else text
        if tiffmessages.damage(text):  # what any scanner's file may say (an unknown tag) is no damage
            said.count += 1
            if len(said.first) < tiffmessages.KEPT:
                said.first.append(text)

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = _first_directory(fh, directory) if directory is not None and frame > 0 else None

        def read(wanted: int) -> bytes:
            at = fh.tell()
            data = fh.read(wanted)
            if head is not None and at < len(head):  # the header as if this page's directory came first
                data = head[at:at + len(data)] + data[len(head) - at:]
            return data

        with tiffclient.opened(_NAME.encode(), read, fh.seek, size, report) as tif:
            lib = tiffclient.library()
            if tif is None or lib is None:
                return said
            # Opening read the first directory: page 0's, or this page's through the header.
            if frame == 0 or head is not None or lib.TIFFSetDirectory(tif, frame):
                tiled = bool(lib.TIFFIsTiled(tif))
                pieces = lib.TIFFNumberOfTiles(tif) if tiled else lib.TIFFNumberOfStrips(tif)
                piece = lib.TIFFTileSize(tif) if tiled else lib.TIFFStripSize(tif)
                read_piece = lib.TIFFReadEncodedTile if tiled else lib.TIFFReadEncodedStrip
                pixels = ctypes.create_string_buffer(max(piece, 1))
                for number in range(pieces if piece > 0 else 0):
                    read_piece(tif, number, pixels, piece)  # -1 where it gave up, having said why
                    if said:
                        break
    return said


def load(im: Image.Image, path: Path, where: str = "") -> None:
    """``im.load()``, with libtiff's messages heard and a TIFF page's data checked (see the module's
    docstring). A page that fails says libtiff's reason (OSError "libtiff: ZIPDecode: Decoding error
    ...", not Pillow's "decoder error -2"); a page libtiff cannot follow the directories to, or
    whose deflate data is damaged, is an InputError naming ``path`` (and the page: ``where``,
    "page 3 "); a page decoded despite damage libtiff tells of (a damaged group 4 page) is an
    :class:`~docclean.progress.InputWarning` ("check this page")."""
    tiff = im.format == "TIFF" and getattr(im, "tag_v2", None) is not None
    tags = {tag: im.tag_v2.get(tag) for tag in _TAGS if tag in im.tag_v2} if tiff else {}
    with tiffmessages.collected() as said:
        try:
            im.load()
        except OSError as exc:
            if not said:
                raise
            _directories_said(said, path)
            raise OSError(f"libtiff: {said.summary()}") from exc
    _directories_said(said, path)
    compression = tags.get(259, 1)
    if compression in _DEFLATE:
        why = _inflate_damage(path, tags)
        if why is not None:
            raise InputError(f"{where}damaged image data: {why}", path)
    if not said and compression in _WARNING_CODECS:
        positions = getattr(im, "_frame_pos", None)  # Pillow's offsets of the directories it has read
        frame = im.tell()
        said = _damage_said(path, frame, positions[frame] if positions and frame < len(positions) else None)
    if said:
        warnings.warn(f"{where}damaged image data, libtiff says: {said.summary()}; check this page", InputWarning,
                      stacklevel=3)


def _directories_said(said: tiffmessages.Messages, path: Path) -> None:
    """InputError naming ``path`` when libtiff said, decoding a page, that it could not follow the
    file's chain of directories (pages after the break would be lost)."""
    broken = tiffmessages.directory_damage(said.first)
    if broken is not None:
        raise InputError(f"its page directory is damaged: pages may be missing (libtiff: {broken})", path)
