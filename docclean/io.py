"""Reading and writing pages: the only place pixels change type or container.

Inputs (PNG, JPEG, TIFF incl. multi-page, BMP, WebP, PDF) become :class:`Page` records holding a
float32 grey page for the engine and, for colour pages, the original RGB; outputs are written
atomically by :class:`PageWriter`. Every problem with an input file surfaces as ``InputError``
and every problem writing as ``OutputError``, each naming the file, so callers never see a
Pillow or pdfium exception.

The work is split over ``pixels`` (Page and array conversions), ``imagefile`` (raster reading),
``pdf`` (PDF reading and streaming writing), ``writer`` (PageWriter) and ``metadata`` (a file's
title, author, dates and the like, which PageWriter writes into its outputs); this module is the
public face and re-exports what callers need.

:func:`read_page_with_warnings` reads one page and hands back what its reader warned of it apart
from what it warned of its file (:class:`PageRead`): the desktop app shows the one with the page
and the other once for the file, in the words the batch records them with
(``docclean.filesaid.warning_texts``)."""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from warnings import WarningMessage

import numpy as np
from PIL import Image

from docclean import formats, warnroute
from docclean.colormodes import to_gray_color
from docclean.errors import InputError, UsageError
from docclean.imagefile import count_frames, frame_sizes, read_image
from docclean.pdf import count_pdf_pages, pdf_page_sizes, read_pdf, read_pdf_page
from docclean.pixels import MAX_PIXELS, Page, page_values
from docclean.writer import PageWriter, write_page

__all__ = [
    "MAX_PIXELS", "InputError", "Page", "PageRead", "PageWriter", "count_pages", "page_size", "read_gray",
    "read_page", "read_page_with_warnings", "read_pages", "write_page",
]


#: Words for the kinds of file that are no regular file.
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _preflight(path: Path) -> None:
    """Cheap checks that give the clearest reasons, before any decoder sees the file; one that is
    no regular file (a FIFO, whose opening would wait for a writer) is refused before it is opened."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"broken link: {os.readlink(path)} does not exist", path) from None
        raise InputError("file not found", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("symbolic link loop", path) from None
        raise
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", path)
    if not formats.is_supported(path):
        raise InputError(f"unsupported file type '{path.suffix or '(no suffix)'}' (supported: "
                         f"{', '.join(sorted(formats.SUPPORTED_SUFFIXES))})", path)
    if not stat.S_ISREG(info.st_mode):
        kind = next((word for test, word in _KINDS if test(info.st_mode)), "an unknown kind of file")
        raise InputError(f"not a regular file ({kind})", path)
    if info.st_size == 0:
        raise InputError("empty file (0 bytes)", path)
    # Decoders report an unreadable file in their own words (pdfium: "file access error");
    # opening it here first gives one plain reason for every format.
    with open(path, "rb"):
        pass


def _reason(exc: BaseException) -> str:
    """A short, one-line reason for an unexpected decoder exception."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, MemoryError):
        return "out of memory while decoding"
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "truncated" in text.lower():
        return "truncated or incomplete image data"
    if len(text) > 100:
        text = text[:97] + "..."
    return f"corrupt or unreadable file ({text})"


def count_pages(path: str | Path, max_pixels: int = MAX_PIXELS) -> int:
    """Number of pages in an input file, read from headers only. InputError if unreadable.
    ``max_pixels``: the page limit the pages will be read with (a page it allows is counted)."""
    path = Path(path)
    try:
        _preflight(path)
        if formats.by_suffix(path) is formats.by_name("pdf"):
            return count_pdf_pages(path)
        return count_frames(path, max_pixels)
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        raise InputError(_reason(exc), path) from exc


def page_size(path: str | Path, index: int = 0) -> tuple[int, int]:
    """(width, height) of page ``index`` (0-based) as :func:`read_pages` yields it: upright, a PDF
    page at its native resolution. From headers only. InputError if unreadable."""
    return page_sizes(path, [index])[0]


def page_sizes(path: str | Path, indices: list[int], dpi: float | None = None) -> list[tuple[int, int]]:
    """(width, height) of pages ``indices`` (0-based) as :func:`read_pages` yields them at ``dpi``
    (which only PDF pages heed), in one opening, from headers only. InputError if unreadable."""
    path = Path(path)
    try:
        _preflight(path)
        if formats.by_suffix(path) is formats.by_name("pdf"):
            return pdf_page_sizes(path, indices, dpi)
        return frame_sizes(path, indices)
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        raise InputError(_reason(exc), path) from exc


