"""A page read alone hands back what its reader warned of it apart from what it warned of its file
(``docclean.io.read_page_with_warnings``): the desktop app shows the one with the page and the other
once for the file, where it read a PDF up to the page shown and gave the file's warnings (and page
1's) to every page."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pikepdf
import pytest

from docclean.errors import InputError
from docclean.io import PageWriter, read_page, read_page_with_warnings, read_pages
from docclean.progress import InputWarning
from tests.docclean.test_pdf_pages import text_pdf
from tests.docclean.test_tiff_damage import bits, hears_warnings, save, strip

ATTACHED = "1 file attached to the PDF (notes.txt) is not carried into the cleaned file"


def texts(said: tuple[warnings.WarningMessage, ...]) -> list[str]:
    return [str(w.message) for w in said]


def said_by_the_batch(path: Path) -> list[str]:
    """What reading every page of ``path`` warns, as the batch hears it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(read_pages(path, dpi=12))
    return [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


@pytest.fixture(autouse=True)
def every_warning():  # noqa: ANN201 - a page read twice says its warnings twice
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def attached_pdf(path: Path, boxless: int | None = None) -> Path:
    """A 3-page image PDF with a file attached to it; page ``boxless`` (0-based) without a /MediaBox."""
    with PageWriter(path.with_suffix(".tmp.pdf")) as writer:
        for grey in (0.9, 0.8, 0.7):
            writer.add(np.full((50, 70), grey, np.float32), (72.0, 72.0))
    with pikepdf.open(path.with_suffix(".tmp.pdf")) as pdf:
        if boxless is not None:
            del pdf.pages[boxless].obj["/MediaBox"]
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"chain of custody", filename="notes.txt")
        pdf.save(path)
    return path


def test_a_pdf_s_own_warnings_are_its_file_s_and_a_page_s_are_that_page_s(tmp_path: Path) -> None:
    path = attached_pdf(tmp_path / "attached.pdf", boxless=1)
    reads = [read_page_with_warnings(path, index, dpi=12, of_file=True) for index in range(3)]
    assert [texts(read.file_warnings) for read in reads] == [[ATTACHED]] * 3
    boxless = ("page 2 has no page size (no usable /MediaBox): it is cleaned on US Letter paper (8.5 x 11 in), "
               "as PDF viewers show it; what it holds may lie in a corner of it")
    assert [texts(read.warnings) for read in reads] == [[], [boxless], []]
    assert said_by_the_batch(path) == [ATTACHED, boxless]  # the same words
    assert read_page_with_warnings(path, 2, dpi=12).file_warnings == ()  # not asked: not looked for
    assert [read.page.index for read in reads] == [0, 1, 2]
    assert np.allclose(reads[2].page.gray, 0.7, atol=0.01)


def test_a_pdf_s_text_layer_is_said_of_its_file_whichever_page_is_read(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "ocr.pdf", [True, False, True])
    said = "2 of 3 pages have searchable text, which the cleaned pages do not keep; OCR them again (README: OCRmyPDF)"
    assert said_by_the_batch(path) == [said]
    for index in range(3):
        read = read_page_with_warnings(path, index, of_file=True)
        assert texts(read.file_warnings) == [said] and read.warnings == ()


@hears_warnings
def test_a_tiff_page_s_damage_is_that_page_s_not_the_next_one_s(tmp_path: Path) -> None:
    path = save(tmp_path / "fax.tif", [bits(0), bits(1)], compression="group4")
    offset, _ = strip(path, 0)
    data = bytearray(path.read_bytes())
    data[offset + 28] ^= 0xFF  # page 1's data: libtiff decodes it, warning
    path.write_bytes(bytes(data))
    first, second = (read_page_with_warnings(path, index, of_file=True) for index in range(2))
    assert len(first.warnings) == 1 and str(first.warnings[0].message).startswith("page 1 damaged image data")
    assert second.warnings == () and first.file_warnings == second.file_warnings == ()
    with warnings.catch_warnings(record=True) as caught:  # read_page warns it, as it did
        warnings.simplefilter("always")
        read_page(path, 0)
    assert texts(tuple(caught)) == texts(first.warnings)


def test_a_page_past_the_last_is_an_input_error(tmp_path: Path) -> None:
    path = attached_pdf(tmp_path / "attached.pdf")
    with pytest.raises(InputError, match="has no page 4"):
        read_page_with_warnings(path, 3, of_file=True)
    with pytest.raises(InputError, match="has no page 3"):
        read_page_with_warnings(save(tmp_path / "two.tif", [bits(0), bits(1)]), 2)


def test_a_page_that_cannot_be_decoded_is_named_as_the_batch_names_it(tmp_path: Path) -> None:
    """Page 2 of an LZW TIFF whose strip is junk: the app's banner says "page 2: ...", as
    ``docclean clean`` does, not a reason that reads as if the whole file could not be read."""
    from PIL import Image

    path = tmp_path / "lzw.tif"
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (60, 80), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    data = bytearray(path.read_bytes())
    with Image.open(path) as im:
        im.seek(1)
        offsets, sizes = im.tag_v2[273], im.tag_v2[279]
    for offset, size in zip(offsets, sizes):
        for at in range(offset + size // 4, offset + size // 2):
            data[at] = (at * 37) & 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as batch:
        list(read_pages(path))
    with pytest.raises(InputError) as alone:
        read_page_with_warnings(path, 1)
    assert str(batch.value).split(": ", 1)[1].startswith("page 2: ")
    assert str(alone.value) == str(batch.value)
    assert read_page_with_warnings(path, 2).page.index == 2  # the pages around it read
