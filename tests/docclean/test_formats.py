"""Tests for docclean.formats: the one table of formats, suffixes and aliases."""

from pathlib import Path

import pytest

from docclean import formats


def test_supported_suffixes_and_choices() -> None:
    assert formats.SUPPORTED_SUFFIXES == {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf"}
    assert {"png", "tiff", "tif", "jpeg", "jpg", "pdf", "webp"} <= set(formats.OUTPUT_CHOICES)
    assert [f.name for f in formats.FORMATS if f.multi_page] == ["tiff", "pdf"]


def test_output_suffix_keeps_case_and_maps_aliases() -> None:
    assert formats.output_suffix(Path("a/scan.JPEG"), None) == ".JPEG"
    assert formats.output_suffix(Path("UPPER.PNG"), "same") == ".PNG"
    assert formats.output_suffix(Path("scan.png"), "tiff") == ".tif"
    assert formats.output_suffix(Path("scan.png"), "tif") == ".tif"
    assert formats.output_suffix(Path("scan.png"), "jpg") == ".jpg"
    assert formats.output_suffix(Path("scan.tif"), "webp") == ".webp"
    with pytest.raises(ValueError, match="unknown format"):
        formats.output_suffix(Path("scan.png"), "gif")
    with pytest.raises(ValueError, match="unsupported"):
        formats.output_suffix(Path("scan.gif"), None)
    assert formats.by_suffix("X.TIFF").name == "tiff" and formats.by_suffix("x.gif") is None
