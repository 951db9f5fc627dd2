"""A resumed multi-page file reports the pages an earlier run cleaned as that run found them: their
ink-loss figure and its warning come back from the work folder (``PageStore.note``/``recall``),
for a multi-page output, for page files and for an output only put together by the rerun."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.report import PageResult, Report
from docclean.resume import PageStore
from docclean.settings import CleanSettings

ERASED = "page 1: cleaning removed 100% of the dark strokes; check this page"


@pytest.fixture(scope="module")
def eraser(tmp_path_factory: pytest.TempPathFactory) -> Denoiser:
    """A tiny model that paints every pixel white: every stroke is lost."""
    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():
        net.head.bias.fill_(1.0)
    path = save_model(net, tmp_path_factory.mktemp("m") / "eraser.safetensors", "docunet", net.config.to_dict(), {})
    return Denoiser.load(path, device="cpu", precision="fp32")


def letter(path: Path, pages: int = 3) -> Path:
    """A multi-page TIFF of light paper with lines of dark "text"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page = np.full((48, 40), 220, np.uint8)
    page[10:40:6, 5:35] = 30
    images = [Image.fromarray(page) for _ in range(pages)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def interrupted_after_first_page(inputs: Path, out: Path, eraser: Denoiser, monkeypatch: pytest.MonkeyPatch,
                                 **settings: object) -> None:
    real, pages = eraser.clean, []

    def counting(page: np.ndarray, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        pages.append(1)
        if len(pages) == 2:
            raise KeyboardInterrupt
        return real(page, progress)

    monkeypatch.setattr(eraser, "clean", counting)
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(inputs)], out, CleanSettings(**settings), cleaner=eraser)  # type: ignore[arg-type]
    monkeypatch.setattr(eraser, "clean", real)


@pytest.mark.parametrize("fmt", ["tiff", "png"])
def test_pages_cleaned_before_an_interruption_keep_their_ink_figure_and_warning(
        tmp_path: Path, eraser: Denoiser, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    letter(tmp_path / "in" / "scan.tif")
    out = tmp_path / "out"
    interrupted_after_first_page(tmp_path / "in", out, eraser, monkeypatch, fmt=fmt)
    report = clean_batch([str(tmp_path / "in")], out, CleanSettings(fmt=fmt), cleaner=eraser)
    file, = report.files
    assert [p.status for p in file.pages] == ["skipped", "cleaned", "cleaned"]
    assert [p.ink_loss for p in file.pages] == [1.0, 1.0, 1.0]
    assert file.warnings[0] == ERASED and len([w for w in file.warnings if "dark strokes" in w]) == 3
    assert not [p for p in out.rglob("*") if ".docclean-pages" in str(p)]  # the figures went with the folder


def test_an_output_only_put_together_by_the_rerun_keeps_every_page_figure(
        tmp_path: Path, eraser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    letter(tmp_path / "in" / "scan.tif", pages=2)
    out = tmp_path / "out"

    def killed(self: PageStore, pages: int, metadata: object = None) -> None:
        raise KeyboardInterrupt  # the run stopped while the output was being put together

    real = PageStore.assemble
    monkeypatch.setattr(PageStore, "assemble", killed)
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(tmp_path / "in")], out, CleanSettings(), cleaner=eraser)
    monkeypatch.setattr(PageStore, "assemble", real)
    report = clean_batch([str(tmp_path / "in")], out, CleanSettings(), cleaner=eraser)
    file, = report.files
    assert file.status == "cleaned" and [(p.status, p.ink_loss) for p in file.pages] == [("skipped", 1.0)] * 2
    assert file.warnings[0] == ERASED and (out / "scan.tif").is_file()


def test_a_page_whose_figures_were_not_kept_is_skipped_without_them(tmp_path: Path) -> None:
    """A work folder of an older version (or a figures file cut by a crash): the page itself is
    whole and is taken; its report entry has no figure, as before."""
    source = tmp_path / "scan.tif"
    source.write_bytes(b"pages")
    store = PageStore(tmp_path / "out.tif", source, CleanSettings())
    store.note(PageResult(0, "cleaned", 0.1, 0.25, None, True))
    assert store.recall(0) == PageResult(0, "skipped", 0.0, 0.25, None, True)
    assert store.recall(1) == PageResult(1, "skipped")
    (store.folder / "p0001.json").write_text('{"ink_loss": "lots"')
    assert store.recall(0) == PageResult(0, "skipped")
    (store.folder / "p0001.json").write_text('{"ink_loss": 7, "show_through": null, "inverted": false}')
    assert store.recall(0) == PageResult(0, "skipped")


def test_the_report_of_a_resumed_file_counts_only_this_runs_pages(tmp_path: Path, eraser: Denoiser,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    letter(tmp_path / "in" / "scan.tif")
    out = tmp_path / "out"
    interrupted_after_first_page(tmp_path / "in", out, eraser, monkeypatch)
    report = Report()
    clean_batch([str(tmp_path / "in")], out, CleanSettings(), cleaner=eraser, report=report)
    assert report.pages_cleaned == 2 and report.to_json()["summary"]["pages_cleaned"] == 2
