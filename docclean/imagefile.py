"""Raster image files (PNG, JPEG, TIFF, BMP, WebP) read through Pillow into :class:`Page` records.

Every page is fully decoded at read time (so a truncated file fails here, not halfway through the
engine), its size is checked against a pixel limit before decoding, EXIF orientation is applied
exactly once (whether or not Pillow applied it already), and every Pillow mode is brought to grey
0..1 plus optional RGB colour."""

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
_TIFF_IMAGE_WIDTH, _TIFF_IMAGE_LENGTH = 256, 257
# Float pages hold 0..1, or an integer range stored as float: the smallest of these whose double
# holds the page's largest value is its range (the slack keeps a 0..1 page that overshoots a little
# from being read as a black 0..255 one); beyond the last one the page is refused.
_FLOAT_RANGES = (1.0, 255.0, 65535.0)
_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV", "RGBX"}
#: Resolutions (dots per inch) a page can plausibly have, both ends included. Below 10 is no scan
#: (the lowest PDF render resolution docclean offers is 10, and files say 1 or 2 when they mean
#: "unset"); above 10000 none either (film scanners stop near 9600 dpi). A file's resolution
#: outside it is unknown; the writer stores none outside it (``docclean.writer``): such a value,
#: written, broke the encoders or made a PDF page of zero size.
PLAUSIBLE_DPI = (10.0, 10000.0)


@contextmanager
def _bomb_guard(path: Path, max_pixels: int = MAX_PIXELS, where: str = "") -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning and error into InputError (and keep Pillow quiet).

    Pillow's limit is raised to at least ``max_pixels`` first, so it warns only above the caller's
    limit too: its warning is our error, and below it our own size check decides. (catch_warnings
    swaps process-wide filters; racing threads can at worst see the warning as an error or
    silenced, both of which we handle.)
    ``where`` ("page 3 ") prefixes the reason for a page of a multi-page file."""
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < max_pixels:
        # A caller who allows more than Pillow's limit (--max-pixels 500000000) gets it: Pillow
        # refuses outright above twice its limit, before our own check could decide. Only ever
        # raised, so threads sharing it at worst meet a limit higher than theirs, and ours decides.
        Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
            raise InputError(f"{where}image dimensions too large ({size}, limit {max_pixels:,})", path) from None


@contextmanager
def _open(path: Path, max_pixels: int = MAX_PIXELS) -> Iterator[Image.Image]:
    """Open (header only) with the bomb guard; an unrecognised file becomes InputError.

    Pillow gets an open file, never the path: given a path, Pillow memory-maps a single-strip
    uncompressed image, and Pillow 11 to 13 map a TIFF whose orientation is 5-8 with its turned
    (width and height swapped) size, which shreds the page. Read through a file object, every
    Pillow decodes it with the stored size, like any other TIFF."""
    with open(path, "rb") as fh:
        with _bomb_guard(path, max_pixels):
            try:
                im = Image.open(fh)
            except UnidentifiedImageError:
                raise InputError("not an image (content not recognised)", path) from None
        with im:
            yield im


def _multi_page(pil_format: str | None) -> bool:
    """True for formats that hold several pages in docclean's format table (TIFF)."""
    try:
        return formats.by_name(pil_format or "").multi_page
    except ValueError:
        return False


def _page_count(im: Image.Image) -> int:
    return int(getattr(im, "n_frames", 1)) if _multi_page(im.format) else 1


def count_frames(path: Path, max_pixels: int = MAX_PIXELS) -> int:
    """Number of pages in a raster file: TIFF frames, else 1. Reads headers only; ``max_pixels`` is
    the caller's page limit, so a page it allows is counted (the size itself is checked on reading)."""
    with _open(path, max_pixels) as im:
        return _page_count(im)


def frame_size(path: Path, index: int = 0) -> tuple[int, int]:
    """(width, height) of page ``index`` as :func:`read_image` yields it (upright: orientation
    applied), from headers only."""
    with _open(path) as im:
        if index:
            im.seek(index)
        stored = _stored_size(im) or im.size  # Pillow 11+ reports a turned TIFF's size turned
        return stored[::-1] if _orientation(im) in _TRANSPOSING_ORIENTATIONS else stored


def read_image(path: Path, *, max_pixels: int = MAX_PIXELS, only: int | None = None) -> Iterator[Page]:
    """Yield every page of a raster file, fully decoded, in file order; with ``only``, just that
    page (0-based), decoding no other."""
    with _open(path, max_pixels) as im:
        count = _page_count(im)
        for index in range(count) if only is None else [only] if only < count else []:
            # A page of a multi-page file is named in every message about it (page 1 included).
            where = f"page {index + 1} " if count > 1 else ""
            with _bomb_guard(path, max_pixels, where):
                if index:
                    im.seek(index)
                gray, color, dpi = _decode_frame(im, path, max_pixels, where)
            yield Page(gray=gray, color=color, dpi=dpi, index=index)


