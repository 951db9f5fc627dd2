"""Damaged TIFFs that Pillow reads without a word are told, through a batch (``docclean.tiffcheck``):
a group 4 page libtiff only warns of ("Line length mismatch"), a deflate strip that fails its
checksum, a broken chain of page directories (pages lost). Whole TIFFs, and ones with what libtiff
warns of harmlessly (tags out of order, an ASCII tag without its NUL), are cleaned as before.

Every damaged file is a small image saved by Pillow with bytes patched where its header says."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import tiffcheck, tiffmessages
from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.errors import InputError
from docclean.io import count_pages, read_pages
from docclean.progress import InputWarning
from docclean.report import Report
from docclean.settings import CleanSettings

H, W = 120, 100
hears_warnings = pytest.mark.skipif(not tiffcheck.available(), reason="libtiff's warnings are not heard here")


def run(folder: Path, out: Path, denoiser: Denoiser) -> Report:
    return clean_batch([str(folder)], out, CleanSettings(), cleaner=denoiser)


def bits(number: int = 0) -> np.ndarray:
    """A 1-bit page of text-like rows (True: paper), a block that tells the page's number."""
    page = np.ones((H, W), bool)
    page[10:60:3, 5:90] = False
    page[70 + 10 * number:78 + 10 * number, 20:40] = False
    return page


def grey(number: int = 0) -> np.ndarray:
    """A grey page of dark, noisy rows on paper: it deflates to a few hundred bytes a strip."""
    page = np.full((64, 96), 230, np.uint8)
    rows = np.random.default_rng(number).integers(0, 80, (7, 3, 80), dtype=np.uint8)
    for i, r in enumerate(range(6, 60, 8)):
        page[r:r + 3, 8:88] = rows[i]
    return page


def save(path: Path, pages: list[np.ndarray], **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, save_all=len(images) > 1, append_images=images[1:], **options)
    return path


def directories(data: bytes) -> list[int]:
    """The offsets of a little-endian classic TIFF's directories, in chain order."""
    assert data[:4] == b"II*\0"
    found, offset = [], struct.unpack_from("<I", data, 4)[0]
    while offset:
        found.append(offset)
        count = struct.unpack_from("<H", data, offset)[0]
        offset = struct.unpack_from("<I", data, offset + 2 + 12 * count)[0]
    return found


def strip(path: Path, page: int = 0) -> tuple[int, int]:
    """(offset, length) of the one strip of ``page``."""
    with Image.open(path) as im:
        im.seek(page)
        (offset,), (length,) = im.tag_v2[273], im.tag_v2[279]
    return offset, length


def damaged_group4(path: Path, pages: int = 1) -> Path:
    """A group 4 TIFF whose last page has one byte of its strip flipped (byte 36 of a one-page file,
    as the tester's): libtiff decodes it with a warning only ("Premature EOL", "Line length mismatch")
    and Pillow, which silences libtiff's warnings, without a word."""
    save(path, [bits(n) for n in range(pages)], compression="group4")
    offset, _ = strip(path, pages - 1)
    data = bytearray(path.read_bytes())
    data[offset + 28] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def silent(path: Path, page: int, expected: np.ndarray) -> bool:
    """Whether Pillow decodes ``page`` of ``path`` to other pixels than ``expected`` without a
    word from libtiff (where its errors are heard)."""
    try:
        with tiffmessages.collected() as said, Image.open(path) as im:
            im.seek(page)
            pixels = np.asarray(im)
    except OSError:
        return False
    return not said and not np.array_equal(pixels, expected)


