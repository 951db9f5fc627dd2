"""The OCRmyPDF plugin: options become CleanSettings, bad options are refused before any worker
starts, the OCR image is cleaned (same size and DPI), and end to end a sample PDF gets a text layer
while its visible page stays as scanned (or is cleaned with ``--docclean-visible``); a PDF of no
pages is refused in one line naming it, where OCRmyPDF alone ends in a ZeroDivisionError.

Skipped where OCRmyPDF is not installed; the end-to-end tests also need Tesseract and Ghostscript
(``apt-get install tesseract-ocr ghostscript``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ocrmypdf")

from ocrmypdf.exceptions import BadArgsError  # noqa: E402

from docclean import ocrmypdf as plugin
from docclean.settings import CleanSettings  # noqa: E402
from tests.concurrency import run_together

REPO = Path(__file__).resolve().parents[2]
needs_tools = pytest.mark.skipif(not (shutil.which("tesseract") and shutil.which("gs")),
                                 reason="OCRmyPDF needs tesseract and ghostscript (apt-get install tesseract-ocr "
                                        "ghostscript)")


def options(**kw):  # type: ignore[no-untyped-def]
    base = {"docclean_model": "default", "docclean_device": "cpu", "docclean_precision": "auto",
            "docclean_threads": None, "docclean_tile_size": 1024, "docclean_binarize": False,
            "docclean_threshold": None, "docclean_scale": 1.0, "docclean_visible": False, "docclean_keep_color": False,
            "jobs": 2, "lossless_reconstruction": True, "extra_attrs": {}}
    return SimpleNamespace(**{**base, **kw})


def test_options_become_settings(tiny_model_path: Path) -> None:
    opts = options(docclean_model=str(tiny_model_path), docclean_binarize=True, docclean_threshold=0.4)
    settings = plugin.settings_from_options(opts)
    assert (settings.model, settings.binarize, settings.threshold, settings.device) == (
        str(tiny_model_path), True, 0.4, "cpu")
    plugin.check_options(opts)
    assert opts.extra_attrs["docclean_model"] == str(tiny_model_path.absolute())
    api = plugin.settings_from_options(SimpleNamespace(jobs=1))  # ocrmypdf.ocr() without our options
    assert (api.model, api.device, api.binarize) == ("default", "cpu", False)
    assert plugin.settings_from_options(options(docclean_backend="torch")).backend == "torch"
    from docclean.settings import available_cores

    # OCRmyPDF's page threads share one model that runs one call at a time: it gets every core.
    assert plugin._worker_settings(options(jobs=64, use_threads=True)).threads == available_cores()
    assert plugin._worker_settings(options(jobs=64)).threads == available_cores()  # an OCRmyPDF without the option
    # --no-use-threads: worker processes, each with its own model and its share of the cores.
    assert plugin._worker_settings(options(jobs=64, use_threads=False)).threads == 1


def test_the_cleaning_options_of_docclean_clean_reach_the_settings() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    plugin.add_options(parser)
    plain = plugin.settings_from_options(parser.parse_args([]))
    assert plain == CleanSettings(device="cpu")  # the engine's steps on, as in docclean clean
    asked = plugin.settings_from_options(parser.parse_args([
        "--docclean-binarize", "--docclean-keep-faint", "--docclean-max-stroke", "0", "--docclean-no-auto-levels",
        "--docclean-no-keep-solids", "--docclean-keep-surround", "--docclean-keep-shading",
        "--docclean-no-keep-pictures"]))
    assert (asked.binarize, asked.keep_faint, asked.max_stroke) == (True, True, 0)
    assert not any((asked.auto_levels, asked.keep_solids, asked.clear_surround, asked.clear_shading,
                    asked.keep_pictures))
    layered = plugin.settings_from_options(parser.parse_args(["--docclean-binarize", "--docclean-remove-show-through"]))
    assert layered.remove_show_through and not layered.keep_faint


@pytest.mark.parametrize("bad, message", [
    ({"docclean_model": "no-such-model"}, "no such model"),
    ({"docclean_threshold": 1.5}, "threshold"),
    ({"docclean_visible": True}, "--force-ocr"),
    ({"docclean_scale": 8.0}, "--docclean-scale"),
    ({"docclean_scale": 0.0}, "--docclean-scale must lie between 1 and 4, not 0"),  # 0 is not "unset"
    ({"docclean_scale": 0.5}, "--docclean-scale"),
    ({"docclean_scale": float("nan")}, "--docclean-scale"),
    ({"docclean_keep_color": True}, "--docclean-keep-color needs --docclean-visible"),
    ({"docclean_keep_color": True, "docclean_binarize": True, "docclean_visible": True,
      "lossless_reconstruction": False}, "cannot be combined"),
])
def test_bad_options_are_refused(bad: dict, message: str) -> None:
    with pytest.raises(BadArgsError, match=message):
        plugin.check_options(options(**bad))


def test_good_scales_and_keep_color_with_visible_pass(tiny_model_path: Path) -> None:
    for scale in (1.0, 2.5, 4.0, None):  # None: the API left the option out
        plugin.check_options(options(docclean_model=str(tiny_model_path), docclean_scale=scale))
    plugin.check_options(options(docclean_model=str(tiny_model_path), docclean_keep_color=True,
                                 docclean_visible=True, lossless_reconstruction=False))


def test_a_backend_that_is_not_installed_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                                 tiny_model_path: Path) -> None:
    import docclean.backends

    monkeypatch.setattr(docclean.backends, "installed_backends", lambda device="cpu": ["torch"])
    for backend in ("onnx", "openvino"):
        with pytest.raises(BadArgsError, match=f"^docclean: --docclean-backend: backend '{backend}' is not "
                                               r"installed here \(installed: torch; pip install"):
            plugin.check_options(options(docclean_model=str(tiny_model_path), docclean_backend=backend))
    for backend in ("torch", "auto"):  # always there
        plugin.check_options(options(docclean_model=str(tiny_model_path), docclean_backend=backend))


@pytest.fixture
def fresh_cleaners():  # type: ignore[no-untyped-def]
    """The engine's loaded models (docclean.onepage), empty before and after the test."""
    import docclean.onepage

    docclean.onepage._CLEANERS.clear()
    yield docclean.onepage._CLEANERS
    docclean.onepage._CLEANERS.clear()


