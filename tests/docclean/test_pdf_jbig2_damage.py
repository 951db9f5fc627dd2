"""JBIG2 image data that is cut short or bad fails its PDF page before pdfium draws it
(docclean.pdfjbig2): pdfium drew a JBIG2 page cut at half white below the cut, without a word, and
the file was reported cleaned. The streams are written here by hand (T.88: a page information
segment and an immediate generic region coded with MMR, which is group 4, made by Pillow's libtiff)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from docclean.errors import InputError
from docclean.io import read_pages
from docclean.pdfjbig2 import jbig2_damage
from tests.docclean.test_pdf_fax_damage import CUT, PAGE, coded, needs_libtiff
from tests.docclean.test_pdf_pages import Img, full_page, pdf


def segment(number: int, kind: int, data: bytes, referred: bytes = b"\0", page: bytes = b"\1") -> bytes:
    """A JBIG2 segment: its header (number, flags holding its type, referred-to segments, page
    association, data length) and ``data``. A 4-byte ``page`` sets the flag that says so."""
    return (struct.pack(">IB", number, kind | (0x40 if len(page) == 4 else 0)) + referred + page
            + struct.pack(">I", len(data)) + data)


def jbig2(page: np.ndarray, mmr: bool = True, end: bool = True) -> bytes:
    """An embedded JBIG2 stream of ``page``: page information, an immediate lossless generic region
    (MMR coded: group 4 with 1 bits black, as the fax convention codes ink; else flagged arithmetic,
    with its template's AT pixels and bytes of no meaning) and, with ``end``, the end of the page."""
    height, width = page.shape
    info = struct.pack(">IIIIBH", width, height, 0, 0, 0, 0)
    region = struct.pack(">IIIIB", width, height, 0, 0, 0)
    region += b"\1" + coded(page, "group4") if mmr else b"\0" + bytes([3, 255, 253, 254, 2, 254, 254, 254]) + \
        np.random.default_rng(1).bytes(900)
    stream = segment(0, 48, info) + segment(1, 39, region)
    return stream + segment(2, 49, b"") if end else stream


def jbig2_image(page: np.ndarray, data: bytes) -> Img:
    height, width = page.shape
    return Img(width, height, data, b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode")


@needs_libtiff
def test_a_whole_jbig2_stream_reads_as_ever(tmp_path: Path) -> None:
    whole = jbig2(PAGE)
    # Without the end of page; bytes after it (pdfium reads no further); its header cut.
    streams = [whole, jbig2(PAGE, end=False), whole + np.random.default_rng(2).bytes(20), whole[:-5]]
    path = pdf(tmp_path / "jbig2.pdf", [full_page(jbig2_image(PAGE, data)) for data in streams])
    for read in read_pages(path):  # pdfium draws the hand-made stream: it is the page
        np.testing.assert_array_equal(read.gray, PAGE.astype(np.float32))


def test_a_cut_jbig2_stream_fails(tmp_path: Path) -> None:
    # pdfium drew the region as far as its data went and left the rest white: a page of text ending early.
    for name, data in [("region", jbig2(PAGE)[:600]), ("header", jbig2(PAGE)[:45]),
                       ("arithmetic", jbig2(PAGE, mmr=False)[:500]), ("start", jbig2(PAGE)[:7])]:
        path = pdf(tmp_path / f"{name}.pdf", [full_page(jbig2_image(PAGE, data))])
        with pytest.raises(InputError) as info:
            list(read_pages(path))
        assert info.value.reason == f"page 1: {CUT} (a 400 x 120 image: its JBIG2 data ends early)", name


@needs_libtiff
def test_corrupt_jbig2_data_fails(tmp_path: Path) -> None:
    data = bytearray(jbig2(PAGE))
    data[300:308] = bytes(8 * [0x5A])  # inside the MMR region
    path = pdf(tmp_path / "mmr.pdf", [full_page(jbig2_image(PAGE, bytes(data)))])
    with pytest.raises(InputError, match=r"page 1: corrupt image data \(a 400 x 120 image: its JBIG2 data does not "
                                         r"decode \(libtiff: "):
        list(read_pages(path))
    garbage = pdf(tmp_path / "garbage.pdf", [full_page(jbig2_image(PAGE, b"\0\0\0\0\x2f" + bytes(60)))])
    with pytest.raises(InputError, match=r"corrupt image data \(a 400 x 120 image: its JBIG2 data has a segment "
                                         r"header of unknown type 47\)"):
        list(read_pages(garbage))


def test_jbig2_segment_headers_of_every_form_are_walked() -> None:
    info = segment(0, 48, struct.pack(">IIIIBH", 8, 8, 0, 0, 0, 0))
    symbols = segment(1, 0, bytes(30))
    # Referred-to segments in the long form (7 of them), a 4-byte page association, and segment
    # numbers over 256, whose referred-to numbers take 2 bytes each.
    long_form = segment(2, 6, bytes(40), referred=struct.pack(">I", 0xE0000007) + b"\0", page=b"\0\0\0\1")
    wide = segment(300, 6, bytes(40), referred=b"\x20" + struct.pack(">H", 1))
    stream = info + symbols + long_form + wide + segment(301, 49, b"")
    assert jbig2_damage(stream) is None
    assert jbig2_damage(stream[:-3]) is None  # the end of page's header cut: no data was to follow
    no_end = info + symbols + long_form + wide
    for padding in (b"\0", b"\0\0", b"\0\0\0", b"\n", b"\0\0\0\0\0\0"):  # pdfium draws these pages whole
        assert jbig2_damage(no_end + padding) is None, padding
    assert jbig2_damage(no_end + segment(301, 38, bytes(30))[:7]) == (CUT, "its JBIG2 data ends early")
    assert jbig2_damage(stream[:-12]) == (CUT, "its JBIG2 data ends early")  # the text region's last byte
    unknown_length = info + segment(1, 38, b"")[:-4] + b"\xff\xff\xff\xff" + bytes(50)
    assert jbig2_damage(unknown_length) is None  # a region ended by a marker: not walked
    assert jbig2_damage(info + segment(1, 33, bytes(9)) + symbols) is None  # a type T.88 lacks, later: skipped
    assert jbig2_damage(info + b"\0\0\0\1\x06\xa0") == ("corrupt image data", "its JBIG2 data has a segment "
                                                         "header with a forbidden number of referred-to segments")


def test_a_jbig2_stream_pdfium_cannot_decode_fails(tmp_path: Path) -> None:
    """Segments of the right lengths whose content is bad: pdfium decoded nothing and drew a blank
    page, which was cleaned and reported cleaned."""
    whole = jbig2(PAGE)
    region = 11 + 19 + 11  # the page information segment, the region's header: its width follows
    for name, data in [("width", whole[:region] + struct.pack(">I", 0x7FFFFFFF) + whole[region + 4:]),
                       ("end", whole[:-11] + bytes(11))]:  # the region's width flipped; the end of page zeroed
        assert jbig2_damage(data) is None, name  # the walk finds nothing wrong
        path = pdf(tmp_path / f"{name}.pdf", [full_page(jbig2_image(PAGE, data))])
        with pytest.raises(InputError) as info:
            list(read_pages(path))
        assert info.value.reason == ("page 1: corrupt image data (a 400 x 120 image: pdfium cannot decode its "
                                     "JBIG2 data)"), name
