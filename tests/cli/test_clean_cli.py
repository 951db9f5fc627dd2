"""End-to-end tests of ``docclean clean`` through Typer's CliRunner: formats, resume, dry runs,
bad inputs (each one line, batch goes on, exit 1), usage errors (exit 2), Ctrl-C (exit 130) and the
JSON report. A tiny random DocUNet and 56x40 pages keep it to seconds on CPU."""

from __future__ import annotations

import builtins
import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from docclean.checkpoint import save_model
from docclean.engine import Denoiser
from docclean.model import DocUNet, DocUNetConfig
from tests.docclean.pdfs import encrypted_pdf

H, W = 56, 40
RNG = np.random.default_rng(5)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    return save_model(net, tmp_path_factory.mktemp("model") / "tiny.safetensors", "docunet",
                      net.config.to_dict(), {"metrics": {"val_rmse": 0.05, "val_psnr": 26.0, "train_loss": 0.1}})


def clean(model: Path, *args: str | Path):  # type: ignore[no-untyped-def]
    """Run ``docclean clean`` with the tiny model on the CPU."""
    return CliRunner().invoke(app, ["clean", *map(str, args), "--model", str(model), "--device", "cpu"])


def grey(path: Path, pages: int = 1, mode: str = "L") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)).convert(mode) for _ in range(pages)]
    images[0].save(path, save_all=pages > 1, append_images=images[1:])
    return path


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder``, hidden and temporary ones included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in files_under(folder)}


def error_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG of only a signature, an IHDR claiming width x height, and IEND (no pixel data)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_help_shows_examples_and_options() -> None:
    result = CliRunner().invoke(app, ["clean", "--help"])
    assert result.exit_code == 0
    for text in ["docclean clean scans/ -o clean/", "--format", "--keep-color", "--binarize", "--report",
                 "--dry-run", "--overwrite", "--tile-size"]:
        assert text in result.output


def test_folder_tree_is_mirrored_with_same_names_and_formats(tmp_path: Path, model: Path) -> None:
    for name in ["a.png", "sub/b.jpg", "sub/deep/c.tif", "sub/.hidden.png"]:
        grey(tmp_path / "in" / name)
    before = digest(tmp_path / "in")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "out") == ["a.png", "sub/b.jpg", "sub/deep/c.tif"]
    for name, fmt in [("a.png", "PNG"), ("sub/b.jpg", "JPEG"), ("sub/deep/c.tif", "TIFF")]:
        with Image.open(tmp_path / "out" / name) as im:
            assert (im.format, im.size) == (fmt, (W, H))
    assert "3 cleaned, 0 skipped, 0 failed; 3 pages" in result.stderr
    assert digest(tmp_path / "in") == before  # inputs never modified


def test_glob_and_format(tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grey(tmp_path / "scans" / "x" / "a.png")
    grey(tmp_path / "scans" / "b.png")
    grey(tmp_path / "scans" / "c.jpg")
    monkeypatch.chdir(tmp_path)
    result = clean(model, "scans/**/*.png", "-o", "out", "--format", "tiff")
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "out") == ["b.tif", "x/a.tif"]


def test_multi_page_tiff_in_and_out_and_split_into_pngs(tmp_path: Path, model: Path) -> None:
    source = grey(tmp_path / "doc.tiff", pages=3)
    assert clean(model, source, "-o", tmp_path / "tif").exit_code == 0
    with Image.open(tmp_path / "tif" / "doc.tiff") as im:
        assert im.n_frames == 3
    result = clean(model, source, "-o", tmp_path / "png", "--format", "png")
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "png") == ["doc-p001.png", "doc-p002.png", "doc-p003.png"]


def test_pdf_in_and_out(tmp_path: Path, model: Path) -> None:
    pages = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)) for _ in range(2)]
    pages[0].save(tmp_path / "scan.pdf", save_all=True, append_images=pages[1:], resolution=72)
    result = clean(model, tmp_path / "scan.pdf", "-o", tmp_path / "out", "--binarize")
    assert result.exit_code == 0, result.output
    assert len(pdfium.PdfDocument(str(tmp_path / "out" / "scan.pdf"))) == 2
    grey(tmp_path / "one.png")
    assert clean(model, tmp_path / "one.png", "-o", tmp_path / "out", "--format", "pdf").exit_code == 0
    assert len(pdfium.PdfDocument(str(tmp_path / "out" / "one.pdf"))) == 1


