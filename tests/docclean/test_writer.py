"""Tests for docclean.writer: what each output format says about a page's resolution.

A page of unknown resolution is written as of unknown resolution in every format, so that a
later reader (docclean, a viewer, a PDF maker) never takes a made-up figure for the scan's own."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.group4 import group4_strip
from docclean.io import read_pages
from docclean.metadata import Fields, Metadata, read_metadata
from docclean.plan import output_complete
from docclean.writer import PageWriter, write_page
from tests.docclean.pdfs import build_pdf

PAGE = np.full((12, 20), 0.8, np.float32)
BITS = np.arange(240).reshape(12, 20) % 3 > 0


def bmp_pixels_per_metre(path: Path) -> tuple[int, int]:
    """The (x, y) pixels per metre of a BMP's BITMAPINFOHEADER (bytes 38 to 46)."""
    return struct.unpack("<ii", path.read_bytes()[38:46])


@pytest.mark.parametrize("pixels", [PAGE, BITS], ids=["grey", "1-bit"])
def test_a_bmp_of_unknown_resolution_says_none(tmp_path: Path, pixels: np.ndarray) -> None:
    # Pillow wrote 96 dpi (3780 per metre) when given none: read back, the page "was" 96 dpi.
    target = tmp_path / "page.bmp"
    write_page(target, pixels, None)
    assert bmp_pixels_per_metre(target) == (0, 0)
    assert "dpi" not in Image.open(target).info
    assert next(read_pages(target)).dpi is None


def test_a_bmp_keeps_a_known_resolution(tmp_path: Path) -> None:
    target = tmp_path / "page.bmp"
    write_page(target, PAGE, (300.0, 150.0))
    assert bmp_pixels_per_metre(target) == (11811, 5906)
    assert next(read_pages(target)).dpi == (300.0, 150.0)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "bmp", "webp"])
def test_every_raster_format_writes_an_unknown_resolution_as_unknown(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"page.{fmt}"
    write_page(target, PAGE, None, fmt=fmt)
    assert next(read_pages(target)).dpi is None


def photometric_tags(path: Path) -> list[int]:
    """PhotometricInterpretation (tag 262) of every page of a TIFF, read from the file's tags."""
    with Image.open(path) as im:
        values = []
        for frame in range(im.n_frames):
            im.seek(frame)
            values.append(im.tag_v2[262])
    return values


def test_a_bilevel_tiff_is_written_min_is_white_with_black_ink_black(tmp_path: Path) -> None:
    """The convention of bilevel documents (fax, scanners): 262 = 0, ink coded as black, read back
    as black by Pillow and by docclean, on every page, with its resolution and metadata kept."""
    target = tmp_path / "doc.tif"
    metadata = Metadata(Fields(title="Ledger", author="Ann"))
    with PageWriter(target, "tiff", metadata=metadata) as writer:
        writer.add(BITS, (300.0, 300.0))
        writer.add(PAGE, (150.0, 150.0))
        writer.add(~BITS, (200.0, 100.0))
    assert photometric_tags(target) == [0, 1, 0]  # grey pages stay min-is-black
    with Image.open(target) as im:
        assert (im.mode, im.info["compression"]) == ("1", "group4")
        np.testing.assert_array_equal(np.asarray(im), BITS)  # True is white
    first, grey, third = read_pages(target)
    np.testing.assert_array_equal(first.gray, BITS.astype(np.float32))
    np.testing.assert_array_equal(third.gray, (~BITS).astype(np.float32))
    assert (first.dpi, grey.dpi, third.dpi) == ((300.0, 300.0), (150.0, 150.0), (200.0, 100.0))
    assert read_metadata(target).document.title == "Ledger"
    assert output_complete(target)


def test_a_bilevel_tiff_s_group4_data_codes_the_ink_as_black_runs(tmp_path: Path) -> None:
    """What a fax reader that ignores the tag sees: the raw group 4 strip drawn as CCITT says (black
    runs black; /BlackIs1 false, PDF's default) is the page, not its negative."""
    target = tmp_path / "page.tif"
    write_page(target, BITS, (300.0, 300.0))
    with Image.open(target) as im:
        offset, count = (value[0] if isinstance(value, tuple) else value for value in (im.tag_v2[273], im.tag_v2[279]))
    strip = target.read_bytes()[offset: offset + count]
    assert strip == group4_strip(Image.fromarray(BITS))  # one encoding: the PDF writer's strip
    image = (b"<< /Type /XObject /Subtype /Image /Width 20 /Height 12 /ColorSpace /DeviceGray /BitsPerComponent 1 "
             b"/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 20 /Rows 12 >> /Length %d >>"
             b"\nstream\n%s\nendstream" % (len(strip), strip))
    content = b"q 20 0 0 12 0 0 cm /Im0 Do Q"
    fax = build_pdf(tmp_path / "fax.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 20 12] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>", image, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)])
    page = next(read_pages(fax, dpi=72.0))
    np.testing.assert_array_equal(page.gray, BITS.astype(np.float32))


def test_a_tiff_of_many_pages_holds_each_page_in_order_grey_and_bilevel_mixed(tmp_path: Path) -> None:
    # The writer goes on from the last page's directory (Pillow's walked them all at every page).
    from PIL import Image

    from docclean.writer import PageWriter

    with PageWriter(tmp_path / "book.tif") as writer:
        for i in range(300):
            page = np.full((6, 5), i / 299, np.float32) if i % 3 else np.arange(30).reshape(6, 5) % (i % 7 + 2) == 0
            writer.add(page, (200.0, 200.0))
    with Image.open(tmp_path / "book.tif") as im:
        assert im.n_frames == 300
        for i in (0, 1, 2, 3, 150, 298, 299):
            im.seek(i)
            if i % 3:
                assert im.mode == "L" and abs(int(np.asarray(im)[0, 0]) - round(i / 299 * 255)) <= 1
            else:
                assert im.mode == "1"
                np.testing.assert_array_equal(np.asarray(im), np.arange(30).reshape(6, 5) % (i % 7 + 2) == 0)
