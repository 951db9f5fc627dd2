"""Tests for PDF input and output through docclean.io: native resolution, exact round trips,
1-bit pages, streaming, and broken or encrypted files. All PDFs are tiny and made in tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from docclean.errors import InputError
from docclean.group4 import group4_strip
from docclean.io import PageWriter, count_pages, read_page, read_pages, write_page
from tests.docclean.pdfs import PAGE_OBJECTS, build_pdf, encrypted_pdf
from tests.docclean.test_group4 import read_fax, text_like

H, W = 24, 16
RNG = np.random.default_rng(11)
GRAY = RNG.random((H, W)).astype(np.float32)
RGB = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
BITS = RNG.random((H, W)) > 0.5


def test_two_page_roundtrip_keeps_count_size_dpi_and_pixels(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    with PageWriter(path, "pdf") as writer:
        writer.add(GRAY, (150, 150))
        writer.add(RGB, (300, 300))
    assert count_pages(path) == 2
    first, second = read_pages(path)
    assert (first.index, second.index) == (0, 1)
    assert first.gray.shape == second.gray.shape == (H, W)
    assert first.dpi == (150.0, 150.0) and second.dpi == (300.0, 300.0)
    assert first.color is None
    np.testing.assert_allclose(first.gray, np.rint(GRAY * 255) / 255, atol=1e-6)
    np.testing.assert_array_equal(second.color, RGB)
    # The page size in points carries the resolution: 16 px at 150 dpi is 7.68 pt.
    doc = pdfium.PdfDocument(str(path))
    try:
        assert doc[0].get_size() == pytest.approx((W * 72 / 150, H * 72 / 150), abs=1e-3)
    finally:
        doc.close()


def test_bilevel_page_is_written_as_ccitt_group4_and_reads_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "bits.pdf"
    write_page(path, BITS, (300, 300))
    data = path.read_bytes()
    assert b"/CCITTFaxDecode" in data and b"/BitsPerComponent 1" in data
    page = next(read_pages(path))
    np.testing.assert_array_equal(page.gray, BITS.astype(np.float32))  # True is white
    assert page.color is None


def test_a_bilevel_page_s_ccitt_data_is_a_fax_with_the_ink_black(tmp_path: Path) -> None:
    """The image is coded as a fax is (ink as black runs, drawn black under PDF's default /BlackIs1
    false), the very strip docclean.group4 makes, not paper coded black behind /BlackIs1 true: a
    reader that decodes the strip as a min-is-white fax sees the page, ink black; pdfium too."""
    page = text_like(23, 37)  # an odd width: rows end mid-byte
    path = tmp_path / "fax.pdf"
    write_page(path, page, (300, 300))
    data = path.read_bytes()
    found = re.search(rb"<< /Type /XObject /Subtype /Image (.*?) /Length (\d+) >>\nstream\n", data, re.S)
    assert found is not None
    image, length = found.group(1), int(found.group(2))
    assert b"/BlackIs1" not in image and b"/Decode " not in image
    assert image.endswith(b"/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 37 /Rows 23 >>")
    strip = data[found.end(): found.end() + length]
    assert strip == group4_strip(Image.fromarray(page))
    np.testing.assert_array_equal(read_fax(strip, 37, 23), page)  # False (black) where the ink is
    np.testing.assert_array_equal(next(read_pages(path, dpi=300.0)).gray, page.astype(np.float32))


def test_missing_dpi_is_written_as_300(tmp_path: Path) -> None:
    path = tmp_path / "nodpi.pdf"
    write_page(path, GRAY)
    page = next(read_pages(path))
    assert page.dpi == (300.0, 300.0) and page.gray.shape == (H, W)


def test_pdf_pages_are_streamed_to_disk_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    with PageWriter(path, "pdf") as writer:
        sizes = []
        for _ in range(3):
            writer.add(RGB, None)
            (temp,) = [p for p in tmp_path.iterdir() if p.name != path.name]
            sizes.append(temp.stat().st_size)
        assert not path.exists()
    assert sizes[0] < sizes[1] < sizes[2]
    assert count_pages(path) == 3


def test_scanned_pdf_from_pillow_is_read_at_the_image_resolution(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    first = Image.fromarray(RGB)
    second = Image.fromarray(np.rint(GRAY * 255).astype(np.uint8))
    first.save(path, "PDF", resolution=150, save_all=True, append_images=[second])
    pages = list(read_pages(path))
    assert len(pages) == 2 == count_pages(path)
    assert [p.dpi for p in pages] == [(150.0, 150.0)] * 2
    assert pages[0].gray.shape == (H, W) and pages[0].color is not None
    assert pages[1].color is None


def test_dpi_argument_overrides_native_resolution(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    write_page(path, GRAY, (300, 300))
    page = next(read_pages(path, dpi=150))
    assert page.dpi == (150.0, 150.0) and page.gray.shape == (H // 2, W // 2)


def test_page_without_images_renders_at_300_dpi(tmp_path: Path) -> None:
    path = build_pdf(tmp_path / "vector.pdf", PAGE_OBJECTS)  # a blank 1 x 2 inch page
    page = next(read_pages(path))
    assert page.dpi == (300.0, 300.0) and page.gray.shape == (600, 300)
    assert page.color is None and page.gray.min() == 1.0


def test_pdf_page_over_the_pixel_limit(tmp_path: Path) -> None:
    path = build_pdf(tmp_path / "vector.pdf", PAGE_OBJECTS)
    with pytest.raises(InputError, match="too large") as info:
        list(read_pages(path, max_pixels=1000))
    assert "vector.pdf" in str(info.value)


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "secret.pdf")
    for call in (lambda: list(read_pages(path)), lambda: count_pages(path)):
        with pytest.raises(InputError) as info:
            call()
        assert info.value.reason == "encrypted PDF (password required)"
        assert "secret.pdf" in str(info.value)


@pytest.mark.parametrize("content", [b"%PDF-1.4\nthis is not really a pdf\n", b"hello world"])
def test_broken_pdf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    for call in (lambda: list(read_pages(path)), lambda: count_pages(path)):
        with pytest.raises(InputError) as info:
            call()
        assert "broken.pdf" in str(info.value) and "PDF" in info.value.reason


def test_empty_pdf_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()
    with pytest.raises(InputError, match="empty file") as info:
        list(read_pages(path))
    assert "empty.pdf" in str(info.value)


@pytest.mark.parametrize("objects", [
    [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"],  # an empty page tree
    [b"<< /Type /Catalog >>"],  # no page tree at all
], ids=["empty-page-tree", "no-page-tree"])
def test_pdf_without_pages(tmp_path: Path, objects: list[bytes]) -> None:
    path = build_pdf(tmp_path / "nothing.pdf", objects)
    # pdfium gives no reason for these; the reason of an earlier failure must not show through.
    secret, broken = encrypted_pdf(tmp_path / "secret.pdf"), tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    for earlier in (secret, broken):
        with pytest.raises(InputError):
            count_pages(earlier)
        with pytest.raises(InputError) as info:
            count_pages(path)
        assert info.value.reason.startswith("PDF has no pages")
    for call in (lambda: list(read_pages(path)), lambda: count_pages(path), lambda: read_page(path, 0)):
        with pytest.raises(InputError) as info:
            call()
        assert info.value.reason.startswith("PDF has no pages")
        assert "nothing.pdf" in str(info.value)


THREADED = """
import sys, threading
from collections import Counter
from pathlib import Path
import numpy as np
from docclean.errors import InputError
from docclean.io import read_pages
from tests.docclean.pdfs import build_pdf, encrypted_pdf

