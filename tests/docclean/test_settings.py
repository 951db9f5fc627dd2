"""CleanSettings refuses requests that cannot work, naming the settings."""

from __future__ import annotations

import pytest

from docclean.errors import UsageError
from docclean.settings import CleanSettings


def test_a_threshold_without_binarize_is_refused() -> None:
    with pytest.raises(UsageError, match="needs binarize") as info:
        CleanSettings(threshold=0.4)
    assert info.value.settings == ("threshold", "binarize")
    assert CleanSettings(threshold=0.4, binarize=True).threshold == 0.4


def test_pixel_key_ignores_only_what_leaves_the_pixels_alone() -> None:
    tiny_settings = CleanSettings()
    assert tiny_settings.replace(fmt="tiff", overwrite=True).pixel_key() == tiny_settings.pixel_key()
    assert tiny_settings.replace(batch_size=4, threads=1).pixel_key() == tiny_settings.pixel_key()
    assert tiny_settings.replace(threshold=0.4, binarize=True).pixel_key() != tiny_settings.pixel_key()
    assert tiny_settings.replace(tile_size=512).pixel_key() != tiny_settings.pixel_key()
