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


@pytest.mark.parametrize("name, value", [
    ("binarize", "false"), ("binarize", 1), ("keep_solids", None), ("threads", 1.5), ("threads", True),
    ("tile_size", "512"), ("tile_size", 512.0), ("batch_size", 2.5), ("overlap", None), ("dpi", "300"),
    ("dpi", True), ("ink_warning", None), ("threshold", "0.5"), ("model", None), ("model", 3), ("fmt", 3),
    ("color", None), ("max_pixels", 1e9),
])
def test_a_value_of_the_wrong_type_is_a_usage_error_naming_the_setting(name: str, value: object) -> None:
    with pytest.raises(UsageError, match=f"^{name} must be") as info:
        CleanSettings(**{name: value})
    assert info.value.settings == (name,)
    with pytest.raises(UsageError, match=f"^{name} must be"):
        CleanSettings.from_dict({name: value})


def test_values_of_the_right_type_are_accepted_and_stored_plainly() -> None:
    import json
    from pathlib import Path

    import numpy as np

    settings = CleanSettings(threads=np.int64(2), dpi=np.float32(300), ink_warning=0, fmt=None, threshold=None,
                             model=Path("my.safetensors"))
    assert settings.threads == 2 and type(settings.threads) is int
    assert settings.dpi == 300.0 and type(settings.dpi) is float
    assert settings.ink_warning == 0 and settings.model == "my.safetensors"
    json.dumps(settings.to_dict())  # still plain values for workers and reports
    assert CleanSettings(dpi=300).dpi == 300  # an int where a float is asked is a number as it is
    assert CleanSettings.from_dict(CleanSettings().to_dict()) == CleanSettings()


@pytest.mark.parametrize("conflict", [
    {"color": "keep", "binarize": True}, {"keep_faint": True}, {"keep_faint": True, "binarize": True, "threshold": 0.5},
    {"remove_show_through": True}, {"keep_faint": True, "remove_show_through": True, "binarize": True},
    {"threshold": 0.5},
])
def test_a_conflict_names_its_settings_as_words_a_front_end_can_turn_into_its_own(conflict: dict) -> None:
    """Each setting at fault is a word of the message (``color`` as the switch ``keep_color``), and no
    value is quoted: the CLI writes those words as flags (``--keep-color``), which "color 'keep'" defeated."""
    import re

    with pytest.raises(UsageError) as info:
        CleanSettings(**conflict)
    message = str(info.value)
    for name in info.value.settings:
        word = "keep_color" if name == "color" else name
        assert re.search(rf"(?<![\w-]){word}(?![\w-])", message), (word, message)
    assert "'" not in message
