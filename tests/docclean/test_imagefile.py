"""Tests for docclean.imagefile: TIFF orientation in every compression and Pillow mode, float pages,
page naming in multi-page files.

Every image is small and made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from docclean.errors import InputError
from docclean.io import read_page, read_pages

H, W = 40, 30  # not square, so a transposition that goes wrong also goes wrong in shape
# Every value different along a row and a column: any flip, turn or shredding changes the array.
STORED = ((np.arange(H)[:, None] * 7 + np.arange(W)[None, :] * 3) % 251).astype(np.uint8)

# What a viewer shows for a raster stored as ``a`` with each EXIF/TIFF orientation (TIFF 6.0,
# tag 274): 6 means "turn 90 degrees clockwise to display", 8 counter-clockwise.
UPRIGHT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}
COMPRESSIONS = ["raw", "tiff_lzw", "tiff_adobe_deflate", "packbits"]


def tiff(path: Path, pages: list[tuple[Image.Image, int]], compression: str) -> Path:
    """A TIFF of (image, orientation) pages, one strip each as Pillow writes small pages.

    Page by page through Pillow's appending writer, so each page keeps its own orientation tag
    in every Pillow version (save_all gives all pages the first one's tags in some)."""
    with TiffImagePlugin.AppendingTiffWriter(path, new=True) as out:
        for im, orientation in pages:
            im.save(out, "TIFF", tiffinfo={274: orientation}, compression=compression)
            out.newFrame()
    return path


def orientations_in(path: Path) -> list[int]:
    """The orientation tag of each page as written (guards the test's own file making)."""
    found = []
    with Image.open(path) as im:
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            found.append(int(im.tag_v2.get(274, 1)))
    return found


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation_grey(tmp_path: Path, orientation: int, compression: str) -> None:
    path = tiff(tmp_path / "page.tif", [(Image.fromarray(STORED), orientation)], compression)
    assert orientations_in(path) == [orientation]
    (page,) = read_pages(path)
    expected = UPRIGHT[orientation](STORED)
    np.testing.assert_array_equal(page.gray, expected.astype(np.float32) / np.float32(255.0))
    assert page.color is None


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "I;16", "1"])
@pytest.mark.parametrize("orientation", [2, 5, 6, 7, 8])
def test_tiff_orientation_other_modes(tmp_path: Path, orientation: int, mode: str, compression: str) -> None:
    """Every mode Pillow can memory-map (RGBA, P, I;16) and the ones it cannot (RGB, 1)."""
    rgb = np.stack([STORED, STORED[::-1], 255 - STORED], axis=-1)
    if mode == "RGB":
        im, want = Image.fromarray(rgb), rgb
    elif mode == "RGBA":
        im, want = Image.fromarray(np.dstack([rgb, np.full((H, W), 255, np.uint8)])), rgb
    elif mode == "P":
        im = Image.fromarray(STORED).convert("P")  # the grey palette keeps the values
        want = np.stack([STORED] * 3, axis=-1)
    elif mode == "I;16":
        im, want = Image.fromarray(STORED.astype(np.uint16) * 257), None
    else:
        bits = STORED > 120
        im, want = Image.fromarray(bits), None
    path = tiff(tmp_path / "page.tif", [(im, orientation)], compression)
    (page,) = read_pages(path)
    if mode == "I;16":
        np.testing.assert_allclose(page.gray, UPRIGHT[orientation](STORED) / 255.0, atol=1e-6)
    elif mode == "1":
        np.testing.assert_array_equal(page.gray, UPRIGHT[orientation](bits).astype(np.float32))
    else:
        got = page.color if page.color is not None else np.stack([np.rint(page.gray * 255)] * 3, -1)
        np.testing.assert_array_equal(got, UPRIGHT[orientation](want))


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_multi_page_tiff_orients_each_page(tmp_path: Path, compression: str) -> None:
    orientations = [6, 1, 8, 3, 5, 7, 2, 4, 6]
    pages = [(Image.fromarray(np.roll(STORED, index, axis=1)), o) for index, o in enumerate(orientations)]
    path = tiff(tmp_path / "book.tif", pages, compression)
    assert orientations_in(path) == orientations
    got = list(read_pages(path))
    assert [page.index for page in got] == list(range(len(orientations)))
    for index, (page, orientation) in enumerate(zip(got, orientations)):
        expected = UPRIGHT[orientation](np.roll(STORED, index, axis=1))
        np.testing.assert_array_equal(page.gray, expected.astype(np.float32) / np.float32(255.0))
    # A single page read on its own comes out the same.
    np.testing.assert_array_equal(read_page(path, 2).gray, got[2].gray)


