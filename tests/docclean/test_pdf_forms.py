"""A PDF's filled-in form fields are drawn into its cleaned pages (pdfium's page drawing leaves
widget annotations out: a filled-in name came out blank), where the other annotations are, and its
attached files are warned about (they are not carried into the cleaned file). Every PDF is made in
tmp_path with pikepdf."""

from __future__ import annotations

import warnings
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from docclean.io import read_page, read_pages
from docclean.pdfdraw import draw, render_size
from docclean.pdfpage import native_dpi
from docclean.progress import InputWarning

pikepdf = pytest.importorskip("pikepdf")  # the ocrmypdf extra's, which the README's test command installs
Name, Dictionary, Array, String = pikepdf.Name, pikepdf.Dictionary, pikepdf.Array, pikepdf.String

RNG = np.random.default_rng(5)
# A light 300-dpi scan (no pixel below 200): 640 x 900 pixels, 153.6 x 216 points.
SCAN = np.where(RNG.random((900, 640)) < 0.3, 200, 255).astype(np.uint8)
WIDTH, HEIGHT = 640 * 72 / 300, 900 * 72 / 300
NAME = b"/Tx BMC q BT /Helv 20 Tf 0 g 2 8 Td (JOHN SMITH) Tj ET Q EMC"  # a filled text field's appearance
BLACK = b"0 g 0 0 130 30 re f"


def helvetica() -> pikepdf.Dictionary:
    """A new font dictionary each time: a pikepdf object belongs to the first PDF it is put in."""
    return Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)


def scan_page(pdf: pikepdf.Pdf, box: tuple[float, float, float, float] = (0, 0, WIDTH, HEIGHT),
              rotate: int = 0) -> pikepdf.Dictionary:
    """A page of :data:`SCAN` over ``box`` (x, y, width, height), turned by ``rotate``."""
    x, y, width, height = box
    page = pdf.add_blank_page(page_size=(WIDTH, HEIGHT)).obj
    page.Rotate = rotate
    page.Resources = Dictionary(XObject=Dictionary(Im0=pikepdf.Stream(
        pdf, zlib.compress(SCAN.tobytes()), Type=Name.XObject, Subtype=Name.Image, Width=640, Height=900,
        ColorSpace=Name.DeviceGray, BitsPerComponent=8, Filter=Name.FlateDecode)))
    page.Contents = pikepdf.Stream(pdf, b"q %g 0 0 %g %g %g cm /Im0 Do Q" % (width, height, x, y))
    return page


def add_field(pdf: pikepdf.Pdf, page: pikepdf.Dictionary, rect: tuple[float, float, float, float], flags: int,
              appearance: bytes = NAME) -> None:
    """A text field on ``page`` filled with "JOHN SMITH", its own appearance stream drawing ``appearance``
    over ``rect`` (130 x 30 points), annotation flags ``flags`` (4: print, 2: hidden, 32: not on screen)."""
    stream = pikepdf.Stream(pdf, appearance, Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 130, 30]),
                            Resources=Dictionary(Font=Dictionary(Helv=helvetica())))
    field = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String(f"field{len(page.get('/Annots', []))}"),
        V=String("JOHN SMITH"), DA=String("/Helv 20 Tf 0 g"), F=flags, Rect=Array(rect), P=page,
        AP=Dictionary(N=stream)))
    page.Annots = Array([*page.get("/Annots", []), field])
    if "/AcroForm" not in pdf.Root:
        pdf.Root.AcroForm = Dictionary(Fields=Array(), DR=Dictionary(Font=Dictionary(Helv=helvetica())))
    pdf.Root.AcroForm.Fields.append(field)


def pixels(rect: tuple[float, float, float, float]) -> tuple[slice, slice]:
    """The rows and columns of the 300-dpi page under ``rect`` (points, from the bottom left), a pixel wider."""
    x0, y0, x1, y1 = (round(v * 300 / 72) for v in rect)
    return slice(900 - y1 - 1, 900 - y0 + 1), slice(x0 - 1, x1 + 1)


