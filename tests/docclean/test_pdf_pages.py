"""What docclean reads from a PDF page before rendering it (docclean.pdfpage): image data that does
not decode whole fails the page, a text layer is warned about once per file, and the rendering
resolution is that of the page's sharpest image layer along its sharper axis. Every PDF is a few
hand-written objects made in tmp_path."""

from __future__ import annotations

import io
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.errors import InputError
from docclean.io import page_size, read_page, read_pages
from docclean.progress import InputWarning
from tests.docclean.pdfs import build_pdf

RNG = np.random.default_rng(21)
HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
# An OCR layer: invisible text (render mode 3) over the scan.
OCR_TEXT = b"BT 3 Tr /F1 12 Tf 10 10 Td (Invoice 1987) Tj ET"


class Img:
    """An image XObject: its dictionary entries (without /Length) and stream data."""

    def __init__(self, width: int, height: int, data: bytes, entries: bytes) -> None:
        self.width, self.height, self.data, self.entries = width, height, data, entries

    def body(self) -> bytes:
        return (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d %s /Length %d >>\nstream\n"
                % (self.width, self.height, self.entries, len(self.data)) + self.data + b"\nendstream")


def flate(width: int, height: int, pixels: bytes | None = None) -> Img:
    """A grey Flate image of random pixels (or ``pixels``)."""
    raw = pixels if pixels is not None else RNG.integers(0, 256, width * height, dtype=np.uint8).tobytes()
    return Img(width, height, zlib.compress(raw),
               b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode")


def jpeg(width: int, height: int, progressive: bool = False) -> Img:
    """A grey baseline (or progressive) JPEG image of a smooth page with dark marks."""
    page = np.full((height, width), 235, np.uint8)
    page[height // 3: height // 3 + 4, 5: width - 5] = 20  # a line of "text"
    page[-12:-4, -40:-8] = 30  # ink in the last block row, so a whole page does not end in grey
    buf = io.BytesIO()
    Image.fromarray(page).save(buf, "JPEG", quality=90, progressive=progressive)
    return Img(width, height, buf.getvalue(), b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode")


def mask(width: int, height: int) -> Img:
    """A 1-bit stencil mask (the text layer of an MRC page)."""
    raw = RNG.integers(0, 256, ((width + 7) // 8) * height, dtype=np.uint8).tobytes()
    return Img(width, height, zlib.compress(raw), b"/ImageMask true /BitsPerComponent 1 /Filter /FlateDecode")


def pdf(path: Path, pages: list[tuple[tuple[float, float], list[tuple[Img, bytes]], bytes]]) -> Path:
    """A PDF of ``pages``: each a (width, height) in points, its images with the ``cm`` matrix
    that places each (b"a b c d e f"), and extra content (text drawn in Helvetica as /F1)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for (width, height), images, extra in pages:
        first = len(objects) + 1  # the page's number; its content and images follow it
        names = b" ".join(b"/Im%d %d 0 R" % (i, first + 2 + i) for i in range(len(images)))
        content = b" ".join(b"q %s cm /Im%d Do Q" % (matrix, i) for i, (_, matrix) in enumerate(images))
        content += b" " + extra
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /XObject << %s >> "
                       b"/Font << /F1 %s >> >> /Contents %d 0 R >>" % (width, height, names, HELVETICA, first + 1))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.extend(image.body() for image, _ in images)
        kids.append(b"%d 0 R" % first)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    path.parent.mkdir(parents=True, exist_ok=True)
    return build_pdf(path, objects)


def full_page(image: Img, dpi: float = 150.0) -> tuple[tuple[float, float], list[tuple[Img, bytes]], bytes]:
    """A scanned page: ``image`` over the whole page at ``dpi``."""
    width, height = image.width * 72 / dpi, image.height * 72 / dpi
    return (width, height), [(image, b"%g 0 0 %g 0 0" % (width, height))], b""


def cut(image: Img, keep: float) -> Img:
    """``image`` with its stream data cut to its first ``keep`` share."""
    return Img(image.width, image.height, image.data[: int(len(image.data) * keep)], image.entries)


def replaced(image: Img, data: bytes) -> Img:
    return Img(image.width, image.height, data, image.entries)


def test_a_page_whose_flate_image_data_is_damaged_fails_naming_the_file_and_page(tmp_path: Path) -> None:
    # pdfium drew what it could not decode as flat grey, which cleaning turned into white paper:
    # the file was reported cleaned.
    good = flate(60, 40)
    path = pdf(tmp_path / "scan.pdf", [full_page(good), full_page(cut(flate(60, 40), 0.4)), full_page(good)])
    pages = read_pages(path)
    assert next(pages).index == 0  # the pages before it read as ever
    with pytest.raises(InputError) as info:
        next(pages)
    pages.close()
    assert str(info.value) == (f"{path}: page 2: truncated or incomplete image data "
                               "(a 60 x 40 image: its Flate data ends early)")
    garbage = pdf(tmp_path / "garbage.pdf", [full_page(replaced(good, RNG.bytes(800)))])
    with pytest.raises(InputError, match=r"page 1: corrupt image data \(a 60 x 40 image: its Flate data"):
        list(read_pages(garbage))
    with pytest.raises(InputError, match="page 2: truncated"):  # a preview of that page says it too
        read_page(path, 1)
    # Whole data that pdfium draws whole reads as before: without its Adler-32 checksum, with bytes
    # after its end.
    whole = [replaced(good, good.data[:-4]), replaced(good, good.data + b"\r\n")]
    assert len(list(read_pages(pdf(tmp_path / "whole.pdf", [full_page(image) for image in whole])))) == 2


def test_a_truncated_jpeg_in_a_pdf_is_refused_and_one_lacking_only_its_end_marker_is_not(tmp_path: Path) -> None:
    # A receipt whose JPEG was cut to a third came out as a whole-looking receipt ending after the address.
    whole = jpeg(96, 128)
    assert whole.data.endswith(b"\xff\xd9")
    for keep in (0.33, 0.9):
        path = pdf(tmp_path / f"cut{keep}.pdf", [full_page(cut(whole, keep))])
        with pytest.raises(InputError) as info:
            list(read_pages(path))
        assert info.value.reason == ("page 1: truncated or incomplete image data "
                                     "(a 96 x 128 image: its JPEG data ends early)")
    with pytest.raises(InputError, match=r"page 1: corrupt image data \(a 96 x 128 image: its JPEG data has no start"):
        list(read_pages(pdf(tmp_path / "garbage.pdf", [full_page(replaced(whole, b"x" * 500))])))
    progressive = cut(jpeg(96, 128, progressive=True), 0.6)
    with pytest.raises(InputError, match="page 1: truncated or incomplete image data"):
        list(read_pages(pdf(tmp_path / "progressive.pdf", [full_page(progressive)])))
    # A JPEG that lacks only its end marker holds the whole page (pdfium draws all of it but its
    # last 8 x 8 block); padding after the marker or bytes before the start (which pdfium skips)
    # are no damage.
    fine = [replaced(whole, whole.data[:-2]), replaced(whole, b"\0\r\n" + whole.data + b"\n\0\0"), whole]
    pages = list(read_pages(pdf(tmp_path / "fine.pdf", [full_page(image) for image in fine])))
    assert len(pages) == 3
    np.testing.assert_array_equal(pages[0].gray[:-8], pages[2].gray[:-8])
    np.testing.assert_array_equal(pages[1].gray, pages[2].gray)


def test_a_damaged_pdf_page_is_one_error_line_and_the_file_fails(tmp_path: Path) -> None:
    import torch
    from typer.testing import CliRunner

    from cli.main import app
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    model = save_model(net, tmp_path / "tiny.safetensors", "docunet", net.config.to_dict(), {"metrics": {}})
    scan = pdf(tmp_path / "in" / "receipt.pdf", [full_page(flate(40, 56)), full_page(cut(jpeg(40, 56), 0.3))])
    result = CliRunner().invoke(app, ["clean", str(scan), "-o", str(tmp_path / "out"), "--model", str(model),
                                      "--device", "cpu"])
    assert result.exit_code == 1, result.output
    assert (f"error: {scan}: page 2: truncated or incomplete image data (a 40 x 56 image: its JPEG data ends early)"
            in result.output.splitlines())
    assert not (tmp_path / "out" / "receipt.pdf").exists()


def text_pdf(path: Path, texts: list[bool]) -> Path:
    """A scanned PDF whose pages carry an invisible OCR text layer where ``texts`` says."""
    pages = []
    for text in texts:
        size, images, _ = full_page(flate(30, 20))
        pages.append((size, images, OCR_TEXT if text else b""))
    return pdf(path, pages)


def read_all(path: Path) -> tuple[int, list[str]]:
    """(pages read, the InputWarnings said while reading them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        count = len(list(read_pages(path)))
    return count, [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


def test_a_pdf_with_searchable_text_warns_once_that_the_cleaned_pages_do_not_keep_it(tmp_path: Path) -> None:
    # An OCR'd PDF cleaned to PDF lost its searchable text without a word.
    assert read_all(text_pdf(tmp_path / "ocr.pdf", [True, False, True])) == (3, [
        "2 of 3 pages have searchable text, which the cleaned pages do not keep; OCR them again (README: OCRmyPDF)"])
    assert read_all(text_pdf(tmp_path / "one.pdf", [False, True]))[1] == [
        "1 of 2 pages has searchable text, which the cleaned page does not keep; OCR it again (README: OCRmyPDF)"]
    assert read_all(text_pdf(tmp_path / "all.pdf", [True, True]))[1] == [
        "all 2 pages have searchable text, which the cleaned pages do not keep; OCR them again (README: OCRmyPDF)"]
    assert read_all(text_pdf(tmp_path / "single.pdf", [True]))[1] == [
        "its page has searchable text, which the cleaned page does not keep; OCR it again (README: OCRmyPDF)"]
    assert read_all(text_pdf(tmp_path / "scan.pdf", [False, False])) == (2, [])  # a plain scan: nothing to say
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # a preview of one page says nothing
        read_page(tmp_path / "ocr.pdf", 0)


def test_the_text_layer_warning_lands_in_the_file_s_record(tmp_path: Path) -> None:
    import torch

    from docclean.batch import clean_batch
    from docclean.checkpoint import save_model
    from docclean.engine import Denoiser
    from docclean.model import DocUNet, DocUNetConfig
    from docclean.settings import CleanSettings

    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    model = save_model(net, tmp_path / "tiny.safetensors", "docunet", net.config.to_dict(), {"metrics": {}})
    denoiser = Denoiser.load(model, device="cpu", precision="fp32")
    source = text_pdf(tmp_path / "in" / "ocr.pdf", [True, False])
    report = clean_batch([str(source)], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    (result,) = report.files
    assert result.status == "cleaned"
    said = [w for w in result.warnings if "searchable text" in w]
    assert len(said) == 1 and said[0].endswith(
        "1 of 2 pages has searchable text, which the cleaned page does not keep; OCR it again (README: OCRmyPDF)")


def test_an_mrc_page_renders_at_its_text_layer_s_resolution_not_its_background_s(tmp_path: Path) -> None:
    # A 50-dpi colour background under a 300-dpi text mask rendered at 72 dpi: blocky letters.
    width, height = 120.0, 96.0  # points: 500 x 400 pixels at 300 dpi
    page = b"%g 0 0 %g 0 0" % (width, height)
    background, text = flate(83, 67), mask(500, 400)
    mrc = pdf(tmp_path / "mrc.pdf", [((width, height), [(background, page), (text, page)], b"")])
    assert [p.dpi for p in read_pages(mrc)] == [(300.0, 300.0)]
    assert page_size(mrc) == (500, 400)
    # A text mask cropped to the text block (a third of the page) still counts.
    block = b"%g 0 0 %g 10 10" % (width * 0.6, height * 0.6)
    cropped = pdf(tmp_path / "cropped.pdf", [((width, height), [(background, page), (mask(300, 240), block)], b"")])
    assert read_page(cropped, 0).dpi == (300.0, 300.0)
    # A 600-dpi logo on a 150-dpi scan covers 4% of the page: the page stays at 150 dpi.
    logo = b"%g 0 0 %g 4 4" % (width / 5, height / 5)
    scan = pdf(tmp_path / "logo.pdf", [((width, height), [(flate(250, 200), page), (flate(200, 160), logo)], b"")])
    assert read_page(scan, 0).dpi == (150.0, 150.0)


def test_an_anisotropic_fax_renders_at_its_sharper_axis(tmp_path: Path) -> None:
    # A 204 x 98 dpi fax rendered at sqrt(204 * 98) = 141 dpi lost 31% of its rows' pixels.
    fax = flate(204, 98)  # one inch square
    upright = pdf(tmp_path / "fax.pdf", [((72, 72), [(fax, b"72 0 0 72 0 0")], b"")])
    page = read_page(upright, 0)
    assert page.dpi == (204.0, 204.0) and page.gray.shape == (204, 204)
    turned = pdf(tmp_path / "turned.pdf", [((72, 72), [(fax, b"0 72 -72 0 72 0")], b"")])  # placed a quarter turn
    assert read_page(turned, 0).dpi == (204.0, 204.0)
    assert page_size(turned) == (204, 204)


def test_an_image_inside_a_scaled_form_is_measured_on_the_page(tmp_path: Path) -> None:
    # pdfium gives an object inside a form XObject its matrix in the form's space: a 150-dpi scan
    # drawn through a form at twice its size read as a 300-dpi quarter page, not a scan at all.
    image = flate(300, 300)  # one inch in the form, two on the page
    form = b"q 72 0 0 72 0 0 cm /Im0 Do Q"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 144] /Resources << /XObject << /Fm0 5 0 R >> >> "
               b"/Contents 4 0 R >>",
               b"<< /Length 26 >>\nstream\nq 2 0 0 2 0 0 cm /Fm0 Do Q\nendstream",
               b"<< /Type /XObject /Subtype /Form /BBox [0 0 72 72] /Resources << /XObject << /Im0 6 0 R >> >> "
               b"/Length %d >>\nstream\n" % len(form) + form + b"\nendstream",
               image.body()]
    path = build_pdf(tmp_path / "form.pdf", objects)
    assert read_page(path, 0).dpi == (150.0, 150.0)


def test_the_cli_shows_the_text_layer_warning_without_verbose(tmp_path: Path) -> None:
    import torch
    from typer.testing import CliRunner

    from cli.main import app
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    model = save_model(net, tmp_path / "tiny.safetensors", "docunet", net.config.to_dict(), {"metrics": {}})
    source = text_pdf(tmp_path / "in" / "ocr.pdf", [True])
    result = CliRunner().invoke(app, ["clean", str(source), "-o", str(tmp_path / "out"), "--model", str(model),
                                      "--device", "cpu", "-q"])
    assert result.exit_code == 0, result.output
    assert (f"warning: {source}: its page has searchable text, which the cleaned page does not keep; OCR it again "
            "(README: OCRmyPDF)") in result.output.splitlines()


def test_a_page_too_large_says_at_which_resolution_it_fits(tmp_path: Path) -> None:
    # "page 1 too large at 300 dpi (...)" left the user to work out what to do about it.
    from docclean.io import write_page

    big = tmp_path / "a0.pdf"
    write_page(big, np.full((200, 100), 0.8, np.float32), dpi=(10.0, 10.0))  # 20 x 10 inches
    with pytest.raises(InputError) as info:
        list(read_pages(big, dpi=300, max_pixels=1_000_000))
    assert info.value.reason == ("page 1 too large at 300 dpi (3000 x 6000 pixels, limit 1,000,000); clean it at "
                                 "70 dpi or less, or raise the pixel limit")
    assert len(list(read_pages(big, dpi=70, max_pixels=1_000_000))) == 1  # and it does


def test_bytes_after_a_whole_jpeg_s_end_marker_are_no_damage(tmp_path: Path) -> None:
    # A phone's trailer after the JPEG (a Samsung "SEFH" block) failed the page as truncated: any
    # progressive JPEG with one, and a baseline one whose last block happened to be mid-grey.
    trailer = b"SEFH" + bytes(range(256)) * 4
    grey_corner = np.full((128, 96), 128, np.uint8)
    grey_corner[40:44, 5:90] = 20
    buf = io.BytesIO()
    Image.fromarray(grey_corner).save(buf, "JPEG", quality=90)
    baseline = replaced(jpeg(96, 128), buf.getvalue() + trailer)
    progressive = jpeg(96, 128, progressive=True)
    images = [baseline, replaced(progressive, progressive.data + trailer)]
    pages = list(read_pages(pdf(tmp_path / "trailers.pdf", [full_page(image) for image in images])))
    assert len(pages) == 2
    with pytest.raises(InputError, match="page 1: truncated or incomplete image data"):  # cut, then a trailer
        list(read_pages(pdf(tmp_path / "cut.pdf", [full_page(replaced(progressive, cut(progressive, 0.6).data
                                                                       + trailer))])))


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("origin", [(0.0, 0.0), (30.3, 40.7)])
def test_a_scan_under_a_box_a_fraction_of_a_pixel_off_keeps_its_pixels_one_to_one(
        tmp_path: Path, rotate: int, origin: tuple[float, float]) -> None:
    """A4 at 300 dpi is 2480.3 x 3507.9 pixels: a scanner's 2480 x 3508 image was drawn over 2481
    columns, so every column was resampled and a 1-bit page got grey edges (no longer 1-bit, it
    missed the engine's 1-bit step; a dithered page came out covered in dots)."""
    bits = RNG.integers(0, 2, (90, 64), dtype=np.uint8) * 255  # a 1-bit page's pixels, as grey
    width, height = 64 * 72 / 300 + 0.0251, 90 * 72 / 300 - 0.0251  # 64.1 x 89.9 px at 300 dpi
    x, y = origin  # a page box that does not start at 0 0
    path = pdf(tmp_path / "a4.pdf", [((width, height), [(flate(64, 90, bits.tobytes()), b"%g 0 0 %g %g %g" % (
        width, height, x, y))], b"")])
    box = b"/Rotate %d /MediaBox [%g %g %g %g]" % (rotate, x, y, x + width, y + height)
    path.write_bytes(path.read_bytes().replace(b"/MediaBox [0 0 %g %g]" % (width, height), box))
    page = read_page(path, 0)
    shown = np.rot90(bits, -rotate // 90)  # /Rotate turns the page clockwise
    assert page.gray.shape == shown.shape and page_size(path) == shown.shape[::-1]
    assert np.array_equal(np.rint(page.gray * 255).astype(np.uint8), shown)  # every pixel as scanned


def test_a_page_whose_box_shows_nothing_says_so(tmp_path: Path) -> None:
    # A CropBox outside the MediaBox leaves nothing to draw: "corrupt or unreadable file (Crop
    # exceeds page dimensions)" said so before, then "float division by zero".
    path = pdf(tmp_path / "off.pdf", [full_page(flate(30, 30))])
    path.write_bytes(path.read_bytes().replace(b"/MediaBox", b"/CropBox [1000 1000 1200 1200] /MediaBox"))
    for read in (lambda: page_size(path), lambda: list(read_pages(path))):
        with pytest.raises(InputError, match="page 1 shows nothing: its page box is empty"):
            read()