def test_resume_overwrite_and_dry_run(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    dry = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--dry-run")
    assert dry.exit_code == 0 and not (tmp_path / "out").exists()
    assert f"would clean {tmp_path / 'in' / 'a.png'} -> {tmp_path / 'out' / 'a.png'} (1 page)" in dry.stdout
    assert clean(model, tmp_path / "in" / "a.png", "-o", tmp_path / "out").exit_code == 0
    again = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert again.exit_code == 0 and "1 cleaned, 1 skipped, 0 failed" in again.stderr
    redo = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--overwrite")
    assert redo.exit_code == 0 and "2 cleaned, 0 skipped, 0 failed" in redo.stderr


def test_output_equal_to_input_folder_is_a_usage_error(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.jpg")
    before = digest(tmp_path / "in")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "in", "--format", "pdf")
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: --output: {tmp_path / 'in'}: the output folder is an input folder; "
                                   "choose another output folder (a rerun would otherwise clean its own outputs)"]
    assert digest(tmp_path / "in") == before
    pattern = clean(model, str(tmp_path / "in" / "*.png"), "-o", tmp_path / "in", "--format", "pdf")
    assert pattern.exit_code == 2 and "the output folder is an input folder" in pattern.stderr  # a glob's folder
    assert digest(tmp_path / "in") == before