def test_two_threads_clean_pages_at_once_with_one_model(tiny_model_path: Path, fresh_cleaners) -> None:
    """The OCR hook called from two threads at once (OCRmyPDF --jobs 2) finishes, on one shared model;
    a hang fails the test instead of blocking the run."""
    rng = np.random.default_rng(2)
    pages = [Image.fromarray(rng.integers(90, 230, (120, 96), dtype=np.uint8), "L") for _ in range(6)]
    opts = options(docclean_model=str(tiny_model_path), jobs=2)

    def worker(first: int) -> list[tuple[int, tuple[int, int]]]:
        done = []
        for index in range(first, len(pages), 2):
            hook = plugin.filter_ocr_image(SimpleNamespace(options=opts, pageno=index), pages[index])
            next(hook)
            with pytest.raises(StopIteration) as stop:
                hook.send(None)
            done.append((index, stop.value.value.size))
        return done

    results, errors = run_together(worker, 2)  # a hang fails here
    assert not errors, errors
    done = [item for result in results for item in result]
    assert sorted(done) == [(i, pages[i].size) for i in range(len(pages))]
    assert len(fresh_cleaners) == 1  # one model served both threads


def test_ocr_image_is_cleaned_same_size_and_dpi(tiny_model_path: Path) -> None:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(100, 220, (60, 44), dtype=np.uint8), "L")
    image.info["dpi"] = (150, 150)
    page = SimpleNamespace(options=options(docclean_model=str(tiny_model_path), docclean_binarize=True),
                           pageno=0)
    hook = plugin.filter_ocr_image(page, image)  # a pluggy wrapper: run it by hand
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(None)  # no other filter changed the image
    cleaned = done.value.value
    assert cleaned.size == image.size and cleaned.info["dpi"] == (150, 150)
    assert set(np.unique(np.asarray(cleaned.convert("L")))) <= {0, 255}  # binarized for OCR