def test_large_raw_tiff_turned_page_is_not_shredded(tmp_path: Path) -> None:
    """The tester's case: a 300 x 400 raw page, several strips read as one tile, orientation 6."""
    stored = np.random.default_rng(3).integers(0, 256, (400, 300), dtype=np.uint8)
    path = tmp_path / "o6.tif"
    Image.fromarray(stored).save(path, tiffinfo={274: 6}, dpi=(100, 200))
    (page,) = read_pages(path)
    np.testing.assert_array_equal(page.gray, np.rot90(stored, -1).astype(np.float32) / np.float32(255.0))
    assert page.dpi == (200.0, 100.0)


# ---- float pages ------------------------------------------------------------------------------

def float_tiff(path: Path, values: np.ndarray) -> Path:
    Image.fromarray(values.astype(np.float32)).save(path)  # mode F
    return path


@pytest.mark.parametrize("scale", [1.0, 255.0, 65535.0])
def test_float_page_in_each_range(tmp_path: Path, scale: float) -> None:
    gray = STORED.astype(np.float32) / np.float32(255.0)
    (page,) = read_pages(float_tiff(tmp_path / "f.tif", gray * np.float32(scale)))
    np.testing.assert_allclose(page.gray, gray, atol=1e-6)


def test_float_page_overshoot_nan_and_inf(tmp_path: Path) -> None:
    values = np.full((H, W), 0.5, np.float32)
    values[0, :4] = (1.05, np.nan, np.inf, -np.inf)  # a 0..1 page overshooting a little
    values[1, 0] = -0.2
    (page,) = read_pages(float_tiff(tmp_path / "f.tif", values))
    assert page.gray[5, 5] == 0.5
    assert list(page.gray[0, :4]) == [1.0, 1.0, 1.0, 0.0]
    assert page.gray[1, 0] == 0.0


def test_float_page_out_of_every_range_is_refused(tmp_path: Path) -> None:
    values = np.full((H, W), 3e6, np.float32)
    path = float_tiff(tmp_path / "huge.tif", values)
    with pytest.raises(InputError, match="float pixel values out of range") as info:
        list(read_pages(path))
    assert "huge.tif" in str(info.value) and "\n" not in str(info.value)


def test_32_bit_integer_page_is_read_over_its_real_range(tmp_path: Path) -> None:
    """A mode I TIFF beyond 16 bits keeps its greys (it read as pure black and white); one within
    0..65535 is 16-bit grey as before, and one with negative values has its smallest value black."""
    path = tmp_path / "int32.tif"
    Image.fromarray(STORED.astype(np.int32) * 100_000).save(path)
    (page,) = read_pages(path)
    np.testing.assert_allclose(page.gray, STORED / np.float32(STORED.max()), atol=1e-6)
    assert len(np.unique(page.gray)) == len(np.unique(STORED))  # was 2
    values = STORED.astype(np.int32)
    Image.fromarray(values * 200).save(path)
    np.testing.assert_allclose(next(read_pages(path)).gray, values * 200 / 65535, atol=1e-6)
    Image.fromarray(values - 100).save(path)
    np.testing.assert_allclose(next(read_pages(path)).gray, (values - values.min()) / np.ptp(values), atol=1e-6)



