"""PDF pages pdfium draws blank or garbled without a word, refused before they are cleaned
(docclean.pdfcheck, docclean.pdfpage): Flate image data whose checksum is wrong or that is shorter
than its image's size, a content stream that does not decode, a name drawn with Do that the file
does not hold; a page without a size is warned about. Valid variants read as before: Flate data
without its checksum, a PNG predictor, a page with no content, an image drawn through a form.
Every PDF is a few hand-written objects made in tmp_path (tests.docclean.test_pdf_pages)."""

from __future__ import annotations

import random
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

from docclean.errors import InputError
from docclean.io import read_page, read_pages
from docclean.progress import InputWarning
from tests.docclean.pdfs import build_pdf
from tests.docclean.test_pdf_pages import Img, full_page, pdf

#: A 60 x 40 grey scan's pixels: random, so zlib stores them as they are and zeroed bytes inflate.
PIXELS = random.Random(5).randbytes(60 * 40)
GREY = b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
#: The scan over a whole 28.8 x 19.2 pt page (150 dpi).
DRAW = b"q 28.8 0 0 19.2 0 0 cm /Im0 Do Q"
BOX = b"/MediaBox [0 0 28.8 19.2]"
CUT = "truncated or incomplete image data"


def scan(data: bytes | None = None, entries: bytes = GREY, width: int = 60, height: int = 40) -> Img:
    """The scan's image: its pixels zlib-compressed, or ``data``."""
    return Img(width, height, zlib.compress(PIXELS) if data is None else data, entries)


def short(size: str, held: int, needed: int) -> str:
    """The reason a page 1 whose ``size`` image's Flate data inflates to too few bytes is refused with."""
    return f"page 1: {CUT} (a {size} image: its Flate data holds {held:,} of the {needed:,} bytes its size needs)"


