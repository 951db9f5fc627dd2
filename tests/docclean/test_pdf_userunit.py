"""A PDF page's /UserUnit (PDF 1.6: one unit of its space is that many 1/72 inch), which pdfium
ignores: a page of UserUnit 2 was read at half its real size, its scan at twice its resolution, and
written out (PDF page size, TIFF resolution) half as large as the paper. Every PDF is made in
tmp_path with pikepdf."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.errors import InputError
from docclean.io import PageWriter, page_size, read_page, read_pages
from docclean.progress import InputWarning
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


@pytest.mark.parametrize("unit", [b"/Two", b"0", b"-2", b"(2)", b"0.0000001", b"100000"])
def test_a_user_unit_that_is_no_plausible_number_is_one(tmp_path: Path, unit: bytes) -> None:
    objects = [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit %s >>" % unit)]
    page = next(read_pages(build_pdf(tmp_path / "odd.pdf", objects)))
    assert page.gray.shape == (600, 300) and page.dpi == (300.0, 300.0)  # the 1 x 2 inch box, as before


def test_a_file_replaced_with_the_same_size_and_time_is_read_again(tmp_path: Path) -> None:
    """The units are cached per file version: `cp -p` or `rsync -t` of another file of the same size
    keeps the mtime, but not the inode or ctime."""
    path = tmp_path / "unit.pdf"
    build_pdf(path, [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit 2 >>")])
    assert next(read_pages(path)).gray.shape == (1200, 600)  # the 1 x 2 inch box at UserUnit 2
    other = tmp_path / "other.pdf"
    build_pdf(other, [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit 1 >>")])
    assert other.stat().st_size == path.stat().st_size
    stat = path.stat()
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, path)
    assert next(read_pages(path)).gray.shape == (600, 300)


# Damage pdfium reads through but pypdf's strict reading refuses (docclean.pdfunits repairs it).
DAMAGE = {
    "mail header": lambda data: b"From: scanner\r\n\r\n" + data,  # bytes before %PDF: every offset shifted
    "shifted": lambda data: data.replace(b"\n", b"\n  ", 1),  # two bytes after the header line
    "no %%EOF": lambda data: data[:data.rindex(b"%%EOF")],
    "startxref past the end": lambda data: data.replace(b"startxref\n", b"startxref\n9"),
}


def damaged(path: Path, damage: str, object_streams: bool = False) -> Path:
    """:func:`user_unit_pdf` at ``path``, damaged as ``DAMAGE[damage]`` says."""
    user_unit_pdf(path, object_streams)
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    return path


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_file_pdfium_reads_keeps_its_user_units(tmp_path: Path, capfd: pytest.CaptureFixture,
                                                          recwarn: pytest.WarningsRecorder, damage: str) -> None:
    """The file is repaired in memory to read its units, without a word: such a page came out half its
    size (its scan at 200 dpi, the blank page 300 x 300 pixels) where strict reading refused it."""
    path = damaged(tmp_path / "damaged.pdf", damage)
    scan, blank = read_pages(path)
    assert (scan.dpi, scan.gray.shape, blank.gray.shape) == ((100.0, 100.0), (300, 200), (900, 900))
    assert page_size(path, 1) == (900, 900)
    assert capfd.readouterr() == ("", "") and not recwarn.list


def test_object_streams_are_repaired_too(tmp_path: Path) -> None:
    path = damaged(tmp_path / "damaged.pdf", "mail header", object_streams=True)
    assert [page.gray.shape for page in read_pages(path)] == [(300, 200), (900, 900)]


@pytest.mark.parametrize("damage", ["mail header", "no %%EOF"])
def test_a_user_unit_not_read_warns_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capfd: pytest.CaptureFixture, damage: str) -> None:
    """Over the repair limit, the file's bytes name /UserUnit: its pages are read at their box's size,
    and reading it says so once (one page read does not); a file that names none says nothing."""
    monkeypatch.setattr("docclean.pdfunits.REPAIR_LIMIT", 0)
    path = damaged(tmp_path / "damaged.pdf", damage)
    with pytest.warns(InputWarning) as said:
        pages = list(read_pages(path))
    assert [page.gray.shape for page in pages] == [(300, 200), (300, 300)]  # the boxes' size
    assert len(said) == 1 and "/UserUnit" in str(said[0].message)
    assert "not repaired" in str(said[0].message)
    plain = build_pdf(tmp_path / "plain.pdf", PAGE_OBJECTS)
    plain.write_bytes(DAMAGE[damage](plain.read_bytes()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_page(path, 1).gray.shape == (300, 300)
        assert next(read_pages(plain)).gray.shape == (600, 300)
    assert capfd.readouterr() == ("", "")


def test_aes_256_without_the_cryptography_package_warns(tmp_path: Path) -> None:
    """pypdf opens AES-256 (even with an empty password) only with the cryptography package, which
    docclean does not depend on: without it the page dictionary, which is not encrypted, still shows
    its /UserUnit, so reading says the page is read at its box's size. Run where neither it nor
    pycryptodome can be imported, this checkout's docclean first on the path."""
    path = tmp_path / "aes256.pdf"
    with pikepdf.open(user_unit_pdf(tmp_path / "plain.pdf")) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="", owner="secret", R=6))
    code = ("import json, sys, warnings\n"
            "sys.modules['cryptography'] = sys.modules['Crypto'] = None\n"
            "from docclean.io import read_pages\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    shapes = [page.gray.shape for page in read_pages(sys.argv[1])]\n"
            "print(json.dumps([shapes, [str(w.message) for w in caught]]))\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    shapes, said = json.loads(run.stdout)
    assert shapes == [[300, 200], [300, 300]]  # the boxes' size
    assert len(said) == 1 and "/UserUnit" in said[0] and "cryptography" in said[0]


@pytest.mark.parametrize("bits", [True, False], ids=["1-bit", "grey"])
def test_a_page_over_200_inches_is_written_with_a_user_unit(tmp_path: Path, bits: bool) -> None:
    """PDF's page box ends at 14,400 (200 inches): a 201-inch banner is written as a box of half that
    with UserUnit 2, in a PDF 1.6 catalog, and reads back at its size and resolution; a page of 200
    inches is written as before, without either."""
    rng = np.random.default_rng(2)
    banner = rng.random((100, 20100)) > 0.5  # 201 x 1 inches at 100 dpi
    page = banner if bits else banner.astype(np.float32)
    path, edge = tmp_path / "banner.pdf", tmp_path / "edge.pdf"
    with PageWriter(path, "pdf") as writer:
        writer.add(page, (100.0, 100.0))
    with PageWriter(edge, "pdf") as writer:
        writer.add(np.ones((72, 14400), bool), (72.0, 72.0))  # 200 x 1 inches
    with pikepdf.open(path) as pdf:
        assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, 7236, 36]
        assert (pdf.pages[0].obj.UserUnit, pdf.Root.Version) == (2, "/1.6")
    (read,) = read_pages(path)
    assert read.dpi == (100.0, 100.0) and np.array_equal(read.gray > 0.5, banner)
    assert page_size(path, 0) == (20100, 100)
    with pikepdf.open(edge) as pdf:
        assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, 14400, 72]
        assert "/UserUnit" not in pdf.pages[0].obj and "/Version" not in pdf.Root


def test_a_page_too_large_at_any_resolution_says_so(tmp_path: Path) -> None:
    """A 1 x 2 inch box of UserUnit 75,000 (Acrobat's largest) is over a mile wide: even at 1 dpi it
    is over the pixel limit, where the advice was to clean it "at 0 dpi or less"."""
    path = build_pdf(tmp_path / "huge.pdf", [*PAGE_OBJECTS[:2], PAGE_OBJECTS[2].replace(b">>", b"/UserUnit 75000 >>")])
    with pytest.raises(InputError, match="too large at any resolution, or raise the pixel limit"):
        next(read_pages(path))