def int32_tiff(path: Path, pages: list[tuple[np.ndarray, int | None]]) -> Path:
    """An uncompressed little-endian TIFF of 32-bit integer grey pages, each (values, SampleFormat:
    1 unsigned, 2 signed, None for no tag, which the TIFF spec reads as unsigned), written by hand:
    Pillow writes its mode I as signed whatever it is told, and ImageMagick's ``-depth 32`` writes no
    tag. (Pillow 13 opens no big-endian unsigned 32-bit TIFF at all.)"""
    import struct

    order = "<"
    data = bytearray(b"II" + struct.pack(order + "HI", 42, 0))
    link = 4  # where the offset of the next IFD goes
    for values, sample_format in pages:
        height, width = values.shape
        strip = len(data)
        data += values.astype(order + ("u4" if sample_format != 2 else "i4")).tobytes()
        tags = [(256, 4, width), (257, 4, height), (258, 3, 32), (259, 3, 1), (262, 3, 1), (273, 4, strip),
                (277, 3, 1), (278, 4, height), (279, 4, 4 * width * height)]
        tags += [(339, 3, sample_format)] if sample_format is not None else []
        struct.pack_into(order + "I", data, link, len(data))
        data += struct.pack(order + "H", len(tags))
        for tag, kind, value in tags:
            data += struct.pack(order + "HHI", tag, kind, 1) + struct.pack(order + ("HH" if kind == 3 else "I"),
                                                                           *((value, 0) if kind == 3 else (value,)))
        link = len(data)
        data += struct.pack(order + "I", 0)
    path.write_bytes(bytes(data))
    return path


def test_unsigned_32_bit_page_is_read_over_its_type_range(tmp_path: Path) -> None:
    """ImageMagick's 32-bit grey (``convert -depth 32``: unsigned, no SampleFormat tag) keeps its
    greys: Pillow reads it as signed, and paper at 0.89 came out at 0.39, cleaned as a negative.
    Per page: a signed page beside it is read as before (its real range)."""
    gray = (0.1 + 0.79 * STORED / np.float32(STORED.max())).astype(np.float32)  # ink 0.1, paper 0.89
    unsigned = np.round(gray.astype(np.float64) * (2**32 - 1)).astype(np.uint64)
    signed = STORED.astype(np.int64) * 100_000
    path = int32_tiff(tmp_path / "u32.tif", [(unsigned, None), (unsigned, 1), (signed, 2)])
    first, second, third = read_pages(path)
    np.testing.assert_allclose(first.gray, gray, atol=1e-6)  # was 0.39 at 0.89, 0.4 at 0.1
    np.testing.assert_allclose(second.gray, gray, atol=1e-6)
    np.testing.assert_allclose(third.gray, STORED / np.float32(STORED.max()), atol=1e-6)
    # Within 0..65535 a 32-bit page is still 16-bit grey, unsigned or signed.
    small = STORED.astype(np.int64) * 200
    path = int32_tiff(tmp_path / "small.tif", [(small, None), (small, 2)])
    for page in read_pages(path):
        np.testing.assert_allclose(page.gray, small / 65535, atol=1e-6)


def test_16_bit_pages_signed_or_not_keep_their_reading(tmp_path: Path) -> None:
    """A 16-bit PNG (always unsigned) is grey over 0..65535; a signed 16-bit TIFF (SampleFormat 2,
    which Pillow widens to mode I) is read as the 32-bit signed pages are."""
    values = STORED.astype(np.uint16) * 250
    Image.fromarray(values).save(tmp_path / "g16.png")
    np.testing.assert_allclose(next(read_pages(tmp_path / "g16.png")).gray, values / 65535, atol=1e-6)
    half = STORED.astype(np.uint16) * 100
    Image.fromarray(half).save(tmp_path / "s16.tif", tiffinfo={339: 2})
    with Image.open(tmp_path / "s16.tif") as im:
        assert im.mode == "I"
    np.testing.assert_allclose(next(read_pages(tmp_path / "s16.tif")).gray, half / 65535, atol=1e-6)

# ---- page naming ------------------------------------------------------------------------------

