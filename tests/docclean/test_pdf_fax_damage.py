"""CCITT fax image data that does not decode whole fails its PDF page before pdfium draws it
(docclean.pdffax, docclean.faxdecode): pdfium drew a group 4 page cut at half black below the cut,
without a word, and the file was reported cleaned. Whole data reads as before, in every coding real
producers write. Every PDF is a few hand-written objects made in tmp_path
(tests.docclean.test_pdf_pages); the CCITT data is Pillow's libtiff's. JBIG2: test_pdf_jbig2_damage.py."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import faxdecode
from docclean.errors import InputError
from docclean.io import read_page, read_pages, write_page
from docclean.pdffax import FaxParms, fax_damage
from tests.docclean.test_pdf_pages import Img, cut, full_page, pdf

needs_libtiff = pytest.mark.skipif(not faxdecode.available(), reason="CCITT data cannot be decoded here")
CUT = "truncated or incomplete image data"


def text_page(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A white page (True) with rows of random black marks, like lines of text, and a rule at the foot."""
    rng = np.random.default_rng(seed)
    page = np.ones((height, width), bool)
    for top in range(6, height - 12, 16):
        page[top: top + 7, 8: width - 8] = rng.random((7, width - 16)) > 0.4
    page[-6:-4, 4:-4] = False
    return page


