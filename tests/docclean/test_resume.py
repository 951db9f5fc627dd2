"""The work folder of a multi-page output (docclean.resume): pages survive only for the same
source and the same pixel settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docclean.resume import PageStore
from docclean.settings import CleanSettings


def stored(tmp_path: Path, settings: CleanSettings) -> Path:
    source = tmp_path / "scan.tif"
    source.write_bytes(b"pages")
    PageStore(tmp_path / "out.tif", source, settings).put(0, np.full((8, 8), 0.5, np.float32), None)
    return source


@pytest.mark.parametrize("change", [{"keep_faint": True}, {"remove_show_through": True}, {"threshold": 0.4},
                                    {"auto_levels": False}, {"max_stroke": 0}, {"model": "fast"}])
def test_a_setting_that_changes_pixels_starts_the_file_over(tmp_path: Path, change: dict) -> None:
    base = CleanSettings(binarize=True)
    source = stored(tmp_path, base)
    assert PageStore(tmp_path / "out.tif", source, base).done(2, clear=False) == {0}
    assert PageStore(tmp_path / "out.tif", source, base.replace(**change)).done(2) == set()
    assert not (tmp_path / ".out.tif.docclean-pages").exists()


def test_settings_that_leave_pixels_alone_keep_the_pages(tmp_path: Path) -> None:
    base = CleanSettings(binarize=True)
    source = stored(tmp_path, base)
    same = base.replace(batch_size=4, threads=1, fmt="tiff", ink_warning=0.5, overwrite=False, max_pixels=10**6)
    assert PageStore(tmp_path / "out.tif", source, same).done(2) == {0}