def test_one_input_file_and_a_file_name_as_output(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    grey(tmp_path / "b.png")
    one = clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.png")
    assert one.exit_code == 0 and (tmp_path / "clean.png").is_file()
    with Image.open(tmp_path / "clean.png") as im:
        assert im.size == (W, H)
    again = clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.png")
    assert again.exit_code == 0 and "0 cleaned, 1 skipped" in again.stderr
    several = clean(model, tmp_path / "a.png", tmp_path / "b.png", "-o", tmp_path / "both.png")
    assert several.exit_code == 2 and "several inputs" in several.stderr and not (tmp_path / "both.png").exists()


def test_a_file_name_as_output_never_replaces_another_file_or_ignores_the_format(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    (tmp_path / "notes.png").write_text("my notes")  # a file with an image's name that is no image
    result = clean(model, tmp_path / "a.png", "-o", tmp_path / "notes.png")
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: --output: {tmp_path / 'notes.png'}: the output exists and is no png "
                                   "file; remove it or choose another name"]
    assert (tmp_path / "notes.png").read_text() == "my notes"
    (tmp_path / "empty.png").write_bytes(b"")  # nothing to lose: cleaned into, as a crash's leftover
    assert clean(model, tmp_path / "a.png", "-o", tmp_path / "empty.png").exit_code == 0
    with Image.open(tmp_path / "empty.png") as im:
        assert im.size == (W, H)
    clash = clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.png", "--format", "pdf")
    assert clash.exit_code == 2 and not (tmp_path / "clean.png").exists()
    assert error_lines(clash) == [f"error: --format: {tmp_path / 'clean.png'}: the output file name ends .png, but "
                                  "the format asked for is pdf; make them agree"]
    assert clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.pdf", "--format", "pdf").exit_code == 0


def test_a_report_path_that_would_replace_a_scan_or_is_a_folder_is_refused(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    scan = (tmp_path / "in" / "a.png").read_bytes()
    for report in (tmp_path / "in" / "a.png", tmp_path / "out" / "a.png", tmp_path / "in"):
        result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", report)
        assert result.exit_code == 2, result.stderr
        assert len(error_lines(result)) == 1 and error_lines(result)[0].startswith(f"error: --report: {report}: ")
        assert not (tmp_path / "out").exists()  # refused before any work
    assert (tmp_path / "in" / "a.png").read_bytes() == scan


def test_every_bad_input_is_one_line_and_the_batch_goes_on(tmp_path: Path, model: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    grey(src / "a_good.png")
    (src / "b_empty.png").write_bytes(b"")
    (src / "c_truncated.png").write_bytes(grey(tmp_path / "whole.png").read_bytes()[:200])
    (src / "d_text.png").write_text("this is not a picture\n")
    png_header(src / "e_huge.png", 100_000, 100_000)
    encrypted_pdf(src / "f_encrypted.pdf")
    (src / "g_broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    locked = grey(src / "h_locked.png")
    grey(src / "z_good.png")
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Tests run as root, where chmod cannot deny a read: refuse the open itself.
        if Path(str(file)) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    result = clean(model, src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    errors = error_lines(result)
    bad = ["b_empty.png", "c_truncated.png", "d_text.png", "e_huge.png", "f_encrypted.pdf", "g_broken.pdf",
           "h_locked.png"]
    assert len(errors) == len(bad)
    for line, name in zip(errors, bad):
        assert line.startswith(f"error: {src / name}: "), line
    assert "encrypted" in errors[4] and "permission denied" in errors[6]
    assert files_under(tmp_path / "out") == ["a_good.png", "z_good.png"]
    assert "2 cleaned, 0 skipped, 7 failed" in result.stderr


@pytest.mark.parametrize("mode, suffix", [("P", ".png"), ("CMYK", ".jpg"), ("CMYK", ".tif"), ("I;16", ".png"),
                                          ("RGBA", ".png"), ("LA", ".png"), ("1", ".bmp"), ("RGB", ".webp")])
def test_unusual_image_modes_are_cleaned(tmp_path: Path, model: Path, mode: str, suffix: str) -> None:
    path = tmp_path / "in" / f"page{suffix}"
    path.parent.mkdir()
    rgb = Image.fromarray(RNG.integers(0, 256, (H, W, 3), dtype=np.uint8))
    image = Image.fromarray(RNG.integers(0, 65536, (H, W), dtype=np.uint16)) if mode == "I;16" else rgb.convert(mode)
    image.save(path)
    result = clean(model, path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / path.name) as im:
        assert im.size == (W, H)


def test_output_path_that_is_a_file(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    (tmp_path / "out").write_text("not a folder")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: --output: {tmp_path / 'out'}: the output exists and is not a folder"]
    assert (tmp_path / "out").read_text() == "not a folder"


def test_an_output_file_name_in_a_format_docclean_cannot_write_is_refused(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    result = clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.gif")
    assert result.exit_code == 2  # it made a folder named clean.gif and wrote clean.gif/a.png
    assert error_lines(result) == [f"error: --output: {tmp_path / 'clean.gif'}: docclean cannot write .gif files; "
                                   "end the output's name with one of .png, .jpg, .tif, .bmp, .webp, .pdf, or give "
                                   "a folder"]
    assert not (tmp_path / "clean.gif").exists()
    (tmp_path / "scans.gif").mkdir()  # a folder of that name is a folder
    assert clean(model, tmp_path / "a.png", "-o", tmp_path / "scans.gif").exit_code == 0
    assert (tmp_path / "scans.gif" / "a.png").exists()


def test_report_json(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.tif", pages=2)
    (tmp_path / "in" / "b.png").write_bytes(b"")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "r" / "report.json")
    assert result.exit_code == 1
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["model"]["path"] == str(model) and data["model"]["arch"] == "docunet"
    assert data["model"]["val_metrics"] == {"val_rmse": 0.05, "val_psnr": 26.0}
    assert " cpu " in data["model"]["device"]  # backend, device and precision
    assert {k: data["summary"][k] for k in ("files", "cleaned", "skipped", "failed", "pages_cleaned")} == \
        {"files": 2, "cleaned": 1, "skipped": 0, "failed": 1, "pages_cleaned": 2}
    assert [f["status"] for f in data["files"]] == ["cleaned", "failed"]
    assert data["files"][1]["error"].startswith(f"{tmp_path / 'in' / 'b.png'}: ")
    assert [p["index"] for p in data["files"][0]["pages"]] == [0, 1]


def test_a_report_that_cannot_be_written_still_says_how_the_batch_went(tmp_path: Path, model: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean.errors import OutputError
    from docclean.report import Report

    def disk_full(self, path) -> None:  # noqa: ANN001
        raise OutputError("cannot write the report (No space left on device)", path)

    monkeypatch.setattr(Report, "write_json", disk_full)
    grey(tmp_path / "in" / "a.png")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "report.json")
    assert result.exit_code == 1 and (tmp_path / "out" / "a.png").exists()
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: {tmp_path / 'report.json'}: cannot write the report (No space left on device)"
    assert lines[-1].startswith("1 cleaned, 0 skipped, 0 failed; 1 page in")


def test_ctrl_c_exits_130_leaves_no_partial_file_and_a_rerun_resumes(tmp_path: Path, model: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.tif", pages=3)
    grey(tmp_path / "in" / "c.png")
    real, calls = Denoiser.clean, []

    def interrupted(self, page, progress=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # Ctrl-C in the middle of b.tif, the second file
            raise KeyboardInterrupt
        return real(self, page, progress)

    monkeypatch.setattr(Denoiser, "clean", interrupted)
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "report.json")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == ("interrupted after 1 cleaned file, 1 not reached; finished outputs and 1 "
                                              f"finished page of {tmp_path / 'in' / 'b.tif'} are kept and a rerun of "
                                              "the same command goes on from them")
    # b.tif is not there half-written; its first page waits in a hidden work folder for the rerun.
    assert files_under(tmp_path / "out") == [".b.tif.docclean-pages/p0001.json", ".b.tif.docclean-pages/p0001.png",
                                             ".b.tif.docclean-pages/stamp.json", "a.png"]
    partial = json.loads((tmp_path / "report.json").read_text())
    assert partial["interrupted"] is True
    assert [f["status"] for f in partial["files"]] == ["cleaned", "interrupted"]
    assert partial["not_reached"] == [str(tmp_path / "in" / "c.png")] and partial["summary"]["not_reached"] == 1
    monkeypatch.setattr(Denoiser, "clean", real)
    rerun = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert rerun.exit_code == 0 and "2 cleaned, 1 skipped, 0 failed" in rerun.stderr
    assert files_under(tmp_path / "out") == ["a.png", "b.tif", "c.png"]


def test_the_first_stop_names_the_run_when_a_second_comes_during_the_cleanup(tmp_path: Path, model: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean.errors import Terminated
    from docclean.report import Report

    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    real, calls = Denoiser.clean, []

    def terminated(self, page, progress=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # SIGTERM on b.png
            raise Terminated("terminated (SIGTERM)")
        return real(self, page, progress)

    def ctrl_c_while_writing(self, path) -> None:  # noqa: ANN001 - a supervisor's Ctrl-C right after
        raise KeyboardInterrupt

    monkeypatch.setattr(Denoiser, "clean", terminated)
    monkeypatch.setattr(Report, "write_json", ctrl_c_while_writing)
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "report.json")
    assert result.exit_code == 143 and result.stderr.startswith("terminated after 1 cleaned file")


def test_usage_errors_exit_2(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    no_model = CliRunner().invoke(app, ["clean", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"),
                                        "--model", str(tmp_path / "nope.safetensors")])
    assert no_model.exit_code == 2
    assert len(error_lines(no_model)) == 1
    assert error_lines(no_model)[0].startswith(f"error: {tmp_path / 'nope.safetensors'}: no such model file")
    nothing = clean(model, tmp_path / "missing", str(tmp_path / "*.tif"), "-o", tmp_path / "out")
    assert nothing.exit_code == 2
    assert error_lines(nothing)[0] == f"error: {tmp_path / 'missing'}: no such file or folder"
    assert error_lines(nothing)[-1] == "error: nothing to clean: every input was refused or names no supported file"
    assert clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "--format", "gif").exit_code == 2
    both = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "--keep-color", "--binarize")
    assert both.exit_code == 2 and error_lines(both) == [
        "error: --keep-color and --binarize cannot be combined (a 1-bit page has no colour)"]
    assert clean(model, tmp_path / "a.png").exit_code == 2  # -o is required
    narrow = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "--max-stroke", "1")
    assert narrow.exit_code == 2 and error_lines(narrow) == [
        "error: --max-stroke must be 0 (off) or between 2 and 1000 pixels, not 1"]
    ray_only = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "--workers", "2")
    assert ray_only.exit_code == 2 and error_lines(ray_only) == [
        "error: --workers: only with --engine ray (this run would clean in this process)"]
    small = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "--tile-size", "128")
    assert small.exit_code == 2 and "--tile-size" in small.stderr and "--overlap" not in small.stderr  # no such flag
    assert not (tmp_path / "out").exists()


def test_quiet_prints_only_errors_and_verbose_names_every_file(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "b.png").write_bytes(b"")
    quiet = clean(model, tmp_path / "in", "-o", tmp_path / "q", "--quiet", "--ink-warning", "1")
    assert quiet.exit_code == 1 and quiet.stderr.splitlines() == error_lines(quiet) and len(error_lines(quiet)) == 1
    verbose = clean(model, tmp_path / "in", "-o", tmp_path / "v", "--verbose")
    assert f"cleaned {tmp_path / 'in' / 'a.png'} -> {tmp_path / 'v' / 'a.png'}" in verbose.stderr


def test_a_missing_input_beside_good_ones_fails_alone(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    result = clean(model, tmp_path / "a.png", tmp_path / "gone.png", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert error_lines(result) == [f"error: {tmp_path / 'gone.png'}: no such file or folder"]
    assert files_under(tmp_path / "out") == ["a.png"]


def test_a_page_that_lost_its_ink_is_warned_about_without_verbose(tmp_path: Path) -> None:
    import torch

    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():
        net.head.bias.fill_(1.0)  # paints every pixel white: the strokes are gone
    eraser = save_model(net, tmp_path / "eraser.safetensors", "docunet", net.config.to_dict(), {})
    page = np.full((H, W), 220, np.uint8)
    page[10:40:6, 5:35] = 30  # lines of dark "text"
    (tmp_path / "in").mkdir()
    Image.fromarray(page).save(tmp_path / "in" / "letter.png")
    result = clean(eraser, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert (f"warning: {tmp_path / 'in' / 'letter.png'}: page 1: cleaning removed 100% of the dark strokes; "
            "check this page") in result.stderr


def test_remove_show_through_warns_about_each_page_where_it_dropped_a_layer(tmp_path: Path) -> None:
    identity = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))  # a zero head: out = in
    model = save_model(identity, tmp_path / "identity.safetensors", "docunet", identity.config.to_dict(), {})
    two = np.full((H, W), 255, np.uint8)
    two[5:50, 4:6] = two[5:50, 14:16] = 10  # the page's own writing
    two[10:30, 28:30] = two[40:44, 24:36] = 140  # the other side's, showing through
    one = np.where(two == 140, np.uint8(255), two)  # the same writing, nothing showing through
    specks = one.copy()
    specks[5:50, 3:7] = specks[5:50, 13:17] = 10  # bolder writing ...
    specks[2, 30] = specks[52, 34] = 140  # ... and two grey specks: a layer of 0.5% of the ink
    (tmp_path / "in").mkdir()
    Image.fromarray(two).save(tmp_path / "in" / "bleeds.png")
    Image.fromarray(one).save(tmp_path / "in" / "clear.png")
    Image.fromarray(specks).save(tmp_path / "in" / "specks.png")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--binarize", "--remove-show-through",
                   "--report", tmp_path / "report.json")
    assert result.exit_code == 0
    assert (f"warning: {tmp_path / 'in' / 'bleeds.png'}: page 1: --remove-show-through turned a lighter layer of "
            "ink") in result.stderr and "clear.png" not in result.stderr and "specks.png" not in result.stderr
    assert "a lighter ink layer removed on 1 page" in result.stdout + result.stderr
    pages = {Path(f["source"]).name: f["pages"][0] for f in json.loads((tmp_path / "report.json").read_text())["files"]}
    assert pages["bleeds.png"]["show_through"] > 0.1 and pages["clear.png"]["show_through"] == 0.0
    assert 0.0 < pages["specks.png"]["show_through"] < 0.01  # recorded, but specks are not worth a warning
    assert np.array(Image.open(tmp_path / "out" / "bleeds.png"))[10:30, 28:30].all()  # written as paper


def test_pages_cleaned_as_negatives_are_counted_and_reported(tmp_path: Path, model: Path) -> None:
    from docclean.io import write_page
    from docclean.synth import render_page

    text = render_page(600, 400, dpi=150, font_pt=12)
    (tmp_path / "in").mkdir()
    write_page(tmp_path / "in" / "negative.png", (1 - text * 0.8 - 0.1).astype(np.float32))
    write_page(tmp_path / "in" / "positive.png", text)
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "1 page cleaned as a negative (light writing on dark paper)" in result.output
    files = json.loads((tmp_path / "r.json").read_text())["files"]
    pages = {Path(f["source"]).name: f["pages"][0]["inverted"] for f in files}
    assert pages == {"negative.png": True, "positive.png": False}


def test_a_report_path_the_run_would_make_a_folder_is_refused_before_any_work(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "sub" / "a.png")
    out = tmp_path / "out"
    for output, report in ((out, out), (out / "pdf", out), (out, out / "sub")):  # -o, a folder on its way, a mirror
        result = clean(model, tmp_path / "in", "-o", output, "--report", report)
        assert result.exit_code == 2, result.stderr
        assert len(error_lines(result)) == 1 and error_lines(result)[0].startswith(f"error: --report: {report}: ")
        assert "give a file name such as report.json" in result.stderr
        assert not out.exists()  # refused before any work: the batch used to run, then lose its report
    fine = clean(model, tmp_path / "in", "-o", out, "--report", out / "report.json")
    assert fine.exit_code == 0 and json.loads((out / "report.json").read_text())["summary"]["cleaned"] == 1


def test_a_rerun_that_skips_existing_outputs_says_so_and_how_to_redo_them(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    first = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert first.exit_code == 0 and "skipped:" not in first.stderr  # nothing skipped, nothing to say
    grey(tmp_path / "in" / "b.png")
    rerun = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--binarize")  # other settings: a.png stays grey
    assert rerun.exit_code == 0
    assert rerun.stderr.splitlines()[-2:] == [
        "note: 1 skipped: its output is already there (from an earlier run, perhaps with other settings); "
        "--overwrite cleans it again", rerun.stderr.splitlines()[-1]]
    assert rerun.stderr.splitlines()[-1].startswith("1 cleaned, 1 skipped, 0 failed")  # the summary stays last
    both = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--binarize")
    assert ("note: 2 skipped: their outputs are already there (from an earlier run, perhaps with other settings); "
            "--overwrite cleans them again") in both.stderr.splitlines()
    assert clean(model, tmp_path / "in", "-o", tmp_path / "out", "-q").stderr == ""  # --quiet: errors and warnings


def test_a_dpi_with_no_pdf_among_the_inputs_is_said_to_change_nothing(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "in" / "a.png")
    images = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--dpi", "300")
    assert images.exit_code == 0
    assert images.stderr.splitlines()[-2] == (
        "note: --dpi 300 changed nothing: it is the resolution PDF pages are rendered at, and no input was a PDF "
        "(images are cleaned at their own resolution)")
    assert images.stderr.splitlines()[-1].startswith("1 cleaned")  # the summary stays last
    Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)).save(tmp_path / "in" / "s.pdf", resolution=72)
    with_pdf = clean(model, tmp_path / "in", "-o", tmp_path / "out2", "--dpi", "100")
    assert with_pdf.exit_code == 0 and "--dpi" not in with_pdf.stderr  # a PDF took it
    assert "--dpi" not in clean(model, tmp_path / "in" / "a.png", "-o", tmp_path / "out3").stderr
    assert clean(model, tmp_path / "in" / "a.png", "-o", tmp_path / "out4", "--dpi", "300", "-q").stderr == ""


def test_keep_color_help_says_what_becomes_of_a_strongly_coloured_stain(tmp_path: Path, model: Path) -> None:
    import typer.main

    command = typer.main.get_command(app).get_command(None, "clean")  # type: ignore[attr-defined]
    words = " ".join(next(p for p in command.params if p.name == "keep_color").help.split())
    assert "weakly coloured stains still go" in words and "a strongly coloured stain" in words
    assert "comes back tinted" in words  # it said "stains and yellowed paper still go"
    page = np.full((H, W, 3), (240, 238, 230), np.uint8)
    page[10:40, 8:32] = (198, 162, 113)  # a coffee stain, as strongly coloured as highlighter
    Image.fromarray(page).save(tmp_path / "stain.png")
    assert clean(model, tmp_path / "stain.png", "-o", tmp_path / "out", "--keep-color").exit_code == 0
    stain = np.asarray(Image.open(tmp_path / "out" / "stain.png").convert("RGB"), float)[20:30, 14:26]
    assert (stain.max(axis=2) - stain.min(axis=2)).mean() > 25  # tinted, as the help now says


def test_binarize_into_jpeg_is_said_once_before_any_work(tmp_path: Path, model: Path) -> None:
    warning = ("warning: --binarize: JPEG cannot hold 1-bit pages, so pages written as JPEG are 8-bit grey with "
               "compression fringes; add --format png (or tiff, bmp, pdf) for 1-bit pages")
    grey(tmp_path / "in" / "a.jpg")
    grey(tmp_path / "in" / "b.jpg")
    grey(tmp_path / "in" / "c.png")
    files = clean(model, tmp_path / "in" / "a.jpg", tmp_path / "in" / "b.jpg", "-o", tmp_path / "o1", "--binarize",
                  "-q")
    assert files.exit_code == 0 and files.stderr.splitlines() == [warning]  # once, and with --quiet too
    folder = clean(model, tmp_path / "in", "-o", tmp_path / "o2", "--binarize", "-v")
    lines = folder.stderr.splitlines()
    assert folder.exit_code == 0 and lines.count(warning) == 1
    assert lines.index(warning) < min(i for i, line in enumerate(lines) if line.startswith("cleaned "))
    asked = clean(model, tmp_path / "in" / "c.png", "-o", tmp_path / "o3", "--binarize", "--format", "jpg")
    assert asked.exit_code == 0 and asked.stderr.splitlines()[0] == warning
    for args in (["--format", "png"], ["--format", "tiff"], []):
        quiet = clean(model, tmp_path / "in" / "c.png", tmp_path / "in" / "a.jpg", "-o", tmp_path / "o4", "--binarize",
                      "--overwrite", *args)
        assert (warning in quiet.stderr) == (args == []), args  # a.jpg's own format is JPEG
    with Image.open(tmp_path / "o4" / "a.tif") as im:
        assert im.mode == "1"  # the way the warning gives


def test_binarize_into_webp_is_said_too_naming_the_formats_written(tmp_path: Path, model: Path) -> None:
    """``--binarize --format webp`` wrote 8-bit grey pages without a word: the warning knew JPEG only."""
    webp = ("warning: --binarize: WebP cannot hold 1-bit pages, so pages written as WebP are 8-bit grey; "
            "add --format png (or tiff, bmp, pdf) for 1-bit pages")
    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "b.png")
    asked = clean(model, tmp_path / "in", "-o", tmp_path / "o1", "--binarize", "--format", "webp", "-q")
    assert asked.exit_code == 0 and asked.stderr.splitlines() == [webp]  # once, and with --quiet too
    with Image.open(tmp_path / "o1" / "a.webp") as im:
        assert im.mode != "1"
    grey(tmp_path / "in" / "c.jpg")
    grey(tmp_path / "in" / "d.webp")
    both = clean(model, tmp_path / "in", "-o", tmp_path / "o2", "--binarize", "-q")
    assert both.exit_code == 0 and both.stderr.splitlines() == [
        "warning: --binarize: JPEG and WebP cannot hold 1-bit pages, so pages written as JPEG or WebP are 8-bit "
        "grey, JPEG with compression fringes; add --format png (or tiff, bmp, pdf) for 1-bit pages"]


def test_the_binarize_and_quiet_help_name_every_format_without_1_bit_pages() -> None:
    import typer.main

    command = typer.main.get_command(app).get_command(None, "clean")  # type: ignore[attr-defined]
    helps = {p.name: " ".join(p.help.split()) for p in command.params if p.name in ("binarize", "quiet")}
    assert "PNG, TIFF, BMP and PDF hold 1-bit pages; JPEG and WebP get 8-bit grey" in helps["binarize"]
    assert "--binarize into JPEG or WebP" in helps["quiet"]


def test_an_output_name_ending_in_no_format_is_made_a_folder_and_says_so(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    grey(tmp_path / "b.png")
    note = (f"note: {tmp_path / 'clean.txt'} is made as a folder with the output in it (docclean writes no .txt "
            "files); to write one file, end the name with one of .png, .jpg, .tif, .bmp, .webp, .pdf")
    made = clean(model, tmp_path / "a.png", "-o", tmp_path / "clean.txt")
    assert made.exit_code == 0 and note in made.stderr.splitlines() and (tmp_path / "clean.txt" / "a.png").is_file()
    again = clean(model, tmp_path / "b.png", "-o", tmp_path / "clean.txt")  # a folder now: nothing to say
    assert again.exit_code == 0 and "note:" not in again.stderr
    for output, inputs in (("scans.v2", ["a.png"]), ("backup.2024", ["a.png"]), ("both.txt", ["a.png", "b.png"])):
        result = clean(model, *(tmp_path / i for i in inputs), "-o", tmp_path / output)  # folder names, or a batch
        assert result.exit_code == 0 and "note:" not in result.stderr, output
    assert "note:" not in clean(model, tmp_path / "a.png", "-o", tmp_path / "q.txt", "-q").stderr


def test_quiet_and_verbose_together_are_a_usage_error(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    result = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", "-q", "-v")
    assert result.exit_code == 2 and result.stderr.splitlines() == [
        "error: --quiet and --verbose cannot be combined; choose one"]
    assert not (tmp_path / "out").exists()


def test_the_summary_and_the_report_give_one_pages_per_second(tmp_path: Path, model: Path) -> None:
    import re

    for name in ("a.png", "b.png", "c.png"):
        grey(tmp_path / "in" / name)
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--report", tmp_path / "r.json")
    assert result.exit_code == 0
    printed = float(re.search(r"\(([\d.]+) pages/s\)", result.stderr).group(1))
    data = json.loads((tmp_path / "r.json").read_text())
    figure, seconds = data["summary"]["pages_per_second"], data["seconds"]
    assert abs(figure - printed) <= 0.0051  # the same figure, printed with 2 decimals and stored with 3
    # Of the run's seconds, which the report holds too (to 3 decimals: a fast run's 0.019 s may be 0.0194).
    assert 3 / (seconds + 0.0005) - 0.001 <= figure <= 3 / (seconds - 0.0005) + 0.001


def test_conflicting_options_are_named_by_their_flags(tmp_path: Path, model: Path) -> None:
    grey(tmp_path / "a.png")
    for args, line in (
            (["--keep-faint"], "error: --keep-faint needs --binarize, without --threshold (it works with the adaptive "
                               "binarization only)"),
            (["--binarize", "--threshold", "0.5", "--remove-show-through"],
             "error: --remove-show-through needs --binarize, without --threshold (it works with the adaptive "
             "binarization only)"),
            (["--binarize", "--keep-faint", "--remove-show-through"],
             "error: --keep-faint and --remove-show-through pull opposite ways; choose one"),
            (["--threshold", "0.5"], "error: --threshold is the cut of the 1-bit page: it needs --binarize")):
        result = clean(model, tmp_path / "a.png", "-o", tmp_path / "out", *args)
        assert result.exit_code == 2 and error_lines(result) == [line], args
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("clean_before", [False, True], ids=["first file", "after a cleaned file"])
def test_a_stop_names_the_finished_pages_kept_of_a_multi_page_file(tmp_path: Path, model: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  clean_before: bool) -> None:
    from docclean.errors import Terminated

    if clean_before:
        grey(tmp_path / "in" / "a.png")
    doc = grey(tmp_path / "in" / "doc.tif", pages=4)
    real, calls = Denoiser.clean, []

    def terminated(self, page, progress=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3 + clean_before:  # SIGTERM while doc.tif's third page is cleaned
            raise Terminated("terminated (SIGTERM)")
        return real(self, page, progress)

    monkeypatch.setattr(Denoiser, "clean", terminated)
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--format", "png")
    assert result.exit_code == 143
    kept = f"2 finished pages of {doc}"  # it said "terminated after 0 cleaned files", nothing of the pages
    assert result.stderr.splitlines()[-1] == (
        f"terminated after 1 cleaned file; finished outputs and {kept} are kept and a rerun of the same command goes "
        "on from them" if clean_before else
        f"terminated after 0 cleaned files; {kept} are kept and a rerun of the same command goes on from them")
    assert [n for n in files_under(tmp_path / "out") if n.startswith("doc")] == ["doc-p001.png", "doc-p002.png"]
    again: list[int] = []
    monkeypatch.setattr(Denoiser, "clean", lambda self, page, tiles=None: again.append(1) or real(self, page, tiles))
    rerun = clean(model, tmp_path / "in", "-o", tmp_path / "out", "--format", "png")
    assert rerun.exit_code == 0 and len(again) == 2  # the rerun goes on from them: pages 3 and 4
    assert [n for n in files_under(tmp_path / "out") if n.startswith("doc")] == [f"doc-p00{i}.png" for i in range(1, 5)]


def test_a_stop_after_one_finished_page_names_it(tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = grey(tmp_path / "in" / "doc.pdf.tif", pages=3)
    real, calls = Denoiser.clean, []

    def interrupted(self, page, progress=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C on the second page: the record holds the first page only
            raise KeyboardInterrupt
        return real(self, page, progress)

    monkeypatch.setattr(Denoiser, "clean", interrupted)
    result = clean(model, doc, "-o", tmp_path / "out")  # a TIFF: its pages wait in the work folder
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (f"interrupted after 0 cleaned files; 1 finished page of {doc} is kept "
                                              "and a rerun of the same command goes on from them")
    assert ".doc.pdf.tif.docclean-pages/p0001.png" in files_under(tmp_path / "out")
    calls.clear()  # a rerun stopped on its second page (the third): the first page, kept before, counts too
    again = clean(model, doc, "-o", tmp_path / "out")
    assert again.exit_code == 130 and again.stderr.splitlines()[-1].startswith(
        f"interrupted after 0 cleaned files; 2 finished pages of {doc} are kept")


def test_a_file_name_with_a_newline_or_an_escape_stays_on_one_line(tmp_path: Path, model: Path) -> None:
    src = tmp_path / "in"
    grey(src / "new\nline.png")
    (src / "bad\nname.png").write_bytes(b"")
    (src / "esc\x1b[2Jape.png").write_bytes(b"")
    result = clean(model, src, tmp_path / "gone\nx.png", "-o", tmp_path / "out", "-v")
    assert result.exit_code == 1
    assert sorted(error_lines(result)) == sorted([f"error: {src}/bad\\nname.png: empty file (0 bytes)",
                                                  f"error: {src}/esc\\x1b[2Jape.png: empty file (0 bytes)",
                                                  f"error: {tmp_path}/gone\\nx.png: no such file or folder"])
    assert f"cleaned {src}/new\\nline.png -> {tmp_path}/out/new\\nline.png (" in result.stderr
    assert "\x1b" not in result.stderr and not [line for line in result.stderr.splitlines()
                                                 if line.startswith(("line.png", "name.png", "x.png"))]
    nothing = clean(model, tmp_path / "gone\nx.png", "-o", tmp_path / "out")
    assert error_lines(nothing)[0] == f"error: {tmp_path}/gone\\nx.png: no such file or folder"


def test_a_subfolder_that_cannot_be_read_is_an_error_line_and_exit_code_1(model: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.docclean.test_discover import _unreadable

    grey(tmp_path / "in" / "a.png")
    grey(tmp_path / "in" / "locked" / "b.png")
    _unreadable(monkeypatch, tmp_path / "in" / "locked")
    result = clean(model, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert (f"error: {tmp_path / 'in' / 'locked'}: cannot read this folder (Permission denied); the scans in it "
            "are not cleaned") in result.output.splitlines()
    assert (tmp_path / "out" / "a.png").exists()


def test_inputs_from_a_list_file_or_standard_input(tmp_path: Path, model: Path) -> None:
    # For more inputs than a command line holds (ARG_MAX: some 70,000 paths of an archive's length).
    for name in ("a b.png", "c.png"):
        grey(tmp_path / name)
    (tmp_path / "list.txt").write_text(f"{tmp_path / 'a b.png'}\n\n{tmp_path / 'c.png'}\n")
    listed = clean(model, "--inputs-from", tmp_path / "list.txt", "-o", tmp_path / "o1")
    assert listed.exit_code == 0, listed.output
    assert files_under(tmp_path / "o1") == ["a b.png", "c.png"]
    piped = CliRunner().invoke(app, ["clean", "--inputs-from", "-", "-o", str(tmp_path / "o2"), str(tmp_path / "c.png"),
                                     "--model", str(model), "--device", "cpu"], input=f"{tmp_path / 'a b.png'}\n")
    assert piped.exit_code == 0, piped.output
    assert files_under(tmp_path / "o2") == ["a b.png", "c.png"]
    missing = clean(model, "--inputs-from", tmp_path / "none.txt", "-o", tmp_path / "o3")
    assert missing.exit_code == 2 and "cannot read the list of inputs" in missing.output
    nothing = clean(model, "-o", tmp_path / "o4")
    assert nothing.exit_code == 2 and "no INPUT" in nothing.output
