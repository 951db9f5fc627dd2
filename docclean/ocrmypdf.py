"""An OCRmyPDF plugin: OCR reads the page as docclean cleaned it.

    ocrmypdf --plugin docclean.ocrmypdf scan.pdf out.pdf
    ocrmypdf --plugin docclean.ocrmypdf --docclean-binarize --docclean-model mine.safetensors in.pdf out.pdf
    ocrmypdf --plugin docclean.ocrmypdf --force-ocr --docclean-visible in.pdf out.pdf

By default only the image that Tesseract sees is cleaned (``filter_ocr_image``): the text layer
improves while the visible page stays exactly as scanned. ``--docclean-visible`` cleans the
visible page image too (``filter_page_image``); OCRmyPDF only rasterizes the visible page when
it has to (``--force-ocr``, ``--deskew``, ``--clean-final``), so the option asks for one of those.

OCRmyPDF 17 cleans ``--jobs`` pages at once in threads of its own process (``--no-use-threads``:
in worker processes). Each process loads the model once, lazily, on its first page, and all its
page threads share it (``docclean.onepage.load_cleaner``): the engine lets one network call
through at a time (``Denoiser._run``), so two OpenVINO runtimes never infer side by side in one
process (that hung ``--jobs 2`` now and then). The network runs with ``--docclean-threads``
threads (default: every core of the process with OCRmyPDF's threads, which share the one model;
the cores divided by the jobs with ``--no-use-threads``). No model is loaded in OCRmyPDF's main process
before its workers start, so forked workers start clean and load their own.
Both image hooks are pluggy wrappers: OCRmyPDF's own filters (Tesseract's downsampling of huge
pages) run first and docclean cleans their result. ``validate`` refuses a PDF of no pages in one
line naming it, where OCRmyPDF on its own ends in a traceback.

This module is named like the package it plugs into; it uses only absolute imports, so the
``import ocrmypdf`` below is OCRmyPDF itself.
"""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ocrmypdf
from ocrmypdf.exceptions import BadArgsError, InputFileError

from docclean.backends import AUTO_CPU_ORDER
from docclean.errors import DocCleanError
from docclean.settings import BACKENDS, CleanSettings, available_cores

if TYPE_CHECKING:
    from PIL import Image


log = logging.getLogger(__name__)

#: Plugin option (the attribute OCRmyPDF stores it under) -> CleanSettings field.
OPTION_SETTINGS = {"docclean_model": "model", "docclean_backend": "backend", "docclean_device": "device",
                   "docclean_precision": "precision",
                   "docclean_threads": "threads", "docclean_tile_size": "tile_size",
                   "docclean_binarize": "binarize", "docclean_threshold": "threshold",
                   "docclean_keep_faint": "keep_faint", "docclean_remove_show_through": "remove_show_through",
                   "docclean_max_stroke": "max_stroke", "docclean_auto_levels": "auto_levels",
                   "docclean_keep_solids": "keep_solids", "docclean_clear_surround": "clear_surround",
                   "docclean_clear_shading": "clear_shading", "docclean_keep_pictures": "keep_pictures",
                   "docclean_keep_color_marks": "keep_color_marks", "docclean_keep_box_writing": "keep_box_writing"}
#: CleanSettings field -> the plugin option that sets it, for error messages.
OPTION_FLAGS = {field: "--" + option.replace("_", "-") for option, field in OPTION_SETTINGS.items()}
#: Scales ``--docclean-scale`` accepts.
SCALE_RANGE = (1.0, 4.0)

def _check_device(device: str) -> None:
    """UsageError for a GPU that is not there (else each worker fails with a traceback)."""
    if device in ("cuda", "mps"):
        from docclean.backends.torch_backend import resolve_device

        resolve_device(device)


def _scale(options: Any) -> float:
    """``--docclean-scale`` (1 where the API left it out; 0 stays 0, for check_options to refuse)."""
    scale = _get(options, "docclean_scale")
    return 1.0 if scale is None else float(scale)


