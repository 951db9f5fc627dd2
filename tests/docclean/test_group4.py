"""Tests for docclean.group4: the one CCITT group 4 encoder, as a min-is-white TIFF and as the bare
one-strip data a PDF holds, read back exactly (Pillow's libtiff decoder) for pages of any width."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from docclean.group4 import encode_group4, group4_strip


def fax_tiff(strip: bytes, width: int, height: int) -> bytes:
    """A minimal little-endian TIFF around CCITT group 4 ``strip``: one strip of ``height`` rows of
    ``width`` columns, PhotometricInterpretation 0 (min-is-white: black runs are black), written here
    by hand so that nothing of docclean's encoder is in the reading."""
    entries = [(256, 4, width), (257, 4, height), (258, 3, 1), (259, 3, 4),  # width, length, 1 bit, group 4
               (262, 3, 0), (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, len(strip))]
    data_at = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", tag, kind, 1) + struct.pack("<I" if kind == 4 else "<HH", *(
            (data_at if tag == 273 else value,) if kind == 4 else (value, 0)))
        for tag, kind, value in entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + strip


def read_fax(strip: bytes, width: int, height: int) -> np.ndarray:
    """``strip`` decoded as a min-is-white fax: a bool page, True white (as Pillow's mode "1")."""
    with Image.open(io.BytesIO(fax_tiff(strip, width, height))) as im:
        assert (im.mode, im.size, im.info["compression"]) == ("1", (width, height), "group4")
        return np.asarray(im).copy()


def text_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A white page (True) with black marks: strokes, a ring, scattered dots, ink at the edges."""
    rng = np.random.default_rng(seed)
    page = np.ones((height, width), bool)
    page[height // 5: height - height // 5, width // 8: width // 8 + 2] = False  # a stem
    page[height // 5: height // 5 + 2, width // 8: width // 2] = False  # a bar
    yy, xx = np.mgrid[:height, :width]
    ring = np.hypot(yy - height / 2, xx - 3 * width / 4)
    page[(ring > height / 6) & (ring < height / 6 + 2)] = False
    page[rng.random((height, width)) < 0.03] = False
    page[:, -1] = False  # ink in the last column, where a row's bits end mid-byte
    return page


SHAPES = [(1, 1), (1, 2), (2, 1), (1, 37), (23, 37), (7, 9), (5, 8), (3, 17), (24, 1729)]
CONTENTS = {
    "white": lambda h, w: np.ones((h, w), bool),
    "black": lambda h, w: np.zeros((h, w), bool),
    "checker": lambda h, w: (np.indices((h, w)).sum(axis=0) % 2).astype(bool),
    "text": lambda h, w: text_like(h, w),
}


@pytest.mark.parametrize("content", list(CONTENTS))
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_both_encodings_read_back_exactly(shape: tuple[int, int], content: str) -> None:
    page = CONTENTS[content](*shape)
    im = Image.fromarray(page)
    height, width = shape
    with Image.open(io.BytesIO(encode_group4(im, dpi=(300.0, 300.0)))) as tif:
        assert (tif.mode, tif.info["compression"], tif.tag_v2[262]) == ("1", "group4", 0)
        np.testing.assert_array_equal(np.asarray(tif), page)
    np.testing.assert_array_equal(read_fax(group4_strip(im), width, height), page)


def test_ink_is_coded_as_black_runs() -> None:
    """A fax reader that takes black runs as black (min-is-white, PDF's /BlackIs1 false) sees the ink
    black, not the page's negative; a 1 x 1 page of ink and one of paper differ."""
    ink, paper = Image.fromarray(np.zeros((1, 1), bool)), Image.fromarray(np.ones((1, 1), bool))
    assert read_fax(group4_strip(ink), 1, 1).tolist() == [[False]]  # False is black
    assert read_fax(group4_strip(paper), 1, 1).tolist() == [[True]]
    assert group4_strip(ink) != group4_strip(paper)


def tiff_strips(data: bytes) -> list[bytes]:
    """The strips of a one-page TIFF, as its StripOffsets and StripByteCounts say."""
    with Image.open(io.BytesIO(data)) as im:
        offsets, counts = (value if isinstance(value, tuple) else (value,)
                           for value in (im.tag_v2[273], im.tag_v2[279]))
    return [data[offset: offset + count] for offset, count in zip(offsets, counts, strict=True)]


def test_the_strip_is_the_tiff_s_own_strip() -> None:
    """One encoding: a page that fits the TIFF's single strip gives the PDF the very same bytes."""
    im = Image.fromarray(text_like(23, 37))
    assert tiff_strips(encode_group4(im)) == [group4_strip(im)]


def test_a_page_over_pillow_s_strip_size_is_still_one_strip() -> None:
    """Pillow cuts a TIFF into strips of 64 KiB of pixels (here 262 rows of 250 bytes): the TIFF has
    two, each coded apart; the PDF's data is one strip of all the rows, and reads back whole."""
    page = text_like(300, 2000, seed=3)
    im = Image.fromarray(page)
    data = encode_group4(im)
    assert len(tiff_strips(data)) == 2
    with Image.open(io.BytesIO(data)) as tif:
        np.testing.assert_array_equal(np.asarray(tif), page)
    np.testing.assert_array_equal(read_fax(group4_strip(im), 2000, 300), page)


@pytest.mark.parametrize("params", [{}, {"dpi": (200.0, 100.0)}], ids=["no-dpi", "dpi"])
def test_the_tiff_is_the_one_pillow_writes_when_asked_for_min_is_white(params: dict[str, object]) -> None:
    """Pillow's own min-is-white writing (``tiffinfo={262: 0}``, a slow per-pixel inversion) gives
    the same bytes: only the way there differs."""
    im = Image.fromarray(text_like(23, 37))
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression="group4", tiffinfo={262: 0}, **params)
    assert encode_group4(im, **params) == buf.getvalue()
