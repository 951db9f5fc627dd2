"""Tests for docclean.discover and docclean.batch: which files a batch finds and where they go,
and how clean_batch() cleans, skips, fails, reports and stops. A tiny random DocUNet and 56x40 pages keep
the whole module to a few seconds on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.batch import clean_batch
from docclean.checkpoint import save_model
from docclean.discover import Job, discover, list_sources
from docclean.engine import Denoiser
from docclean.errors import Cancelled, UsageError
from docclean.model import DocUNet, DocUNetConfig
from docclean.progress import CleanProgress
from docclean.report import FileResult, PageResult, Report
from docclean.settings import CleanSettings

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


def run(inputs: list, out: Path, denoiser: Denoiser, progress: CleanProgress | None = None,
        report: Report | None = None, **settings) -> Report:
    """The batch with the test's tiny model."""
    return clean_batch([str(i) for i in inputs], out, CleanSettings(**settings), progress, cleaner=denoiser,
                       report=report)


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
    """Records every callback as a tuple; planning steps and warnings apart (``plans``,
    ``warnings``), each with how many events came before it."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.plans: list[tuple] = []
        self.warnings: list[tuple] = []

    def on_plan(self, done: int, total: int) -> None:
        self.plans.append((len(self.events), done, total))

    def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
        self.warnings.append((len(self.events), kind, source, message))

    def on_start(self, files: int, pages: int) -> None:
        self.events.append(("start", files, pages))

    def on_file_start(self, job: Job, pages: int) -> None:
        self.events.append(("file", job.source.name, pages))

    def on_page_done(self, job: Job, page: PageResult) -> None:
        assert page.seconds >= 0 and 0 <= page.ink_loss <= 1
        self.events.append(("page", job.source.name, page.index))

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
    assert errors[5] == (f"output {tmp_path / 'out' / 'x.png'} (or x-p001.png... for a multi-page file) is already "
                         f"the output of {tmp_path / 'a' / 'x.png'}; give the inputs separate output folders (-o), "
                         "or rename one; quote a glob ('scans/*/*.png') or give the folder that holds both, so "
                         "each keeps its folder")


def test_list_sources_names_each_file_once_and_plans_no_output(tmp_path: Path) -> None:
    grey(tmp_path / "a" / "x.png")
    grey(tmp_path / "b" / "x.png")
    files, problems = list_sources([tmp_path / "a", tmp_path / "b" / "x.png", str(tmp_path / "a" / "*.png"),
                                    tmp_path / "missing.png"])
    assert files == [tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"]  # one name, two files: both
    assert problems == [f"{tmp_path / 'missing.png'}: no such file or folder"]


def test_one_path_given_alone_is_one_input_not_its_characters(tmp_path: Path, denoiser: Denoiser,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    grey(tmp_path / "in" / "scan.png")
    grey(tmp_path / "in" / "other.png")  # read a character at a time, "scan.png" held ".", which took it
    monkeypatch.chdir(tmp_path / "in")
    for given in ("scan.png", tmp_path / "in" / "scan.png"):  # (a "/" would have named the root folder)
        report = clean_batch(given, tmp_path / "out", CleanSettings(overwrite=True), cleaner=denoiser)
        assert [(f.source.name, f.status) for f in report.files] == [("scan.png", "cleaned")], given
    assert files_under(tmp_path / "out") == ["scan.png"]


def test_a_target_that_is_an_input_is_refused(tmp_path: Path) -> None:
    grey(tmp_path / "scans" / "a.png")
    grey(tmp_path / "scans" / "b.tif")
    same = discover([str(tmp_path / "scans")], tmp_path / "scans")
    assert all(j.error and j.error.startswith("refusing to write over an input file") for j in same)
    other_format = discover([str(tmp_path / "scans")], tmp_path / "scans", "pdf")
    assert [j.error for j in other_format] == [None, None]


# --- clean_batch ------------------------------------------------------------------------------

def test_run_cleans_mirrors_and_reports_progress(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "sub" / "b.tif", pages=3)
    colour(tmp_path / "in" / "c.jpg")
    progress = Recorder()
    report = run([tmp_path / "in"], tmp_path / "out", denoiser, progress)
    assert files_under(tmp_path / "out") == ["a.png", "c.jpg", "sub/b.tif"]
    assert progress.events == [
        ("start", 3, 5),
        # A file's result is settled once the next file is cleaned (its writes run meanwhile).
        ("file", "a.png", 1), ("page", "a.png", 0),
        ("file", "c.jpg", 1), ("page", "c.jpg", 0), ("done", "a.png", "cleaned"),
        ("file", "b.tif", 3), ("page", "b.tif", 0), ("page", "b.tif", 1), ("page", "b.tif", 2),
        ("done", "c.jpg", "cleaned"), ("done", "b.tif", "cleaned"), ("finish", 3)]
    with Image.open(tmp_path / "out" / "sub" / "b.tif") as im:
        assert (im.n_frames, im.size) == (3, (W, H))
    with Image.open(tmp_path / "out" / "c.jpg") as im:
        assert im.mode == "L"  # default: the cleaned page is grey even for a colour scan
    assert report.counts()["cleaned"] == 3 and report.pages_cleaned == 5 and report.exit_code == 0
    # The written page is what the denoiser produced (8-bit rounding aside).
    with Image.open(tmp_path / "out" / "a.png") as im, Image.open(tmp_path / "in" / "a.png") as src:
        expected = denoiser.clean(np.asarray(src, dtype=np.float32) / 255)
        np.testing.assert_allclose(np.asarray(im, dtype=np.float32) / 255, expected, atol=1 / 255 + 1e-6)


def test_keep_color_and_binarize(tmp_path: Path, denoiser: Denoiser) -> None:
    run([colour(tmp_path / "in" / "c.png")], tmp_path / "col", denoiser, color="keep")
    with Image.open(tmp_path / "col" / "c.png") as im:
        assert im.mode == "RGB"
    run([tmp_path / "in" / "c.png"], tmp_path / "bin", denoiser, fmt="tiff", binarize=True, threshold=0.4)
    with Image.open(tmp_path / "bin" / "c.tif") as im:
        assert im.mode == "1"
        page = np.asarray(im.convert("L"))
    assert set(np.unique(page)) <= {0, 255}
    with pytest.raises(UsageError, match="cannot be combined") as info:
        CleanSettings(color="keep", binarize=True)
    assert info.value.settings == ("color", "binarize")
    with pytest.raises(UsageError, match="unknown format"):
        CleanSettings(fmt="gif")
    with pytest.raises(UsageError, match="threshold"):
        CleanSettings(threshold=1.5)
    assert CleanSettings(fmt="jpg").fmt == "jpeg" and CleanSettings(fmt="TIF").fmt == "tiff"


def test_binarized_pages_into_jpeg_are_warned_once_before_any_page(tmp_path: Path, denoiser: Denoiser) -> None:
    from docclean.progress import BINARIZED_JPEG, WARN_SETTINGS

    def settings_warnings(recorder: Recorder) -> list[tuple]:
        return [w for w in recorder.warnings if w[1] == WARN_SETTINGS]

    inputs = [grey(tmp_path / "in" / "a.jpg"), grey(tmp_path / "in" / "b.jpg"), grey(tmp_path / "in" / "c.png")]
    events = Recorder()
    report = run(inputs, tmp_path / "out", denoiser, events, binarize=True)
    assert settings_warnings(events) == [(0, WARN_SETTINGS, "", BINARIZED_JPEG)]  # once, before any event
    assert events.events[0][0] == "start"
    assert report.warnings == [BINARIZED_JPEG] and report.to_json()["warnings"] == [BINARIZED_JPEG]
    dry = Recorder()
    assert run(inputs, tmp_path / "dry", denoiser, dry, binarize=True, dry_run=True).warnings == [BINARIZED_JPEG]
    for settings in ({"binarize": True, "fmt": "png"}, {}, {"fmt": "jpeg"}):
        quiet = Recorder()
        assert run(inputs, tmp_path / "o", denoiser, quiet, overwrite=True, **settings).warnings == [], settings
        assert settings_warnings(quiet) == [], settings
    resumed = Recorder()  # outputs already there: nothing will be written as JPEG, nothing to say
    assert run(inputs[:2], tmp_path / "out", denoiser, resumed, binarize=True).warnings == []


def test_planning_a_batch_tells_how_many_files_are_checked(tmp_path: Path, denoiser: Denoiser,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import docclean.batch

    inputs = [grey(tmp_path / "in" / f"p{i}.png") for i in range(4)]
    monkeypatch.setattr(docclean.batch, "PLAN_EVERY", 0.0)  # every file, not a few times a second
    events = Recorder()
    run(inputs, tmp_path / "out", denoiser, events, dry_run=True)
    assert events.plans == [(0, 0, 4), (0, 1, 4), (0, 2, 4), (0, 3, 4)]  # all before on_start
    assert events.events[0] == ("start", 4, 4)


def test_multi_page_into_a_single_page_format_splits_and_resumes_per_page(tmp_path: Path,
                                                                          denoiser: Denoiser) -> None:
    source = grey(tmp_path / "doc.tif", pages=3)
    out = tmp_path / "out"
    report = run([source], out, denoiser, fmt="png")
    assert files_under(out) == ["doc-p001.png", "doc-p002.png", "doc-p003.png"]
    assert report.files[0].targets == [out / "doc-p001.png", out / "doc-p002.png", out / "doc-p003.png"]
    (out / "doc-p002.png").unlink()
    progress = Recorder()
    report = run([source], out, denoiser, progress, fmt="png")
    assert [p.status for p in report.files[0].pages] == ["skipped", "cleaned", "skipped"]
    assert ("start", 1, 1) in progress.events and files_under(out)[1] == "doc-p002.png"
    report = run([source], out, denoiser, fmt="png")
    assert report.files[0].status == "skipped"


def test_resume_skips_existing_overwrite_redoes_and_dry_run_writes_nothing(tmp_path: Path,
                                                                         denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    dry = run([tmp_path / "in"], out, denoiser, dry_run=True)
    assert [f.status for f in dry.files] == ["would clean"] * 2 and not out.exists()
    run([tmp_path / "in" / "a.png"], out, denoiser)
    stamp = (out / "a.png").stat().st_mtime_ns
    report = run([tmp_path / "in"], out, denoiser)
    assert [f.status for f in report.files] == ["skipped", "cleaned"]
    assert (out / "a.png").stat().st_mtime_ns == stamp
    report = run([tmp_path / "in"], out, denoiser, overwrite=True)
    assert [f.status for f in report.files] == ["cleaned", "cleaned"]
    assert (out / "a.png").stat().st_mtime_ns != stamp


def test_bad_files_fail_alone_with_a_reason_naming_them(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "b.png").write_bytes(b"")
    (tmp_path / "in" / "c.png").write_text("not an image")
    grey(tmp_path / "in" / "d.png")
    report = run([tmp_path / "in"], tmp_path / "out", denoiser)
    assert [f.status for f in report.files] == ["cleaned", "failed", "failed", "cleaned"]
    for result in report.failed:
        assert result.error.startswith(f"{result.source}: ") and "\n" not in result.error
    assert files_under(tmp_path / "out") == ["a.png", "d.png"]
    assert report.exit_code == 1


def test_unexpected_exceptions_fail_the_file_only(tmp_path: Path, denoiser: Denoiser,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    grey(tmp_path / "a.png")
    grey(tmp_path / "b.png")
    real = denoiser.clean
    calls = iter([RuntimeError("boom"), None])

    def flaky(page: np.ndarray, progress=None) -> np.ndarray:
        exc = next(calls)
        if exc is not None:
            raise exc
        return real(page, progress)

    monkeypatch.setattr(denoiser, "clean", flaky)
    report = run([tmp_path / "a.png", tmp_path / "b.png"], tmp_path / "out", denoiser)
    assert report.files[0].error == f"{tmp_path / 'a.png'}: unexpected error: RuntimeError: boom"
    assert report.files[1].status == "cleaned"
    assert files_under(tmp_path / "out") == ["b.png"]


def test_output_folder_that_is_a_file_is_a_usage_error_before_any_work(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.png")
    (tmp_path / "out").write_text("I am a file")
    with pytest.raises(UsageError, match="not a folder") as info:
        run([tmp_path / "in"], tmp_path / "out", denoiser)
    assert info.value.exit_code == 2 and (tmp_path / "out").read_text() == "I am a file"


def test_a_folder_on_the_way_that_is_a_file_fails_each_job(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "sub" / "a.png")
    grey(tmp_path / "in" / "sub" / "b.png")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").write_text("I am a file")
    report = run([tmp_path / "in"], tmp_path / "out", denoiser)
    assert [f.status for f in report.files] == ["failed", "failed"]
    assert all("output folder is not a folder" in f.error for f in report.files)


def test_an_interrupt_while_the_files_are_being_found_still_writes_the_report(tmp_path: Path, denoiser: Denoiser,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import docclean.batch

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def] - a Ctrl-C while a big tree is walked
        raise KeyboardInterrupt

    monkeypatch.setattr(docclean.batch, "discover", interrupted)
    grey(tmp_path / "in" / "a.png")
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser,
                    report_path=tmp_path / "r.json")
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["interrupted"] is True and written["stopped"] == "interrupted" and written["files"] == []
    assert written["not_reached"] == [] and written["summary"]["not_reached"] == 0  # no file was found yet
    assert not (tmp_path / "out").exists()


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

    def counting(page: np.ndarray, progress=None) -> np.ndarray:
        pages.append(1)
        if stop == "interrupt" and len(pages) == 3:  # the second page of b.tif
            raise KeyboardInterrupt
        return real(page, progress)

    monkeypatch.setattr(denoiser, "clean", counting)
    report = Report()
    with pytest.raises(KeyboardInterrupt if stop == "interrupt" else Cancelled):
        clean_batch([str(tmp_path / "in")], out, CleanSettings(), StopAtThirdPage(), cleaner=denoiser,
                    report=report, report_path=tmp_path / "r.json")
    assert report.interrupted and report.exit_code == 130
    assert json.loads((tmp_path / "r.json").read_text())["interrupted"] is True
    assert [(f.source.name, f.status) for f in report.files] == [("a.png", "cleaned"), ("b.tif", "interrupted")]
    assert [p.name for p in report.not_reached] == ["c.png"]  # what a rerun still has to do
    # No half-written b.tif and no temporary file; its finished first page waits in the work folder.
    kept = [".b.tif.docclean-pages/p0001.json", ".b.tif.docclean-pages/p0001.png",
            ".b.tif.docclean-pages/stamp.json"] if stop == "interrupt" else []
    assert files_under(out) == [*kept, "a.png"]
    monkeypatch.setattr(denoiser, "clean", real)
    again = run([tmp_path / "in"], out, denoiser)
    assert [f.status for f in again.files] == ["skipped", "cleaned", "cleaned"]
    resumed = ["skipped", "cleaned", "cleaned"] if stop == "interrupt" else ["cleaned"] * 3
    assert [p.status for p in again.files[1].pages] == resumed  # an interrupted file resumes at page 2
    assert files_under(out) == ["a.png", "b.tif", "c.png"]
    with Image.open(out / "b.tif") as im:
        assert im.n_frames == 3


def test_report_json(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "a.tif", pages=2)
    (tmp_path / "in" / "b.png").write_bytes(b"")
    clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(model="tiny"), cleaner=denoiser,
                report_path=tmp_path / "reports" / "r.json")
    data = json.loads((tmp_path / "reports" / "r.json").read_text())
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["r.json"]
    assert data["model"]["name"] == "tiny" and data["model"]["arch"] == "docunet"
    assert data["model"]["val_metrics"] == {"val_rmse": 0.042} and data["model"]["epoch"] == 7
    assert data["summary"]["files"] == 2 and data["summary"]["cleaned"] == 1 and data["summary"]["failed"] == 1
    assert data["summary"]["pages_cleaned"] == 2 and data["interrupted"] is False
    first, second = data["files"]
    assert first["targets"] == [str(tmp_path / "out" / "a.tif")]
    assert [p["status"] for p in first["pages"]] == ["cleaned", "cleaned"]
    assert all(0 <= p["ink_loss"] <= 1 for p in first["pages"])
    assert second["status"] == "failed" and second["error"].startswith(str(tmp_path / "in" / "b.png"))
    assert data["output"] == str(tmp_path / "out") and CleanSettings.from_dict(data["settings"]).model == "tiny"


def test_page_files_may_not_collide_with_another_output(tmp_path: Path, denoiser: Denoiser) -> None:
    grey(tmp_path / "in" / "doc.tif", pages=2)
    grey(tmp_path / "in" / "doc-p001.png")
    out = tmp_path / "out"
    report = run([tmp_path / "in"], out, denoiser, fmt="png")
    assert [(f.source.name, f.status) for f in report.files] == [("doc-p001.png", "cleaned"), ("doc.tif", "failed")]
    assert "already the output of another input" in report.files[1].error
    assert files_under(out) == ["doc-p001.png"]


def _volume(monkeypatch: pytest.MonkeyPatch, case: bool) -> list[Path]:
    """The output volume compares names so (this machine's keeps them apart); returns where it was
    asked (as tests/docclean/test_discover_outputs.py fakes it)."""
    from docclean import places

    asked: list[Path] = []
    monkeypatch.setattr(places, "folding", lambda folder: asked.append(folder) or places.Folding(case, case))
    return asked


def test_a_page_file_that_is_another_output_but_for_case_is_refused_where_the_volume_folds_case(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    # Scan-p001.png, Scan.tif's first page, is scan-p001.png's output on macOS, Windows or an exFAT share.
    asked = _volume(monkeypatch, case=True)
    grey(tmp_path / "in" / "Scan.tif", pages=3)
    grey(tmp_path / "in" / "scan-p001.png")
    out = tmp_path / "out"
    first = b""
    # A rerun says the same (its page file is there now, as scan-p001.png), and --overwrite too.
    for rerun, overwrite in ((False, False), (True, False), (True, True)):
        report = run([tmp_path / "in"], out, denoiser, fmt="png", overwrite=overwrite)
        results = {f.source.name: (f.status, f.error) for f in report.files}
        assert results["Scan.tif"] == ("failed", f"{tmp_path / 'in' / 'Scan.tif'}: {out / 'Scan-p001.png'}: "
                                                 "this page output is already the output of another input")
        assert results["scan-p001.png"][0] == ("skipped" if rerun and not overwrite else "cleaned")
        assert report.exit_code == 1
        assert files_under(out) == ["scan-p001.png"]  # Scan.tif wrote nothing over it
        first = first or (out / "scan-p001.png").read_bytes()
        assert (out / "scan-p001.png").read_bytes() == first  # scan-p001.png's own output
        assert [path.name for path in asked] == ["out"]  # asked once a run, where the pages would go
        asked.clear()


def test_a_page_file_that_is_an_input_but_for_case_is_refused_where_the_volume_folds_case(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    _volume(monkeypatch, case=True)
    grey(tmp_path / "in" / "Scan.tif", pages=2)
    original = grey(tmp_path / "out" / "scan-p001.png").read_bytes()  # an input, in the output folder
    out = tmp_path / "out"
    report = run([tmp_path / "in" / "Scan.tif", out / "scan-p001.png"], out, denoiser, fmt="png")
    results = {f.source.name: (f.status, f.error) for f in report.files}
    assert results["Scan.tif"] == ("failed", f"{tmp_path / 'in' / 'Scan.tif'}: {out / 'Scan-p001.png'}: "
                                             "refusing to write over an input file; choose another output folder")
    assert results["scan-p001.png"][0] == "failed" and report.exit_code == 1
    assert files_under(out) == ["scan-p001.png"] and (out / "scan-p001.png").read_bytes() == original


def test_page_files_apart_from_other_outputs_but_for_case_are_written_where_the_volume_keeps_case(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _volume(monkeypatch, case=False)
    grey(tmp_path / "in" / "Scan.tif", pages=2)
    grey(tmp_path / "in" / "scan-p001.png")
    out = tmp_path / "out"
    report = run([tmp_path / "in"], out, denoiser, fmt="png")
    assert [(f.source.name, f.status, f.error) for f in report.files] == [
        ("Scan.tif", "cleaned", None), ("scan-p001.png", "cleaned", None)]
    assert files_under(out) == ["Scan-p001.png", "Scan-p002.png", "scan-p001.png"] and report.exit_code == 0
    assert len(asked) == 1
    asked.clear()
    grey(tmp_path / "other" / "doc.tif", pages=2)
    grey(tmp_path / "other" / "notes.png")
    run([tmp_path / "other"], tmp_path / "out2", denoiser, fmt="png")
    assert asked == []  # no page file differs from a name only in case: nothing written to ask


@pytest.mark.parametrize("settings", [{}, {"binarize": True}, {"binarize": True, "threshold": 0.4},
                                      {"color": "keep"}], ids=["grey", "adaptive", "fixed", "colour"])
def test_clean_page_is_exactly_what_the_batch_writes(tmp_path: Path, denoiser: Denoiser, settings: dict) -> None:
    from docclean import io as pageio
    from docclean.batch import clean_page

    source = colour(tmp_path / "in" / "c.png")
    run([source], tmp_path / "out", denoiser, **settings)
    page = next(pageio.read_pages(source))
    preview = clean_page(page, CleanSettings(**settings), denoiser)
    with Image.open(tmp_path / "out" / "c.png") as im:
        written = np.asarray(im.convert("RGB" if preview.pixels.ndim == 3 else "L"))
    if preview.pixels.dtype == bool:
        expected = np.where(preview.pixels, 255, 0)
    elif preview.pixels.dtype == np.uint8:
        expected = preview.pixels
    else:
        expected = np.rint(np.clip(preview.pixels, 0, 1) * 255)
    np.testing.assert_array_equal(written, expected.astype(np.uint8))


def test_tile_progress_and_cancel_reach_the_runner(tmp_path: Path, denoiser: Denoiser) -> None:
    Image.fromarray(RNG.integers(0, 256, (300, 200), dtype=np.uint8)).save(tmp_path / "big.png")
    big = Denoiser(denoiser.backend, tile_size=96, overlap=8, batch_size=1)

    class CancelAfterThreeTiles(Recorder):
        def on_tile_done(self, job: Job, page: int, done: int, total: int) -> None:
            self.events.append(("tile", done, total))

        def cancelled(self) -> bool:
            return sum(e[0] == "tile" for e in self.events) >= 3

    progress = CancelAfterThreeTiles()
    with pytest.raises(Cancelled):
        clean_batch([str(tmp_path / "big.png")], tmp_path / "out", CleanSettings(), progress, cleaner=big)
    tiles = [e for e in progress.events if e[0] == "tile"]
    assert tiles == [("tile", 1, tiles[0][2]), ("tile", 2, tiles[0][2]), ("tile", 3, tiles[0][2])]
    assert tiles[0][2] > 3 and not (tmp_path / "out").exists() or files_under(tmp_path / "out") == []


def test_load_cleaner_keeps_the_last_two_and_reloads_a_changed_file(tmp_path: Path, tiny_model_path: Path) -> None:
    import os

    from docclean.batch import load_cleaner

    settings = CleanSettings(model=str(tiny_model_path), device="cpu", backend="torch")
    first = load_cleaner(settings)
    assert load_cleaner(settings) is first
    assert load_cleaner(settings.replace(tile_size=512)) is not first
    assert load_cleaner(settings) is first  # still one of the last two
    os.utime(tiny_model_path, ns=(1, 1))
    assert load_cleaner(settings) is not first
    assert load_cleaner(settings, cache=False) is not load_cleaner(settings, cache=False)


def test_read_page_decodes_only_the_page_asked_for(tmp_path: Path) -> None:
    from docclean import io as pageio
    from docclean.errors import InputError

    source = grey(tmp_path / "doc.tif", pages=3)
    page = pageio.read_page(source, 2)
    assert page.index == 2 and page.gray.shape == (H, W)
    expected = list(pageio.read_pages(source))[2].gray
    np.testing.assert_array_equal(page.gray, expected)
    with pytest.raises(InputError, match="has no page 4"):
        pageio.read_page(source, 3)


@pytest.mark.parametrize("pipeline", [True, False])
def test_the_model_loads_while_the_first_page_is_read(tmp_path: Path, tiny_model_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, pipeline: bool) -> None:
    import threading

    from docclean import batch

    grey(tmp_path / "in" / "a.png")
    reading = threading.Event()
    real_read, real_load = batch._read, batch.load_cleaner

    def read(job, settings):  # noqa: ANN001, ANN202
        reading.set()
        return real_read(job, settings)

    def load(settings: CleanSettings) -> Denoiser:
        # With overlapped I/O the reader starts on the first page before the model is needed.
        assert reading.wait(10 if pipeline else 0.2) == pipeline
        return real_load(settings)

    monkeypatch.setattr(batch, "_read", read)
    monkeypatch.setattr(batch, "load_cleaner", load)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(model=str(tiny_model_path),
                         backend="torch"), pipeline=pipeline)
    assert [f.status for f in report.files] == ["cleaned"] and files_under(tmp_path / "out") == ["a.png"]
    assert report.model_path == str(tiny_model_path) and report.device.startswith("torch cpu")


def test_a_model_that_cannot_load_leaves_no_output_folder(tmp_path: Path) -> None:
    from docclean.errors import ModelError

    grey(tmp_path / "in" / "a.png")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a model")
    progress = Recorder()
    with pytest.raises(ModelError):
        clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(model=str(broken)), progress)
    assert not (tmp_path / "out").exists() and progress.events == []
    (tmp_path / "kept").mkdir()
    with pytest.raises(ModelError):  # a folder that was there stays
        clean_batch([str(tmp_path / "in")], tmp_path / "kept", CleanSettings(model=str(broken)))
    assert (tmp_path / "kept").is_dir() and files_under(tmp_path / "kept") == []


def _temps(folder: Path) -> list[Path]:
    """The temporary outputs (``.NAME.docclean-PID-HEX.part``) below ``folder``."""
    from docclean.writer import TEMP_PATTERN

    return [p for p in folder.rglob("*") if TEMP_PATTERN.match(p.name)] if folder.exists() else []


@pytest.mark.parametrize(("where", "pipeline"), [("cleaning", True), ("cleaning", False), ("writing", True),
                                                 ("writing", False)])
def test_an_interrupt_while_a_single_page_output_is_open_leaves_no_temporary_file(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, where: str, pipeline: bool) -> None:
    """Unlike a multi-page file (whose pages go to a work folder), a single-page output is written
    straight into its temporary file: Ctrl-C while its page is cleaned (the file is open) or while
    the page is being written into it must remove that file. (With the pipeline the write runs on a
    writer thread, where the raise stands for any failure of the write.)"""
    import time

    from docclean.writer import PageWriter

    source = grey(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    open_at_interrupt: list[Path] = []
    if where == "cleaning":
        def stop(page: np.ndarray, progress=None) -> np.ndarray:
            deadline = time.monotonic() + 10  # the writer thread opens a.png's temporary file first
            while not _temps(out) and time.monotonic() < deadline:
                time.sleep(0.01)
            open_at_interrupt.extend(_temps(out))
            raise KeyboardInterrupt

        monkeypatch.setattr(denoiser, "clean", stop)
    else:
        real_add = PageWriter.add

        def add(self: PageWriter, pixels: np.ndarray, dpi) -> None:
            real_add(self, pixels, dpi)  # the page's bytes are in the temporary file now
            open_at_interrupt.extend(_temps(out))
            raise KeyboardInterrupt

        monkeypatch.setattr(PageWriter, "add", add)
    report = Report()
    with pytest.raises(KeyboardInterrupt):
        clean_batch([str(source)], out, CleanSettings(), cleaner=denoiser, report=report, pipeline=pipeline)
    # The interrupt really came while a.png's temporary file existed ...
    assert [p.name.startswith(".a.png.docclean-") for p in open_at_interrupt] == [True]
    assert report.interrupted and [(f.source.name, f.status) for f in report.files] == [("a.png", "interrupted")]
    # ... and it is gone, with no a.png either: outputs are whole or absent.
    assert files_under(out) == []


@pytest.mark.parametrize("source_name", ["b.tif", "b.pdf"])
def test_an_interrupted_multi_page_pdf_resumes_at_its_next_page(tmp_path: Path, denoiser: Denoiser,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                source_name: str) -> None:
    import pypdfium2 as pdfium

    source = tmp_path / "in" / source_name
    source.parent.mkdir(parents=True)
    images = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)) for _ in range(3)]
    images[0].save(source, save_all=True, append_images=images[1:])  # a 3-page TIFF or PDF
    out = tmp_path / "out"
    real, cleaned = denoiser.clean, []

    def interrupt_at_second_page(page: np.ndarray, progress=None) -> np.ndarray:
        cleaned.append(page)
        if len(cleaned) == 2:
            raise KeyboardInterrupt
        return real(page, progress)

    monkeypatch.setattr(denoiser, "clean", interrupt_at_second_page)
    with pytest.raises(KeyboardInterrupt):
        run([source], out, denoiser, fmt="pdf")
    # No b.pdf and no temporary file; the finished first page waits in the work folder.
    assert files_under(out) == [".b.pdf.docclean-pages/p0001.json", ".b.pdf.docclean-pages/p0001.png",
                               ".b.pdf.docclean-pages/stamp.json"]

    cleaned.clear()
    monkeypatch.setattr(denoiser, "clean", lambda page, progress=None: cleaned.append(page) or real(page, progress))
    again = run([source], out, denoiser, fmt="pdf")
    assert [p.status for p in again.files[0].pages] == ["skipped", "cleaned", "cleaned"]
    assert len(cleaned) == 2  # the first page is not cleaned again
    assert again.files[0].status == "cleaned" and files_under(out) == ["b.pdf"]
    doc = pdfium.PdfDocument(str(out / "b.pdf"))
    try:
        assert len(doc) == 3
    finally:
        doc.close()


@pytest.mark.parametrize("pipeline", [True, False])
def test_the_batch_reader_refuses_pages_over_the_memory_pixel_limit(tmp_path: Path, denoiser: Denoiser,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   pipeline: bool) -> None:
    """--max-pixels stays at its default (120 million); the memory available lowers the limit."""
    from docclean import pagememory

    grey(tmp_path / "in" / "a.png")  # 40 x 56 = 2,240 pixels
    big = tmp_path / "in" / "big.png"
    Image.fromarray(RNG.integers(0, 256, (100, 120), dtype=np.uint8)).save(big)  # 12,000 pixels
    monkeypatch.setattr(pagememory, "memory_pixel_limit", lambda: 5_000)
    report = clean_batch([str(tmp_path / "in")], tmp_path / "out", CleanSettings(), cleaner=denoiser,
                         pipeline=pipeline)
    assert CleanSettings().max_pixels > 12_000
    assert [(f.source.name, f.status) for f in report.files] == [("a.png", "cleaned"), ("big.png", "failed")]
    assert report.files[1].error == f"{big}: image dimensions too large (120 x 100 pixels, limit 5,000)"
    assert files_under(tmp_path / "out") == ["a.png"] and report.exit_code == 1


@pytest.mark.parametrize("fmt", ["tif", "pdf"])
def test_an_output_whose_pages_are_all_stored_but_never_put_together_is_put_together(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """The disk filled (or the run was killed) while the output was being put together from its
    work folder: every page is there, the output is not. A rerun puts it together; it used to
    count the file as done ("skipped", exit 0) on every rerun, with no output."""
    import docclean.resume
    from docclean.errors import DiskFullError

    source = tmp_path / "in" / "b.tif"
    source.parent.mkdir(parents=True)
    images = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)) for _ in range(3)]
    images[0].save(source, save_all=True, append_images=images[1:])
    out = tmp_path / "out"

    def disk_full(self, pages: int) -> None:  # noqa: ANN001
        raise DiskFullError("cannot write page 3 (No space left on device)", self.target)

    with monkeypatch.context() as patch:
        patch.setattr(docclean.resume.PageStore, "assemble", disk_full)
        first = run([source], out, denoiser, fmt=fmt)
    assert first.files[0].status == "failed" and not (out / f"b.{fmt}").exists()
    assert len([f for f in files_under(out) if f.endswith(".png")]) == 3  # every page stored

    dry = run([source], out, None, fmt=fmt, dry_run=True)
    assert dry.files[0].status == "would clean"
    again = run([source], out, denoiser, fmt=fmt)
    assert again.files[0].status == "cleaned" and [p.status for p in again.files[0].pages] == ["skipped"] * 3
    assert files_under(out) == [f"b.{fmt}"]  # put together, and the work folder gone
    assert run([source], out, denoiser, fmt=fmt).files[0].status == "skipped"


def test_a_link_to_a_folder_is_followed_once_and_a_loop_is_no_loop(tmp_path: Path) -> None:
    grey(tmp_path / "scans" / "a.png")
    grey(tmp_path / "elsewhere" / "b.png")
    (tmp_path / "scans" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "scans" / "again").symlink_to(tmp_path / "scans", target_is_directory=True)  # back up the tree
    jobs = discover([str(tmp_path / "scans")], tmp_path / "out")
    assert [(j.source.relative_to(tmp_path).as_posix(), j.target.relative_to(tmp_path).as_posix(), j.error)
            for j in jobs] == [("scans/a.png", "out/a.png", None), ("scans/linked/b.png", "out/linked/b.png", None)]


def test_an_input_folder_s_files_of_other_types_are_warned_before_any_page(tmp_path: Path, denoiser: Denoiser) -> None:
    # A folder of scans and JPEG 2000 masters said "1 cleaned, 0 skipped, 0 failed" and nothing else.
    from docclean.progress import WARN_LEFT_OUT

    grey(tmp_path / "in" / "a.png")
    for name in ("b.jp2", "c.jp2", "notes.txt"):
        (tmp_path / "in" / name).write_bytes(b"not read")
    events = Recorder()
    report = run([tmp_path / "in"], tmp_path / "out", denoiser, events)
    line = "3 files of other types (2 .jp2, 1 .txt) left out: docclean does not read them"
    assert [w for w in events.warnings if w[1] == WARN_LEFT_OUT] == [(0, WARN_LEFT_OUT, str(tmp_path / "in"), line)]
    assert report.warnings == [f"{tmp_path / 'in'}: {line}"] and report.to_json()["warnings"] == report.warnings
    assert [f.status for f in report.files] == ["cleaned"]  # a warning, not a failure
    assert run([tmp_path / "in" / "a.png"], tmp_path / "one", denoiser).warnings == []  # a file named: no folder


def test_files_of_other_types_are_told_once_per_folder_and_the_run_s_own_report_is_not_one(tmp_path: Path,
                                                                                           denoiser: Denoiser) -> None:
    # A folder named three times (a link to it, a trailing slash) said its line three times, and a
    # --report kept inside the input folder was "1 file of another type (.json)" at the next run.
    from docclean.progress import WARN_LEFT_OUT

    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "sub" / "b.png")
    (tmp_path / "in" / "c.jp2").write_bytes(b"not read")
    (tmp_path / "link").symlink_to(tmp_path / "in", target_is_directory=True)
    events = Recorder()
    inputs = [tmp_path / "in", tmp_path / "link", f"{tmp_path / 'in'}/", tmp_path / "in" / "sub"]
    run(inputs, tmp_path / "out", denoiser, events, dry_run=True)
    assert [w[2] for w in events.warnings if w[1] == WARN_LEFT_OUT] == [str(tmp_path / "in")]
    report = tmp_path / "in" / "report.json"
    clean_batch([str(tmp_path / "in" / "a.png"), str(tmp_path / "in")], tmp_path / "o", CleanSettings(),
                cleaner=denoiser, report_path=report)
    again = Recorder()
    clean_batch([str(tmp_path / "in")], tmp_path / "o", CleanSettings(), again, cleaner=denoiser,
                report_path=report)
    assert [w[3] for w in again.warnings if w[1] == WARN_LEFT_OUT] == [
        "1 file of another type (.jp2) left out: docclean does not read them"]  # not the report.json


@pytest.mark.parametrize("fmt", ["tif", "pdf"])
def test_a_multi_page_file_failed_by_its_own_damage_leaves_no_work_folder(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """A TIFF whose page 2 is damaged failed, as it should, but left ``.b.tif.docclean-pages/`` with
    page 1 in the output folder for good: every rerun fails on the same page, and a repaired scan
    starts over (its digest is stamped), so nothing could ever resume from it."""
    import docclean.io
    from docclean.errors import InputError

    source = grey(tmp_path / "in" / "b.tif", pages=3)
    real = docclean.io.read_pages

    def damaged(path, **kwargs):  # type: ignore[no-untyped-def]
        for page in real(path, **kwargs):
            if page.index == 1:
                raise InputError("page 2: corrupt image data (LZW)", path)
            yield page

    monkeypatch.setattr(docclean.io, "read_pages", damaged)
    report = run([source], tmp_path / "out", denoiser, fmt=fmt)
    assert report.files[0].status == "failed" and "page 2: corrupt image data" in report.files[0].error
    assert files_under(tmp_path / "out") == []


def test_nothing_to_clean_says_why_in_its_message(tmp_path) -> None:
    # A program printing str(exc) read only "every input was refused": the reason was in exc.problems.
    from PIL import Image

    from docclean.batch import NothingToClean

    Image.new("L", (8, 8), 200).save(tmp_path / "scan.png")
    with pytest.raises(NothingToClean) as one:
        clean_batch([str(tmp_path / "scan.png")], tmp_path / "scan.png", CleanSettings())
    assert str(one.value) == f"{NothingToClean.summary} ({one.value.problems[0]})"
    assert "scan.png" in one.value.problems[0]
    with pytest.raises(NothingToClean) as two:
        clean_batch([str(tmp_path / "a.gif"), str(tmp_path / "b.gif")], tmp_path / "out", CleanSettings())
    assert str(two.value).startswith(f"{NothingToClean.summary} (2 inputs; the first: ")


def test_inputs_or_settings_of_the_wrong_type_are_usage_errors(tmp_path) -> None:
    from docclean.errors import UsageError

    with pytest.raises(UsageError, match="settings must be a docclean.CleanSettings, not a dict"):
        clean_batch([str(tmp_path)], tmp_path / "out", {"binarize": True})  # type: ignore[arg-type]
    for inputs in (None, 3, [tmp_path, None]):
        with pytest.raises(UsageError, match="inputs must be paths or glob patterns"):
            clean_batch(inputs, tmp_path / "out", CleanSettings())  # type: ignore[arg-type]