@ocrmypdf.hookimpl
def add_options(parser: ArgumentParser) -> None:
    """The ``--docclean-*`` options."""
    group = parser.add_argument_group("docclean", "Clean the page with docclean's model before OCR")
    group.add_argument("--docclean-model", metavar="MODEL", default="default",
                       help="Built-in model name or .safetensors file (default: the shipped model).")
    group.add_argument("--docclean-backend", choices=BACKENDS, default="auto",
                       help="What runs the network (docclean clean --backend; auto: on a CPU, "
                            f"{AUTO_CPU_ORDER}, the first installed).")
    # cpu, not docclean clean's auto: the model goes to a GPU only when asked. With OCRmyPDF's threads
    # (its default) one copy serves all --jobs; with --no-use-threads each worker process loads its own.
    group.add_argument("--docclean-device", choices=("auto", "cpu", "cuda", "mps"), default="cpu",
                       help="Where the network runs (default: cpu; auto or a GPU: one copy of the model per "
                            "OCRmyPDF process, shared by its --jobs page threads).")
    group.add_argument("--docclean-precision", choices=("auto", "fp32", "bf16", "fp16"), default="auto",
                       help="Arithmetic (auto: bf16 where the CPU has AVX-512 BF16/AMX).")
    group.add_argument("--docclean-threads", metavar="N", type=int, default=None,
                       help="Threads the network runs on (default: all cores; cores / --jobs with --no-use-threads).")
    group.add_argument("--docclean-tile-size", metavar="PX", type=int, default=1024,
                       help="Tile edge in pixels; smaller uses less memory per worker.")
    group.add_argument("--docclean-binarize", action="store_true",
                       help="Give OCR a 1-bit page (docclean's adaptive binarization) instead of clean grey.")
    group.add_argument("--docclean-threshold", metavar="T", type=float, default=None,
                       help="With --docclean-binarize: a fixed grey level (0..1) instead of the adaptive method.")
    group.add_argument("--docclean-keep-faint", action="store_true",
                       help="With --docclean-binarize: keep every grey mark that touches a stroke (docclean clean "
                            "--keep-faint).")
    group.add_argument("--docclean-remove-show-through", action="store_true",
                       help="With --docclean-binarize: turn a lighter layer of ink to paper (docclean clean "
                            "--remove-show-through).")
    group.add_argument("--docclean-max-stroke", metavar="PX", type=int, default=None,
                       help="Also clean pages of wider strokes shrunk (0: off; docclean clean --max-stroke).")
    # The engine's steps, on by default as in `docclean clean`; each can be turned off when it misfires.
    for name, flag, what in (("auto_levels", "--docclean-no-auto-levels", "bring dark or washed-out pages to range"),
                             ("keep_solids", "--docclean-no-keep-solids", "keep solid black areas as scanned"),
                             ("clear_surround", "--docclean-keep-surround", "paint the scanner's dark surround white"),
                             ("clear_shading", "--docclean-keep-shading", "clean flat grey boxes as paper"),
                             ("keep_pictures", "--docclean-no-keep-pictures", "keep pictures as scanned"),
                             ("keep_color_marks", "--docclean-no-keep-color-marks",
                              "keep coloured stamps and pen over text"),
                             ("keep_box_writing", "--docclean-no-keep-box-writing",
                              "clean faint writing in form boxes again")):
        group.add_argument(flag, dest=f"docclean_{name}", action="store_false", default=None,
                           help=f"Do not {what} (docclean clean {flag.replace('docclean-', '')}).")
    group.add_argument("--docclean-scale", metavar="F", type=float, default=1.0,
                       help="Clean the OCR image enlarged F times, then shrink it back (for low-resolution "
                            "scans whose letters are smaller than the model was trained on; F*F times slower).")
    group.add_argument("--docclean-visible", action="store_true",
                       help="Also clean the visible page image (needs --force-ocr, --deskew or --clean-final).")
    group.add_argument("--docclean-keep-color", action="store_true",
                       help="With --docclean-visible: put the original colours back on the cleaned visible page.")


def _get(options: Any, name: str, default: Any = None) -> Any:
    try:
        return getattr(options, name)
    except AttributeError:  # options built by the API without our arguments
        return default