def as_page(image: Page | np.ndarray | Any, dpi: float | tuple[float, float] | None = None, index: int = 0) -> Page:
    """A page to clean (``docclean.clean_page``) from what a program holds: a :class:`Page` as it
    is; a PIL image in any mode (transparency over white paper; its dpi from ``info`` unless
    ``dpi`` is given), as the file reader reads one; or a numpy array: a grey (H, W) page of any
    type ``Denoiser.clean`` reads (float 0..1, unsigned integers, bool), (H, W, 1), or uint8
    RGB (H, W, 3) or RGBA (H, W, 4). UsageError for anything else."""
    if isinstance(image, Page):
        return image
    if isinstance(dpi, (int, float)):
        dpi = (float(dpi), float(dpi))
    if isinstance(image, Image.Image):
        found = image.info.get("dpi")
        gray, color = to_gray_color(image)
        return Page(gray, color, dpi or (tuple(map(float, found)) if found else None), index)
    if not isinstance(image, np.ndarray):
        raise UsageError(f"cannot clean a {type(image).__name__}: give a numpy array, a PIL image or a "
                         "docclean.io.Page (docclean.io.read_pages reads files)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return Page(page_values(image), None, dpi, index)
    if image.ndim == 3 and image.shape[2] in (3, 4) and image.dtype == np.uint8:
        gray, color = to_gray_color(Image.fromarray(np.ascontiguousarray(image)))  # RGB or RGBA by its depth
        return Page(gray, color, dpi, index)
    raise UsageError(f"cannot clean an array of shape {image.shape} and type {image.dtype}: give a grey (H, W) "
                     "page, or a uint8 RGB (H, W, 3) or RGBA (H, W, 4) one")


def read_pages(path: str | Path, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS
               ) -> Iterator[Page]:
    """Yield every page of an input file, decoded, one at a time (lazily: errors, InputError
    only, are raised while iterating).

    ``dpi`` sets the rendering resolution of PDF pages (default: each page's native one) and
    is ignored for raster images. Pages above ``max_pixels`` are refused before decoding."""
    path = Path(path)
    done = 0
    try:
        _preflight(path)
        if formats.by_suffix(path) is formats.by_name("pdf"):
            pages = read_pdf(path, dpi=dpi, max_pixels=max_pixels)
        else:
            pages = read_image(path, max_pixels=max_pixels)
        for page in pages:
            yield page
            done += 1
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        # A file whose later page is damaged names that page: its first pages read fine.
        raise InputError(f"page {done + 1}: {_reason(exc)}" if done else _reason(exc), path) from exc


@dataclass(frozen=True)
class PageRead:
    """A page read alone (:func:`read_page_with_warnings`) and what its reader warned while it read
    it, as ``warnings.catch_warnings(record=True)`` records it: ``warnings`` of the page itself (a
    TIFF page's damaged data, a PDF page without a size), ``file_warnings`` of its whole file (a
    PDF's attached files, its text layer), which are the same whichever page is read."""

    page: Page
    warnings: tuple[WarningMessage, ...] = ()
    file_warnings: tuple[WarningMessage, ...] = ()


def read_page(path: str | Path, index: int, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS) -> Page:
    """Decode only page ``index`` (0-based) of a file (a preview of page 90 of a PDF renders one
    page, not 90). InputError if the file has no such page or cannot be read. What its reader warns
    of the page is warned (:func:`read_page_with_warnings` hands it back instead)."""
    read = read_page_with_warnings(path, index, dpi=dpi, max_pixels=max_pixels)
    for said in read.warnings:
        warnings.warn_explicit(said.message, said.category, said.filename, said.lineno)
    return read.page


def read_page_with_warnings(path: str | Path, index: int, *, dpi: float | None = None,
                            max_pixels: int = MAX_PIXELS, of_file: bool = False) -> PageRead:
    """Page ``index`` (0-based) of a file decoded alone, as :func:`read_page` decodes it, with what
    its reader warned of it and, with ``of_file``, of its file (:class:`PageRead`; nothing of it is
    warned). Only a PDF says anything of its whole file (``docclean.pdf.read_pdf_page``), and looks
    at every page's text for it; what an image file's reader says while a page is read (Pillow,
    libtiff) is that page's. A warning Python's filters hold back is in neither (the desktop app
    lets every :class:`~docclean.progress.InputWarning` through: ``gui.caught.install``).
    InputError if the file has no such page or cannot be read."""
    path = Path(path)
    if index < 0:
        raise InputError(f"has no page {index + 1}", path)
    try:
        _preflight(path)
        if formats.by_suffix(path) is formats.by_name("pdf"):
            page, own, of_the_file = read_pdf_page(path, index, dpi=dpi, max_pixels=max_pixels, of_file=of_file)
            return PageRead(page, tuple(own), tuple(of_the_file))
        with warnroute.collecting() as heard:
            pages = read_image(path, max_pixels=max_pixels, only=index)
            try:
                found = next(pages, None)
            finally:
                pages.close()
        if found is not None:
            return PageRead(found, tuple(heard))
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        # Named as read_pages names it: a page after the first says which (the file opened for it).
        raise InputError(f"page {index + 1}: {_reason(exc)}" if index else _reason(exc), path) from exc
    raise InputError(f"has no page {index + 1}", path)


def read_gray(path: str | Path) -> np.ndarray:
    """Read the first page of an image (or PDF) as float32 grey levels in 0..1 (H x W)."""
    pages = read_pages(path)
    try:
        return next(pages).gray
    except StopIteration:
        raise InputError("no pages", path) from None
    finally:
        pages.close()
