"""Tests for docclean.io on raster formats: round trips, colour policy, bad inputs, atomic writes.

Every image is tiny (16 x 24) and made in tmp_path."""

from __future__ import annotations

import builtins
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import formats
from docclean.errors import InputError, OutputError
from docclean.io import Page, PageWriter, count_pages, read_gray, read_pages, write_page

H, W = 24, 16
RNG = np.random.default_rng(7)
GRAY = RNG.random((H, W)).astype(np.float32)
RGB = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
BITS = RNG.random((H, W)) > 0.5


def quantised(gray: np.ndarray) -> np.ndarray:
    """What an 8-bit lossless format gives back for a float page."""
    return np.rint(gray * 255) / 255


def only_page(path: Path, **kwargs) -> Page:
    pages = list(read_pages(path, **kwargs))
    assert len(pages) == 1
    return pages[0]


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that is only a valid signature + IHDR claiming the given size (+ IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def assert_input_error(path: Path, match: str, **kwargs) -> None:
    """read_pages and count_pages both raise InputError naming the file with reason ``match``."""
    with pytest.raises(InputError) as info:
        list(read_pages(path, **kwargs))
    assert path.name in str(info.value)
    assert match in info.value.reason
    assert type(info.value) is InputError and info.value.__class__.__module__ == "docclean.errors"
    if not kwargs:
        with pytest.raises(InputError) as info:
            count_pages(path)
        assert path.name in str(info.value)


# ---- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["png", "tiff", "bmp", "webp"])
def test_lossless_roundtrip_gray_and_rgb(tmp_path: Path, fmt: str) -> None:
    gray_path = tmp_path / f"g{formats.by_name(fmt).suffix}"
    write_page(gray_path, GRAY, (300, 200), fmt)
    page = only_page(gray_path)
    assert page.gray.dtype == np.float32 and page.gray.shape == (H, W)
    np.testing.assert_allclose(page.gray, quantised(GRAY), atol=1e-6)
    assert page.color is None and page.index == 0
    assert page.dpi == (300.0, 200.0)  # WebP keeps it in an EXIF block

    rgb_path = tmp_path / f"c{formats.by_name(fmt).suffix}"
    write_page(rgb_path, RGB, (150, 150), fmt)
    page = only_page(rgb_path)
    assert page.color is not None and page.color.dtype == np.uint8
    np.testing.assert_array_equal(page.color, RGB)
    expected = (RGB.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255
    np.testing.assert_allclose(page.gray, expected, atol=1e-5)


def test_jpeg_roundtrip_is_close_keeps_dpi_and_grey_is_mode_l(tmp_path: Path) -> None:
    smooth = np.tile(np.linspace(0.2, 0.9, W, dtype=np.float32), (H, 1))
    path = tmp_path / "g.jpg"
    write_page(path, smooth, (300, 300), "jpeg")
    with Image.open(path) as im:
        assert im.mode == "L"
    page = only_page(path)
    assert page.dpi == (300.0, 300.0) and page.color is None
    assert np.abs(page.gray - smooth).max() < 0.03


def test_jpeg_quality_option_changes_the_file(tmp_path: Path) -> None:
    low, high = tmp_path / "low.jpg", tmp_path / "high.jpg"
    with PageWriter(low, "jpeg", jpeg_quality=20) as writer:
        writer.add(RGB, None)
    with PageWriter(high, "jpeg", jpeg_quality=98) as writer:
        writer.add(RGB, None)
    assert low.stat().st_size < high.stat().st_size


@pytest.mark.parametrize("suffix,mode", [(".png", "1"), (".tif", "1"), (".bmp", "1"),
                                         (".jpg", "L")])
def test_bilevel_pages_are_written_one_bit(tmp_path: Path, suffix: str, mode: str) -> None:
    path = tmp_path / f"b{suffix}"
    write_page(path, BITS, (300, 300))
    with Image.open(path) as im:
        assert im.mode == mode
        if suffix == ".tif":
            assert im.info["compression"] == "group4"
    page = only_page(path)
    if mode == "1":
        np.testing.assert_array_equal(page.gray, BITS.astype(np.float32))  # True is white
    assert page.color is None


def test_multipage_tiff_three_pages(tmp_path: Path) -> None:
    path = tmp_path / "doc.tif"
    sources = [GRAY, RGB, BITS]
    with PageWriter(path, "tiff") as writer:
        for dpi, pixels in zip((100, 200, 300), sources):
            writer.add(pixels, (dpi, dpi))
    assert count_pages(path) == 3
    pages = list(read_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.dpi for p in pages] == [(100.0, 100.0), (200.0, 200.0), (300.0, 300.0)]
    np.testing.assert_allclose(pages[0].gray, quantised(GRAY), atol=1e-6)
    np.testing.assert_array_equal(pages[1].color, RGB)
    np.testing.assert_array_equal(pages[2].gray, BITS.astype(np.float32))


def test_tiff_pages_are_streamed_to_disk_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "doc.tif"
    with PageWriter(path, "tiff") as writer:
        sizes = []
        for _ in range(3):
            writer.add(RGB, None)
            (temp,) = [p for p in tmp_path.iterdir() if p.name != path.name]
            sizes.append(temp.stat().st_size)
    assert sizes[0] > 0 and sizes[0] < sizes[1] < sizes[2]


def test_single_page_formats_refuse_a_second_page(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    with pytest.raises(OutputError, match="out.png"):
        with PageWriter(path, "png") as writer:
            writer.add(GRAY, None)
            writer.add(GRAY, None)
    assert list(tmp_path.iterdir()) == []


# ---- colour policy and decoding of every mode ---------------------------------------------------

def test_16bit_grey_is_scaled_by_65535(tmp_path: Path) -> None:
    values = np.full((H, W), 30000, dtype=np.uint16)
    values[0, 0] = 65535
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    page = only_page(path)
    assert page.gray[1, 1] == pytest.approx(30000 / 65535, abs=1e-6)  # not clipped to 1.0
    assert page.gray[0, 0] == pytest.approx(1.0)


def test_32bit_integer_mode_is_read_as_16bit(tmp_path: Path) -> None:
    path = tmp_path / "int.tif"
    Image.fromarray(np.full((H, W), 16384, dtype=np.int32)).save(path)
    assert only_page(path).gray[0, 0] == pytest.approx(16384 / 65535, abs=1e-6)


def test_palette_colour_and_grey_palettes(tmp_path: Path) -> None:
    red_on_white = np.full((H, W, 3), 255, np.uint8)
    red_on_white[5:9, 4:10] = (255, 0, 0)
    path = tmp_path / "pal.png"
    Image.fromarray(red_on_white).convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(path)
    page = only_page(path)
    assert page.color is not None and tuple(page.color[6, 5]) == (255, 0, 0)
    assert page.gray[6, 5] == pytest.approx(0.299, abs=1e-3) and page.gray[0, 0] == 1.0

    grey_path = tmp_path / "greypal.png"
    Image.fromarray(np.rint(GRAY * 255).astype(np.uint8)).convert("P").save(grey_path)
    page = only_page(grey_path)
    assert page.color is None  # a palette of greys is a grey page


def test_cmyk_is_converted_through_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.tif"
    Image.new("CMYK", (W, H), (255, 0, 0, 0)).save(path)  # pure cyan
    page = only_page(path)
    assert tuple(page.color[0, 0]) == (0, 255, 255)
    assert page.gray[0, 0] == pytest.approx(0.701, abs=1e-3)


def test_alpha_is_composited_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((H, W, 4), np.uint8)  # black ...
    rgba[:, : W // 2, 3] = 0  # ... fully transparent on the left
    rgba[:, W // 2 :, 3] = 128  # ... half transparent on the right
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    page = only_page(path)
    assert page.color is None  # black on white is grey
    assert page.gray[0, 0] == 1.0
    assert page.gray[0, -1] == pytest.approx(127 / 255, abs=1 / 255)

    la_path = tmp_path / "la.png"
    Image.fromarray(rgba[..., [0, 3]], "LA").save(la_path)
    page = only_page(la_path)
    assert page.gray[0, 0] == 1.0 and page.gray[0, -1] == pytest.approx(127 / 255, abs=1 / 255)


def test_rgb_with_equal_channels_is_grey_but_one_coloured_pixel_is_colour(tmp_path: Path) -> None:
    grey_rgb = np.repeat(np.rint(GRAY * 255).astype(np.uint8)[..., None], 3, axis=2)
    path = tmp_path / "greyrgb.png"
    Image.fromarray(grey_rgb).save(path)
    page = only_page(path)
    assert page.color is None
    np.testing.assert_allclose(page.gray, quantised(GRAY), atol=1e-6)

    # A single pixel off the subsampling grid: only the full check can find it.
    grey_rgb[5, 3] = (200, 10, 10)
    Image.fromarray(grey_rgb).save(path)
    assert only_page(path).color is not None


def test_exif_orientation_is_applied_and_dpi_follows(tmp_path: Path) -> None:
    pixels = np.full((H, W), 255, np.uint8)
    pixels[0, 0] = 0  # mark the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    path = tmp_path / "turned.png"
    Image.fromarray(pixels).save(path, exif=exif, dpi=(100, 200))
    page = only_page(path)
    assert page.gray.shape == (W, H)
    assert page.gray[0, -1] == 0.0  # the stored top-left is now top-right
    assert page.dpi == (200.0, 100.0)


def test_read_gray_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "g.png"
    write_page(path, GRAY)
    np.testing.assert_allclose(read_gray(str(path)), quantised(GRAY), atol=1e-6)


# ---- bad inputs -------------------------------------------------------------------------------

def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    assert_input_error(path, "empty file")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".bmp", ".webp"])
def test_truncated_image_fails_at_read_time(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole{suffix}"
    Image.fromarray(RGB).save(whole)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(InputError) as info:
        list(read_pages(path))
    assert path.name in str(info.value) and "\n" not in str(info.value)
    if suffix != ".webp":  # libwebp only says it "could not create decoder object"
        assert "truncated" in info.value.reason


def test_a_multi_page_file_damaged_in_a_later_page_names_that_page(tmp_path: Path) -> None:
    whole = tmp_path / "whole.tif"
    frames = [Image.fromarray((np.random.default_rng(i).random((300, 200)) * 255).astype(np.uint8)) for i in range(3)]
    frames[0].save(whole, save_all=True, append_images=frames[1:])
    path = tmp_path / "cut.tif"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size * 9 // 10])  # into the third page's pixels
    read = []
    with pytest.raises(InputError) as info:
        for page in read_pages(path):
            read.append(page.index)
    assert read == [0, 1] and info.value.reason.startswith("page 3: ") and "truncated" in info.value.reason


def test_not_an_image_with_an_image_suffix(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("just some text, not a picture\n")
    assert_input_error(path, "not an image")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    Image.new("L", (W, H)).save(path)
    assert_input_error(path, "unsupported file type '.gif'")


def test_directory_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.png"
    folder.mkdir()
    assert_input_error(folder, "is a directory")
    assert_input_error(tmp_path / "missing.png", "not found")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where chmod cannot deny a read; refuse the open itself instead.
    path = tmp_path / "locked.png"
    write_page(path, GRAY)
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(str(file)) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    assert_input_error(path, "permission denied")


def test_size_limit_is_checked_before_decoding(tmp_path: Path, recwarn: pytest.WarningsRecorder
                                               ) -> None:
    small = tmp_path / "small.png"
    write_page(small, GRAY)
    assert_input_error(small, "too large", max_pixels=H * W - 1)
    # Headers only: decoding these would need gigabytes (and the data is not even there).
    assert_input_error(png_header(tmp_path / "bomb.png", 100_000, 100_000), "too large")
    # 400 Mpx is over our limit but in Pillow's warning band: must not warn, must raise.
    assert_input_error(png_header(tmp_path / "warn.png", 20_000, 20_000), "too large")
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_unexpected_decoder_errors_are_converted(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "odd.png"
    write_page(path, GRAY)

    def explode(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("decoder exploded\nwith a second line")

    monkeypatch.setattr(Image.Image, "getexif", explode)
    with pytest.raises(InputError) as info:
        list(read_pages(path))
    assert "odd.png" in str(info.value) and "\n" not in str(info.value)


# ---- atomic output ----------------------------------------------------------------------------

def test_exception_inside_writer_leaves_nothing(tmp_path: Path) -> None:
    for fmt in ("png", "tiff", "pdf"):
        with pytest.raises(ZeroDivisionError):
            with PageWriter(tmp_path / f"out.{fmt}", fmt) as writer:
                writer.add(GRAY, None)
                1 / 0
    with pytest.raises(KeyboardInterrupt):
        with PageWriter(tmp_path / "out.tif", "tiff") as writer:
            writer.add(GRAY, None)
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_existing_target_untouched_until_success(tmp_path: Path) -> None:
    target = tmp_path / "page.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with PageWriter(target, "png") as writer:
            writer.add(GRAY, None)
            raise RuntimeError("cancelled")
    assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1

    with PageWriter(target, "png") as writer:
        writer.add(GRAY, None)
        assert target.read_bytes() == b"old"  # still the old file while writing
    np.testing.assert_allclose(only_page(target).gray, quantised(GRAY), atol=1e-6)
    assert len(list(tmp_path.iterdir())) == 1


def test_writer_without_pages_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no pages"):
        with PageWriter(tmp_path / "none.tif", "tiff"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    target = blocker / "out.png"
    with pytest.raises(OutputError) as info:
        write_page(target, GRAY)
    assert "out.png" in str(info.value)


def test_missing_output_folders_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.tif"
    write_page(target, GRAY, (300, 300))
    assert count_pages(target) == 1


def test_format_from_suffix_and_bad_arrays(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="suffix"):
        write_page(tmp_path / "out.xyz", GRAY)
    with pytest.raises(ValueError):
        write_page(tmp_path / "out.png", np.zeros((H, W, 4), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_a_larger_max_pixels_than_pillows_limit_is_honoured(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            recwarn: pytest.WarningsRecorder
                                                            ) -> None:
    path = tmp_path / "page.png"
    write_page(path, GRAY)
    # H * W = 384 px lies in Pillow's warning band (above its limit, below twice it).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)
    assert only_page(path, max_pixels=1000).gray.shape == (H, W)
    assert_input_error(path, "too large", max_pixels=350)
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


# ---- resolution -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "bmp", "webp", "pdf"])
@pytest.mark.parametrize("dpi", [(0, 0), (float("nan"), 300), (-300, -300), (1e9, 1e9), (300, float("inf"))])
def test_a_resolution_no_format_can_mean_is_an_output_error(tmp_path: Path, fmt: str, dpi) -> None:
    target = tmp_path / f"page.{fmt}"
    with pytest.raises(OutputError, match="resolution") as info:
        write_page(target, GRAY, dpi, fmt=fmt)
    assert target.name in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "bmp", "pdf"])
def test_a_file_with_an_absurd_resolution_is_written_as_of_unknown_resolution(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "huge.tif"
    Image.fromarray((GRAY * 255).astype(np.uint8)).save(source, dpi=(1e9, 1e9))
    page = only_page(source)
    target = tmp_path / f"out.{fmt}"
    write_page(target, page.gray, page.dpi, fmt=fmt)
    if fmt == "pdf":  # a full-size page, not one of size 0
        assert b"/MediaBox [0 0 3.8400 5.7600]" in target.read_bytes()  # 16 x 24 pixels at 300 dpi
    else:  # a BMP too, which Pillow writes at 96 dpi when given none
        assert only_page(target).dpi is None


def test_a_limit_above_pillow_s_own_admits_the_page_it_allows(tmp_path: Path) -> None:
    """Pillow refuses pages above twice its limit before docclean's own check could decide: a
    caller's higher --max-pixels must reach the header check (here: refused by it, naming it)."""
    bomb = png_header(tmp_path / "big.png", 20_000, 20_000)  # 400 Mpx, header only
    assert count_pages(bomb, max_pixels=500_000_000) == 1  # planning counts it as reading will read it
    with pytest.raises(InputError) as info:
        list(read_pages(bomb, max_pixels=500_000_000))
    # Past Pillow's guard, the header is read and decoding fails on the missing data, not the size.
    assert "too large" not in info.value.reason
    with pytest.raises(InputError, match=r"too large \(.*pixels, limit 300,000,000\)"):
        list(read_pages(bomb, max_pixels=300_000_000))


def test_a_pdf_saved_under_an_image_s_name_is_told_to_be_renamed(tmp_path: Path) -> None:
    # A PDF named .png was "not an image (content not recognised)": true, and no help.
    named = tmp_path / "scan.png"
    write_page(tmp_path / "real.pdf", np.full((20, 30), 0.8, np.float32))
    named.write_bytes((tmp_path / "real.pdf").read_bytes())
    with pytest.raises(InputError) as info:
        list(read_pages(named))
    assert str(info.value) == f"{named}: a PDF file named .png: rename it to scan.pdf to clean its pages"