def settings_from_options(options: Any) -> CleanSettings:
    """CleanSettings for the OCR image from OCRmyPDF's options (UsageError if they cannot work)."""
    values = {field: _get(options, name) for name, field in OPTION_SETTINGS.items()}
    values = {"device": "cpu", **{k: v for k, v in values.items() if v is not None}}  # the API skips our defaults
    values["binarize"] = bool(values.get("binarize", False))
    return CleanSettings(**values)


@ocrmypdf.hookimpl
def check_options(options: Any) -> None:
    """Validate the ``--docclean-*`` options in the main process, before any worker starts."""
    from docclean.backends import check_installed, check_page_model
    from docclean.backends.convert import read_checkpoint_metadata
    from docclean.errors import UsageError
    from docclean.models import resolve_model_path

    try:
        settings = settings_from_options(options)
        model = resolve_model_path(settings.model)
        # A broken file fails here, in one line, not in every worker: the header, then the checks the
        # loader runs before mapping a tensor (docclean.safefile, pure Python: each tensor's shape, dtype
        # and byte range inside the file, so a file cut short is refused), and a page-cleaning network.
        read_checkpoint_metadata(model)
        check_page_model(model)
        check_installed(settings.backend)
        _check_device(settings.device)
    except DocCleanError as exc:
        named = getattr(exc, "settings", ()) if isinstance(exc, UsageError) else ()
        flags = ", ".join(OPTION_FLAGS.get(name, name) for name in named)
        raise BadArgsError(f"docclean: {flags + ': ' if flags else ''}{exc}") from None
    if _get(options, "docclean_visible") and options.lossless_reconstruction:
        raise BadArgsError("docclean: --docclean-visible needs --force-ocr, --deskew or --clean-final: otherwise "
                           "OCRmyPDF keeps the visible page as it is and has no image to clean")
    if not SCALE_RANGE[0] <= _scale(options) <= SCALE_RANGE[1]:  # NaN is refused too
        raise BadArgsError(f"docclean: --docclean-scale must lie between 1 and 4, not {_scale(options):g}")
    if _get(options, "docclean_keep_color") and not _get(options, "docclean_visible"):
        raise BadArgsError("docclean: --docclean-keep-color needs --docclean-visible: it puts the colours back on "
                           "the cleaned visible page, and without --docclean-visible the visible page is kept as "
                           "scanned (OCR reads a grey page)")
    if _get(options, "docclean_keep_color") and settings.binarize:
        raise BadArgsError("docclean: --docclean-keep-color and --docclean-binarize cannot be combined")
    if hasattr(options, "extra_attrs"):
        options.extra_attrs["docclean_model"] = str(model.absolute())  # workers need not share our cwd


@ocrmypdf.hookimpl(tryfirst=True)
def validate(pdfinfo: Any, options: Any) -> None:
    """Refuse a PDF of no pages in one line that names it. Runs before OCRmyPDF's Tesseract plugin,
    which divides by the page count (OCRmyPDF 17.13: a ZeroDivisionError traceback; with
    OMP_THREAD_LIMIT set, a ValueError from its thread pool, after which it never exits)."""
    if len(pdfinfo) == 0:
        raise InputFileError(f"docclean: {_input_name(options)}: the PDF has no pages, so there is nothing to OCR")


def _input_name(options: Any) -> str:
    """The input file as the user named it (a file object given to the API has no name to show)."""
    source = _get(options, "input_file")
    if str(source) == "-":
        return "standard input"
    return str(source) if isinstance(source, (str, Path)) else "the input PDF"


