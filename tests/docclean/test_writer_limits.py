"""A page larger than its output format holds (JPEG 65,500 pixels a side, WebP 16,383): refused with
one plain reason before it is cleaned (the batch) and before any encoder sees it (PageWriter), leaving
no output or temporary file; and PNG pages past libpng's 1,000,000-pixel side, which Pillow writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import docclean.filerun
from docclean import formats
from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.errors import OutputError
from docclean.settings import CleanSettings
from docclean.writer import PageWriter, write_page
from tests.docclean.pdfs import build_pdf

HOLDERS = "write it as PNG, TIFF, BMP or PDF"


@pytest.fixture
def cleaned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The shapes of the pages the batch cleans, in order (the network runs once per entry)."""
    shapes: list[tuple[int, int]] = []
    real = docclean.filerun.clean_page

    def counting(page, *args, **kwargs):  # type: ignore[no-untyped-def]
        shapes.append(page.gray.shape)
        return real(page, *args, **kwargs)

    monkeypatch.setattr(docclean.filerun, "clean_page", counting)
    return shapes


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden and temporary ones included), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def grey_png(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (width, height), 230).save(path, dpi=(200, 200))
    return path


def test_the_table_holds_each_format_s_largest_side() -> None:
    assert {f.name: f.max_side for f in formats.FORMATS} == {
        "png": None, "jpeg": 65_500, "tiff": None, "bmp": None, "webp": 16_383, "pdf": None}


@pytest.mark.parametrize(("name", "side"), [("webp", 16_383), ("jpeg", 65_500)])
def test_a_page_over_a_side_limit_is_refused_by_height_or_width(name: str, side: int) -> None:
    fmt = formats.by_name(name)
    formats.check_page_size(fmt, (side, side), 0, "a.png")  # at the limit: fine
    formats.check_page_size(formats.by_name("png"), (side + 1, 3), 0, "a.png")
    formats.check_page_size(None, (side + 1, 3), 0, "a.png")
    with pytest.raises(OutputError) as tall:
        formats.check_page_size(fmt, (side + 1, 300), 0, "in/roll.png")
    assert str(tall.value) == (f"in/roll.png: page 1 is 300 x {side + 1} pixels; {fmt.label} holds at most "
                               f"{side} pixels a side: {HOLDERS}")
    with pytest.raises(OutputError, match=f"page 3 is {side + 1} x 20 pixels"):
        formats.check_page_size(fmt, (20, side + 1, 3), 2, None)


def test_a_webp_page_over_16383_pixels_is_refused_before_encoding_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_page(out / "fits.webp", np.full((16_383, 4), 0.9, np.float32), (200.0, 200.0))
    with Image.open(out / "fits.webp") as im:
        assert im.size == (4, 16_383)
    with pytest.raises(OutputError) as err:
        write_page(out / "roll.webp", np.full((16_384, 4), 0.9, np.float32), (200.0, 200.0))
    assert str(err.value) == (f"{out / 'roll.webp'}: page 1 is 4 x 16384 pixels; WebP holds at most 16383 "
                              f"pixels a side: {HOLDERS}")
    assert files_under(out) == ["fits.webp"]


def test_a_jpeg_page_over_65500_pixels_is_refused_without_libjpeg_s_own_line(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OutputError, match=r"page 1 is 2 x 65501 pixels; JPEG holds at most 65500 pixels a side"):
        with PageWriter(tmp_path / "roll.jpg") as writer:
            writer.add(np.full((65_501, 2), 0.9, np.float32), None)
    assert files_under(tmp_path) == []
    assert "Maximum supported image dimension" not in capfd.readouterr().err


def test_a_png_page_past_libpng_s_million_pixel_side_is_written_whole(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    pixels = np.full((1_000_001, 2), 200, np.uint8)
    pixels[::7, 1] = 10
    write_page(tmp_path / "roll.png", pixels, (200.0, 200.0))
    with Image.open(tmp_path / "roll.png") as im:
        assert im.size == (2, 1_000_001) and im.mode == "L" and round(im.info["dpi"][0]) == 200
        assert np.array_equal(np.asarray(im), pixels)
    assert "libpng" not in capfd.readouterr().err


def test_the_batch_refuses_a_too_tall_webp_page_before_cleaning_it_and_goes_on(
        tmp_path: Path, denoiser: Denoiser, cleaned: list) -> None:
    tall = grey_png(tmp_path / "in" / "a_roll.png", 4, 16_384)
    grey_png(tmp_path / "in" / "b_page.png", 40, 56)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(fmt="webp"), cleaner=denoiser)
    assert [f.error for f in report.files] == [
        f"{tall}: page 1 is 4 x 16384 pixels; WebP holds at most 16383 pixels a side: {HOLDERS}", None]
    assert cleaned == [(56, 40)]  # the network never ran on the roll
    assert files_under(tmp_path / "out") == ["b_page.webp"]
    assert report.exit_code == 1