def _decode_frame(im: Image.Image, path: Path, max_pixels: int, where: str
                  ) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float] | None]:
    width, height = im.size
    # The header is known before any pixel is decoded: refuse absurd sizes up front.
    if width * height > max_pixels:
        raise InputError(f"{where}image dimensions too large ({width} x {height} pixels, "
                         f"limit {max_pixels:,})", path)
    dpi = _dpi(im.info) or (_exif_dpi(im) if im.format == "WEBP" else None)
    orientation = _orientation(im)
    stored = _stored_size(im)
    im.load()  # full decode now: truncation raises here rather than yielding half a page
    # Pillow 11 and later turn a TIFF upright while loading it and then drop its orientation
    # tag; older ones (and other formats) leave both to us. A tag that survived the load is
    # still to be applied, a tag that vanished was applied: either way it is applied once.
    upright = ImageOps.exif_transpose(im) if _orientation(im) != 1 else im
    try:
        if stored is not None:
            expected = stored[::-1] if orientation in _TRANSPOSING_ORIENTATIONS else stored
            if upright.size != expected:
                raise InputError(f"{where}orientation {orientation} could not be applied (decoded "
                                 f"{upright.size[0]} x {upright.size[1]} pixels, expected "
                                 f"{expected[0]} x {expected[1]})", path)
        if orientation in _TRANSPOSING_ORIENTATIONS and dpi is not None:
            dpi = (dpi[1], dpi[0])
        try:
            gray, color = to_gray_color(upright)
        except FloatRangeError as exc:
            raise InputError(f"{where}{exc}", path) from None
    finally:
        if upright is not im:
            upright.close()
    return gray, color, dpi


def _orientation(im: Image.Image) -> int:
    """The image's EXIF/TIFF orientation (1 = upright, also for a missing or invalid tag)."""
    value = im.getexif().get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _stored_size(im: Image.Image) -> tuple[int, int] | None:
    """Width and height of a TIFF frame's raster as stored (before orientation), from its tags;
    None for other formats, whose header size is the stored one."""
    tags = getattr(im, "tag_v2", None)
    if im.format != "TIFF" or tags is None:
        return None
    width, height = tags.get(_TIFF_IMAGE_WIDTH), tags.get(_TIFF_IMAGE_LENGTH)
    if not isinstance(width, int) or not isinstance(height, int):
        return None
    return width, height


class FloatRangeError(ValueError):
    """A float page whose values fit none of the ranges docclean understands."""


def float_gray(values: np.ndarray) -> np.ndarray:
    """Grey float32 0..1 of a float page (Pillow mode F).

    The page's range is the smallest of 0..1, 0..255 and 0..65535 whose double holds its
    largest finite value (so a 0..255 page is not clipped to white); values outside the range
    are clipped, NaN and +inf are paper, -inf ink. A page beyond 2 x 65535 raises
    FloatRangeError rather than guessing."""
    gray = np.array(values, dtype=np.float32)  # a writable copy, worked on in place
    with np.errstate(invalid="ignore"):
        top = float(np.nanmax(gray)) if gray.size else 0.0
    if top == np.inf:  # rare: the largest finite value needs its own pass
        finite = np.where(np.isfinite(gray), gray, np.float32(np.nan))
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice
            top = float(np.nanmax(finite))
        del finite
    top = 0.0 if np.isnan(top) else top
    scale = next((ceiling for ceiling in _FLOAT_RANGES if top <= 2 * ceiling), None)
    if scale is None:
        raise FloatRangeError(f"float pixel values out of range (largest {top:g}; expected "
                              f"0..1, 0..255 or 0..65535)")
    np.nan_to_num(gray, copy=False, nan=scale, posinf=scale, neginf=0.0)
    if scale != 1.0:
        gray /= np.float32(scale)
    np.clip(gray, 0.0, 1.0, out=gray)
    return gray


def plausible_dpi(dpi: object) -> bool:
    """True when ``dpi`` is an (x, y) pair of resolutions within :data:`PLAUSIBLE_DPI`, each
    rounded to a whole dpi (PNG's dots per metre bring 10000 dpi back as 10000.005)."""
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if not (np.isfinite(x) and np.isfinite(y)):
        return False
    low, high = PLAUSIBLE_DPI
    return low <= round(x) <= high and low <= round(y) <= high


def _dpi(info: dict) -> tuple[float, float] | None:
    """Resolution from Pillow's info dict, or None when absent or implausible (0 or 1 = unset;
    outside :data:`PLAUSIBLE_DPI`)."""
    raw = info.get("dpi")
    if not plausible_dpi(raw):
        return None
    x, y = float(raw[0]), float(raw[1])  # type: ignore[index]
    # PNG stores dots per metre, so 300 dpi comes back as 299.9994: round to what was meant.
    return (round(x, 2), round(y, 2))


def _exif_dpi(im: Image.Image) -> tuple[float, float] | None:
    """Resolution from the EXIF block (WebP keeps it nowhere else), or None."""
    try:
        exif = im.getexif()
        x, y = exif.get(ExifTags.Base.XResolution), exif.get(ExifTags.Base.YResolution)
        unit = exif.get(ExifTags.Base.ResolutionUnit, 2)
    except Exception:  # noqa: BLE001 - a damaged EXIF block only costs the resolution
        return None
    if x is None or y is None or unit not in (2, 3):
        return None
    per_inch = 2.54 if unit == 3 else 1.0  # unit 3: per centimetre
    return _dpi({"dpi": (float(x) * per_inch, float(y) * per_inch)})


def to_gray_color(im: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """(gray float32 0..1, color uint8 RGB or None) of a decoded image in any Pillow mode.

    Alpha is composited onto white (a transparent scan background is paper), 16-bit data is
    scaled by 65535, float data by its range (see :func:`float_gray`), palette and CMYK images
    go through RGB, and an RGB image whose channels are all equal counts as grey (``color``
    None)."""
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
        return float_gray(np.asarray(im)), None
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
