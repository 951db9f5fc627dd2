"""Which frames of a TIFF are pages (docclean.imagefile._page_frames): a thumbnail or a pyramid level
(a reduced-resolution version of another frame) is none, and page numbers count pages only, in
every reader (count, size, one page, every page) and through a batch into a multi-page output.

Every image is small and made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from docclean.errors import InputError
from docclean.io import count_pages, page_size, read_page, read_pages

H, W = 40, 30


def page_pixels(number: int) -> np.ndarray:
    """A page that tells which it is: its grey is 60 times its number, with a gradient."""
    return ((np.arange(H)[:, None] + np.arange(W)[None, :]) % 20 + 60 * number).astype(np.uint8)


def tiff(path: Path, frames: list[tuple[np.ndarray, dict]], dpi: list | None = None) -> Path:
    """A TIFF of (pixels, extra tags) frames, written frame by frame (each keeps its own tags)."""
    with TiffImagePlugin.AppendingTiffWriter(path, new=True) as out:
        for i, (pixels, tags) in enumerate(frames):
            extra = {"dpi": dpi[i]} if dpi and dpi[i] else {}
            Image.fromarray(pixels).save(out, "TIFF", tiffinfo=tags, **extra)
            out.newFrame()
    return path


def thumbnail(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(pixels).resize((W // 5, H // 5)))


def with_thumbnails(path: Path, pages: int = 3) -> Path:
    """Each page followed by its thumbnail (NewSubfileType 1), as scanners and cameras write them."""
    frames = []
    for number in range(pages):
        frames += [(page_pixels(number), {}), (thumbnail(page_pixels(number)), {254: 1})]
    return tiff(path, frames)


def test_thumbnails_are_no_pages(tmp_path: Path) -> None:
    path = with_thumbnails(tmp_path / "scan.tif")
    assert count_pages(path) == 3  # was 6
    pages = list(read_pages(path))
    assert [p.index for p in pages] == [0, 1, 2]
    for number, page in enumerate(pages):
        np.testing.assert_array_equal(page.gray, page_pixels(number) / np.float32(255.0))


def test_page_n_is_the_nth_page_not_the_nth_frame(tmp_path: Path) -> None:
    path = with_thumbnails(tmp_path / "scan.tif")
    page = read_page(path, 1)
    assert page.index == 1
    np.testing.assert_array_equal(page.gray, page_pixels(1) / np.float32(255.0))  # was page 1's thumbnail
    assert page_size(path, 2) == (W, H)
    with pytest.raises(InputError, match="has no page 4"):
        read_page(path, 3)
    with pytest.raises(InputError, match="has no page 4"):
        page_size(path, 3)


def test_a_thumbnail_before_the_page_is_no_page_either(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [(thumbnail(page_pixels(2)), {254: 1}), (page_pixels(2), {})])
    (page,) = read_pages(path)
    np.testing.assert_array_equal(page.gray, page_pixels(2) / np.float32(255.0))


def test_a_transparency_mask_is_no_page(tmp_path: Path) -> None:
    """A frame whose NewSubfileType says it is another's transparency mask (bit 2, value 4) is no
    page (it was cleaned as one), in every reader, and page numbers skip it, as they do thumbnails."""
    from docclean.metaraster import read_raster_metadata

    mask = (page_pixels(0) > 70).astype(np.uint8) * 255
    frames = [(page_pixels(0), {285: "one"}), (mask, {254: 4, 285: "mask"}), (page_pixels(1), {285: "two"}),
              (mask, {254: 4, 285: "mask"})]
    path = tiff(tmp_path / "masked.tif", frames)
    assert count_pages(path) == 2  # was 4
    pages = list(read_pages(path))
    assert [p.index for p in pages] == [0, 1]
    for number, page in enumerate(pages):
        np.testing.assert_array_equal(page.gray, page_pixels(number) / np.float32(255.0))
    np.testing.assert_array_equal(read_page(path, 1).gray, page_pixels(1) / np.float32(255.0))  # was the mask
    with pytest.raises(InputError, match="has no page 3"):
        read_page(path, 2)
    assert [fields.page_name for fields in read_raster_metadata(path).pages] == ["one", "two"]
    # A reduced-resolution mask (bits 0 and 2) is no page either, before its page or after.
    path = tiff(tmp_path / "both.tif", [(thumbnail(mask), {254: 5}), (page_pixels(2), {}), (mask, {254: 4})])
    (page,) = read_pages(path)
    np.testing.assert_array_equal(page.gray, page_pixels(2) / np.float32(255.0))

def test_a_file_of_nothing_but_reduced_frames_keeps_them(tmp_path: Path) -> None:
    path = tiff(tmp_path / "thumbs.tif", [(page_pixels(0), {254: 1}), (page_pixels(1), {254: 1})])
    assert count_pages(path) == 2


def test_imagemagick_6_pyramid_is_one_page_and_pages_of_falling_size_stay_pages(tmp_path: Path) -> None:
    """ImageMagick 6's PTIF marks every level a page (NewSubfileType 2), each with PageNumber (0, n),
    half the size and half the resolution of the one before. Smaller pages are still pages when they
    say another page number or none (a fax's fine page, then standard ones; pages scanned at halving
    resolutions), or when the same number is on smaller paper (a writer that numbers every page 0)."""
    sizes = [(W * 4, H * 4), (W * 2, H * 2), (W, H), (W // 2, H // 2)]
    halving = [(300 / 2**i, 300 / 2**i) for i in range(len(sizes))]

    def frames(tags: list[dict]) -> list:
        return [(np.full((h, w), 200, np.uint8), t) for (w, h), t in zip(sizes, tags)]

    pyramid = tiff(tmp_path / "pyramid.tif", frames([{254: 2, 297: (0, 4)}] * 4), dpi=halving)
    assert count_pages(pyramid) == 1  # was 4
    assert page_size(pyramid) == (W * 4, H * 4)
    numbered = tiff(tmp_path / "numbered.tif", frames([{297: (i, 4)} for i in range(4)]), dpi=halving)
    plain = tiff(tmp_path / "plain.tif", frames([{}] * 4), dpi=halving)
    zeros = tiff(tmp_path / "zeros.tif", frames([{297: (0, 0)}] * 4), dpi=[(300, 300)] * 4)
    assert [count_pages(path) for path in (numbered, plain, zeros)] == [4, 4, 4]
    # Single-page scans joined into one file (tiffcp) each say "page 1 of 1": a page scanned at a
    # lower resolution is a page (it was dropped without a word), halved or not.
    joined = tiff(tmp_path / "joined.tif", frames([{297: (0, 1)}] * 4), dpi=halving)
    assert count_pages(joined) == 4
    a4 = [(827, 1169), (620, 877), (827, 1169)]
    mixed = tiff(tmp_path / "mixed.tif", [(np.full((h, w), 200, np.uint8), {297: (0, 1)}) for w, h in a4],
                 dpi=[(100, 100), (75, 75), (100, 100)])
    assert count_pages(mixed) == 3


def test_a_batch_writes_the_pages_without_thumbnails_and_resumes(tmp_path: Path) -> None:
    """The multi-page output and its resume count the same pages as the reader."""
    import torch

    from docclean.batch import clean_batch
    from docclean.checkpoint import save_model
    from docclean.engine import Denoiser
    from docclean.model import DocUNet, DocUNetConfig
    from docclean.resume import PageStore
    from docclean.settings import CleanSettings

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    weights = save_model(model, tmp_path / "tiny.safetensors", "docunet", model.config.to_dict(), {})
    denoiser = Denoiser.load(weights, device="cpu", precision="fp32")
    (tmp_path / "in").mkdir()
    source = with_thumbnails(tmp_path / "in" / "scan.tif")
    settings = CleanSettings()
    target = tmp_path / "out" / "scan.tif"
    # An earlier run was stopped after the first page: its work folder holds page 1.
    PageStore(target, source, settings).put(0, np.full((H, W), 0.25, np.float32), (150.0, 150.0))
    report = clean_batch([str(source)], tmp_path / "out", settings, cleaner=denoiser)
    assert report.exit_code == 0
    with Image.open(target) as out:
        assert out.n_frames == 3
        sizes = []
        for frame in range(3):
            out.seek(frame)
            sizes.append(out.size)
        out.seek(0)
        assert np.asarray(out).max() == 64  # page 1 is the one the stopped run kept (0.25 grey)
    assert sizes == [(W, H)] * 3
