"""A PDF page's /UserUnit (PDF 1.6: one unit of its space is that many 1/72 inch), which pdfium
ignores: a page of UserUnit 2 was read at half its real size, its scan at twice its resolution, and
written out (PDF page size, TIFF resolution) half as large as the paper. Every PDF is made in
tmp_path with pikepdf."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.io import PageWriter, page_size, read_page, read_pages
from tests.docclean.pdfs import PAGE_OBJECTS, build_pdf

pikepdf = pytest.importorskip("pikepdf")  # the ocrmypdf extra's, which the README's test command installs

# A 200 x 300 scan with a black bar, to be drawn over a 72 x 108 box of UserUnit 2: 2 x 3 inches, 100 dpi.
SCAN = np.full((300, 200), 255, np.uint8)
SCAN[50:60, 20:180] = 0


def user_unit_pdf(path: Path, object_streams: bool = False) -> Path:
    """Page 1: the scan over a 72 x 108 box of UserUnit 2 (2 x 3 inches). Page 2: a blank 72 x 72 box
    of UserUnit 3 (3 x 3 inches). With ``object_streams`` the page dictionaries lie in compressed
    object streams (as most PDF 1.5+ writers put them), where no search of the file's bytes finds them."""
    pdf = pikepdf.new()
    scan = pikepdf.Stream(pdf, zlib.compress(SCAN.tobytes()), Type=pikepdf.Name.XObject,
                          Subtype=pikepdf.Name.Image, Width=200, Height=300, ColorSpace=pikepdf.Name.DeviceGray,
                          BitsPerComponent=8, Filter=pikepdf.Name.FlateDecode)
    first = pdf.add_blank_page(page_size=(72, 108))
    first.obj.UserUnit = 2
    first.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=scan))
    first.Contents = pdf.make_stream(b"q 72 0 0 108 0 0 cm /Im0 Do Q")
    pdf.add_blank_page(page_size=(72, 72)).obj.UserUnit = 3
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(path, object_stream_mode=mode)
    return path


@pytest.mark.parametrize("object_streams", [False, True], ids=["plain", "object-streams"])
def test_a_page_s_user_unit_gives_its_real_size_and_resolution(tmp_path: Path, object_streams: bool) -> None:
    path = user_unit_pdf(tmp_path / "unit.pdf", object_streams)
    assert object_streams == (b"/UserUnit" not in path.read_bytes())  # the test's own file: hidden or not
    scan, blank = read_pages(path)
    assert scan.dpi == (100.0, 100.0) and scan.gray.shape == (300, 200)  # 2 x 3 inches, was 200 dpi: 1 x 1.5
    assert np.array_equal(np.rint(scan.gray * 255).astype(np.uint8), SCAN)  # still one to one
    assert blank.dpi == (300.0, 300.0) and blank.gray.shape == (900, 900)  # 3 x 3 inches, was 300 x 300 pixels
    assert (page_size(path, 0), page_size(path, 1)) == ((200, 300), (900, 900))
    assert read_page(path, 1).gray.shape == (900, 900)
    at_150 = [page.gray.shape for page in read_pages(path, dpi=150)]
    assert at_150 == [(450, 300), (450, 450)]


def test_the_outputs_of_a_user_unit_page_keep_its_real_size(tmp_path: Path) -> None:
    """A PDF output's page is 2 x 3 inches (144 x 216 pt, UserUnit 1), a TIFF's says 100 dpi."""
    pages = list(read_pages(user_unit_pdf(tmp_path / "unit.pdf")))
    for fmt in ("pdf", "tiff"):
        with PageWriter(tmp_path / f"out.{fmt}", fmt) as writer:
            for page in pages:
                writer.add(page.gray, page.dpi)
    with pikepdf.open(tmp_path / "out.pdf") as out:
        boxes = [[float(v) for v in page.MediaBox] for page in out.pages]
        assert all("/UserUnit" not in page.obj for page in out.pages)
    assert boxes == [[0, 0, 144, 216], [0, 0, 216, 216]]
    with Image.open(tmp_path / "out.tiff") as tif:
        assert (tif.size, tif.info["dpi"]) == ((200, 300), (100.0, 100.0))


@pytest.mark.parametrize("unit", [b"/Two", b"0", b"-2", b"(2)"])
def test_a_user_unit_that_is_no_positive_number_is_one(tmp_path: Path, unit: bytes) -> None:
    objects = [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit %s >>" % unit)]
    page = next(read_pages(build_pdf(tmp_path / "odd.pdf", objects)))
    assert page.gray.shape == (600, 300) and page.dpi == (300.0, 300.0)  # the 1 x 2 inch box, as before


def test_a_file_pypdf_does_not_read_as_it_is_keeps_its_boxes(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    """A wrong cross-reference offset, which pdfium repairs: pypdf would read the whole file into
    memory to rebuild it, so the page is drawn from its box as before, and nothing is printed."""
    objects = [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit 2 >>")]
    path = build_pdf(tmp_path / "damaged.pdf", objects)
    data = path.read_bytes()
    at = data.rindex(b"startxref\n") + len(b"startxref\n")
    path.write_bytes(data[:at] + b"9" + data[at:])  # points past the end of the file
    assert next(read_pages(path)).gray.shape == (600, 300)
    assert capfd.readouterr() == ("", "")
