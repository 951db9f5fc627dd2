"""Where outputs may not go (docclean.discover, docclean.originals, docclean.plan): over an input
reached by another path, over what may be an original, onto another output on a volume that folds
case; and the output folder reached through a link, and a file reached by two inputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from docclean.batch import clean_batch
from docclean.discover import discover
from docclean.errors import UsageError
from docclean.plan import check_output
from docclean.report import FAILED, SKIPPED, WOULD_CLEAN, Report
from docclean.settings import CleanSettings


def _page(path: Path, level: int = 200) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), level).save(path)
    return path


def _dry(inputs: list, out: Path, **settings) -> Report:
    """A dry run: every decision about the outputs, no model, nothing written."""
    return clean_batch([str(i) for i in inputs], out, CleanSettings(dry_run=True, **settings))


def _results(report: Report) -> dict[str, tuple[str, str | None]]:
    return {f.source.name: (f.status, f.error) for f in report.files}


def _fake_bind_mount(monkeypatch: pytest.MonkeyPatch, mirror: Path, folder: Path) -> None:
    """``os.stat`` answers for ``mirror`` what it answers for ``folder`` (one device and inode: a
    bind mount, or another spelling of the name on a case-insensitive volume)."""
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if isinstance(path, (str, os.PathLike)) and os.path.abspath(path) == str(mirror):
            path = folder
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)


def test_an_output_folder_that_is_the_input_folder_by_device_and_inode_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _page(tmp_path / "s7" / "a.png")
    (tmp_path / "s7b").mkdir()
    _fake_bind_mount(monkeypatch, tmp_path / "s7b", tmp_path / "s7")
    with pytest.raises(UsageError, match="the output folder is an input folder"):
        check_output([str(tmp_path / "s7")], tmp_path / "s7b")
    # A file of it named alone: its output would be the file itself.
    jobs = discover([str(tmp_path / "s7" / "a.png")], tmp_path / "s7b")
    assert jobs[0].error == f"refusing to write over an input file ({tmp_path / 's7b' / 'a.png'}); choose another " \
                            "output folder"


def test_the_output_folder_inside_the_input_under_another_path_is_not_walked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _page(tmp_path / "scans" / "a.png")
    _page(tmp_path / "scans" / "clean" / "a.png")  # the first run's output, through -o mirror
    (tmp_path / "mirror").mkdir()
    _fake_bind_mount(monkeypatch, tmp_path / "mirror", tmp_path / "scans" / "clean")
    jobs = discover([str(tmp_path / "scans")], tmp_path / "mirror")
    assert [(j.source, j.error) for j in jobs] == [(tmp_path / "scans" / "a.png", None)]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="a bind mount needs root")
def test_a_real_bind_mount_of_the_input_folder_is_refused(tmp_path: Path) -> None:
    _page(tmp_path / "s7" / "a.png")
    (tmp_path / "s7b").mkdir()
    if subprocess.run(["mount", "--bind", str(tmp_path / "s7"), str(tmp_path / "s7b")], capture_output=True).returncode:
        pytest.skip("bind mounts are not allowed here")
    try:
        with pytest.raises(UsageError, match="the output folder is an input folder"):
            check_output([str(tmp_path / "s7")], tmp_path / "s7b")
    finally:
        subprocess.run(["umount", str(tmp_path / "s7b")], check=True)


def test_an_output_folder_inside_the_input_that_holds_other_scans_is_told_and_its_files_kept(tmp_path: Path) -> None:
    scans = tmp_path / "s5"
    _page(scans / "a.png")
    original = _page(scans / "old" / "a.png", 30).read_bytes()
    _page(scans / "old" / "only-here.png")
    # Taken as done (nothing lost), and with --overwrite never replaced.
    assert _results(_dry([scans], scans / "old"))["a.png"] == (SKIPPED, None)
    status, error = _results(_dry([scans], scans / "old", overwrite=True))["a.png"]
    assert status == FAILED and error.startswith(f"{scans / 'a.png'}: {scans / 'old' / 'a.png'} is already there, "
                                                 "in an output folder that also holds scans no output of this "
                                                 "run explains (only-here.png), so it may be an original")
    assert (scans / "old" / "a.png").read_bytes() == original
    said: list[tuple[str, str]] = []
    jobs = discover([str(scans)], scans / "old", warn=lambda item, message: said.append((item, message)))
    assert [j.source for j in jobs] == [scans / "a.png"]
    assert said == [(str(scans), f"the output folder {scans / 'old'} inside it is left out, and it holds 1 scan that "
                                 "no output of this run explains (only-here.png): not cleaned, and a file there with "
                                 "an output's name is taken as done, and not replaced with --overwrite; if these are "
                                 "originals, choose another output folder")]


def test_an_output_folder_inside_the_input_that_holds_only_outputs_reruns_as_before(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    _page(scans / "a.png")
    _page(scans / "sub" / "b.png")
    _page(scans / "clean" / "a.png")  # earlier outputs, one in another format, one page file
    _page(scans / "clean" / "sub" / "b.jpg")
    _page(scans / "clean" / "a-p002.png")
    assert _results(_dry([scans], scans / "clean")) == {"a.png": (SKIPPED, None), "b.png": (WOULD_CLEAN, None)}
    said: list[tuple[str, str]] = []
    jobs = discover([str(scans)], scans / "clean", warn=lambda *told: said.append(told))
    assert not said and all(job.beside is None for job in jobs)


def test_an_output_folder_that_holds_the_input_never_replaces_a_file_there(tmp_path: Path) -> None:
    overwrite = True
    s3 = tmp_path / "s3"
    original = _page(s3 / "b.png", 30).read_bytes()
    _page(s3 / "2019" / "b.png")
    status, error = _results(_dry([s3 / "2019"], s3, overwrite=overwrite))["b.png"]
    assert status == FAILED and error == (
        f"{s3 / '2019' / 'b.png'}: {s3 / 'b.png'} is already there, in a folder that holds this run's scans, so it "
        "may be an original rather than an earlier output: --overwrite does not replace it; move it away to clean "
        "this file again, or choose another output folder")
    # Beside the input file itself: an original a.jpg is no output of a.png in --format jpeg.
    _page(tmp_path / "s2" / "a.png")
    _page(tmp_path / "s2" / "a.jpg", 30)
    report = _dry([tmp_path / "s2" / "a.png"], tmp_path / "s2", fmt="jpeg", overwrite=overwrite)
    status, error = _results(report)["a.png"]
    assert status == FAILED and "a.jpg is already there, in a folder that holds this run's scans" in error
    assert (s3 / "b.png").read_bytes() == original


def test_a_new_output_beside_the_inputs_is_still_written(tmp_path: Path) -> None:
    _page(tmp_path / "s2" / "a.png")
    assert _results(_dry([tmp_path / "s2" / "a.png"], tmp_path / "s2", fmt="jpeg")) == {"a.png": (WOULD_CLEAN, None)}
    # A file named as the output (-o clean.png) is the user's to name: an earlier one is done.
    _page(tmp_path / "s2" / "clean.png")
    assert _results(_dry([tmp_path / "s2" / "a.png"], tmp_path / "s2" / "clean.png")) == {"a.png": (SKIPPED, None)}


def _folding(monkeypatch: pytest.MonkeyPatch, case: bool, normalization: bool) -> list[Path]:
    """The output volume compares names so (this machine's do not); returns where it was asked."""
    from docclean import places

    asked: list[Path] = []
    monkeypatch.setattr(places, "folding", lambda folder: asked.append(folder) or places.Folding(case, normalization))
    return asked


def test_outputs_one_in_case_or_normalisation_clash_on_a_volume_that_folds_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _folding(monkeypatch, True, True)
    for name in ("a.png", "A.PNG", unicodedata.normalize("NFC", "café.png"), unicodedata.normalize("NFD", "café.png")):
        _page(tmp_path / "in" / name)
    jobs = {j.source.name: j for j in discover([str(tmp_path / "in")], tmp_path / "out")}
    assert asked == [tmp_path / "out"]
    errors = sorted(j.error for j in jobs.values() if j.error is not None)
    assert len(errors) == 2 and all(" is already the output of " in e for e in errors)
    first_a = next(j for j in jobs.values() if j.error is None and j.source.name.lower() == "a.png")
    assert any(e.endswith(f"is already the output of {first_a.source}; give the inputs separate output folders "
                          "(-o), or rename one") for e in errors)


def test_on_a_volume_that_keeps_names_apart_both_are_written_and_no_probe_is_needed_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _folding(monkeypatch, False, False)
    _page(tmp_path / "in" / "a.png")
    _page(tmp_path / "in" / "A.PNG")
    assert all(j.error is None for j in discover([str(tmp_path / "in")], tmp_path / "out"))
    asked.clear()
    _page(tmp_path / "other" / "b.png")
    discover([str(tmp_path / "other")], tmp_path / "out2")
    assert asked == []  # no two names that could be one file: nothing written to ask


def test_the_probe_answers_for_this_volume_and_leaves_nothing(tmp_path: Path) -> None:
    from docclean.places import folding

    (tmp_path / "out").mkdir()
    answer = folding(tmp_path / "out" / "not" / "made")  # asked where it will be made: the nearest folder above
    (tmp_path / "known").touch()
    assert answer.case == (tmp_path / "KNOWN").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_link_in_the_input_folder_to_the_output_folder_is_not_walked(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _page(Path("s6/a.png"))
    _page(Path("s6out/a.png"))  # the first run's output
    Path("s6/cleaned").symlink_to("../s6out", target_is_directory=True)
    assert [(str(j.source), str(j.target), j.error) for j in discover(["s6"], Path("s6out"))] == [
        ("s6/a.png", "s6out/a.png", None)]


def test_a_file_reached_by_two_inputs_is_cleaned_once_where_the_first_put_it(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _page(Path("s2/a.png"))
    _page(Path("s2/sub/b.png"))
    _page(Path("s2/b.png"))  # out/b.png is its output: the subfolder named again must not clash with it
    jobs = discover(["s2", "s2/sub"], Path("out"))
    assert [(str(j.source), str(j.target), j.error) for j in jobs] == [
        ("s2/a.png", "out/a.png", None), ("s2/b.png", "out/b.png", None), ("s2/sub/b.png", "out/sub/b.png", None)]