def test_a_pdf_page_at_a_high_dpi_is_refused_as_jpeg_before_cleaning(tmp_path: Path, denoiser: Denoiser,
                                                                    cleaned: list) -> None:
    # 0.1 x 200 inches: 33 x 66,000 pixels at 330 dpi. Kept as a PDF it would get a /UserUnit instead.
    (tmp_path / "in").mkdir()
    pdf = build_pdf(tmp_path / "in" / "strip.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 7.2 14400] >>"])
    report = clean_batch([str(pdf)], tmp_path / "out", CleanSettings(fmt="jpeg", dpi=330), cleaner=denoiser)
    assert report.files[0].error == (f"{pdf}: page 1 is 33 x 66000 pixels; JPEG holds at most 65500 pixels a side: "
                                     f"{HOLDERS}")
    assert cleaned == [] and files_under(tmp_path / "out") == []


def test_a_dry_run_foresees_the_pages_too_large_for_the_format(tmp_path: Path, denoiser: Denoiser) -> None:
    tall = grey_png(tmp_path / "in" / "a_roll.png", 4, 16_384)
    grey_png(tmp_path / "in" / "b_page.png", 40, 56)
    stack = tmp_path / "in" / "c_stack.tif"
    Image.new("L", (40, 30), 230).save(stack, save_all=True, append_images=[Image.new("L", (16_400, 3), 230)])
    pdf = build_pdf(tmp_path / "in" / "d_strip.pdf", [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 7.2 1000] >>"])
    settings = CleanSettings(fmt="webp", dpi=1200)  # the PDF page: 120 x 16,667 pixels at 1200 dpi
    dry = clean_batch([str(tmp_path / "in")], tmp_path / "dry", settings.replace(dry_run=True), cleaner=denoiser)
    real = clean_batch([str(tmp_path / "in")], tmp_path / "real", settings, cleaner=denoiser)
    limit = "WebP holds at most 16383 pixels a side"
    assert [f.error for f in dry.files] == [
        f"{tall}: page 1 is 4 x 16384 pixels; {limit}: {HOLDERS}", None,
        f"{stack}: page 2 is 16400 x 3 pixels; {limit}: {HOLDERS}",
        f"{pdf}: page 1 is 120 x 16667 pixels; {limit}: {HOLDERS}"]
    assert [f.error for f in real.files] == [f.error for f in dry.files]
    assert dry.exit_code == real.exit_code == 1 and files_under(tmp_path / "dry") == []


def test_a_multi_page_tiff_past_4_gb_is_refused_before_it_is_written_and_its_pages_are_kept(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    # Classic TIFF's offsets end at 4 GiB; past it Pillow raised struct.error after the whole book
    # was cleaned: "unexpected error". Here the limit is made small instead of writing 4 GB.
    import dataclasses

    assert formats.by_name("tiff").max_bytes == 2**32 - 1
    small = dataclasses.replace(formats.by_name("tiff"), max_bytes=2_000)
    monkeypatch.setattr(formats, "FORMATS", tuple(small if f.name == "tiff" else f for f in formats.FORMATS))
    monkeypatch.setitem(formats._BY_NAME, "tiff", small)
    monkeypatch.setitem(formats._BY_SUFFIX, ".tif", small)
    book = tmp_path / "in" / "book.tif"
    book.parent.mkdir()
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (60, 80), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(book, save_all=True, append_images=frames[1:])
    report = clean_batch([str(book)], tmp_path / "out", CleanSettings(), cleaner=denoiser)
    target = tmp_path / "out" / "book.tif"
    assert report.files[0].error == (f"{book}: {target}: a TIFF file holds at most 2,000 bytes, and its 3 cleaned "
                                     "pages would go past it: write it as PDF (--format pdf) or as page files "
                                     "(--format png)")
    kept = ".book.tif.docclean-pages"
    assert files_under(tmp_path / "out") == [f"{kept}/p000{i}.{ext}" for i in (1, 2, 3) for ext in ("json", "png")] + [
        f"{kept}/stamp.json"]
    # The writer says the same when a page ends past the limit (the stored pages foretold less).
    with pytest.raises(OutputError, match="a TIFF file holds at most"):
        with PageWriter(tmp_path / "w.tif") as writer:
            for frame in frames:
                writer.add(np.asarray(frame), None)
    assert not (tmp_path / "w.tif").exists()