def stream(entries: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (entries, len(data)) + data + b"\nendstream"


def build(path: Path, pages: list[tuple[bytes, bytes | None]], more: list[bytes]) -> Path:
    """A PDF of ``pages``, each its dictionary's entries (box, resources) and its content (None:
    none), then ``more``: page i is object 3 + 2i, its content 4 + 2i, ``more`` from 3 + 2n."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
                   b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(len(pages))), len(pages))]
    for i, (entries, content) in enumerate(pages):
        contents = b" /Contents %d 0 R" % (4 + 2 * i) if content is not None else b""
        objects += [b"<< /Type /Page /Parent 2 0 R %s%s >>" % (entries, contents), stream(b"", content or b"")]
    path.parent.mkdir(parents=True, exist_ok=True)
    return build_pdf(path, objects + more)


def image_page(path: Path, content: bytes = DRAW, pages: int = 1, compress: bool = False) -> Path:
    """``pages`` pages drawing the scan as /Im0, with ``content`` on the last (Flate-compressed with
    ``compress``), :data:`DRAW` on the others."""
    entries = BOX + b" /Resources << /XObject << /Im0 %d 0 R >> >>" % (3 + 2 * pages)
    path = build(path, [(entries, DRAW)] * (pages - 1) + [(entries, content)], [scan().body()])
    if compress:  # the same file with the last content stream's data packed: only its offsets change
        data = path.read_bytes()
        plain, packed = stream(b"", content), stream(b"/Filter /FlateDecode", zlib.compress(content))
        objects = [body for _, body in sorted(_objects(data).items())]
        objects[objects.index(plain)] = packed
        path = build_pdf(path, objects)
    return path


def _objects(data: bytes) -> dict[int, bytes]:
    """The bodies of a :func:`build_pdf` file's objects, by number."""
    found = {}
    for part in data.split(b"\nendobj\n")[:-1]:
        head, body = part.split(b" 0 obj\n", 1)
        found[int(head.rsplit(b"\n", 1)[-1])] = body
    return found


def damaged(path: Path, old: bytes, new: bytes) -> Path:
    """``path`` with ``old`` (found once) replaced by ``new`` of the same length: the
    cross-reference table stays right, so only that damage is there."""
    data = path.read_bytes()
    assert data.count(old) == 1 and len(old) == len(new)
    path.write_bytes(data.replace(old, new))
    return path


def refused(path: Path) -> str:
    """The reason reading ``path`` fails with, checked to name the file."""
    with pytest.raises(InputError) as info:
        list(read_pages(path))
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


def read_quietly(path: Path) -> list:
    """The pages of ``path``, read with no InputWarning said."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        return list(read_pages(path))


def test_flate_image_data_whose_checksum_is_present_and_wrong_is_refused(tmp_path: Path) -> None:
    # 64 bytes zeroed in the middle inflate to their end marker: pdfium drew the rows garbled.
    data = bytearray(zlib.compress(PIXELS))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    with pytest.raises(zlib.error, match="incorrect data check"):
        zlib.decompress(bytes(data))
    path = pdf(tmp_path / "zeroed.pdf", [full_page(scan()), full_page(scan(bytes(data)))])
    assert refused(path) == ("page 2: corrupt image data (a 60 x 40 image: its Flate data does not match its "
                             "checksum (incorrect data check))")


def test_flate_image_data_without_its_checksum_is_no_damage(tmp_path: Path) -> None:
    # Some writers end the deflate data and write no Adler-32; pdfium draws it whole.
    whole = zlib.compress(PIXELS)
    smooth = bytes(range(60)) * 40  # compressed for real (not stored): the end marker is in Huffman codes
    variants = [whole[:-4], whole[:-4] + b"\r\n", whole[:-4] + b"\n\n\n\n", whole + b"\r\n",
                zlib.compress(smooth)[:-4]]
    pages = read_quietly(pdf(tmp_path / "fine.pdf", [full_page(scan(data)) for data in variants]))
    assert len(pages) == 5
    assert pages[0].gray.std() > 0.1  # the scan, drawn


def test_flate_image_data_shorter_than_its_size_is_refused(tmp_path: Path) -> None:
    # pdfium drew the rows the data lacks blank: a page twice as tall as its data came out half white.
    tall = pdf(tmp_path / "tall.pdf", [full_page(scan(height=80))])
    assert refused(tall) == short("60 x 80", 2400, 4800)
    rgb = pdf(tmp_path / "rgb.pdf", [full_page(scan(entries=GREY.replace(b"DeviceGray", b"DeviceRGB")))])
    assert refused(rgb) == short("60 x 40", 2400, 7200)
    wide = pdf(tmp_path / "wide.pdf", [((28.8, 19.2), [(scan(width=1_000_000), b"28.8 0 0 19.2 0 0")], b"")])
    assert "(a 1000000 x 40 image: its Flate data holds 2,400 of the 40,000,000 bytes" in refused(wide)
    # A size beyond the pixel limit is not inflated: the data's length tells it cannot hold it.
    huge = pdf(tmp_path / "huge.pdf", [((40, 60), [(scan(width=100_000, height=100_000), b"40 0 0 60 0 0")], b"")])
    assert refused(huge) == (f"page 1: {CUT} (a 100000 x 100000 image: its Flate data ({len(scan().data):,} bytes) "
                             "cannot hold the 10,000,000,000 bytes its size needs)")
    # Unfiltered data too.
    raw = pdf(tmp_path / "raw.pdf", [full_page(scan(PIXELS[:1800], b"/ColorSpace /DeviceGray /BitsPerComponent 8"))])
    assert refused(raw) == (f"page 1: {CUT} (a 60 x 40 image: its data (1,800 bytes) cannot hold the 2,400 bytes "
                            "its size needs)")


def test_a_png_predictor_and_other_row_layouts_are_counted_right(tmp_path: Path) -> None:
    rows = b"".join(b"\x00" + PIXELS[60 * y: 60 * y + 60] for y in range(40))  # a tag byte before each row
    parms = GREY + b" /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns 60 >>"
    in_array = b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/FlateDecode] /DecodeParms [%s]" % (
        parms.split(b"/DecodeParms ")[1])
    mask = b"/ImageMask true /BitsPerComponent 1 /Filter /FlateDecode"
    fine = [scan(zlib.compress(rows), parms), scan(zlib.compress(rows), in_array),
            scan(zlib.compress(PIXELS[:320]), mask),
            scan(zlib.compress(PIXELS * 3), GREY.replace(b"DeviceGray", b"DeviceRGB"))]
    pages = read_quietly(pdf(tmp_path / "fine.pdf", [full_page(image) for image in fine]))
    assert len(pages) == 4
    np.testing.assert_array_equal(pages[0].gray, pages[1].gray)
    cut = pdf(tmp_path / "short.pdf", [full_page(scan(zlib.compress(rows[:-61]), parms))])
    assert refused(cut) == short("60 x 40", 2379, 2440)


def test_a_content_stream_that_does_not_decode_is_refused(tmp_path: Path) -> None:
    # pdfium drew what it could inflate of the page's content: here nothing, a blank page cleaned.
    path = image_page(tmp_path / "content.pdf", DRAW + b"\n" + b"0 0 0 rg 1 1 2 2 re f\n" * 8, pages=2, compress=True)
    packed = zlib.compress(DRAW + b"\n" + b"0 0 0 rg 1 1 2 2 re f\n" * 8)
    flipped = bytearray(packed)
    flipped[6] ^= 0xFF
    with pytest.raises(zlib.error):
        zlib.decompress(bytes(flipped))
    damaged(path, packed, bytes(flipped))
    reason = refused(path)
    assert reason.startswith("page 2: its content stream cannot be decoded (its Flate data "), reason
    # Content without a zlib header (raw deflate): pdfium draws none of it.
    raw = image_page(tmp_path / "raw.pdf", DRAW, compress=True)
    damaged(raw, zlib.compress(DRAW), b"  " + zlib.compress(DRAW)[2:])
    assert refused(raw) == "page 1: its content stream cannot be decoded (its Flate data has no zlib header)"
    # Compressed content that is whole reads.
    assert len(read_quietly(image_page(tmp_path / "whole.pdf", DRAW, pages=2, compress=True))) == 2


def test_a_page_drawing_an_image_the_file_does_not_hold_is_refused(tmp_path: Path) -> None:
    # pdfium drew nothing for a name missing from the page's resources: a blank page, cleaned.
    missing = image_page(tmp_path / "missing.pdf", DRAW.replace(b"/Im0", b"/ImX"))
    assert refused(missing) == "page 1: draws an image /ImX that the file does not hold"
    name = damaged(image_page(tmp_path / "name.pdf", pages=2), DRAW + b"\nendstream\nendobj\n7 0 obj",
                   DRAW.replace(b"/Im0", b"/Im ") + b"\nendstream\nendobj\n7 0 obj")
    assert refused(name) == "page 2: draws an image /Im that the file does not hold"
    header = damaged(image_page(tmp_path / "header.pdf"), b"5 0 obj", b"5 0 oxj")
    assert refused(header) == "page 1: draws an image /Im0 that cannot be read (its object 5 is damaged)"
    keyword = damaged(image_page(tmp_path / "keyword.pdf"), b" >>\nstream\nx", b" >>\nstrexm\nx")
    assert refused(keyword) == "page 1: draws an image /Im0 that cannot be read (its data is not a stream)"
    subtype = damaged(image_page(tmp_path / "subtype.pdf"), b"/Subtype /Image", b"/Subtypo /Image")
    assert refused(subtype) == "page 1: draws /Im0, which is neither an image nor a form (its /Subtype is missing)"
    # A damaged filter name: pdfium has the image but cannot decode it.
    filtered = damaged(image_page(tmp_path / "filter.pdf"), b"/FlateDecode", b"/FlateDecodf")
    assert refused(filtered) == ("page 1: corrupt image data (a 60 x 40 image: its data is coded with /FlateDecodf, "
                                 "a filter PDF does not have)")


FORM = b"q 28.8 0 0 19.2 0 0 cm /Im0 Do Q"


def form_pdf(path: Path, form_resources: bytes, form_content: bytes = FORM) -> Path:
    """A page drawing form /Fm0 (object 5), which draws the scan (object 6) with ``form_content``
    from ``form_resources`` (b"": none of its own; the page's hold /Im0 too)."""
    page = BOX + b" /Resources << /XObject << /Fm0 5 0 R /Im0 6 0 R >> >>"
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 28.8 19.2] " + form_resources, form_content)
    return build(path, [(page, b"/Fm0 Do")], [form, scan().body()])


def test_valid_pages_are_not_refused(tmp_path: Path) -> None:
    own = form_pdf(tmp_path / "own.pdf", b"/Resources << /XObject << /Im0 6 0 R >> >>")
    inherited = form_pdf(tmp_path / "inherited.pdf", b"")  # pdfium looks the name up in the page's resources
    drawn = read_quietly(own) + read_quietly(inherited)
    assert [page.gray.std() > 0.1 for page in drawn] == [True, True]
    # No content at all, or an empty array of it: a blank page is no damage.
    blank = build(tmp_path / "blank.pdf", [(BOX, None), (BOX + b" /Contents []", None)], [])
    assert [float(page.gray.min()) for page in read_quietly(blank)] == [1.0, 1.0]
    # A string that reads like "/ImX Do" draws no image.
    text = image_page(tmp_path / "text.pdf", DRAW + b" BT /F1 4 Tf 1 1 Td (/ImX Do) Tj ET")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # its searchable text
        assert len(list(read_pages(text))) == 1
    # A form that draws an image the file does not hold is refused like the page.
    assert refused(form_pdf(tmp_path / "form.pdf", b"/Resources << /XObject << /Im0 6 0 R >> >>",
                            FORM.replace(b"/Im0", b"/ImX"))) == (
        "page 1: its form /Fm0 draws an image /ImX that the file does not hold")


def test_a_page_without_a_size_is_drawn_on_letter_paper_with_a_warning(tmp_path: Path) -> None:
    # pdfium drew a 40 x 60 scan into a corner of a US Letter page, without a word.
    entries = b"/Resources << /XObject << /Im0 7 0 R >> >>"
    path = build(tmp_path / "nobox.pdf", [(entries, DRAW), (b"/MediaBox [0 0 0 0] " + entries, DRAW)],
                 [scan().body()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = list(read_pages(path))
    assert [page.gray.shape for page in pages] == [(3300, 2550)] * 2
    assert [str(w.message) for w in caught if issubclass(w.category, InputWarning)] == [
        "pages 1 and 2 have no page size (no usable /MediaBox): they are cleaned on US Letter paper (8.5 x 11 in), "
        "as PDF viewers show them; what they hold may lie in a corner of them"]
    # A box the page tree gives every page is its size: nothing to say.
    inherited = image_page(tmp_path / "inherited.pdf")
    objects = [body for _, body in sorted(_objects(inherited.read_bytes()).items())]
    objects[1] = objects[1].replace(b"/Count 1", b"/Count 1 " + BOX)
    objects[2] = objects[2].replace(BOX, b"")
    build_pdf(inherited, objects)
    assert read_quietly(inherited)[0].gray.shape == (40, 60)
    with warnings.catch_warnings(record=True) as caught:  # one page read alone: what is said of it alone
        warnings.simplefilter("always")
        read_page(path, 0)
    assert [str(w.message) for w in caught if issubclass(w.category, InputWarning)] == [
        "page 1 has no page size (no usable /MediaBox): it is cleaned on US Letter paper (8.5 x 11 in), "
        "as PDF viewers show it; what it holds may lie in a corner of it"]


def test_damaged_pdfs_fail_one_line_each_and_a_good_one_beside_them_is_cleaned(tmp_path: Path, denoiser) -> None:
    from docclean.batch import clean_batch
    from docclean.settings import CleanSettings

    inbox = tmp_path / "in"
    good = image_page(inbox / "good.pdf")
    data = bytearray(zlib.compress(PIXELS))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    bad = {pdf(inbox / "checksum.pdf", [full_page(scan(bytes(data)))]): "page 1: corrupt image data",
           pdf(inbox / "short.pdf", [full_page(scan(height=80))]): f"page 1: {CUT}",
           image_page(inbox / "missing.pdf", DRAW.replace(b"/Im0", b"/ImX")): "page 1: draws an image /ImX"}
    report = clean_batch([str(good), *map(str, bad)], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    results = {result.source: result for result in report.files}
    assert results[good].status == "cleaned" and (tmp_path / "out" / "good.pdf").exists()
    for path, reason in bad.items():
        error = results[path].error
        assert results[path].status == "failed" and error.startswith(f"{path}: {reason}") and "\n" not in error
