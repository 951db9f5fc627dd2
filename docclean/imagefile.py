"""Raster image files (PNG, JPEG, TIFF, BMP, WebP) read through Pillow into :class:`Page` records.

Every page is fully decoded at read time (so a truncated file fails here, not halfway through the
engine), its size is checked against a pixel limit before decoding, EXIF orientation is applied,
and every Pillow mode is brought to grey 0..1 plus optional RGB colour."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from docclean import formats
from docclean.errors import InputError
from docclean.pixels import MAX_PIXELS, Page, split_rgb

# A truncated scan must be reported, never padded with grey and cleaned as if it were whole.
ImageFile.LOAD_TRUNCATED_IMAGES = False
# Pillow refuses images above 2 x MAX_IMAGE_PIXELS in Image.open(), before we can look at the
# header; raise its limit to ours so that our own, configurable check decides (only ever raise it).
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Only TIFF is a page container; the extra frames of APNG, animated WebP or MPO JPEG (a camera's
# second, depth or preview image) are not further pages of a document.
# EXIF orientations that swap width and height (and so the x and y resolution).
_TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}
_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV", "RGBX"}


@contextmanager
def _bomb_guard(path: Path, max_pixels: int = MAX_PIXELS) -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning and error into InputError (and keep Pillow quiet).

    Pillow warns above MAX_IMAGE_PIXELS: that becomes our error unless the caller allowed more,
    in which case our own size check decides. (catch_warnings swaps process-wide filters; racing
    threads can at worst see the warning as an error or silenced, both of which we handle.)"""
    limit = Image.MAX_IMAGE_PIXELS
    action = "ignore" if limit is not None and max_pixels > limit else "error"
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
            raise InputError(f"image dimensions too large ({size}; decompression bomb guard)",
                             path) from None


def _open(path: Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open (header only) with the bomb guard; an unrecognised file becomes InputError."""
    with _bomb_guard(path, max_pixels):
        try:
            return Image.open(path)
        except UnidentifiedImageError:
            raise InputError("not an image (content not recognised)", path) from None


def _multi_page(pil_format: str | None) -> bool:
    """True for formats that hold several pages in docclean's format table (TIFF)."""
    try:
        return formats.by_name(pil_format or "").multi_page
    except ValueError:
        return False


def _page_count(im: Image.Image) -> int:
    return int(getattr(im, "n_frames", 1)) if _multi_page(im.format) else 1


def count_frames(path: Path) -> int:
    """Number of pages in a raster file: TIFF frames, else 1. Reads headers only."""
    with _open(path) as im:
        return _page_count(im)


def read_image(path: Path, *, max_pixels: int = MAX_PIXELS, only: int | None = None) -> Iterator[Page]:
    """Yield every page of a raster file, fully decoded, in file order; with ``only``, just that
    page (0-based), decoding no other."""
    with _open(path, max_pixels) as im:
        count = _page_count(im)
        for index in range(count) if only is None else [only] if only < count else []:
            if index:
                im.seek(index)
            with _bomb_guard(path, max_pixels):
                gray, color, dpi = _decode_frame(im, path, max_pixels, index)
            yield Page(gray=gray, color=color, dpi=dpi, index=index)


def _decode_frame(im: Image.Image, path: Path, max_pixels: int, index: int
                  ) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float] | None]:
    width, height = im.size
    # The header is known before any pixel is decoded: refuse absurd sizes up front.
    if width * height > max_pixels:
        where = f"page {index + 1} " if index else ""
        raise InputError(f"{where}image dimensions too large ({width} x {height} pixels, "
                         f"limit {max_pixels:,})", path)
    dpi = _dpi(im.info)
    orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
    im.load()  # full decode now: truncation raises here rather than yielding half a page
    upright = ImageOps.exif_transpose(im)
    if orientation in _TRANSPOSING_ORIENTATIONS and dpi is not None:
        dpi = (dpi[1], dpi[0])
    try:
        gray, color = to_gray_color(upright)
    finally:
        if upright is not im:
            upright.close()
    return gray, color, dpi


def _dpi(info: dict) -> tuple[float, float] | None:
    """Resolution from Pillow's info dict, or None when absent or meaningless (0 or 1 = unset)."""
    raw = info.get("dpi")
    try:
        x, y = float(raw[0]), float(raw[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)) or x <= 1 or y <= 1:
        return None
    # PNG stores dots per metre, so 300 dpi comes back as 299.9994: round to what was meant.
    return (round(x, 2), round(y, 2))


def to_gray_color(im: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """(gray float32 0..1, color uint8 RGB or None) of a decoded image in any Pillow mode.

    Alpha is composited onto white (a transparent scan background is paper), 16-bit data is
    scaled by 65535, palette and CMYK images go through RGB, and an RGB image whose channels are
    all equal counts as grey (``color`` None)."""
    mode = im.mode
    if mode == "1":
        return np.asarray(im).astype(np.float32), None
    if mode == "L":
        return np.asarray(im).astype(np.float32) / np.float32(255.0), None
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.float32) / np.float32(65535.0), None
    if mode == "I":
        # 32-bit integer mode is how Pillow hands over 16-bit grey from some formats.
        return np.clip(np.asarray(im).astype(np.float32) / np.float32(65535.0), 0.0, 1.0), None
    if mode == "F":
        return np.clip(np.nan_to_num(np.asarray(im, dtype=np.float32), nan=1.0), 0.0, 1.0), None
    if mode in ("LA", "La"):
        la = np.asarray(im.convert("LA") if mode == "La" else im).astype(np.float32)
        alpha = la[..., 1] / np.float32(255.0)
        gray = (la[..., 0] * alpha + np.float32(255.0) * (1 - alpha)) / np.float32(255.0)
        return gray.astype(np.float32), None
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        return to_gray_color(im.convert("RGBA" if has_alpha else "RGB"))
    if mode in ("RGBA", "RGBa"):
        rgba = np.asarray(im.convert("RGBA") if mode == "RGBa" else im).astype(np.uint16)
        alpha = rgba[..., 3:4]
        # Integer compositing onto white, rounded: c*a + 255*(255-a), / 255.
        rgb = ((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        return split_rgb(rgb)
    if mode == "RGB":
        return split_rgb(np.asarray(im))
    if mode in _CONVERT_TO_RGB:
        return split_rgb(np.asarray(im.convert("RGB")))
    # Anything exotic that Pillow can still convert.
    return split_rgb(np.asarray(im.convert("RGB")))
