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


def test_a_model_file_retrained_in_place_starts_the_file_over(tmp_path: Path) -> None:
    model = tmp_path / "mine.safetensors"
    model.write_bytes(b"weights of the first run")
    settings = CleanSettings(model=str(model))
    source = stored(tmp_path, settings)
    assert PageStore(tmp_path / "out.tif", source, settings).done(2, clear=False) == {0}
    model.write_bytes(b"weights of the second run")
    assert PageStore(tmp_path / "out.tif", source, settings).done(2) == set()


def test_the_same_weights_under_another_path_resume(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "m.safetensors").write_bytes(b"the same weights")
    source = stored(tmp_path, CleanSettings(model=str(tmp_path / "a" / "m.safetensors")))
    copy = CleanSettings(model=str(tmp_path / "b" / "m.safetensors"))
    assert PageStore(tmp_path / "out.tif", source, copy).done(2) == {0}


def test_another_device_starts_the_file_over(tmp_path: Path) -> None:
    source = stored(tmp_path, CleanSettings(device="cuda"))
    assert PageStore(tmp_path / "out.tif", source, CleanSettings(device="cpu")).done(2) == set()


def test_the_stamp_is_the_source_content_not_its_path_or_time(tmp_path: Path) -> None:
    """A copy of the source anywhere (a cluster worker's download of a URL, a moved or touched
    file) resumes; another source of the same size does not."""
    import os
    import shutil

    settings = CleanSettings()
    source = stored(tmp_path, settings)
    elsewhere = tmp_path / "download-1234" / "scan.tif"
    elsewhere.parent.mkdir()
    shutil.copyfile(source, elsewhere)
    os.utime(elsewhere, ns=(10**18, 10**18))
    assert PageStore(tmp_path / "out.tif", elsewhere, settings).done(2, clear=False) == {0}
    elsewhere.write_bytes(b"PAGES")  # the same size, other bytes
    assert PageStore(tmp_path / "out.tif", elsewhere, settings).done(2) == set()


def test_a_page_that_cannot_be_kept_is_named_by_its_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from docclean import io as pageio
    from docclean.errors import DiskFullError

    source = tmp_path / "big.tif"
    source.write_bytes(b"scan")
    store = PageStore(tmp_path / "out" / "big.tif", source, CleanSettings())

    def full(path, *args, **kwargs):
        with pageio.PageWriter(path, "png") as writer:
            writer._fp.write = lambda data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
            writer.add(np.ones((4, 4), np.float32), None)

    monkeypatch.setattr(pageio, "write_page", full)
    with pytest.raises(DiskFullError) as info:
        store.put(4, np.ones((4, 4), np.float32), None)
    assert info.value.reason == "page 5: cannot write the page (No space left on device)"  # was "cannot write page 1"
