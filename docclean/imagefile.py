"""Raster image files (PNG, JPEG, TIFF, BMP, WebP) read through Pillow into :class:`Page` records.

Every page is fully decoded at read time (so a truncated file fails here, not halfway through the
engine), its size is checked against a pixel limit before decoding, EXIF orientation is applied
exactly once (whether or not Pillow applied it already), a page with an embedded colour profile
is converted to sRGB (``docclean.icc``), and every Pillow mode is brought to grey 0..1 plus optional
RGB colour (``docclean.colormodes``). A TIFF's pages are its frames less its thumbnails, pyramid
levels and transparency masks."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from docclean import formats, icc, tiffcheck
from docclean.colormodes import FloatRangeError, float_gray, int_gray, to_gray_color
from docclean.errors import InputError
from docclean.jpegcheck import CannotCheck, jpeg_damage
from docclean.pixels import MAX_PIXELS, Page
from docclean.resolution import stated_dpi

__all__ = ["FloatRangeError", "count_frames", "float_gray", "frame_sizes", "int_gray", "read_image", "to_gray_color"]

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
# TIFF tags: NewSubfileType (bit 0: a reduced-resolution version of another image; bit 2: a
# transparency mask for another image) and PageNumber.
_TIFF_SUBFILE_TYPE, _TIFF_PAGE_NUMBER, _REDUCED_IMAGE, _TRANSPARENCY_MASK = 254, 297, 1, 4
_TIFF_BITS_PER_SAMPLE, _TIFF_SAMPLE_FORMAT, _UNSIGNED_INTEGER = 258, 339, 1


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
                fh.seek(0)
                if fh.read(1024).lstrip().startswith(b"%PDF-"):  # a PDF saved under an image's name
                    raise InputError(f"a PDF file named {path.suffix or 'without a suffix'}: rename it to "
                                     f"{path.stem}.pdf to clean its pages", path) from None
                raise InputError("not an image (content not recognised)", path) from None
        with im:
            if im.format == "TIFF":  # a broken chain of pages ends Pillow's list of them early, silently
                tiffcheck.check_directories(fh, path)
            yield im


def _multi_page(pil_format: str | None) -> bool:
    """True for formats that hold several pages in docclean's format table (TIFF)."""
    try:
        return formats.by_name(pil_format or "").multi_page
    except ValueError:
        return False


def _page_frames(im: Image.Image) -> list[int]:
    """The frames of ``im`` that are pages, in file order: every TIFF frame but the reduced-resolution
    versions of another (thumbnails, pyramid levels: :func:`_reduced`) and the transparency masks
    of another (NewSubfileType bit 2); one frame for other formats. A file made only of such frames
    keeps them all as pages. Reads headers only; ``im`` is left on its first frame."""
    count = int(getattr(im, "n_frames", 1)) if _multi_page(im.format) else 1
    if count == 1:
        return [0]
    pages: list[int] = []
    previous = None
    for frame in range(count):
        try:
            im.seek(frame)
            this = (_stored_size(im) or im.size, im.tag_v2.get(_TIFF_SUBFILE_TYPE),
                    im.tag_v2.get(_TIFF_PAGE_NUMBER), stated_dpi(im))
        except Exception:  # noqa: BLE001 - a frame whose header is damaged is a page; reading it says what is wrong
            pages.append(frame)
            previous = None
            continue
        if isinstance(this[1], int) and this[1] & _TRANSPARENCY_MASK:
            continue  # another frame's mask: no page, nor a level of a pyramid
        if not _reduced(this, previous, count):
            pages.append(frame)
        previous = this
    im.seek(0)
    return pages or list(range(count))


def _reduced(frame: tuple, previous: tuple | None, frames: int) -> bool:
    """True when a TIFF frame, described as ((width, height), NewSubfileType, PageNumber, dpi), is a
    reduced-resolution version of another: its NewSubfileType says so (bit 0: thumbnails, pyramid
    levels), or it is an ImageMagick 6 pyramid (PTIF) level, which says it is a page
    (NewSubfileType 2) but repeats the PageNumber of the frame before it, a PageNumber whose total
    is the file's ``frames`` (every level "page 1 of 5"), and is that frame halved (to a pixel; the
    same paper size where both state a resolution). Single-page scans joined into one file
    (``tiffcp``) each say "page 1 of 1" and keep every page, a smaller one included."""
    (width, height), subfile, number, dpi = frame
    if isinstance(subfile, int) and subfile & _REDUCED_IMAGE:
        return True
    if previous is None or number is None or number != previous[2] or len(number) < 2 or number[1] != frames:
        return False
    (big_width, big_height), _, _, big_dpi = previous
    if abs(2 * width - big_width) > 1 or abs(2 * height - big_height) > 1:
        return False
    if dpi is None or big_dpi is None:
        return True
    inches, big_inches = width / dpi[0], big_width / big_dpi[0]
    return abs(inches - big_inches) <= 0.02 * big_inches


def _frame(im: Image.Image, path: Path, index: int) -> int:
    """The frame of page ``index`` of ``im``; InputError when there is no such page."""
    pages = _page_frames(im)
    if not 0 <= index < len(pages):
        raise InputError(f"has no page {index + 1}", path)
    return pages[index]


def count_frames(path: Path, max_pixels: int = MAX_PIXELS) -> int:
    """Number of pages in a raster file: TIFF frames (not its thumbnails), else 1. Reads headers only;
    ``max_pixels`` is the caller's page limit, so a page it allows is counted (the size itself is
    checked on reading)."""
    with _open(path, max_pixels) as im:
        return len(_page_frames(im))


