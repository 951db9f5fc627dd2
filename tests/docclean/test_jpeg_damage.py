"""JPEG data that does not decode whole (docclean.jpegcheck) fails its file, in a JPEG file or in a PDF:
libjpeg fills what it lacks with grey without a word through Pillow and pdfium, and cleaning made it
white paper. What real scanners write (padding before the end marker, progressive, CMYK) and what
the check cannot judge (12-bit, lossless, arithmetic-coded JPEGs) read as before. Tiny images,
made in tmp_path."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import jpegcheck
from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.errors import InputError
from docclean.io import read_pages
from docclean.settings import CleanSettings
from tests.docclean.pdfs import build_pdf

simplejpeg = pytest.importorskip("simplejpeg")

ROOT = Path(__file__).resolve().parents[2]
CUT = "truncated or incomplete image data (its JPEG data ends early)"
HUFFMAN = 'corrupt image data (libjpeg says "Corrupt JPEG data: bad Huffman code")'


def page(width: int = 48, height: int = 64, seed: int = 0) -> np.ndarray:
    """A grey page of dark marks on light paper, with a little noise."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width), 230, np.uint8)
    for _ in range(12):
        y, x = int(rng.integers(0, height - 4)), int(rng.integers(0, width - 10))
        pixels[y:y + 3, x:x + int(rng.integers(4, 10))] = 25
    return np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8)


def jpeg(pixels: np.ndarray, mode: str = "L", **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buf, "JPEG", quality=90, **options)
    return buf.getvalue()


