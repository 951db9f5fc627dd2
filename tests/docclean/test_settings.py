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