folder = Path(sys.argv[1])
good, secret = folder / "good.pdf", encrypted_pdf(folder / "secret.pdf")
nothing = build_pdf(folder / "nothing.pdf", [b"<< /Type /Catalog /Pages 2 0 R >>",
                                             b"<< /Type /Pages /Kids [] /Count 0 >>"])
expected = {good: None, secret: "encrypted PDF (password required)",
            nothing: "PDF has no pages (empty or missing page tree)"}
reference = [p.gray for p in read_pages(good, dpi=150)]
seen = Counter()

def reader(start):
    for k in range(24):
        path = list(expected)[(start + k) % 3]
        try:
            pages = [p.gray for p in read_pages(path, dpi=150)]
            seen["same" if all(np.array_equal(a, b) for a, b in zip(pages, reference)) else "different"] += 1
        except InputError as exc:
            seen["right reason" if exc.reason == expected[path] else f"wrong: {path.name} {exc.reason}"] += 1

threads = [threading.Thread(target=reader, args=(t,)) for t in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(sorted(seen.items()))
"""


def test_pdfs_read_from_several_threads_at_once_read_as_from_one(tmp_path: Path) -> None:
    import subprocess
    import sys

    # The desktop app reads thumbnails and the preview in threads. pdfium is not thread-safe: this
    # crashed the interpreter (a subprocess, so a crash fails this test and not the suite).
    pages = [Image.fromarray((RNG.random((300, 200)) * 255).astype(np.uint8)) for _ in range(3)]
    pages[0].save(tmp_path / "good.pdf", save_all=True, append_images=pages[1:], resolution=150)
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", THREADED, str(tmp_path)], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[('right reason', 64), ('same', 32)]"
