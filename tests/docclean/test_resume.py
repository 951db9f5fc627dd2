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


@pytest.mark.parametrize("suffix", [".tif", ".pdf"])
def test_the_assembled_pages_keep_their_exact_resolution(tmp_path: Path, suffix: str) -> None:
    """The PNG work files store whole pixels per metre: 150 dpi came back 150.01 and 72 as 72.01 (a PDF
    page 0.01% smaller); a fax's 203.2 and a JPEG's 118 dots per cm (299.72 dpi) come back as they were."""
    import pikepdf
    from PIL import Image

    source = tmp_path / "scan.tif"
    source.write_bytes(b"pages")
    target = tmp_path / f"out{suffix}"
    store = PageStore(target, source, CleanSettings())
    resolutions = [(150.0, 150.0), (72.0, 72.0), (203.2, 196.0), (299.72, 299.72), (600.0, 600.0)]
    for index, dpi in enumerate(resolutions):
        store.put(index, np.full((40, 30), 0.5, np.float32), dpi)
    store.assemble(len(resolutions))
    if suffix == ".tif":
        with Image.open(target) as im:
            found = []
            for frame in range(im.n_frames):
                im.seek(frame)
                found.append(im.info.get("dpi"))
        assert [v for dpi in found for v in dpi] == pytest.approx([v for dpi in resolutions for v in dpi], abs=1e-4)
        assert found[:2] == resolutions[:2]  # (a TIFF rational is a float32: 203.2 is 203.1999969)
    else:
        with pikepdf.open(target) as pdf:
            sizes = [(float(page.MediaBox[2]), float(page.MediaBox[3])) for page in pdf.pages]
        assert sizes == [pytest.approx((30 * 72 / x, 40 * 72 / y), abs=1e-4) for x, y in resolutions]


def test_a_two_page_150_dpi_tiff_comes_out_at_exactly_150_dpi(tmp_path: Path) -> None:
    import torch
    from PIL import Image

    from docclean.batch import clean_batch
    from docclean.checkpoint import save_model
    from docclean.engine import Denoiser
    from docclean.model import DocUNet, DocUNetConfig

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    weights = save_model(model, tmp_path / "tiny.safetensors", "docunet", model.config.to_dict(), {})
    source = tmp_path / "in" / "two.tif"
    source.parent.mkdir()
    pages = [Image.fromarray(np.full((40, 30), 200, np.uint8)) for _ in range(2)]
    pages[0].save(source, save_all=True, append_images=pages[1:], dpi=(150, 150))
    for fmt in ("tiff", "pdf"):
        report = clean_batch([str(source)], tmp_path / "out", CleanSettings(fmt=fmt),
                             cleaner=Denoiser.load(weights, device="cpu", precision="fp32"))
        assert report.exit_code == 0
    with Image.open(tmp_path / "out" / "two.tif") as im:
        for frame in range(2):
            im.seek(frame)
            assert im.info["dpi"] == (150.0, 150.0)  # was 150.01
    assert (tmp_path / "out" / "two.pdf").read_bytes().count(b"/MediaBox [0 0 14.4000 19.2000]") == 2