def cut_with_end(data: bytes) -> bytes:
    """The tester's file: the first half of ``data`` with the end marker put back."""
    return data[: len(data) // 2] + b"\xff\xd9"


def strict_error(data: bytes) -> str | None:
    try:
        simplejpeg.decode_jpeg(data, colorspace="GRAY", strict=True)
    except ValueError as exc:
        return str(exc)
    return None


def pillow_reads(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception:  # noqa: BLE001 - any failure is "does not read"
        return False
    return True


def huffman_damaged() -> tuple[bytes, bytes]:
    """A colour JPEG and a copy with one byte of its entropy-coded data changed, found by trying
    changes in a fixed order until libjpeg says "bad Huffman code" of it while Pillow reads it."""
    rng = np.random.default_rng(5)
    whole = jpeg(rng.integers(0, 256, (64, 48, 3), dtype=np.uint8), "RGB")
    sos = whole.rfind(b"\xff\xda")
    start = sos + 2 + int.from_bytes(whole[sos + 2:sos + 4], "big")
    tries = random.Random(11)
    for _ in range(5000):
        at, value = tries.randrange(start, len(whole) - 2), tries.randrange(255)  # never 0xff: no new marker
        data = whole[:at] + bytes([value]) + whole[at + 1:]
        if "bad Huffman code" in (strict_error(data) or "") and pillow_reads(data):
            return whole, data
    raise AssertionError("no byte change gave a bad Huffman code")


def pdf(path: Path, images: list[tuple[int, int, bytes]], space: bytes = b"/DeviceGray") -> Path:
    """A PDF of one page per DCTDecode image (width, height, data) in colour space ``space``, each
    filling its page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for width, height, data in images:
        first = len(objects) + 1
        content = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (width, height)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 %d 0 R "
                       b">> >> /Contents %d 0 R >>" % (width, height, first + 2, first + 1))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
                       b"/Filter /DCTDecode /Length %d >>\nstream\n" % (width, height, space, len(data))
                       + data + b"\nendstream")
        kids.append(b"%d 0 R" % first)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return build_pdf(path, objects)


def refusal(path: Path) -> str | None:
    """Why reading ``path`` fails (InputError's reason), or None when it reads."""
    try:
        list(read_pages(path))
    except InputError as exc:
        return exc.reason
    return None


def test_a_jpeg_cut_short_with_its_end_marker_put_back_fails_in_one_line_and_the_batch_goes_on(
        tmp_path: Path, denoiser: Denoiser) -> None:
    # It was cleaned with exit 0: libjpeg filled its lower half with grey, cleaned to white paper.
    inbox = tmp_path / "in"
    inbox.mkdir()
    pixels = page()
    whole = jpeg(pixels)
    # Scanners and cameras pad before the end marker, which libjpeg warns of: no damage.
    padded = whole[:-2] + b"\0" * 16 + b"padding" + b"\xff\xd9"
    assert "extraneous bytes before marker 0xd9" in strict_error(padded)
    files = {"a.jpg": whole, "b.jpg": cut_with_end(whole), "c.jpg": padded,
             "d.jpg": jpeg(pixels, progressive=True), "e.jpg": jpeg(pixels, "CMYK")}
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    report = clean_batch([str(inbox)], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    assert [(f.source.name, f.status) for f in report.files] == [
        ("a.jpg", "cleaned"), ("b.jpg", "failed"), ("c.jpg", "cleaned"), ("d.jpg", "cleaned"), ("e.jpg", "cleaned")]
    assert report.files[1].error == f"{inbox / 'b.jpg'}: {CUT}"
    assert report.exit_code == 1


def test_a_jpeg_with_a_damaged_byte_is_refused_in_a_file_and_in_a_pdf(tmp_path: Path) -> None:
    # One changed byte, "Corrupt JPEG data: bad Huffman code" from libjpeg, which Pillow passed over.
    whole, damaged = huffman_damaged()
    (tmp_path / "whole.jpg").write_bytes(whole)
    (tmp_path / "damaged.jpg").write_bytes(damaged)
    assert refusal(tmp_path / "whole.jpg") is None
    assert refusal(tmp_path / "damaged.jpg") == HUFFMAN
    assert refusal(pdf(tmp_path / "whole.pdf", [(48, 64, whole)], b"/DeviceRGB")) is None
    assert refusal(pdf(tmp_path / "damaged.pdf", [(48, 64, whole), (48, 64, damaged)], b"/DeviceRGB")) == (
        'page 2: corrupt image data (a 48 x 64 image: libjpeg says "Corrupt JPEG data: bad Huffman code")')


def test_the_cut_jpeg_inside_a_pdf_is_refused(tmp_path: Path) -> None:
    # Its end marker there, the PDF check took it as whole (it only asked that the data not run out).
    whole = jpeg(page(96, 128))
    path = pdf(tmp_path / "scan.pdf", [(96, 128, whole), (96, 128, cut_with_end(whole))])
    assert refusal(path) == "page 2: truncated or incomplete image data (a 96 x 128 image: its JPEG data ends early)"
    # Lacking only its end marker it holds the whole page, which pdfium draws: not refused.
    assert refusal(pdf(tmp_path / "unended.pdf", [(96, 128, whole[:-2])])) is None


BOMB_CHILD = """
import sys, time
from pathlib import Path
from docclean.errors import InputError
from docclean.imagefile import read_image
for name in sys.argv[1:]:
    start = time.perf_counter()
    try:
        said = str(len(list(read_image(Path(name))))) + " pages"
    except InputError as exc:
        said = exc.reason
    print(f"{time.perf_counter() - start:.3f}|{said}")
with open("/proc/self/status") as status:  # this process's peak (ru_maxrss keeps the forking parent's)
    print(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:")))
"""


def bomb(progressive: bool) -> bytes:
    """A JPEG of a few hundred bytes whose frame header claims 10000 x 10000 pixels."""
    data = bytearray(jpeg(page(), "RGB", progressive=progressive))
    sof = data.find(b"\xff\xc2" if progressive else b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 10000, 10000)
    return bytes(data)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads its peak memory from /proc")
def test_a_jpeg_whose_header_claims_a_huge_page_is_refused_at_once_in_little_memory(tmp_path: Path) -> None:
    # 2 KB whose header claims 10000 x 10000: decoding took 2.3 GB and over a minute, then "cleaned"
    # a page of decoder fill. Read in a process of its own, to measure its memory.
    paths = []
    for progressive in (False, True):
        paths.append(tmp_path / f"bomb{int(progressive)}.jpg")
        paths[-1].write_bytes(bomb(progressive))
    done = subprocess.run([sys.executable, "-c", BOMB_CHILD, *map(str, paths)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    *lines, peak_mb = done.stdout.splitlines()
    for line in lines:
        seconds, said = line.split("|")
        assert said == CUT
        assert float(seconds) < 1.0
    assert int(peak_mb) < 150  # the interpreter, numpy and Pillow (30 MB here); a 10000 x 10000 page is 300 MB


def test_libjpeg_s_warnings_are_sorted_into_damage_and_padding() -> None:
    whole = jpeg(page(), restart_marker_blocks=2)
    rst = whole.find(b"\xff\xd2")
    padded = whole[:-2] + b"\0" * 40 + b"\xff\xd9"
    # Bytes a restart interval did not use: a damaged byte's trace. Bytes after the last block: padding.
    assert jpegcheck.jpeg_damage(whole[:rst] + b"\0" * 8 + whole[rst:]) == (
        "corrupt image data", 'libjpeg says "Corrupt JPEG data: 8 extraneous bytes before marker 0xd2"')
    assert "extraneous" in strict_error(padded) and jpegcheck.jpeg_damage(padded) is None
    # Without its end marker: whole when only the marker is missing, cut when more is; a progressive
    # one may be cut between two scans, so it is taken as cut.
    assert jpegcheck.jpeg_damage(whole[:-2] + b"\r\n") is None
    assert jpegcheck.jpeg_damage(whole[:-40]) == jpegcheck.CUT
    assert jpegcheck.jpeg_damage(jpeg(page(), progressive=True)[:-2]) == jpegcheck.CUT


def test_what_the_check_cannot_judge_is_read_as_before(tmp_path: Path) -> None:
    def segment(marker: int, body: bytes) -> bytes:
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    def table(kind: int) -> bytes:  # a Huffman table of one code, "0", for category 0 (or end of block)
        return segment(0xC4, bytes([kind, 1] + [0] * 15 + [0]))

    # A 12-bit and a lossless JPEG of one flat 8 x 8 block, each coded with one bit a symbol.
    twelve = (b"\xff\xd8" + segment(0xDB, bytes([0] + [1] * 64)) + segment(0xC1, struct.pack(">BHHB", 12, 8, 8, 1)
              + bytes([1, 0x11, 0])) + table(0x00) + table(0x10) + segment(0xDA, bytes([1, 1, 0, 0, 63, 0]))
              + b"\x3f\xff\xd9")
    lossless = (b"\xff\xd8" + segment(0xC3, struct.pack(">BHHB", 8, 8, 8, 1) + bytes([1, 0x11, 0])) + table(0x00)
                + segment(0xDA, bytes([1, 1, 0, 1, 0, 0])) + b"\0" * 8 + b"\xff\xd9")
    for data in (twelve, lossless):  # simplejpeg's scaled decode wrote past its buffer on a lossless one
        with pytest.raises(jpegcheck.CannotCheck, match="an unchecked kind of JPEG"):
            jpegcheck.jpeg_damage(data)
    (tmp_path / "lossless.jpg").write_bytes(lossless)
    assert refusal(tmp_path / "lossless.jpg") is None  # Pillow decodes it, as before
    # Arithmetic coding (jpegtran -arithmetic of a 16 x 16 page) is checked like Huffman coding.
    arithmetic = bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
        "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc9000b08001000100101"
        "1100ffcc000600101005ffda0008010100003f00d269611e9356b320c5fe60fb9b358e41186d588ce7223acfb74de926fdbe"
        "e44935a0ebed7355098cbb940d974f3441244085a720721d587761993c0f952cbd0e0c80ffd9")
    assert jpegcheck.jpeg_damage(arithmetic) is None
    (tmp_path / "arithmetic.jpg").write_bytes(arithmetic)
    assert refusal(tmp_path / "arithmetic.jpg") is None


def test_without_simplejpeg_jpegs_read_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jpegcheck, "_decoder", lambda: None)
    whole = jpeg(page())
    (tmp_path / "cut.jpg").write_bytes(cut_with_end(whole))
    assert not jpegcheck.available()
    assert refusal(tmp_path / "cut.jpg") is None  # unchecked: what Pillow decodes, as before the check
    assert refusal(pdf(tmp_path / "cut.pdf", [(48, 64, whole[: len(whole) // 2])])) == (
        "page 1: truncated or incomplete image data (a 48 x 64 image: its JPEG data ends early)")


def test_docclean_help_does_not_import_simplejpeg() -> None:
    code = ("import sys\n"
            "import docclean.imagefile, docclean.pdfpage, docclean.jpegcheck\n"
            "sys.argv = ['docclean', '--help']\n"
            "from cli.entry import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('simplejpeg' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split()[-1] == "False", done.stderr