def frame_sizes(path: Path, indices: list[int]) -> list[tuple[int, int]]:
    """(width, height) of pages ``indices`` as :func:`read_image` yields them, in one opening."""
    sizes = []
    with _open(path) as im:
        pages = _page_frames(im)  # once: it walks every frame
        for index in indices:
            if not 0 <= index < len(pages):
                raise InputError(f"has no page {index + 1}", path)
            im.seek(pages[index])
            stored = _stored_size(im) or im.size  # Pillow 11+ reports a turned TIFF's size turned
            sizes.append(stored[::-1] if _orientation(im) in _TRANSPOSING_ORIENTATIONS else stored)
    return sizes


def read_image(path: Path, *, max_pixels: int = MAX_PIXELS, only: int | None = None) -> Iterator[Page]:
    """Yield every page of a raster file, fully decoded, in file order; with ``only``, just that
    page (0-based), decoding no other. A page's index counts pages, not TIFF frames (a thumbnail
    frame is no page: :func:`_page_frames`)."""
    with _open(path, max_pixels) as im:
        frames = _page_frames(im)
        count = len(frames)
        for index in range(count) if only is None else [only] if 0 <= only < count else []:
            # A page of a multi-page file is named in every message about it (page 1 included).
            where = f"page {index + 1} " if count > 1 else ""
            with _bomb_guard(path, max_pixels, where):
                im.seek(frames[index])
                gray, color, dpi = _decode_frame(im, path, max_pixels, where)
            yield Page(gray=gray, color=color, dpi=dpi, index=index)


def _decode_frame(im: Image.Image, path: Path, max_pixels: int, where: str
                  ) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float] | None]:
    width, height = im.size
    # The header is known before any pixel is decoded: refuse absurd sizes up front.
    if width * height > max_pixels:
        raise InputError(f"{where}image dimensions too large ({width} x {height} pixels, "
                         f"limit {max_pixels:,})", path)
    dpi = stated_dpi(im)
    orientation = _orientation(im)
    unsigned = _unsigned_32(im)
    stored = _stored_size(im)
    if im.format in ("JPEG", "MPO"):  # Pillow passes over libjpeg's warnings: damage is looked for first
        _check_jpeg(im, path, where)
    # Full decode now: truncation raises here rather than yielding half a page; libtiff's errors
    # on the way are said with the page, not printed on stderr; damage libtiff does not report
    # (a deflate checksum, fax damage told in warnings) is looked for.
    tiffcheck.load(im, path, where)
    # Pillow 11 and later turn a TIFF upright while loading it and then drop its orientation
    # tag; older ones (and other formats) leave both to us. A tag that survived the load is
    # still to be applied, a tag that vanished was applied: either way it is applied once.
    upright = ImageOps.exif_transpose(im) if _orientation(im) != 1 else im
    srgb = upright
    try:
        if stored is not None:
            expected = stored[::-1] if orientation in _TRANSPOSING_ORIENTATIONS else stored
            if upright.size != expected:
                raise InputError(f"{where}orientation {orientation} could not be applied (decoded "
                                 f"{upright.size[0]} x {upright.size[1]} pixels, expected "
                                 f"{expected[0]} x {expected[1]})", path)
        if orientation in _TRANSPOSING_ORIENTATIONS and dpi is not None:
            dpi = (dpi[1], dpi[0])
        srgb = icc.to_srgb(upright, icc.profile_of(im))  # pixels are taken as sRGB from here on
        try:
            gray, color = to_gray_color(srgb, unsigned=unsigned)
        except FloatRangeError as exc:
            raise InputError(f"{where}{exc}", path) from None
    finally:
        if srgb is not upright:
            srgb.close()
        if upright is not im:
            upright.close()
    return gray, color, dpi


def _unsigned_32(im: Image.Image) -> bool:
    """True for a TIFF frame of unsigned 32-bit integer samples (SampleFormat 1, or none: the TIFF
    default), which Pillow decodes into its signed mode I, a value past 2^31 wrapped to a negative
    one (ImageMagick's 32-bit grey: paper at 0.89 read as 0.39). A signed frame (SampleFormat 2,
    as Pillow writes mode I) and a 16-bit one, which Pillow widens to mode I, are read right."""
    tags = getattr(im, "tag_v2", None)
    if im.format != "TIFF" or im.mode != "I" or tags is None:
        return False
    bits, kind = tags.get(_TIFF_BITS_PER_SAMPLE), tags.get(_TIFF_SAMPLE_FORMAT, _UNSIGNED_INTEGER)
    bits = bits if isinstance(bits, tuple) else (bits,)
    kind = kind if isinstance(kind, tuple) else (kind,)
    return all(b == 32 for b in bits) and all(k == _UNSIGNED_INTEGER for k in kind)


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


def _check_jpeg(im: Image.Image, path: Path, where: str) -> None:
    """Refuse a JPEG whose data does not decode whole (``docclean.jpegcheck``: cut short, its end
    marker put back or not, or damaged), before Pillow decodes it: Pillow fills what libjpeg cannot
    decode with grey and passes over libjpeg's warnings, and a header claiming a huge page is
    refused without decoding one. What the check cannot judge is left to Pillow's decode."""
    if im.fp is None:
        return
    im.fp.seek(0)  # Pillow seeks to the data itself when it decodes
    try:
        found = jpeg_damage(im.fp.read())
    except CannotCheck:
        return
    if found is not None:
        reason, detail = found
        raise InputError(f"{where}{reason} ({detail})", path)
