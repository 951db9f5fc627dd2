"""Reading and writing pages: the only place pixels change type or container.

Inputs (PNG, JPEG, TIFF incl. multi-page, BMP, WebP, PDF) become :class:`Page` records holding a
float32 grey page for the engine and, for colour pages, the original RGB; outputs are written
atomically by :class:`PageWriter`. Every problem with an input file surfaces as ``InputError``
and every problem writing as ``OutputError``, each naming the file, so callers never see a
Pillow or pdfium exception.

The work is split over ``pixels`` (Page and array conversions), ``imagefile`` (raster reading),
``pdf`` (PDF reading and streaming writing) and ``writer`` (PageWriter); this module is the
public face and re-exports what callers need."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from docclean.errors import InputError
from docclean.imagefile import count_frames, read_image
from docclean.pdf import count_pdf_pages, read_pdf
from docclean.pixels import MAX_PIXELS, Page, luma
from docclean.writer import FORMAT_NAMES, PageWriter, write_page

__all__ = [
    "MAX_PIXELS", "OUTPUT_FORMATS", "SUPPORTED_SUFFIXES", "Page", "PageWriter", "count_pages",
    "output_suffix", "read_gray", "read_pages", "recolor", "write_page",
]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf"})

#: Output format name -> file suffix. "same" (suffix "") keeps each input's own format.
OUTPUT_FORMATS: dict[str, str] = {
    "same": "", "png": ".png", "tiff": ".tif", "jpeg": ".jpg", "pdf": ".pdf"}

# Suffixes of the writable formats that OUTPUT_FORMATS does not list (bmp, webp): accepted too.
_ALL_FORMAT_SUFFIXES = {**{name: f".{name}" for name in set(FORMAT_NAMES.values())},
                        **{k: v for k, v in OUTPUT_FORMATS.items() if v}}

# Where the page becomes this much darker than white, the original chroma is fully back; above
# it, chroma fades linearly to nothing at pure white, so cleaned paper is neutral white.
CHROMA_FADE = 0.25


def _preflight(path: Path) -> None:
    """Cheap checks that give the clearest reasons, before any decoder sees the file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(f"unsupported file type '{path.suffix or '(no suffix)'}' (supported: "
                         f"{', '.join(sorted(SUPPORTED_SUFFIXES))})", path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file", path)
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


def count_pages(path: str | Path) -> int:
    """Number of pages in an input file, read from headers only. InputError if unreadable."""
    path = Path(path)
    try:
        _preflight(path)
        if path.suffix.lower() == ".pdf":
            return count_pdf_pages(path)
        return count_frames(path)
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        raise InputError(_reason(exc), path) from exc


def read_pages(path: str | Path, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS
               ) -> Iterator[Page]:
    """Yield every page of an input file, decoded, one at a time (lazily: errors, InputError
    only, are raised while iterating).

    ``dpi`` sets the rendering resolution of PDF pages (default: each page's native one) and
    is ignored for raster images. Pages above ``max_pixels`` are refused before decoding."""
    path = Path(path)
    try:
        _preflight(path)
        if path.suffix.lower() == ".pdf":
            yield from read_pdf(path, dpi=dpi, max_pixels=max_pixels)
        else:
            yield from read_image(path, max_pixels=max_pixels)
    except InputError:
        raise
    except Exception as exc:  # the boundary: no decoder exception leaves io
        raise InputError(_reason(exc), path) from exc


def read_gray(path: str | Path) -> np.ndarray:
    """Read the first page of an image (or PDF) as float32 grey levels in 0..1 (H x W)."""
    pages = read_pages(path)
    try:
        return next(pages).gray
    except StopIteration:
        raise InputError("no pages", path) from None
    finally:
        pages.close()


def output_suffix(input_path: str | Path, fmt: str | None) -> str:
    """Suffix of the output for ``input_path`` in format ``fmt`` (None or "same": the input's
    own format, e.g. ".jpeg" stays ".jpeg"). ValueError for an unknown format name."""
    if fmt is None or fmt.lower() == "same":
        suffix = Path(input_path).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputError(f"unsupported file type '{suffix or '(no suffix)'}'", input_path)
        return suffix
    key = FORMAT_NAMES.get(fmt.lower().lstrip("."))
    if key is None:
        raise ValueError(f"unknown output format {fmt!r}; choose from "
                         f"{', '.join(OUTPUT_FORMATS)}")
    return _ALL_FORMAT_SUFFIXES[key]


def recolor(gray_clean: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Recombine a cleaned grey page with the chroma of the original colour page.

    Each pixel gets the cleaned luminance plus the original colour's offset from its own
    luminance (its chroma), scaled down as the cleaned page approaches white: paper the model
    made white comes out neutral white (no yellow tint or stain colour), while coloured ink,
    which stays dark, keeps its hue. Returns uint8 (H, W, 3) RGB."""
    if color.ndim != 3 or color.shape[2] != 3 or color.shape[:2] != gray_clean.shape:
        raise ValueError(f"shapes differ: grey {gray_clean.shape}, colour {color.shape}")
    out = np.empty(color.shape, dtype=np.uint8)
    # Row blocks keep the float temporaries small on full-size colour pages.
    step = max(1, 2_000_000 // max(1, color.shape[1]))
    for y in range(0, color.shape[0], step):
        rgb = color[y : y + step]
        gray = np.clip(np.nan_to_num(gray_clean[y : y + step].astype(np.float32), nan=1.0), 0, 1)
        chroma = rgb.astype(np.float32) / np.float32(255.0) - luma(rgb)[..., None]
        fade = np.clip((1.0 - gray) / np.float32(CHROMA_FADE), 0.0, 1.0)[..., None]
        mixed = gray[..., None] + chroma * fade
        out[y : y + step] = np.rint(np.clip(mixed, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out
