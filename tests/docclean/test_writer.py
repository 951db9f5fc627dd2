"""Tests for docclean.writer: what each output format says about a page's resolution.

A page of unknown resolution is written as of unknown resolution in every format, so that a
later reader (docclean, a viewer, a PDF maker) never takes a made-up figure for the scan's own."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.io import read_pages
from docclean.writer import write_page

PAGE = np.full((12, 20), 0.8, np.float32)
BITS = np.arange(240).reshape(12, 20) % 3 > 0


def bmp_pixels_per_metre(path: Path) -> tuple[int, int]:
    """The (x, y) pixels per metre of a BMP's BITMAPINFOHEADER (bytes 38 to 46)."""
    return struct.unpack("<ii", path.read_bytes()[38:46])


@pytest.mark.parametrize("pixels", [PAGE, BITS], ids=["grey", "1-bit"])
def test_a_bmp_of_unknown_resolution_says_none(tmp_path: Path, pixels: np.ndarray) -> None:
    # Pillow wrote 96 dpi (3780 per metre) when given none: read back, the page "was" 96 dpi.
    target = tmp_path / "page.bmp"
    write_page(target, pixels, None)
    assert bmp_pixels_per_metre(target) == (0, 0)
    assert "dpi" not in Image.open(target).info
    assert next(read_pages(target)).dpi is None


def test_a_bmp_keeps_a_known_resolution(tmp_path: Path) -> None:
    target = tmp_path / "page.bmp"
    write_page(target, PAGE, (300.0, 150.0))
    assert bmp_pixels_per_metre(target) == (11811, 5906)
    assert next(read_pages(target)).dpi == (300.0, 150.0)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "bmp", "webp"])
def test_every_raster_format_writes_an_unknown_resolution_as_unknown(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"page.{fmt}"
    write_page(target, PAGE, None, fmt=fmt)
    assert next(read_pages(target)).dpi is None