def test_a_filled_in_form_field_is_drawn_and_a_hidden_one_is_not(tmp_path: Path) -> None:
    # A filled-in text field set to print came out blank: pdfium's page drawing skips form fields.
    pdf = pikepdf.new()
    page = scan_page(pdf)
    shown, hidden, screen_hidden = (10, 170, 140, 200), (10, 100, 140, 130), (10, 30, 140, 60)
    add_field(pdf, page, shown, 4)
    add_field(pdf, page, hidden, 4 | 2, BLACK)
    add_field(pdf, page, screen_hidden, 4 | 32, BLACK)
    scan_page(pdf)  # a page without annotations
    pdf.save(tmp_path / "form.pdf")
    first, second = (np.rint(p.gray * 255).astype(np.uint8) for p in read_pages(tmp_path / "form.pdf"))
    assert first.shape == second.shape == SCAN.shape
    name = first[pixels(shown)]
    assert 0.05 < (name < 100).mean() < 0.5  # the field's value, in black letters
    outside = np.ones(SCAN.shape, bool)
    outside[pixels(shown)] = False
    # Elsewhere, the hidden fields' areas too, every pixel as scanned; the page without annotations all of them.
    assert np.array_equal(first[outside], SCAN[outside])
    assert np.array_equal(second, SCAN)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_a_form_field_lands_where_flattening_the_page_puts_it(tmp_path: Path, rotate: int) -> None:
    # pdfium draws form fields over a whole-pixel rectangle, the page through a matrix that keeps a
    # scan's pixels one to one: a scan inset at a fraction of a point, a turned page, the same place.
    pdf = pikepdf.new()
    page = scan_page(pdf, (10.37, 7.77, WIDTH * 0.8, HEIGHT * 0.8), rotate)
    add_field(pdf, page, (20.1, 50.2, 150.1, 80.2), 4, BLACK)
    pdf.save(tmp_path / "form.pdf")
    drawn = np.rint(read_page(tmp_path / "form.pdf", 0).gray * 255).astype(np.uint8)
    doc = pdfium.PdfDocument(tmp_path / "form.pdf")
    try:
        page = doc[0]
        assert pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_PRINT) == pdfium_c.FLATTEN_SUCCESS
        page.close()
        page = doc[0]  # reloaded: the flattened page's content
        width, height, placement = render_size(page, native_dpi(page), True)
        assert placement is not None
        flat = draw(page, width, height, placement)[..., 0]
        page.close()
    finally:
        doc.close()
    assert (drawn < 128).sum() > 1000
    assert np.array_equal(drawn < 128, flat < 128)


def read_warnings(path: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(read_pages(path))
    return [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


def test_files_attached_to_a_pdf_are_warned_about_by_name(tmp_path: Path) -> None:
    # An attachment (chain-of-custody notes) was dropped from the cleaned file without a word.
    pdf = pikepdf.new()
    scan_page(pdf)
    pdf.attachments["original-scan-notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"box 17", mime_type="text/plain")
    pdf.save(tmp_path / "one.pdf")
    assert read_warnings(tmp_path / "one.pdf") == [
        "1 file attached to the PDF (original-scan-notes.txt) is not carried into the cleaned file"]
    for index in range(6):
        pdf.attachments[f"notes{index}.txt"] = pikepdf.AttachedFileSpec(pdf, b"notes")
    pdf.save(tmp_path / "seven.pdf")
    assert read_warnings(tmp_path / "seven.pdf") == [
        "7 files attached to the PDF (notes0.txt, notes1.txt, notes2.txt, notes3.txt, notes4.txt and 2 more) "
        "are not carried into the cleaned file"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # a preview of one page says nothing
        read_page(tmp_path / "one.pdf", 0)