def test_multi_page_files_name_every_page_in_size_errors(tmp_path: Path) -> None:
    big, small = Image.fromarray(STORED), Image.fromarray(STORED[:10, :10])
    first_big = tmp_path / "first.tif"
    big.save(first_big, save_all=True, append_images=[small])
    second_big = tmp_path / "second.tif"
    small.save(second_big, save_all=True, append_images=[big])
    single = tmp_path / "single.tif"
    big.save(single)
    for path, page in ((first_big, 1), (second_big, 2)):
        with pytest.raises(InputError) as info:
            list(read_pages(path, max_pixels=H * W - 1))
        assert info.value.reason.startswith(f"page {page} image dimensions too large")
    with pytest.raises(InputError) as info:
        read_page(first_big, 0, max_pixels=H * W - 1)
    assert info.value.reason.startswith("page 1 image dimensions too large")
    with pytest.raises(InputError) as info:
        list(read_pages(single, max_pixels=H * W - 1))
    assert info.value.reason.startswith("image dimensions too large")


# ---- resolution -------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, dpi", [(".tif", 1e9), (".png", 100000), (".tif", 20000), (".png", 5),
                                         (".tif", 9.4)])
def test_an_implausible_resolution_is_unknown(tmp_path: Path, suffix: str, dpi: float) -> None:
    path = tmp_path / f"odd{suffix}"
    Image.fromarray(STORED).save(path, dpi=(dpi, dpi))
    (page,) = read_pages(path)
    assert page.dpi is None


@pytest.mark.parametrize("suffix", [".png", ".bmp"])
def test_a_resolution_stored_per_metre_comes_back_as_written(tmp_path: Path, suffix: str) -> None:
    """PNG and BMP store whole pixels per metre: 150 dpi came back 150.01, 72 as 72.01, 96 as 96.01."""
    written = [150, 72, 96, 300, 600, 299.5, 200.25]
    found = []
    for dpi in written:
        path = tmp_path / f"page-{dpi}{suffix}"
        Image.fromarray(STORED).save(path, dpi=(dpi, dpi))
        (page,) = read_pages(path)
        found.append(page.dpi)
    assert found == [(dpi, dpi) for dpi in written]


def test_a_jpeg_s_resolution_in_exif_only_keeps_both_axes(tmp_path: Path) -> None:
    """Without JFIF units Pillow reads a JPEG's EXIF XResolution for both axes: 200 x 100 dpi came
    back 200 x 200, and the PDF page made from it had half its height. JFIF units still come first."""
    exif = Image.Exif()
    exif[282], exif[283], exif[296] = 200.0, 100.0, 2  # XResolution, YResolution, per inch
    Image.fromarray(STORED).save(tmp_path / "exif.jpg", exif=exif)
    assert read_page(tmp_path / "exif.jpg", 0).dpi == (200.0, 100.0)
    Image.fromarray(STORED).save(tmp_path / "jfif.jpg", exif=exif, dpi=(150, 150))
    assert read_page(tmp_path / "jfif.jpg", 0).dpi == (150.0, 150.0)


@pytest.mark.parametrize("suffix, dpi", [(".tif", 10), (".png", 10), (".png", 10000), (".tif", 9600), (".jpg", 300)])
def test_plausible_resolutions_are_kept(tmp_path: Path, suffix: str, dpi: float) -> None:
    path = tmp_path / f"ok{suffix}"
    Image.fromarray(STORED).save(path, dpi=(dpi, dpi))
    (page,) = read_pages(path)
    assert page.dpi is not None and page.dpi == pytest.approx((dpi, dpi), abs=0.02)


@pytest.mark.parametrize("compression", ["raw", "packbits", "group4"])
@pytest.mark.parametrize("photometric", [0, 1], ids=["min-is-white", "min-is-black"])
def test_a_bilevel_tiff_reads_with_dark_ink_in_either_photometric(tmp_path: Path, photometric: int,
                                                                 compression: str) -> None:
    """Fax and scanner TIFFs are min-is-white (tag 262 = 0), Pillow's own min-is-black: both are
    black ink on white paper once read (Pillow writes 262 = 0 with its bits inverted)."""
    ink = STORED % 5 == 0  # True where the page has ink
    path = tmp_path / "bits.tif"
    Image.fromarray(~ink).save(path, compression=compression, tiffinfo={262: photometric})
    with Image.open(path) as im:
        assert im.tag_v2[262] == photometric
    (page,) = read_pages(path)
    np.testing.assert_array_equal(page.gray, np.where(ink, 0.0, 1.0).astype(np.float32))