def _worker_settings(options: Any) -> CleanSettings:
    """The page's settings. Unless ``--docclean-threads`` was given, the network gets every core
    where OCRmyPDF's page threads share one model (its default: one call at a time, so a share of
    the cores would leave the rest idle), and each process its share with ``--no-use-threads``."""
    settings = settings_from_options(options)
    if settings.threads is None:
        shared = _get(options, "use_threads")
        jobs = 1 if shared is None or shared else (_get(options, "jobs") or available_cores())
        settings = settings.replace(threads=max(1, available_cores() // max(1, jobs)))
    return settings


def _cleaned_pixels(image: Image.Image, settings: CleanSettings, index: int) -> tuple[Any, Any]:
    """(pixels as the batch writes them, dpi) of a cleaned PIL page image."""
    from docclean.imagefile import to_gray_color
    from docclean.pixels import Page

    dpi = image.info.get("dpi")
    gray, color = to_gray_color(image)
    return clean_page_pixels(Page(gray, color, dpi, index), settings), dpi


def _scaled_pixels(image: Image.Image, settings: CleanSettings, index: int, scale: float) -> tuple[Any, Any]:
    """Like :func:`_cleaned_pixels` (grey or 1-bit), but cleaned ``scale`` times larger and shrunk back."""
    import cv2
    import numpy as np

    from docclean.imagefile import to_gray_color
    from docclean.onepage import finish_page
    from docclean.pixels import Page

    dpi = image.info.get("dpi")
    gray, color = to_gray_color(image)
    h, w = gray.shape
    size = (round(w * scale), round(h * scale))
    big = cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)
    # The colour goes along only for what the grey page is cleaned with (coloured marks kept):
    # the written page is grey or 1-bit.
    color = None if color is None else cv2.resize(color, size, interpolation=cv2.INTER_CUBIC)
    page = Page(np.clip(big, 0.0, 1.0), color, None, index)
    plain = settings.replace(binarize=False, threshold=None, keep_faint=False, remove_show_through=False,
                             color="gray")
    cleaned = cv2.resize(clean_page_pixels(page, plain), (w, h), interpolation=cv2.INTER_AREA)
    return finish_page(cleaned, settings)[0], dpi


def clean_page_pixels(page: Any, settings: CleanSettings) -> Any:
    """The pixels ``docclean.batch.clean_page`` gives for ``page`` with this process's model, which
    all its page threads share (``load_cleaner``; a process forked by ``--no-use-threads`` loads
    its own)."""
    from docclean.batch import clean_page, load_cleaner

    return clean_page(page, settings, load_cleaner(settings)).pixels


def clean_image(image: Image.Image, settings: CleanSettings, index: int = 0, scale: float = 1.0) -> Image.Image:
    """Clean one PIL page image with ``settings`` (enlarged ``scale`` times for the model); same size,
    DPI kept in ``info['dpi']``."""
    from docclean.pixels import to_pil

    if scale != 1.0:
        pixels, dpi = _scaled_pixels(image, settings, index, scale)
    else:
        pixels, dpi = _cleaned_pixels(image, settings, index)
    cleaned = to_pil(pixels)
    if dpi is not None:
        cleaned.info["dpi"] = dpi
    return cleaned


@ocrmypdf.hookimpl(wrapper=True)
def filter_ocr_image(page: Any, image: Image.Image) -> Generator[None, Image.Image | None, Image.Image]:
    """Clean the image OCR will read (after OCRmyPDF's own filters)."""
    filtered = yield
    source = filtered if filtered is not None else image
    start = time.perf_counter()
    settings = _worker_settings(page.options).replace(color="gray")
    cleaned = clean_image(source, settings, page.pageno, _scale(page.options))
    log.debug("docclean: page %d cleaned for OCR in %.2f s", page.pageno + 1, time.perf_counter() - start)
    return cleaned


@ocrmypdf.hookimpl(wrapper=True)
def filter_page_image(page: Any, image_filename: Path) -> Generator[None, Path | None, Path | None]:
    """With ``--docclean-visible``, clean the visible page image too (written beside it as PNG)."""
    filtered = yield
    if not _get(page.options, "docclean_visible"):
        return filtered
    from PIL import Image

    from docclean.writer import write_page

    source = Path(filtered) if filtered is not None else Path(image_filename)
    settings = _worker_settings(page.options)
    if _get(page.options, "docclean_keep_color"):
        settings = settings.replace(color="keep")
    with Image.open(source) as im:
        im.load()
        pixels, dpi = _cleaned_pixels(im, settings, page.pageno)
    target = source.with_name(f"{source.stem}_docclean.png")
    write_page(target, pixels, dpi)
    return target