def zeroed_deflate(path: Path, pages: int = 1) -> Path:
    """A deflate TIFF whose last page has 16 bytes of its strip zeroed, where they inflate to
    garbage that libtiff decodes without an error (it stops before the checksum)."""
    save(path, [grey(n) for n in range(pages)], compression="tiff_adobe_deflate")
    offset, length = strip(path, pages - 1)
    whole = path.read_bytes()
    for start in range(offset + length // 3, offset + length - 24):
        data = bytearray(whole)
        data[start:start + 16] = bytes(16)
        path.write_bytes(bytes(data))
        if silent(path, pages - 1, grey(pages - 1)):
            return path
    raise AssertionError("no stretch of the strip inflates to garbage silently")


def broken_chain(path: Path) -> tuple[Path, int, int]:
    """A three-page TIFF whose second directory's entry count has 0x10 added to its high byte (9
    entries said to be 4105), as the tester's byte 4567: Pillow then reads two pages. Also the
    offset of that directory and the count it claims."""
    save(path, [grey(n) for n in range(3)])
    data = bytearray(path.read_bytes())
    second = directories(bytes(data))[1]
    assert data[second + 1] == 0
    data[second + 1] = 0x10
    path.write_bytes(bytes(data))
    return path, second, struct.unpack_from("<H", data, second)[0]


def relinked(path: Path, to: int) -> Path:
    """A three-page TIFF whose third directory links on to byte ``to`` (0: the end) instead."""
    save(path, [grey(n) for n in range(3)])
    data = bytearray(path.read_bytes())
    third = directories(bytes(data))[2]
    count = struct.unpack_from("<H", data, third)[0]
    struct.pack_into("<I", data, third + 2 + 12 * count, to)
    path.write_bytes(bytes(data))
    return path


def outputs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@hears_warnings
@pytest.mark.parametrize("pages", [1, 2])
def test_a_group4_page_libtiff_warns_of_is_told_with_the_file_and_page(tmp_path: Path, denoiser: Denoiser,
                                                                       pages: int) -> None:
    fax = damaged_group4(tmp_path / "in" / "fax.tif", pages)
    save(tmp_path / "in" / "whole.tif", [bits()], compression="group4")
    report = run(tmp_path / "in", tmp_path / "out", denoiser)
    damaged, whole = report.files
    assert damaged.source == fax and [f.status for f in report.files] == ["cleaned", "cleaned"]
    page = "page 2 " if pages == 2 else ""
    said = [w for w in damaged.warnings if "damaged image data" in w]
    assert len(said) == 1 and said[0].startswith(f"{page}damaged image data, libtiff says: Fax4Decode: ")
    assert said[0].endswith("; check this page")
    assert any(word in said[0] for word in ("Line length mismatch", "Premature EOL", "Premature EOF", "Bad code"))
    assert whole.warnings == []


@pytest.mark.parametrize("pages", [1, 2])
def test_a_deflate_page_that_fails_its_checksum_fails_its_file(tmp_path: Path, denoiser: Denoiser,
                                                               pages: int) -> None:
    scan = zeroed_deflate(tmp_path / "in" / "scan.tif", pages)
    save(tmp_path / "in" / "whole.tif", [grey()], compression="tiff_adobe_deflate")
    report = run(tmp_path / "in", tmp_path / "out", denoiser)
    assert [f.status for f in report.files] == ["failed", "cleaned"]
    page = "page 2 " if pages == 2 else ""
    assert report.files[0].error == (f"{scan}: {page}damaged image data: its deflate data in strip 1 does not "
                                     "inflate (zlib: incorrect data check)")
    assert outputs(tmp_path / "out") == ["whole.tif"]
    assert report.exit_code == 1


def test_a_broken_chain_of_pages_fails_the_file_rather_than_lose_pages(tmp_path: Path, denoiser: Denoiser) -> None:
    scan, second, claimed = broken_chain(tmp_path / "in" / "book.tif")
    with warnings.catch_warnings(), Image.open(scan) as im:
        warnings.simplefilter("ignore")  # Pillow's own on the tags it reads from the wrong bytes
        assert im.n_frames == 2  # what Pillow alone reads of it
    save(tmp_path / "in" / "whole.tif", [grey(n) for n in range(3)])
    report = run(tmp_path / "in", tmp_path / "out", denoiser)
    assert [f.status for f in report.files] == ["failed", "cleaned"]
    assert report.files[0].error == (f"{scan}: its page directory is damaged: pages may be missing (directory 2, "
                                     f"at byte {second}, claims {claimed} entries)")
    assert outputs(tmp_path / "out") == ["whole.tif"]
    assert [p.index for p in report.files[1].pages] == [0, 1, 2]


@pytest.mark.parametrize(("to", "why"), [(1 << 30, "directory 4 would be at byte 1073741824, past the end of the file"),
                                          (None, "directory 4 links back to directory 1")])
def test_a_chain_of_pages_that_leaves_the_file_or_loops_fails_counting_and_reading(tmp_path: Path, to: int | None,
                                                                                  why: str) -> None:
    path = tmp_path / "book.tif"
    save(path, [grey(n) for n in range(3)])
    path = relinked(path, directories(path.read_bytes())[0] if to is None else to)
    for read in (count_pages, lambda p: list(read_pages(p))):
        with pytest.raises(InputError) as info:
            read(path)
        assert info.value.reason.startswith(f"its page directory is damaged: pages may be missing ({why}")


@pytest.mark.parametrize("kind", ["group4", "deflate", "deflate with predictor", "lzw", "jpeg", "multi-page deflate",
                                  "multi-page group4", "harmless warnings", "bigtiff"])
def test_whole_tiffs_are_cleaned_without_a_word(tmp_path: Path, denoiser: Denoiser, kind: str) -> None:
    path = tmp_path / "in" / "scan.tif"
    if kind == "group4":
        save(path, [bits()], compression="group4")
    elif kind == "deflate":
        save(path, [grey()], compression="tiff_adobe_deflate")
    elif kind == "deflate with predictor":
        save(path, [colour()], compression="tiff_adobe_deflate", tiffinfo={317: 2})
        with Image.open(path) as im:
            assert im.tag_v2[317] == 2
    elif kind == "lzw":
        save(path, [grey()], compression="tiff_lzw")
    elif kind == "jpeg":
        save(path, [colour()], compression="jpeg")
    elif kind == "multi-page deflate":
        save(path, [grey(n) for n in range(3)], compression="tiff_adobe_deflate")
    elif kind == "multi-page group4":
        save(path, [bits(n) for n in range(3)], compression="group4")
    elif kind == "harmless warnings":
        harmless_warnings(path)
    else:
        save(path, [grey(n) for n in range(2)], big_tiff=True)
        if path.read_bytes()[:4] != b"II+\0":
            pytest.skip("this Pillow writes no BigTIFF")
    report = run(tmp_path / "in", tmp_path / "out", denoiser)
    (result,) = report.files
    assert result.status == "cleaned" and result.error is None
    assert result.warnings == []
    assert len(result.pages) == (3 if kind.startswith("multi") else 2 if kind == "bigtiff" else 1)


def colour() -> np.ndarray:
    return np.stack([grey(), grey(1), grey(2)], -1)


@hears_warnings
def test_a_jpeg_page_whose_data_ends_early_is_told(tmp_path: Path) -> None:
    """JPEG in TIFF: an EOI marker halfway through the strip (the rest decodes grey) is told by
    libjpeg as a warning only."""
    path = save(tmp_path / "scan.tif", [colour()], compression="jpeg")
    offset, length = strip(path)
    data = bytearray(path.read_bytes())
    data[offset + length // 2:offset + length // 2 + 2] = b"\xff\xd9"
    path.write_bytes(bytes(data))
    with pytest.warns(InputWarning) as caught:
        assert len(list(read_pages(path))) == 1
    assert [str(w.message) for w in caught] == [
        "damaged image data, libtiff says: JPEGLib: Corrupt JPEG data: premature end of data segment; check this page"]


def harmless_warnings(path: Path) -> Path:
    """A group 4 TIFF (decoded a second time, to hear libtiff's warnings) with its first two tags
    swapped ("tags are not sorted in ascending order") and an ImageDescription without its NUL
    ("does not end in null byte"), as real scanners' files have: libtiff warns, no pixel is lost."""
    save(path, [bits()], compression="group4", tiffinfo={270: "a scan"})
    data = bytearray(path.read_bytes())
    (ifd,) = directories(bytes(data))
    count = struct.unpack_from("<H", data, ifd)[0]
    entries = {struct.unpack_from("<H", data, ifd + 2 + 12 * i)[0]: ifd + 2 + 12 * i for i in range(count)}
    _, kind, length, at = struct.unpack_from("<HHII", data, entries[270])
    assert (kind, length) == (2, 7) and data[at + 6] == 0
    data[at + 6] = ord("!")
    first, second = entries[256], entries[257]
    data[first:first + 12], data[second:second + 12] = data[second:second + 12], data[first:first + 12]
    path.write_bytes(bytes(data))
    return path


@hears_warnings
def test_libtiff_does_warn_of_the_harmless_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file above does make libtiff warn, all of it judged no damage."""
    heard: list[str] = []
    judge = tiffmessages.damage
    monkeypatch.setattr(tiffmessages, "damage", lambda text: heard.append(text) or judge(text))
    path = harmless_warnings(tmp_path / "scan.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(read_pages(path))) == 1
    assert any("not sorted in ascending order" in t for t in heard)
    assert any("does not end in null byte" in t for t in heard)


@pytest.mark.parametrize("text", [
    "TIFFReadDirectory: Unknown field with tag 65000 (0xfde8) encountered",
    'TIFFFetchNormalTag: ASCII value for tag "ImageDescription" does not end in null byte. Forcing it to be null',
    'TIFFReadDirectory: Wrong data type 2 for "PlanarConfiguration"; tag ignored',
    "TIFFReadDirectoryCheckOrder: Invalid TIFF directory; tags are not sorted in ascending order",
    "TIFFReadDirectory: Sum of Photometric type-related color channels and ExtraSamples doesn't match "
    "SamplesPerPixel. Defining non-color channels as ExtraSamples.",
    "LZWDecode: LZWDecode: Strip 0 not terminated with EOI code",
])
def test_what_libtiff_says_of_sound_files_is_no_damage(text: str) -> None:
    assert not tiffmessages.damage(text)


@pytest.mark.parametrize("text", [
    "Fax4Decode: Line length mismatch at line 42 of strip 0 (got 202, expected 200)",
    "Fax3Decode2D: Premature EOF at line 7 of strip 0 (x 0)",
    "Fax4Decode: Premature EOL at line 52 of strip 0 (got 29, expected 100)",
    "JPEGLib: Corrupt JPEG data: premature end of data segment",
    "ThunderDecode: Not enough data at scanline 3 (12 != 40)",
])
def test_what_libtiff_says_of_damaged_pixels_is_damage(text: str) -> None:
    assert tiffmessages.damage(text)
