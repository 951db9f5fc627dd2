"""Tests for docclean.discover and docclean.pipeline: which files a batch finds and where they go,
and how run() cleans, skips, fails, reports and stops. A tiny random DocUNet and 56x40 pages keep
the whole module to a few seconds on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.checkpoint import save_model
from docclean.discover import Job, discover
from docclean.engine import Denoiser
from docclean.model import DocUNet, DocUNetConfig
from docclean.pipeline import Cancelled, CleanOptions, CleanProgress, FileResult, Report, run

H, W = 56, 40
RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory: pytest.TempPathFactory) -> Denoiser:
    import torch

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    path = save_model(model, tmp_path_factory.mktemp("model") / "tiny.safetensors", "docunet",
                      model.config.to_dict(), {"metrics": {"val_rmse": 0.042, "train_loss": 0.1}, "epoch": 7})
    return Denoiser.load(path, device="cpu", precision="fp32")


def grey(path: Path, pages: int = 1) -> Path:
    """Write a random grey page (or a multi-page TIFF) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)) for _ in range(pages)]
    images[0].save(path, save_all=pages > 1, append_images=images[1:])
    return path


def colour(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(path)
    return path


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden and temporary ones included), relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


class Recorder(CleanProgress):
    """Records every callback as a tuple."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_start(self, files: int, pages: int) -> None:
        self.events.append(("start", files, pages))

    def on_file_start(self, job: Job, pages: int) -> None:
        self.events.append(("file", job.source.name, pages))

    def on_page_done(self, job: Job, index: int, seconds: float) -> None:
        assert seconds >= 0
        self.events.append(("page", job.source.name, index))

    def on_file_done(self, result: FileResult) -> None:
        self.events.append(("done", result.source.name, result.status))

    def on_finish(self, report: Report) -> None:
        self.events.append(("finish", len(report.files)))


# --- discover ---------------------------------------------------------------------------------

def test_folder_is_walked_sorted_and_mirrored_skipping_hidden_and_unsupported(tmp_path: Path) -> None:
    src = tmp_path / "scans"
    for name in ["b.png", "a.jpg", "sub/deeper/c.tif", "sub/d.pdf", ".hidden.png", ".cache/e.png", "notes.txt"]:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(b"x")
    jobs = discover([str(src)], tmp_path / "out")
    assert [j.error for j in jobs] == [None] * 4
    assert [str(j.source.relative_to(src)) for j in jobs] == ["a.jpg", "b.png", "sub/d.pdf", "sub/deeper/c.tif"]
    assert [str(j.target.relative_to(tmp_path / "out")) for j in jobs] == \
        ["a.jpg", "b.png", "sub/d.pdf", "sub/deeper/c.tif"]


def test_format_changes_the_suffix_only(tmp_path: Path) -> None:
    grey(tmp_path / "in" / "page.jpeg")
    (job,) = discover([str(tmp_path / "in")], tmp_path / "out", "png")
    assert job.target == tmp_path / "out" / "page.png"


def test_globs_are_relative_to_their_base_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["scans/x/a.png", "scans/x/y/b.png", "scans/c.jpg", "top.png"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    jobs = discover(["scans/**/*.png", "*.png"], Path("out"))
    assert [(str(j.source), str(j.target)) for j in jobs] == [
        ("scans/x/a.png", "out/x/a.png"), ("scans/x/y/b.png", "out/x/y/b.png"), ("top.png", "out/top.png")]
    assert all(j.error is None for j in jobs)


def test_output_folder_inside_an_input_folder_is_not_an_input(tmp_path: Path) -> None:
    grey(tmp_path / "scans" / "a.png")
    grey(tmp_path / "scans" / "clean" / "a.png")  # an output of an earlier run
    jobs = discover([str(tmp_path / "scans"), str(tmp_path / "scans" / "*.png")], tmp_path / "scans" / "clean")
    # The folder and the pattern both find a.png (same target: kept once); clean/a.png is never a source.
    assert [(j.source.name, j.error) for j in jobs] == [("a.png", None)]


def test_problems_become_failed_jobs_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hi")
    grey(tmp_path / "a" / "x.png")
    grey(tmp_path / "b" / "x.png")
    jobs = discover([str(tmp_path / "missing.png"), str(tmp_path / "nomatch*.png"), str(tmp_path / "empty"),
                     str(tmp_path / "notes.txt"), str(tmp_path / "a"), str(tmp_path / "b")], tmp_path / "out")
    errors = [j.error for j in jobs]
    assert errors[0] == "no such file or folder"
    assert errors[1].startswith("pattern matched no supported files")
    assert errors[2].startswith("no supported files in this folder")
    assert errors[3].startswith("unsupported file type '.txt'")
    assert errors[4] is None
    assert errors[5] == f"output {tmp_path / 'out' / 'x.png'} is already the output of {tmp_path / 'a' / 'x.png'}"


def test_a_target_that_is_an_input_is_refused(tmp_path: Path) -> None:
    grey(tmp_path / "scans" / "a.png")
    grey(tmp_path / "scans" / "b.tif")
    same = discover([str(tmp_path / "scans")], tmp_path / "scans")
    assert all(j.error and j.error.startswith("refusing to write over an input file") for j in same)
    other_format = discover([str(tmp_path / "scans")], tmp_path / "scans", "pdf")
    assert [j.error for j in other_format] == [None, None]


# --- run --------------------------------------------------------------------------------------

def test_run_cleans_mirrors_and_reports_progress(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "sub" / "b.tif", pages=3)
    colour(tmp_path / "in" / "c.jpg")
    progress = Recorder()
    report = run(discover([str(tmp_path / "in")], tmp_path / "out"), denoiser,
                 CleanOptions(output=tmp_path / "out"), progress)
    assert files_under(tmp_path / "out") == ["a.png", "c.jpg", "sub/b.tif"]
    assert progress.events == [
        ("start", 3, 5),
        ("file", "a.png", 1), ("page", "a.png", 0), ("done", "a.png", "cleaned"),
        ("file", "c.jpg", 1), ("page", "c.jpg", 0), ("done", "c.jpg", "cleaned"),
        ("file", "b.tif", 3), ("page", "b.tif", 0), ("page", "b.tif", 1), ("page", "b.tif", 2),
        ("done", "b.tif", "cleaned"), ("finish", 3)]
    with Image.open(tmp_path / "out" / "sub" / "b.tif") as im:
        assert (im.n_frames, im.size) == (3, (W, H))
    with Image.open(tmp_path / "out" / "c.jpg") as im:
        assert im.mode == "L"  # default: the cleaned page is grey even for a colour scan
    assert report.counts()["cleaned"] == 3 and report.pages_cleaned == 5
    # The written page is what the denoiser produced (8-bit rounding aside).
    with Image.open(tmp_path / "out" / "a.png") as im, Image.open(tmp_path / "in" / "a.png") as src:
        expected = denoiser.clean(np.asarray(src, dtype=np.float32) / 255)
        np.testing.assert_allclose(np.asarray(im, dtype=np.float32) / 255, expected, atol=1 / 255 + 1e-6)


def test_keep_color_and_binarize(tmp_path: Path, denoiser: Denoiser) -> None:
    jobs = discover([str(colour(tmp_path / "in" / "c.png"))], tmp_path / "col")
    run(jobs, denoiser, CleanOptions(output=tmp_path / "col", keep_color=True))
    with Image.open(tmp_path / "col" / "c.png") as im:
        assert im.mode == "RGB"
    jobs = discover([str(tmp_path / "in" / "c.png")], tmp_path / "bin", "tiff")
    run(jobs, denoiser, CleanOptions(output=tmp_path / "bin", fmt="tiff", binarize=True, threshold=0.4))
    with Image.open(jobs[0].target) as im:
        assert im.mode == "1"
        page = np.asarray(im.convert("L"))
    assert set(np.unique(page)) <= {0, 255}
    with pytest.raises(ValueError, match="cannot be combined"):
        CleanOptions(output=tmp_path, keep_color=True, binarize=True)
    with pytest.raises(ValueError, match="unknown output format"):
        CleanOptions(output=tmp_path, fmt="gif")
    with pytest.raises(ValueError, match="threshold"):
        CleanOptions(output=tmp_path, threshold=1.5)


def test_multi_page_into_a_single_page_format_splits_and_resumes_per_page(tmp_path: Path,
                                                                          denoiser: Denoiser) -> None:
    source = grey(tmp_path / "doc.tif", pages=3)
    out = tmp_path / "out"
    options = CleanOptions(output=out, fmt="png")
    report = run(discover([str(source)], out, "png"), denoiser, options)
    assert files_under(out) == ["doc-p001.png", "doc-p002.png", "doc-p003.png"]
    assert report.files[0].targets == [out / "doc-p001.png", out / "doc-p002.png", out / "doc-p003.png"]
    (out / "doc-p002.png").unlink()
    progress = Recorder()
    report = run(discover([str(source)], out, "png"), denoiser, options, progress)
    assert [p.status for p in report.files[0].pages] == ["skipped", "cleaned", "skipped"]
    assert ("start", 1, 1) in progress.events and files_under(out)[1] == "doc-p002.png"
    report = run(discover([str(source)], out, "png"), denoiser, options)
    assert report.files[0].status == "skipped"


def test_resume_skips_existing_overwrite_redoes_and_dry_run_writes_nothing(tmp_path: Path,
                                                                         denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    jobs = discover([str(tmp_path / "in")], out)
    dry = run(jobs, denoiser, CleanOptions(output=out, dry_run=True))
    assert [f.status for f in dry.files] == ["would clean"] * 2 and not out.exists()
    run(jobs[:1], denoiser, CleanOptions(output=out))
    stamp = (out / "a.png").stat().st_mtime_ns
    report = run(jobs, denoiser, CleanOptions(output=out))
    assert [f.status for f in report.files] == ["skipped", "cleaned"]
    assert (out / "a.png").stat().st_mtime_ns == stamp
    report = run(jobs, denoiser, CleanOptions(output=out, overwrite=True))
    assert [f.status for f in report.files] == ["cleaned", "cleaned"]
    assert (out / "a.png").stat().st_mtime_ns != stamp


def test_bad_files_fail_alone_with_a_reason_naming_them(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "b.png").write_bytes(b"")
    (tmp_path / "in" / "c.png").write_text("not an image")
    grey(tmp_path / "in" / "d.png")
    report = run(discover([str(tmp_path / "in")], tmp_path / "out"), denoiser, CleanOptions(output=tmp_path / "out"))
    assert [f.status for f in report.files] == ["cleaned", "failed", "failed", "cleaned"]
    for result in report.failed:
        assert result.error.startswith(f"{result.source}: ") and "\n" not in result.error
    assert files_under(tmp_path / "out") == ["a.png", "d.png"]


def test_unexpected_exceptions_fail_the_file_only(tmp_path: Path, denoiser: Denoiser,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    grey(tmp_path / "a.png")
    grey(tmp_path / "b.png")
    real = denoiser.clean
    calls = iter([RuntimeError("boom"), None])

    def flaky(page: np.ndarray) -> np.ndarray:
        exc = next(calls)
        if exc is not None:
            raise exc
        return real(page)

    monkeypatch.setattr(denoiser, "clean", flaky)
    report = run(discover([str(tmp_path / "a.png"), str(tmp_path / "b.png")], tmp_path / "out"), denoiser,
                 CleanOptions(output=tmp_path / "out"))
    assert report.files[0].error == f"{tmp_path / 'a.png'}: unexpected error: RuntimeError: boom"
    assert report.files[1].status == "cleaned"
    assert files_under(tmp_path / "out") == ["b.png"]


def test_output_folder_that_is_a_file_fails_each_job(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "sub" / "b.png")
    (tmp_path / "out").write_text("I am a file")
    report = run(discover([str(tmp_path / "in")], tmp_path / "out"), denoiser, CleanOptions(output=tmp_path / "out"))
    assert [f.status for f in report.files] == ["failed", "failed"]
    assert all("output folder is not a folder" in f.error and str(tmp_path / "out") in f.error
               for f in report.files)


@pytest.mark.parametrize("stop", ["interrupt", "cancel"])
def test_interrupt_keeps_the_report_and_leaves_no_partial_output(tmp_path: Path, denoiser: Denoiser,
                                                                 monkeypatch: pytest.MonkeyPatch, stop: str) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.tif", pages=3)
    grey(tmp_path / "in" / "c.png")
    out = tmp_path / "out"
    real, pages = denoiser.clean, []

    class StopAtThirdPage(CleanProgress):
        def cancelled(self) -> bool:
            return stop == "cancel" and len(pages) == 2

    def counting(page: np.ndarray) -> np.ndarray:
        pages.append(1)
        if stop == "interrupt" and len(pages) == 3:  # the second page of b.tif
            raise KeyboardInterrupt
        return real(page)

    monkeypatch.setattr(denoiser, "clean", counting)
    report = Report()
    with pytest.raises(KeyboardInterrupt if stop == "interrupt" else Cancelled):
        run(discover([str(tmp_path / "in")], out), denoiser, CleanOptions(output=out), StopAtThirdPage(), report)
    assert report.interrupted
    assert [(f.source.name, f.status) for f in report.files] == [("a.png", "cleaned"), ("b.tif", "interrupted")]
    assert files_under(out) == ["a.png"]  # no half-written b.tif, no temporary file
    monkeypatch.setattr(denoiser, "clean", real)
    again = run(discover([str(tmp_path / "in")], out), denoiser, CleanOptions(output=out))
    assert [f.status for f in again.files] == ["skipped", "cleaned", "cleaned"]


def test_report_json(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.tif", pages=2)
    (tmp_path / "in" / "b.png").write_bytes(b"")
    report = Report(model_name="tiny", model_path="/models/tiny.safetensors")
    run(discover([str(tmp_path / "in")], tmp_path / "out"), denoiser, CleanOptions(output=tmp_path / "out"),
        report=report)
    report.write_json(tmp_path / "reports" / "r.json")
    data = json.loads((tmp_path / "reports" / "r.json").read_text())
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["r.json"]
    assert data["model"]["name"] == "tiny" and data["model"]["arch"] == "docunet"
    assert data["model"]["val_metrics"] == {"val_rmse": 0.042} and data["model"]["epoch"] == 7
    assert data["summary"]["files"] == 2 and data["summary"]["cleaned"] == 1 and data["summary"]["failed"] == 1
    assert data["summary"]["pages_cleaned"] == 2 and data["interrupted"] is False
    first, second = data["files"]
    assert first["targets"] == [str(tmp_path / "out" / "a.tif")]
    assert [p["status"] for p in first["pages"]] == ["cleaned", "cleaned"]
    assert second["status"] == "failed" and second["error"].startswith(str(tmp_path / "in" / "b.png"))
    assert data["options"]["output"] == str(tmp_path / "out")


def test_page_files_may_not_collide_with_another_output(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "doc.tif", pages=2)
    grey(tmp_path / "in" / "doc-p001.png")
    out = tmp_path / "out"
    report = run(discover([str(tmp_path / "in")], out, "png"), denoiser, CleanOptions(output=out, fmt="png"))
    assert [(f.source.name, f.status) for f in report.files] == [("doc-p001.png", "cleaned"), ("doc.tif", "failed")]
    assert "already the output of another input" in report.files[1].error
    assert files_under(out) == ["doc-p001.png"]