def test_ocr_image_cleaned_at_a_larger_scale_keeps_its_size(tiny_model_path: Path) -> None:
    image = Image.fromarray(np.random.default_rng(1).integers(100, 220, (50, 38), dtype=np.uint8), "L")
    settings = plugin.settings_from_options(options(docclean_model=str(tiny_model_path)))
    cleaned = plugin.clean_image(image, settings, scale=2.0)
    assert cleaned.size == image.size and cleaned.mode == "L"
    binary = plugin.clean_image(image, settings.replace(binarize=True), scale=1.5)
    assert binary.size == image.size and binary.mode == "1"


class _EraseLight:
    """A stand-in model that erases all but near-black, as the network erases a stamp over text."""

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        return np.where(gray < 0.3, 0.0, 1.0).astype(np.float32)


def test_ocr_image_cleaned_at_a_larger_scale_keeps_its_coloured_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The enlarged page carries its colour, so a red stamp the model erases is kept as at scale 1."""
    import cv2

    import docclean.batch

    monkeypatch.setattr(docclean.batch, "load_cleaner", lambda settings: _EraseLight())
    rgb = np.full((120, 160, 3), (236, 232, 222), np.uint8)
    ring = np.zeros((120, 160), np.uint8)
    cv2.circle(ring, (80, 60), 40, 1, 6)
    rgb[ring > 0] = (200, 40, 50)
    image = Image.fromarray(rgb, "RGB")
    core = cv2.erode(ring, np.ones((3, 3), np.uint8)) > 0
    for scale in (1.0, 2.0):
        kept = np.asarray(plugin.clean_image(image, CleanSettings(), scale=scale), np.float32) / 255
        off = np.asarray(plugin.clean_image(image, CleanSettings(keep_color_marks=False), scale=scale), np.float32)
        assert kept[core].mean() < 0.6 and off[core].min() == 255, scale  # the stamp's own grey, or erased


def sample_pdf(path: Path) -> Path:
    """A small real scan (a strip of samples/scans/101.png) as a one-page PDF at 150 dpi."""
    with Image.open(REPO / "samples" / "scans" / "101.png") as im:
        im.convert("L").crop((0, 0, 540, 200)).save(path, resolution=150)
    return path


def ocrmypdf(*args: str | Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ocrmypdf", "--plugin", "docclean.ocrmypdf", "--jobs", "1", "--output-type",
           "pdf", "--optimize", "0", "-v1", *map(str, args)]
    # OCRmyPDF logs non-ASCII characters; decode them as UTF-8 whatever locale an earlier test left.
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


def page_text(pdf: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc[0].get_textpage().get_text_range()
    finally:
        doc.close()


def page_image_bits(pdf: Path) -> set[int]:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        page = doc.pages[0]
        images = page.get_images() if hasattr(page, "get_images") else page.images
        return {int(img.get("/BitsPerComponent", 0)) for img in images.values()}


@needs_tools
def test_end_to_end_text_layer_and_visible_page_kept(tmp_path: Path, tiny_model_path: Path) -> None:
    source, out = sample_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf"
    result = ocrmypdf("--docclean-model", tiny_model_path, "--docclean-binarize", source, out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "docclean: page 1 cleaned for OCR" in result.stderr  # the hook ran in the worker
    words = page_text(out).lower().split()
    assert {"methods", "design", "fields"} <= set(words), words
    assert page_image_bits(out) == {8}  # the visible page is the scanned grey image, not the 1-bit OCR image


@needs_tools
def test_end_to_end_visible_page_cleaned(tmp_path: Path, tiny_model_path: Path) -> None:
    source, out = sample_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf"
    result = ocrmypdf("--force-ocr", "--docclean-visible", "--docclean-binarize", "--docclean-model",
                      tiny_model_path, source, out)
    assert result.returncode == 0, result.stderr[-2000:]
    assert page_image_bits(out) == {1}  # the visible page is docclean's 1-bit page
    assert "design" in page_text(out).lower()


def test_a_broken_model_a_missing_gpu_and_bad_values_are_one_line_usage_errors(tmp_path: Path) -> None:
    import torch

    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(BadArgsError, match="not a readable docclean safetensors model"):
        plugin.check_options(options(docclean_model=str(broken)))
    if not torch.cuda.is_available():
        with pytest.raises(BadArgsError, match="--docclean-device: device 'cuda' requested but no CUDA GPU"):
            plugin.check_options(options(docclean_device="cuda"))
    with pytest.raises(BadArgsError, match="--docclean-threshold, --docclean-binarize: threshold"):
        plugin.check_options(options(docclean_threshold=0.4))


def truncated_copy(model: Path, target: Path) -> Path:
    """``model`` cut in half, as an interrupted copy leaves it: the header still reads, the tensors do not."""
    data = model.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def test_a_truncated_model_is_refused_before_any_worker(tmp_path: Path, tiny_model_path: Path) -> None:
    cut = truncated_copy(tiny_model_path, tmp_path / "cut.safetensors")
    with pytest.raises(BadArgsError, match=r"^docclean: .*cut\.safetensors.*data offsets .* lie outside the file"):
        plugin.check_options(options(docclean_model=str(cut)))
    # The check reads the header by hand: OCRmyPDF's main process stays free of torch.
    code = ("import sys; from types import SimpleNamespace as N; from docclean import ocrmypdf as p\n"
            f"try: p.check_options(N(docclean_model={str(cut)!r}, extra_attrs={{}}))\n"
            "except Exception as e: print(type(e).__name__)\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stdout.split() == ["BadArgsError", "False"], result.stderr[-2000:]


@needs_tools
def test_a_truncated_model_ends_ocrmypdf_in_one_line_with_its_bad_args_code(tmp_path: Path,
                                                                             tiny_model_path: Path) -> None:
    from ocrmypdf.exceptions import ExitCode

    cut = truncated_copy(tiny_model_path, tmp_path / "cut.safetensors")
    result = ocrmypdf("--docclean-model", cut, sample_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf")
    assert result.returncode == ExitCode.bad_args, result.stderr[-2000:]
    assert "lie outside the file" in result.stderr
    assert "Traceback" not in result.stderr and "exception occurred" not in result.stderr


@needs_tools
def test_a_missing_backend_ends_ocrmypdf_with_its_bad_args_code(tmp_path: Path) -> None:
    from ocrmypdf.exceptions import ExitCode

    from docclean.backends import installed_backends

    missing = next((b for b in ("onnx", "openvino") if b not in installed_backends()), None)
    if missing is None:
        pytest.skip("every backend is installed here")
    result = ocrmypdf("--docclean-backend", missing, sample_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf")
    assert result.returncode == ExitCode.bad_args, result.stderr[-2000:]
    assert f"docclean: --docclean-backend: backend '{missing}' is not installed here" in result.stderr
    assert "Traceback" not in result.stderr and "exception occurred" not in result.stderr


def test_a_pdf_of_no_pages_is_refused_in_one_line_naming_it() -> None:
    from ocrmypdf.exceptions import InputFileError

    with pytest.raises(InputFileError, match=r"^docclean: scans/empty\.pdf: the PDF has no pages"):
        plugin.validate([], SimpleNamespace(input_file=Path("scans/empty.pdf")))
    with pytest.raises(InputFileError, match="standard input: the PDF has no pages"):
        plugin.validate([], SimpleNamespace(input_file="-"))
    plugin.validate([object()], SimpleNamespace(input_file="one.pdf"))  # a page: nothing to say


@needs_tools
def test_a_pdf_of_no_pages_ends_ocrmypdf_with_its_input_file_code_not_a_traceback(tmp_path: Path) -> None:
    # OCRmyPDF 17.13 alone divides by the page count in its Tesseract plugin's validate hook
    # (ZeroDivisionError); the plugin's validate runs first.
    import pikepdf
    from ocrmypdf.exceptions import ExitCode

    empty = tmp_path / "empty.pdf"
    pikepdf.new().save(empty)
    cmd = [sys.executable, "-m", "ocrmypdf", "--plugin", "docclean.ocrmypdf", str(empty), str(tmp_path / "out.pdf")]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, encoding="utf-8", errors="replace",
                            timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == ExitCode.input_file, result.stderr[-2000:]
    assert f"docclean: {empty}: the PDF has no pages, so there is nothing to OCR" in result.stderr
    assert "Traceback" not in result.stderr and "ZeroDivisionError" not in result.stderr