def coded(page: np.ndarray, compression: str, options: int | None = None, ink_black: bool = True) -> bytes:
    """The CCITT data of ``page`` as Pillow's libtiff codes it (``compression`` "group4", "group3"
    with T4Options ``options``, or "tiff_ccitt", Modified Huffman), all rows in one strip: the fax
    convention, black runs the ink (or, not ``ink_black``, the paper: data for /BlackIs1 true)."""
    buf = io.BytesIO()
    bits = ~page if ink_black else page  # Pillow writes mode "1" min-is-black: 1 bits are coded black
    info = {292: options} if options is not None else {}
    Image.fromarray(bits).save(buf, "TIFF", compression=compression, tiffinfo=info,
                               strip_size=(page.shape[1] + 7) // 8 * page.shape[0])
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        (offset,), (count,) = im.tag_v2[273], im.tag_v2[279]
    return buf.getvalue()[offset: offset + count]


def eols_removed(data: bytes, then_rtc: bool = False, two_d: bool = False) -> bytes:
    """Group 3 ``data`` without its EOLs (each 11 zero bits and a 1, as libtiff writes them), and
    with an RTC (six EOLs, each followed by a 1 tag bit in 2-D data) at the end: what Ghostscript
    writes for K 0 or K > 0 without /EndOfLine."""
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    ones = np.flatnonzero(bits)
    ends = ones[np.diff(ones, prepend=-1) > 11]
    keep = np.ones(len(bits), bool)
    for end in ends:
        keep[end - 11: end + 1] = False
    rtc = ([0] * 11 + [1] + [1] * two_d) * 6 if then_rtc else []
    return np.packbits(np.concatenate([bits[keep], np.array(rtc, np.uint8)])).tobytes()


def fax(page: np.ndarray, data: bytes, parms: bytes, extra: bytes = b"") -> Img:
    """A 1-bit CCITT image XObject of ``page``'s size holding ``data``, with /DecodeParms ``parms``."""
    height, width = page.shape
    return Img(width, height, data, b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
                                    b"/DecodeParms << %s >> %s" % (parms, extra))


PAGE = text_page(400, 120)
RTC = bytes.fromhex("001001001001001001")  # six 1-D EOLs, byte-aligned: the end of a group 3 page
WIDE = text_page(1800, 40)  # over 1792 pixels: rows of white code with 7 leading zero bits
#: (name, page, data, /DecodeParms, whether pdfium draws it as the page, whether it is checked): the
#: codings of real producers (img2pdf, tiff2pdf, Ghostscript, fax software) and the details they vary in.
CODINGS = [
    ("group 4", PAGE, coded(PAGE, "group4"), b"/K -1 /Columns 400 /Rows 120", True, True),
    ("group 4, BlackIs1 true, no Rows", PAGE, coded(PAGE, "group4", ink_black=False),
     b"/K -1 /Columns 400 /BlackIs1 true", True, True),
    ("group 4, zero bytes and a line end after it", PAGE, coded(PAGE, "group4") + b"\0\0\0\r\n",
     b"/K -1 /Columns 400 /Rows 0", True, True),
    ("group 3 1-D, EOLs, EndOfLine, an RTC", PAGE, coded(PAGE, "group3") + RTC, b"/Columns 400 /EndOfLine true",
     True, True),
    ("group 3 2-D, EOLs", PAGE, coded(PAGE, "group3", 1), b"/K 4 /Columns 400 /Rows 120", True, True),
    ("group 3 1-D, EOLs with fill bits", PAGE, coded(PAGE, "group3", 4), b"/K 0 /Columns 400", True, True),
    # pdfium aligns each row's data, not its EOL, and draws this one garbled: no error all the same.
    ("group 3 1-D, EOLs with fill bits, EncodedByteAlign", PAGE, coded(PAGE, "group3", 4),
     b"/K 0 /Columns 400 /EncodedByteAlign true", False, True),
    ("group 3 1-D, no EOLs, an RTC (Ghostscript)", WIDE, eols_removed(coded(WIDE, "group3"), then_rtc=True),
     b"/K 0 /Columns 1800", True, True),
    # 2-D rows without EOLs, with tag bits (as pdfium reads them; Ghostscript writes none): unchecked.
    ("group 3 2-D, no EOLs", PAGE, eols_removed(coded(PAGE, "group3", 1), two_d=True),
     b"/K 2 /Columns 400 /Rows 120", True, False),
    ("Modified Huffman, rows byte-aligned, an RTC", WIDE, coded(WIDE, "tiff_ccitt") + RTC,
     b"/K 0 /Columns 1800 /EncodedByteAlign true", True, True),
]
CHECKED = [case for case in CODINGS if case[4] and case[5]]


@needs_libtiff
@pytest.mark.parametrize(("page", "data", "parms", "drawn"), [case[1:5] for case in CODINGS],
                         ids=[case[0] for case in CODINGS])
def test_whole_ccitt_data_reads_as_ever_in_every_coding(tmp_path: Path, page: np.ndarray, data: bytes,
                                                        parms: bytes, drawn: bool) -> None:
    path = pdf(tmp_path / "fax.pdf", [full_page(fax(page, data, parms))])
    (read,) = read_pages(path)
    if drawn:  # the test's data is what it says: pdfium draws the page from it
        np.testing.assert_array_equal(read.gray, page.astype(np.float32))


@needs_libtiff
@pytest.mark.parametrize(("page", "data", "parms"), [case[1:4] for case in CHECKED],
                         ids=[case[0] for case in CHECKED])
def test_ccitt_data_cut_short_fails_in_every_coding(tmp_path: Path, page: np.ndarray, data: bytes,
                                                    parms: bytes) -> None:
    # pdfium drew the rows past the cut black, with no error.
    path = pdf(tmp_path / "fax.pdf", [full_page(fax(page, data[: len(data) * 6 // 10], parms))])
    with pytest.raises(InputError) as info:
        list(read_pages(path))
    height, width = page.shape
    assert info.value.reason == f"page 1: {CUT} (a {width} x {height} image: its CCITT data ends early)"


@needs_libtiff
def test_a_cut_group4_page_fails_naming_the_file_and_page(tmp_path: Path) -> None:
    good = fax(PAGE, coded(PAGE, "group4"), b"/K -1 /Columns 400 /Rows 120")
    path = pdf(tmp_path / "scan.pdf", [full_page(good), full_page(cut(good, 0.5)), full_page(good)])
    pages = read_pages(path)
    assert next(pages).index == 0  # the pages before it read as ever
    with pytest.raises(InputError) as info:
        next(pages)
    pages.close()
    assert str(info.value) == f"{path}: page 2: {CUT} (a 400 x 120 image: its CCITT data ends early)"
    with pytest.raises(InputError, match="page 2: truncated"):  # a preview of that page says it too
        read_page(path, 1)


@needs_libtiff
def test_corrupt_ccitt_data_fails_with_libtiff_s_reason(tmp_path: Path) -> None:
    for name, compression, options, parms in [("g4", "group4", None, b"/K -1 /Columns 400"),
                                              ("g3", "group3", 1, b"/K 4 /Columns 400")]:
        data = bytearray(coded(PAGE, compression, options))
        data[len(data) // 3: len(data) // 3 + 8] = bytes(8 * [0x5A])
        path = pdf(tmp_path / f"{name}.pdf", [full_page(fax(PAGE, bytes(data), parms))])
        with pytest.raises(InputError) as info:
            list(read_pages(path))
        assert re.fullmatch(r"page 1: corrupt image data \(a 400 x 120 image: its CCITT data does not decode "
                            r"\(libtiff: .* at line \d+ .*\)\)", info.value.reason), info.value.reason


@needs_libtiff
def test_group3_rows_the_file_allows_to_be_damaged_are_no_damage(tmp_path: Path) -> None:
    # /DamagedRowsBeforeError: a received fax's few bad rows, which the file says to expect.
    data = coded(PAGE, "group3")
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    ones = np.flatnonzero(bits)
    row = ones[np.diff(ones, prepend=-1) > 11][40]  # the EOL before row 41 ends here
    bits[row + 2: row + 14] = 0  # its first code: no code at all
    damaged = np.packbits(bits).tobytes()
    allowed = pdf(tmp_path / "allowed.pdf", [full_page(fax(PAGE, damaged, b"/Columns 400 /DamagedRowsBeforeError 2"))])
    assert len(list(read_pages(allowed))) == 1
    strict = pdf(tmp_path / "strict.pdf", [full_page(fax(PAGE, damaged, b"/Columns 400"))])
    with pytest.raises(InputError, match="corrupt image data"):
        list(read_pages(strict))


@needs_libtiff
def test_a_filter_chain_and_parameters_in_arrays_are_read(tmp_path: Path) -> None:
    data = coded(PAGE, "group4")
    packed = Img(400, 120, zlib.compress(data[: len(data) // 2]),
                 b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter [/FlateDecode /CCITTFaxDecode] "
                 b"/DecodeParms [null << /K -1 /Columns 400 >>]")
    with pytest.raises(InputError, match="its CCITT data ends early"):  # the data under the Flate is cut
        list(read_pages(pdf(tmp_path / "chain.pdf", [full_page(packed)])))
    listed = Img(400, 120, data[: len(data) // 2], b"/ImageMask true /Filter [/CCITTFaxDecode] "
                                                   b"/DecodeParms [<< /K -1 /Columns 400 /BlackIs1 true >>]")
    with pytest.raises(InputError, match="its CCITT data ends early"):  # img2pdf's arrays; a stencil mask
        list(read_pages(pdf(tmp_path / "arrays.pdf", [full_page(listed)])))


def test_parameters_are_found_whatever_chunks_the_file_is_read_in(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is read in chunks (a mapped file that shrinks, or a share's error, killed the
    process): a dictionary or data split between two chunks is found all the same."""
    from docclean import pdffax

    images = [fax(text_page(400, 120, seed), coded(text_page(400, 120, seed), "group4"),
                  b"/K -1 /Columns 400 /Rows %d" % (120 - seed)) for seed in range(3)]
    path = pdf(tmp_path / "three.pdf", [full_page(image) for image in images])
    whole = pdffax._scan.__wrapped__(path)  # noqa: SLF001 - read in one chunk
    assert sorted(parms.rows for parms in whole.values()) == [118, 119, 120]
    for chunk in (1, 7, 64, 1000, 5000):
        monkeypatch.setattr(pdffax, "_CHUNK", chunk)
        assert pdffax._scan.__wrapped__(path) == whole, chunk  # noqa: SLF001


@needs_libtiff
def test_what_libtiff_cannot_decode_as_pdfium_does_is_not_guessed_at(tmp_path: Path) -> None:
    # Cut data all, so that a guess would fail them: parameters by reference (a default K 0 would be
    # wrong), group 4 aligned by rows (libtiff has no such coding), /Columns other than the width.
    data = coded(PAGE, "group4")[:700]
    by_reference = Img(400, 120, data, b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
                                       b"/DecodeParms 2 0 R")  # the page tree: not resolved, not read
    aligned = fax(PAGE, data, b"/K -1 /Columns 400 /EncodedByteAlign true")
    other_width = fax(PAGE, data, b"/K -1 /Columns 408")
    path = pdf(tmp_path / "unchecked.pdf", [full_page(image) for image in (by_reference, aligned, other_width)])
    assert len(list(read_pages(path))) == 3


@needs_libtiff
def test_a_bilevel_page_docclean_wrote_reads_back_and_fails_cut(tmp_path: Path) -> None:
    path = tmp_path / "out.pdf"
    write_page(path, PAGE, (300, 300))
    np.testing.assert_array_equal(next(read_pages(path)).gray, PAGE.astype(np.float32))
    data = path.read_bytes()
    found = re.search(rb"<< /Type /XObject /Subtype /Image /Width 400 /Height 120 (.*?) /Length (\d+) >>\nstream\n",
                      data, re.S)
    assert found is not None
    strip = data[found.end(): found.end() + int(found.group(2))]
    again = pdf(tmp_path / "cut.pdf", [full_page(Img(400, 120, strip[: len(strip) // 3], found.group(1)), dpi=300)])
    with pytest.raises(InputError, match="its CCITT data ends early"):
        list(read_pages(again))


@needs_libtiff
def test_a_cut_fax_page_is_one_error_line_and_the_file_fails(tmp_path: Path, tiny_model_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    good = fax(PAGE, coded(PAGE, "group4"), b"/K -1 /Columns 400")
    scan = pdf(tmp_path / "in" / "fax.pdf", [full_page(good), full_page(cut(good, 0.3))])
    result = CliRunner().invoke(app, ["clean", str(scan), "-o", str(tmp_path / "out"), "--model",
                                      str(tiny_model_path), "--device", "cpu"])
    assert result.exit_code == 1, result.output
    assert (f"error: {scan}: page 2: {CUT} (a 400 x 120 image: its CCITT data ends early)"
            in result.output.splitlines())
    assert not (tmp_path / "out" / "fax.pdf").exists()


@needs_libtiff
def test_group4_data_with_eols_is_not_guessed_at(tmp_path: Path) -> None:
    """Group 4 with an EOL before its rows (Ghostscript's CCITTFaxEncode with EndOfLine true), which
    pdfium, poppler and Ghostscript draw right: libtiff's group 4 decoder takes no EOLs, and every
    such page was refused as corrupt."""
    data = bytes([0x00, 0x10]) + coded(PAGE, "group4")  # 11 zero bits and a 1: an EOL
    assert fax_damage(data, FaxParms(k=-1, columns=400), 400, 120) is None
    path = pdf(tmp_path / "eol.pdf", [full_page(fax(PAGE, data, b"/K -1 /Columns 400 /EndOfLine true"))])
    assert len(list(read_pages(path))) == 1


@needs_libtiff
def test_threads_decoding_at_once_hear_only_their_own_data() -> None:
    # libtiff's messages go to handlers of each TIFF's own, not to the process's.
    import threading

    whole = coded(PAGE, "group4")
    start = threading.Barrier(2)
    seen: dict[str, set[tuple[int, bool]]] = {"whole": set(), "cut": set()}

    def decode(name: str, data: bytes) -> None:
        start.wait()
        for _ in range(30):
            found = faxdecode.decode(data, 400, 120, faxdecode.T6)
            assert found is not None
            seen[name].add((len(found.said), found.ends_early))

    threads = [threading.Thread(target=decode, args=("whole", whole)),
               threading.Thread(target=decode, args=("cut", whole[: len(whole) // 2]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["whole"] == {(0, False)}
    assert len(seen["cut"]) == 1 and next(iter(seen["cut"]))[1]
